"""The explorer's pure parts: column → order_by, status counts, filter history."""

from __future__ import annotations

from tuiflow.entities import Experiment, Metric, Run
from tuiflow.ui.columns import order_clause, quote_key, run_columns
from tuiflow.ui.history import MAX_ENTRIES, FilterHistory
from tuiflow.ui.messages import RunsStatus
from tuiflow.ui.widgets.status_bar import runs_count


def _run(run_id: str, params: dict[str, str], metrics: dict[str, float]) -> Run:
    return Run(
        run_id,
        "1",
        run_id,
        "u",
        "FINISHED",
        1,
        2,
        "active",
        None,
        metrics={k: Metric(k, v, 0) for k, v in metrics.items()},
        params=params,
    )


def test_columns_metrics_then_differing_params():
    runs = [
        _run("a", {"C": "1", "solver": "lbfgs"}, {"eval_acc": 0.9}),
        _run("b", {"C": "2", "solver": "lbfgs"}, {"loss": 0.1}),
    ]
    keys = [c.key for c in run_columns(runs)]
    assert keys == [
        "mark",
        "name",
        "status",
        "start",
        "duration",
        "user",
        "m:eval_acc",
        "m:loss",
        "p:C",
    ]
    several = [c.key for c in run_columns(runs, several_experiments=True)]
    assert several[:3] == ["mark", "name", "experiment"]


def test_order_clauses_are_mlflow_syntax():
    cols = {c.key: c for c in run_columns([_run("a", {"C": "1"}, {"eval acc": 1.0})])}
    assert order_clause(cols["m:eval acc"], False) == "metrics.`eval acc` DESC"
    assert order_clause(cols["start"], True) == "attributes.start_time ASC"
    assert order_clause(cols["p:C"], True) == "params.`C` ASC"
    assert order_clause(cols["name"], True) == "attributes.run_name ASC"
    assert order_clause(cols["duration"], True) is None
    assert order_clause(cols["mark"], True) is None
    assert quote_key("a`b") == '"a`b"'
    assert quote_key('a`b"c') is None


def test_order_clauses_parse(monkeypatch):
    from tuiflow.query.parser import parse_run_order_by

    cols = run_columns([_run("a", {"C": "1"}, {"eval acc": 1.0, "x-y": 2.0})])
    clauses = [order_clause(c, asc) for c in cols for asc in (True, False)]
    for clause in filter(None, clauses):
        (key,) = parse_run_order_by([clause])
        assert key.ident.entity in ("metric", "parameter", "attribute")


def test_runs_count_wording():
    exp = (Experiment("1", "e", None),)

    def status(**kw) -> RunsStatus:
        base = dict(
            experiments=exp,
            shown=3,
            more=False,
            total=None,
            total_complete=True,
            filtered=False,
            loading=False,
        )
        return RunsStatus(**{**base, **kw})

    assert runs_count(status()) == "3 runs"
    assert runs_count(status(shown=1)) == "1 run"
    assert runs_count(status(shown=500, more=True)) == "500+ runs"
    assert runs_count(status(filtered=True, total=12)) == "3 of 12 runs"
    assert runs_count(status(filtered=True, total=9, total_complete=False)) == "3 of 9+ runs"
    assert runs_count(status(filtered=True)) == "3 runs"  # total not known yet


def test_history_walks_and_persists(tmp_path):
    path = tmp_path / "deep" / "history"
    history = FilterHistory(path)
    assert history.previous() is None
    for text in ("a = 1", "b = 2", "a = 1", "  ", "two\nlines"):
        history.add(text)
    assert history.entries == ["b = 2", "a = 1"]  # re-used moves to the end; blanks skipped
    assert history.previous() == "a = 1"
    assert history.previous() == "b = 2"
    assert history.previous() is None
    assert history.next() == "a = 1"
    assert history.next() == ""
    assert history.next() is None
    assert FilterHistory(path).entries == ["b = 2", "a = 1"]


def test_history_is_bounded_and_survives_unwritable_paths(tmp_path):
    history = FilterHistory(tmp_path / "h")
    for i in range(MAX_ENTRIES + 5):
        history.add(f"m = {i}")
    assert len(history.entries) == MAX_ENTRIES
    blocker = tmp_path / "file"
    blocker.write_text("x")
    stuck = FilterHistory(blocker / "sub" / "history")  # parent is a file: cannot write
    stuck.add("a = 1")
    assert stuck.entries == ["a = 1"] and stuck.path is None

"""tuiflow's OR / NOT / parentheses extension, on every backend, against MLflow's own answers.

MLflow cannot run these filters, so the oracle is set algebra over what MLflow returns for
their plain parts on the same store: result(A OR B) == result(A) ∪ result(B),
result(NOT A) == all − result(A), and the runs come in the order MLflow gives the whole
experiment set for the same order_by (the order of the union). File, SQL and REST must
agree with that exactly, hence with each other.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mlflow_data import GONE, MAIN, SECOND

from contract import labels_of, mlflow_run_ids, substitute, tuiflow_runs
from contract.test_search_runs import CATALOGUE
from tuiflow.entities import ViewType
from tuiflow.errors import QueryError
from tuiflow.stores.rest import RestStore
from tuiflow.stores.rest_extended import TOKEN_PREFIX

EXPERIMENTS = (MAIN, SECOND, GONE)
Q = Callable[[str | None], set[str]]  # MLflow's run ids for an MLflow filter (None: all)

EXTENDED: list[tuple[str, Callable[[Q], set[str]]]] = [
    ("metrics.acc > 0.8 OR params.model = 'RandomForest'",
     lambda q: q("metrics.acc > 0.8") | q("params.model = 'RandomForest'")),
    ("NOT metrics.acc > 0.5", lambda q: q(None) - q("metrics.acc > 0.5")),
    ("NOT NOT metrics.acc > 0.5", lambda q: q("metrics.acc > 0.5")),
    ("((metrics.acc > 0.5))", lambda q: q("metrics.acc > 0.5")),
    ("NOT params.lr IS NULL", lambda q: q("params.lr IS NOT NULL")),
    ("NOT tags.env IS NOT NULL", lambda q: q("tags.env IS NULL")),
    ("NOT (tags.env IS NULL OR params.model IS NULL)",
     lambda q: q("tags.env IS NOT NULL") & q("params.model IS NOT NULL")),
    ("(metrics.acc > 0.8 OR tags.env = 'Prod') AND params.lr = '0.1'",
     lambda q: (q("metrics.acc > 0.8") | q("tags.env = 'Prod'")) & q("params.lr = '0.1'")),
    ("metrics.loss < 1 OR datasets.name = 'other'",
     lambda q: q("metrics.loss < 1") | q("datasets.name = 'other'")),
    ("datasets.context = 'eval' OR datasets.digest = 'abc123'",
     lambda q: q("datasets.context = 'eval'") | q("datasets.digest = 'abc123'")),
    ("NOT datasets.name = 'mydata'", lambda q: q(None) - q("datasets.name = 'mydata'")),
    ("NOT (datasets.name = 'mydata' AND datasets.context = 'eval')",
     lambda q: q(None) - q("datasets.name = 'mydata' AND datasets.context = 'eval'")),
    ("NOT (datasets.context = 'eval' OR run_name LIKE '%a')",
     lambda q: q(None) - q("datasets.context = 'eval'") - q("run_name LIKE '%a'")),
    ("attributes.status = 'RUNNING' OR attributes.status = 'KILLED'",
     lambda q: q("attributes.status = 'RUNNING'") | q("attributes.status = 'KILLED'")),
    ("NOT attributes.end_time > 0", lambda q: q(None) - q("attributes.end_time > 0")),
    ("metrics.v > 100 OR metrics.v < -100 OR metrics.v = 0",
     lambda q: q("metrics.v > 100") | q("metrics.v < -100") | q("metrics.v = 0")),
    ("NOT metrics.v != 0", lambda q: q(None) - q("metrics.v != 0")),
    ("NOT metrics.v = 0", lambda q: q(None) - q("metrics.v = 0")),
    ("params.model LIKE 'Linear%' OR params.model ILIKE 'random%'",
     lambda q: q("params.model LIKE 'Linear%'") | q("params.model ILIKE 'random%'")),
    ("tags.env = 'prod' OR tags.env = 'Prod' OR tags.env = 'PROD'",
     lambda q: q("tags.env = 'prod'") | q("tags.env = 'Prod'") | q("tags.env = 'PROD'")),
    ("NOT tags.`mlflow.parentRunId` IS NULL AND metrics.acc > 0.3",
     lambda q: q("tags.`mlflow.parentRunId` IS NOT NULL") & q("metrics.acc > 0.3")),
    ("attributes.run_id IN ('<A>', '<B>') OR attributes.run_id = '<D>'",
     lambda q: q("attributes.run_id IN ('<A>', '<B>')") | q("attributes.run_id = '<D>'")),
    ("NOT attributes.run_id IN ('<A>', '<B>')",
     lambda q: q(None) - q("attributes.run_id IN ('<A>', '<B>')")),
    ("run_name = 'alpha' OR `Run name` = 'Beta run'",
     lambda q: q("run_name = 'alpha'") | q("`Run name` = 'Beta run'")),
    ("created < 2000 OR attributes.start_time > 8000",
     lambda q: q("created < 2000") | q("attributes.start_time > 8000")),
    ("metrics.acc > 0.5 AND NOT (params.model = 'LinearRegression' OR tags.env ILIKE 'prod')",
     lambda q: q("metrics.acc > 0.5")
     - q("params.model = 'LinearRegression'") - q("tags.env ILIKE 'prod'")),
    ("(metrics.acc > 0.2 AND metrics.acc < 0.6) OR (metrics.loss >= 0.3 AND params.lr = '0.1')",
     lambda q: q("metrics.acc > 0.2 AND metrics.acc < 0.6")
     | q("metrics.loss >= 0.3 AND params.lr = '0.1'")),
    ("NOT (metrics.acc > 0.2 AND params.model IS NOT NULL)",
     lambda q: q(None) - q("metrics.acc > 0.2 AND params.model IS NOT NULL")),
    ("params.empty = '' OR tags.empty_tag = ''",
     lambda q: q("params.empty = ''") | q("tags.empty_tag = ''")),
    ("NOT params.empty = ''", lambda q: q(None) - q("params.empty = ''")),
    ("tags.only = 'tags' OR attributes.user_id = 'nobody'",
     lambda q: q("tags.only = 'tags'") | q("attributes.user_id = 'nobody'")),
    ("metrics.`spacey name` > 5 OR metrics.\"X-Y-Z\" = 3 OR metrics.über > 1",
     lambda q: q("metrics.`spacey name` > 5") | q('metrics."X-Y-Z" = 3')
     | q("metrics.über > 1")),
    ("status != 'RUNNING' AND (run_name LIKE 'child%' OR metrics.acc < 0)",
     lambda q: q("status != 'RUNNING'") & (q("run_name LIKE 'child%'") | q("metrics.acc < 0"))),
    ("params.\"数据\" = '值' OR params.`path/to/p` = 'x/y' OR tags.`dir/tag` = 'y'",
     lambda q: q("params.\"数据\" = '值'") | q("params.`path/to/p` = 'x/y'")
     | q("tags.`dir/tag` = 'y'")),
    ("NOT (NOT (metrics.acc > 0.5) OR NOT (params.lr = '0.01'))",
     lambda q: q("metrics.acc > 0.5") & q("params.lr = '0.01'")),
    ("metrics.acc > 0.8 or not params.model = 'RandomForest'",
     lambda q: q("metrics.acc > 0.8") | (q(None) - q("params.model = 'RandomForest'"))),
    ("NOT(metrics.acc > 0.5)AND(params.lr IS NOT NULL OR tags.env IS NULL)",
     lambda q: (q(None) - q("metrics.acc > 0.5"))
     & (q("params.lr IS NOT NULL") | q("tags.env IS NULL"))),
    ("datasets.name = 'mydata' AND (datasets.context = 'training' OR metrics.acc < 0.1)",
     lambda q: q("datasets.name = 'mydata'")
     & (q("datasets.context = 'training'") | q("metrics.acc < 0.1"))),
]

ORDERS: list[list[str]] = [
    ["metrics.acc DESC"],
    ["params.model", "metrics.acc DESC"],
    ["attributes.run_name"],
    ["tags.env DESC", "start_time"],
]


def _exp_ids(backend) -> list[str]:
    return [backend.experiments[e] for e in EXPERIMENTS]


def _oracle(backend, view: ViewType) -> Q:
    exp_ids = _exp_ids(backend)

    def q(flt: str | None) -> set[str]:
        text = substitute(flt or "", backend.runs)
        return set(mlflow_run_ids(backend, exp_ids, text, [], view))

    return q


def _expected(backend, expr: Callable[[Q], set[str]], order_by: list[str],
              view: ViewType) -> list[str]:
    wanted = expr(_oracle(backend, view))
    everything = mlflow_run_ids(backend, _exp_ids(backend), "", order_by, view)
    return [r for r in everything if r in wanted]


def _ours(backend, text: str, order_by: list[str], view: ViewType,
          page_size: int = 1000) -> list[str]:
    flt = substitute(text, backend.runs)
    runs = tuiflow_runs(backend, _exp_ids(backend), flt, order_by, view, page_size=page_size)
    return [r.run_id for r in runs]


def test_extended_catalogue_size() -> None:
    assert len(EXTENDED) >= 25


@pytest.mark.parametrize("view", [ViewType.ACTIVE_ONLY, ViewType.ALL],
                         ids=lambda v: v.proto_name)
@pytest.mark.parametrize(("text", "expr"), EXTENDED, ids=[t for t, _ in EXTENDED])
def test_extended_filter_is_set_algebra_over_mlflow(backend, text, expr, view) -> None:
    got = _ours(backend, text, [], view)
    want = _expected(backend, expr, [], view)
    assert labels_of(backend, got) == labels_of(backend, want)


@pytest.mark.parametrize("order_by", ORDERS, ids=repr)
@pytest.mark.parametrize(("text", "expr"), EXTENDED[:12], ids=[t for t, _ in EXTENDED[:12]])
def test_extended_filter_keeps_mlflow_order(backend, text, expr, order_by) -> None:
    view = ViewType.ACTIVE_ONLY
    got = _ours(backend, text, order_by, view)
    assert labels_of(backend, got) == labels_of(backend, _expected(backend, expr, order_by, view))


_PLAIN_OK = [t for t, v in CATALOGUE if v == "Y" and t.strip() and "\n" not in t]


@pytest.mark.parametrize("text", _PLAIN_OK)
def test_not_of_every_mlflow_filter_is_the_complement(backend, text: str) -> None:
    """NOT A == all − result(A) for every filter of the catalogue MLflow accepts."""
    view = ViewType.ALL
    q = _oracle(backend, view)
    got = set(_ours(backend, f"NOT ({text})", [], view))
    assert got == q(None) - q(text)


@pytest.mark.parametrize("page_size", [1, 2, 3])
@pytest.mark.parametrize("text", [EXTENDED[1][0], EXTENDED[12][0], EXTENDED[0][0]])
def test_extended_paging(backend, text: str, page_size: int) -> None:
    order_by = ["metrics.acc DESC"]
    view = ViewType.ALL
    whole = _ours(backend, text, order_by, view)
    assert len(whole) > page_size
    assert _ours(backend, text, order_by, view, page_size=page_size) == whole


@pytest.mark.server
def test_rest_scans_server_pages_and_reports_progress(rest_backend) -> None:
    """Many small server pages, several tuiflow pages, distinct tokens, progress."""
    backend = rest_backend
    text = "NOT metrics.acc > 0.5 OR params.model = 'RandomForest'"
    view = ViewType.ALL
    want = _ours(backend, text, [], view)
    calls: list[list[int]] = []
    with RestStore(backend.uri) as store:
        store.extended_page_size = 2
        got: list[str] = []
        token = None
        while True:
            seen: list[int] = []
            page = store.search_runs(_exp_ids(backend), text, view=view, max_results=3,
                                     page_token=token, on_progress=seen.append)
            calls.append(seen)
            got += [r.run_id for r in page]
            token = page.next_page_token
            if not token:
                break
            assert token.startswith(TOKEN_PREFIX)
        assert got == want
        assert len(calls) == -(-len(want) // 3)  # pages of 3
        for seen in calls:  # runs fetched so far: grows by at most a server page
            assert seen and seen[0] <= 2
            assert all(0 < b - a <= 2 for a, b in zip(seen, seen[1:], strict=False))
        # every run of the view was looked at once, bar the resumed server pages
        everything = mlflow_run_ids(backend, _exp_ids(backend), "", [], view)
        assert len(everything) <= sum(s[-1] for s in calls) < len(everything) + 2 * len(calls)
        with pytest.raises(QueryError):
            store.search_runs(_exp_ids(backend), text, page_token="bm90LWEtdG9rZW4=")


class _Recording(RestStore):
    """The real RestStore, remembering which filter each server request carried."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.sent: list[str | None] = []

    def _search_runs(self, experiment_ids, filter, order_by, view, max_results, page_token):
        self.sent.append(filter)
        return super()._search_runs(experiment_ids, filter, order_by, view, max_results,
                                    page_token)


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("metrics.acc>0.5  and params.lr = '0.1'", "metrics.acc>0.5  and params.lr = '0.1'"),
        ("metrics.acc > 0.2 AND (params.lr = '0.1' OR tags.env = 'prod')",
         "metrics.acc > 0.2"),
        ("params.`cat dog` = 'pets' AND NOT metrics.acc > 0.5 AND tags.env IS NOT NULL",
         "params.`cat dog` = 'pets' AND tags.env IS NOT NULL"),
        ("metrics.acc > 0.2 OR params.lr = '0.1'", None),
        ("NOT metrics.acc > 0.2", None),
    ],
)
@pytest.mark.server
def test_rest_sends_plain_filters_verbatim_and_the_plain_conjunct(rest_backend, text,
                                                                   sent) -> None:
    backend = rest_backend
    with _Recording(backend.uri) as store:
        store.search_runs(_exp_ids(backend), text, view=ViewType.ALL)
        assert store.sent[0] == sent


@pytest.mark.parametrize("text", [EXTENDED[0][0], EXTENDED[7][0], EXTENDED[12][0]])
def test_cli_runs_accepts_the_extension(backend, capsys, text: str) -> None:
    """`tuiflow runs -f` gets the extension: same runs, same order as the store."""
    import json

    from tuiflow.cli import main

    flt = substitute(text, backend.runs)
    args = ["runs", backend.uri, "-f", flt, "--view", "all", "--format", "json"]
    for name in EXPERIMENTS:
        args += ["-e", backend.experiments[name]]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    got = [r["run_id"] for r in json.loads(capsys.readouterr().out)]
    assert got == _ours(backend, text, [], ViewType.ALL)
    assert got

"""search_runs: every filter and order_by returns MLflow's runs in MLflow's order.

The oracle is `MlflowClient.search_runs` on the same backend. Each catalogue row also
says whether MLflow accepts it ("Y"), rejects it ("N"), or accepts it only on the file
store ("FILE") or only on SQL-backed stores ("SQL"); the test first checks that MLflow
still behaves that way, so a typo in a row cannot make a test pass vacuously.
Filters use <LABEL> placeholders for run ids (labels from tests/mlflow_data.py).
"""

from __future__ import annotations

import sys

import pytest
from mlflow_data import GONE, MAIN, SECOND

from contract import (
    VIEWS,
    ask_mlflow,
    labels_of,
    mlflow_run_dict,
    mlflow_run_ids,
    substitute,
    tuiflow_run_dict,
    tuiflow_runs,
)
from tuiflow.entities import ViewType
from tuiflow.errors import InvalidArgumentError, QueryError

Y, N, FILE, SQL = "Y", "N", "FILE", "SQL"

# (filter, validity) -- §7.1 of mlflow-formats.md, every row and every alternative.
REFERENCE_FILTERS: list[tuple[str, str]] = [
    ("metrics.acc > 0.8", Y),
    ("metric.acc >= 0.94", Y),
    ("metrics.acc>=0.5", Y),
    ('metrics."legit name" >= 0.243', Y),
    ("metrics.`spacey name` > 5", Y),
    ('metrics."accuracy.2.0" > 5', Y),
    ('metrics."X-Y-Z" = 3', Y),
    ("metrics.X-Y-Z = 3", N),
    ('metrics."X//Y#$$@&Z" = 3', Y),
    ("metrics.loss != 1", Y),
    ("metrics.loss = 0", Y),
    ("metrics.loss > -1", Y),
    ("metrics.acc > 1e-1", Y),
    ("metrics.acc > .5", Y),
    ("metrics.acc > +0.5", N),
    ("metrics.acc = '0.9'", N),
    ("metrics.acc > 0.5 AND metrics.acc < 0.95", Y),
    ("`metrics`.acc > 0.6", Y),
    ("metrics.`acc` > 0.6", Y),
    ("metrics.acc IS NULL", N),
    ("metrics.acc != metrics.acc", N),
    ("metrics.acc == 1", N),
    ("params.model = 'LinearRegression'", Y),
    ('params.model = "LinearRegression"', Y),
    ('params."m"!="tf"', Y),
    ("param.model != 'RandomForest'", Y),
    ("parameters.lr = '0.01'", Y),
    ("params.lr = 0.01", N),
    ('params."cat dog" = "pets"', Y),
    ("params.`cat dog` = 'pets'", Y),
    ("params.'cat dog' = 'pets'", Y),
    ('params.m = "L\'Hosp"', Y),
    ("params.m = 'L\\'Hosp'", Y),
    ("params.m = 'L''Hosp'", Y),
    ("params.model LIKE 'Linear%'", Y),
    ("params.model LIKE 'linear%'", Y),
    ("params.model ILIKE 'linear%'", Y),
    ("params.model LIKE 'R_ndomForest'", Y),
    ("params.lr IS NULL", Y),
    ("params.lr IS NOT NULL", Y),
    ("params.lr > '0.01'", N),
    ("params.model = LR", N),
    ("params.acc = `LR`", N),
    ("tags.env = 'prod'", Y),
    ("tags.env != 'prod'", Y),
    ("tags.env ILIKE 'PROD'", Y),
    ("tags.env LIKE 'P%'", Y),
    ('tags."t.a.g" = "a"', Y),
    ("tags.`mlflow.runName` = 'alpha'", Y),
    ("tags.mlflow.runName = 'alpha'", Y),
    ("`tags`.source_name = 'a notebook'", Y),
    ("tags.version IS NULL", Y),
    ("tags.a IS NULL AND params.b = 'val'", Y),
    ("tags.acc = 5", N),
    ("attributes.status = 'FINISHED'", Y),
    ("attributes.status = 'finished'", Y),
    ('run.status = "RUNNING"', Y),
    ("attributes.status ILIKE 'fin%'", Y),
    ("attributes.status = 1", N),
    ("attribute.status = true", N),
    ("attributes.status IN ('FINISHED','FAILED')", N),
    ("run_name = 'alpha'", Y),
    ("attr.run_name = 'alpha'", Y),
    ("attributes.`Run name` = 'alpha'", Y),
    ("attributes.\"Run Name\" = 'x'", Y),
    ("attributes.run_name LIKE '%a'", Y),
    ("attributes.run_id IN ('<A>', '<B>')", Y),
    ('attributes.run_id IN ("<A>", "<B>")', Y),
    ("attributes.run_id NOT IN ('<A>')", Y),
    ("attributes.run_id IN ()", N),
    ("attributes.start_time > 1500", Y),
    ("attributes.created >= 2000", Y),
    ("created < 2000", Y),
    ("attributes.Created <= 1000", Y),
    ("attributes.start_time > '1500'", N),
    ("attributes.start_time LIKE 1234", N),
    ("attributes.end_time > 0", Y),
    ("attributes.end_time IS NULL", N),
    ("attribute.artifact_uri = '1/23/4'", Y),
    ("attributes.lifecycle_stage = 'active'", N),
    ("attribute.lifecycle_stage = 'ACTIVE'", N),
    ("attributes.experiment_id = '1'", N),
    ("attribute.experiment_id != 1", N),
    ("datasets.name = 'mydata'", Y),
    ("dataset.digest IN ('abc123','zzz')", Y),
    ("datasets.context = 'training'", Y),
    ("datasets.name = 'name1' AND datasets.digest = 'digest2'", Y),
    ("datasets.profile = 'x'", N),
    ("dataset.status = 'true'", N),
    ("metrics.acc > 0.5 and params.model = 'LinearRegression'", Y),
    ("metric.acc >= 0.94; metrics.rmse < 1", N),
    ("acc > 0.9", N),
    ("model >= 'LR'", N),
    ("m.acc >= 0.94", N),
    ("attri.x != 1", N),
    ("METRICS.acc > 0", N),
    ("`metrics.A > 0.1", N),
    ("param`.A > 0.1", N),
    ("params.acc = 'LR", N),
    ("params.acc = \"LR'", N),
    ("1.0 > metrics.acc", N),
    ("1=1", N),
    ("params.model = 'LinearRegression' AND", Y),
    ("params.from = 'x'", N),
    ("metrics.acc > 0.5\tAND\tparams.lr = '0.01'", Y),
    ("metrics.acc > 0.5\nAND\nparams.lr = '0.01'", Y),
]

# Additions exercising the rest of the dataset.
EXTRA_FILTERS: list[tuple[str, str]] = [
    ("", Y),
    ("metrics.über > 1", Y),
    ("metrics.`über` > 1", Y),
    ('metrics."数据" = 2.5', Y),
    ("metrics.数据 = 2.5", Y),
    ('metrics."train/acc" > 0.5', Y),
    ("metrics.train/acc > 0.5", N),
    ("metrics.`a:b` = 1", Y),
    ("metrics.a:b = 1", N),
    ('metrics."with space" = 2', Y),
    ("metrics.acc > 0.5 AND metrics.acc > 0.6", Y),
    ("AND metrics.acc > 0", Y),
    ("metrics.acc > 0 AND AND params.lr = '0.01'", Y),
    ("metrics.acc > 5.", Y),
    ("metrics.acc >= 0.7 AND metrics.acc <= 0.7", Y),
    ("metrics.acc < 0", Y),
    ("metrics.acc = 0", Y),
    ("metrics.acc <> 1", N),
    ("metrics.acc > inf", N),
    # NaN and ±inf (inf is stored as the largest double in SQL, so some rows differ)
    ("metrics.v > 100", Y),
    ("metrics.v < -100", Y),
    ("metrics.v = 0", Y),
    ("metrics.v != 0", Y),
    ("metrics.v != 5", Y),
    ("metrics.v <= 0", Y),
    ("metrics.v >= 1e308", Y),
    ("metrics.v > 1.7976931348623157e308", Y),
    ("metrics.v = 1.7976931348623157e308", Y),
    ("metrics.v < -1.7976931348623157e308", Y),
    ("metrics.acc > 1e308", Y),
    ("metrics.loss < 0", Y),
    # params: unicode, '/', spaces, colons, empty strings, multi-line values
    ("params.über = 'ü'", Y),
    ('params."数据" = "值"', Y),
    ("params.`path/to/p` = 'x/y'", Y),
    ("params.\"path/to/p\" LIKE 'x/%'", Y),
    ("params.path/to/p = 'x/y'", N),
    ("params.`with space` = 's p'", Y),
    ("params.`a:b` = 'c'", Y),
    ("params.empty = ''", Y),
    ("params.empty != ''", Y),
    ("params.empty IS NULL", Y),
    ("params.empty IS NOT NULL", Y),
    ("params.model = ''", Y),
    ("params.model != ''", Y),
    ("params.model LIKE '%'", Y),
    ("params.model ILIKE '%REGRESSION'", Y),
    ("params.lr = '1e-3'", Y),
    ("params.multi LIKE 'line1%'", Y),
    ("params.multi LIKE '%line2'", Y),
    ("params.multi = 'line1\nline2'", Y),
    ("params.model like 'Linear%'", Y),
    ("params.lr is null", Y),
    ("params.lr Is Not Null", Y),
    ("params.model NOT LIKE 'x'", N),
    ("params.model IN ('LinearRegression')", N),
    ("params.model = 'Deleted'", Y),
    # tags
    ("tags.empty_tag = ''", Y),
    ("tags.empty_tag IS NOT NULL", Y),
    ("tags.env = ''", Y),
    ("tags.env IS NULL", Y),
    ("tags.über = 'wert'", Y),
    ("tags.`dir/tag` = 'y'", Y),
    ("tags.a.b.c = 'dots'", Y),
    ('tags."a.b.c" LIKE \'d%\'', Y),
    ("tags.pct LIKE '50%_off'", Y),
    ("tags.pct LIKE '50_'", Y),
    ("tags.env IN ('prod')", N),
    ("tags.mlflow.parentRunId = '<D>'", Y),
    ("tags.`mlflow.parentRunId` IS NULL", Y),
    ("tags.`mlflow.parentRunId` IS NOT NULL AND metrics.acc > 0.3", Y),
    ("tags.only = 'tags'", Y),
    # attributes
    ("attributes.status = 'KILLED'", Y),
    ("status != 'RUNNING'", Y),
    ("attributes.status LIKE '%ED'", Y),
    ("attributes.user_id = 'unknown'", Y),
    ("attributes.run_id = '<A>'", Y),
    ("attributes.run_id != '<A>'", Y),
    ("attributes.run_id in ('<A>', '<doomed>', '<GONE>')", Y),
    ("attributes.run_id NOT IN ('<doomed>', '<C>')", Y),
    ("attributes.run_id IN ('<A>', 1)", N),
    ("attributes.end_time <= 2500", Y),
    ("attributes.end_time = 8000", Y),
    ("attributes.end_time != 8000", Y),
    ("attributes.start_time = 2000", Y),
    ("attributes.start_time != 2000", Y),
    ("attributes.start_time >= 2000 AND attributes.start_time <= 4000", Y),
    ("attributes.start_time > 1.5", Y),
    ("attributes.run_name ILIKE 'ALPHA'", Y),
    ("run_name LIKE 'child-_'", Y),
    ("attributes.run_name != 'alpha'", Y),
    ("`Run name` = 'Beta run'", Y),
    ("attributes.name = 'alpha'", N),
    # datasets
    ("datasets.name = 'other'", Y),
    ("datasets.context IN ('eval')", Y),
    ("datasets.digest != 'abc123'", Y),
    ("datasets.name LIKE 'my%'", Y),
    ("datasets.name ILIKE 'MY%'", Y),
    ("datasets.context = 'eval' AND datasets.name = 'other'", Y),
    ("datasets.name NOT IN ('mydata')", Y),
    ("datasets.name IN ()", N),
    ("datasets.name IS NULL", N),
]

CATALOGUE = REFERENCE_FILTERS + EXTRA_FILTERS

# MLflow rejects OR and parentheses; tuiflow documents them as an extension. If tuiflow
# accepts one, it must return the union of MLflow's results for the AND-only filters given
# here (a disjunctive normal form), in MLflow's default order.
EXTENSION_FILTERS: list[tuple[str, list[str]]] = [
    (
        "metrics.acc > 0.8 OR params.model = 'RandomForest'",
        ["metrics.acc > 0.8", "params.model = 'RandomForest'"],
    ),
    (
        "metrics.acc > 0.5 AND (params.model = 'LinearRegression')",
        ["metrics.acc > 0.5 AND params.model = 'LinearRegression'"],
    ),
    (
        "(metrics.acc > 0.8 OR tags.env = 'Prod') AND params.lr = '0.1'",
        ["metrics.acc > 0.8 AND params.lr = '0.1'", "tags.env = 'Prod' AND params.lr = '0.1'"],
    ),
]

EXPERIMENTS = (MAIN, SECOND, GONE)


def _valid_on(validity: str, backend_name: str) -> bool:
    if validity == FILE:
        return backend_name.startswith("file")
    if validity == SQL:
        return not backend_name.startswith("file")
    return validity == Y


def _cases() -> list[pytest.param]:
    cases = []
    for text, validity in CATALOGUE:
        views = VIEWS if validity != N else (ViewType.ACTIVE_ONLY,)
        for view in views:
            cases.append(pytest.param(text, validity, view, id=f"{text!r}-{view.proto_name}"))
    return cases


def compare_search(backend, filter_text: str, order_by: list[str], view: ViewType,
                   experiments=EXPERIMENTS, validity: str | None = None,
                   errors: tuple[type[Exception], ...] = (QueryError,)) -> None:
    # names not in the dataset (e.g. "424242") are passed through as literal ids
    exp_ids = [backend.experiments.get(e, e) for e in experiments]
    text = substitute(filter_text, backend.runs)
    oracle = ask_mlflow(lambda: mlflow_run_ids(backend, exp_ids, text, order_by, view))
    if validity is not None:
        assert oracle.ok == _valid_on(validity, backend.name), (
            f"MLflow on {backend.name} {'accepted' if oracle.ok else 'rejected'} "
            f"{text!r}, the catalogue says {validity}: {oracle.error}"
        )
    if not oracle.ok:
        with pytest.raises(errors) as excinfo:
            tuiflow_runs(backend, exp_ids, text, order_by, view)
        if "\n" not in text:  # the CLI prints errors on one line
            assert "\n" not in str(excinfo.value)
        return
    got = [r.run_id for r in tuiflow_runs(backend, exp_ids, text, order_by, view)]
    assert labels_of(backend, got) == labels_of(backend, oracle.value)


def test_catalogue_size() -> None:
    assert len(CATALOGUE) >= 80
    assert len(ORDER_BYS) >= 15


@pytest.mark.parametrize(("filter_text", "validity", "view"), _cases())
def test_filter_matches_mlflow(backend, filter_text: str, validity: str, view: ViewType) -> None:
    compare_search(backend, filter_text, [], view, validity=validity)


@pytest.mark.parametrize(("filter_text", "dnf"), EXTENSION_FILTERS)
def test_extension_filters(backend, filter_text: str, dnf: list[str]) -> None:
    exp_ids = [backend.experiments[e] for e in EXPERIMENTS]
    view = ViewType.ACTIVE_ONLY
    assert not ask_mlflow(lambda: mlflow_run_ids(backend, exp_ids, filter_text, [], view)).ok
    try:
        got = [r.run_id for r in tuiflow_runs(backend, exp_ids, filter_text, [], view)]
    except QueryError:
        return  # rejecting like MLflow is fine
    wanted: set[str] = set()
    for term in dnf:
        wanted |= set(mlflow_run_ids(backend, exp_ids, term, [], view))
    everything = mlflow_run_ids(backend, exp_ids, "", [], view)
    assert labels_of(backend, got) == labels_of(backend, [r for r in everything if r in wanted])


# (order_by, validity)
ORDER_BYS: list[tuple[list[str], str]] = [
    ([], Y),
    (["metrics.loss ASC"], Y),
    (["metrics.loss DESC"], Y),
    (["metrics.acc"], Y),
    (["metrics.acc DESC"], Y),
    (["metrics.`legit name` DESC"], Y),
    (["params.model"], Y),
    (["tags.env desc"], Y),
    (["attributes.run_name"], Y),
    (["run_name DESC"], Y),
    (["created"], Y),
    (["attributes.status"], Y),
    (["attributes.end_time"], Y),
    (["tags.`mlflow.runName`"], Y),
    (["metrics.acc ASC", "metrics.acc DESC"], FILE),
    (["metrics.acc dsc"], N),
    (["metrics.acc > 1"], N),
    (["attributes.experiment_id"], N),
    (["attributes.lifecycle_stage"], N),
    (["datasets.name"], N),
    (["metrics.v"], Y),
    (["metrics.v DESC"], Y),
    (["metrics.v ASC", "attributes.run_name DESC"], Y),
    (["params.lr", "metrics.acc DESC"], Y),
    (["params.empty"], Y),
    (["tags.empty_tag DESC"], Y),
    (["attributes.start_time ASC"], Y),
    (["start_time"], Y),
    (["attributes.end_time DESC"], Y),
    (["attributes.run_id"], Y),
    (["run_id DESC"], Y),
    (["attributes.user_id"], Y),
    (["attributes.artifact_uri"], Y),
    (["metrics.`über` DESC"], Y),
    (['metrics."数据"'], Y),
    (["params.`path/to/p`"], Y),
    (["created DESC", "metrics.acc"], Y),
    (["Created"], Y),
    (["attributes.created aSc"], Y),
    (["metrics.acc DESC", "params.model ASC", "tags.env"], Y),
    (["params.model", "params.model DESC"], FILE),
    (["params.my_param "], N),
    (["metrics.`spacey name`"], Y),
    (["tags.mlflow.parentRunId"], Y),
    (["status"], Y),
    (["end_time"], Y),
    (["metrics.acc ASC LIMIT"], N),
    (["metric.acc DESC", "param.lr"], Y),
]


def _order_cases() -> list[pytest.param]:
    return [pytest.param(o, v, id=repr(o)) for o, v in ORDER_BYS]


@pytest.mark.parametrize(("order_by", "validity"), _order_cases())
def test_order_by_matches_mlflow(backend, order_by: list[str], validity: str) -> None:
    compare_search(backend, "", order_by, ViewType.ALL, validity=validity)


@pytest.mark.parametrize(("order_by", "validity"), _order_cases())
def test_order_by_with_filter(backend, order_by: list[str], validity: str) -> None:
    compare_search(backend, "metrics.acc > -1 AND attributes.status != 'KILLED'", order_by,
                   ViewType.ACTIVE_ONLY, experiments=(MAIN,), validity=validity)


@pytest.mark.parametrize("page_size", [1, 2, 3])
@pytest.mark.parametrize(
    "order_by", [o for o, v in ORDER_BYS if v == Y][:12], ids=repr
)
def test_pagination_walk(backend, order_by: list[str], page_size: int) -> None:
    exp_ids = [backend.experiments[e] for e in EXPERIMENTS]
    expected = mlflow_run_ids(backend, exp_ids, "", order_by, ViewType.ALL)
    got = tuiflow_runs(backend, exp_ids, "", order_by, ViewType.ALL, page_size=page_size)
    assert labels_of(backend, [r.run_id for r in got]) == labels_of(backend, expected)


def test_page_sizes_and_tokens(backend) -> None:
    exp_ids = [backend.experiments[e] for e in EXPERIMENTS]
    first = backend.store.search_runs(exp_ids, max_results=2, view=ViewType.ALL)
    theirs = backend.client.search_runs(exp_ids, "", run_view_type=3, max_results=2)
    assert [r.run_id for r in first] == [r.info.run_id for r in theirs]
    assert first.next_page_token
    # a tuiflow token is an MLflow token: MLflow continues exactly where tuiflow stopped
    second_theirs = backend.client.search_runs(
        exp_ids, "", run_view_type=3, max_results=2, page_token=first.next_page_token
    )
    second = backend.store.search_runs(
        exp_ids, max_results=2, view=ViewType.ALL, page_token=first.next_page_token
    )
    assert [r.run_id for r in second] == [r.info.run_id for r in second_theirs]
    everything = backend.store.search_runs(exp_ids, max_results=1000, view=ViewType.ALL)
    assert everything.next_page_token is None
    exact = backend.store.search_runs(exp_ids, max_results=len(everything), view=ViewType.ALL)
    assert exact.next_page_token is None and len(exact) == len(everything)


@pytest.mark.parametrize("max_results", [0, -1, 50001])
def test_bad_max_results(backend, max_results: int) -> None:
    """Where MLflow refuses a page size, tuiflow refuses it too.

    MLflow's file store quietly accepts 0 and -1 (the server and SQL store refuse them);
    tuiflow may be stricter there, but must not return something different.
    """
    exp_ids = [backend.experiments[MAIN]]
    oracle = ask_mlflow(
        lambda: backend.client.search_runs(exp_ids, "", max_results=max_results)
    )
    if max_results > 0:
        assert not oracle.ok
    try:
        ours = backend.store.search_runs(exp_ids, max_results=max_results)
    except QueryError:
        return
    assert oracle.ok, f"tuiflow accepted max_results={max_results}, MLflow refused it"
    assert [r.run_id for r in ours] == [r.info.run_id for r in oracle.value]


def test_bad_page_token(backend) -> None:
    exp_ids = [backend.experiments[MAIN]]
    assert not ask_mlflow(
        lambda: backend.client.search_runs(exp_ids, "", page_token="not-a-token!!")
    ).ok
    with pytest.raises(QueryError):
        backend.store.search_runs(exp_ids, page_token="not-a-token!!")


@pytest.mark.parametrize(
    "experiments",
    [(), (MAIN,), (SECOND, MAIN), (GONE,), ("Default",), ("424242",), (MAIN, "not-an-id")],
    ids=repr,
)
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.proto_name)
def test_experiment_sets(backend, experiments, view: ViewType) -> None:
    # a malformed experiment id is a bad argument, not a bad filter
    compare_search(backend, "", [], view, experiments=experiments,
                   errors=(QueryError, InvalidArgumentError))


def test_full_run_content(backend) -> None:
    """Every field of every run, as returned by search, equals MLflow's."""
    exp_ids = [backend.experiments[e] for e in EXPERIMENTS]
    theirs = backend.client.search_runs(exp_ids, "", run_view_type=3, max_results=1000)
    ours = {r.run_id: r for r in tuiflow_runs(backend, exp_ids, "", [], ViewType.ALL)}
    assert set(ours) == {r.info.run_id for r in theirs}
    for run in theirs:
        label = labels_of(backend, [run.info.run_id])[0]
        assert tuiflow_run_dict(ours[run.info.run_id]) == mlflow_run_dict(run), label


def test_forked_backend_forks(backend) -> None:
    """The file-nocache backend spreads its searches over forked processes (file_forked.py),
    so every contract test above checks that path too: make sure it is really taken."""
    if backend.name != "file-nocache" or sys.platform != "linux":
        pytest.skip("only the file-nocache backend scans in forked processes, on Linux")
    before = backend.store.forked_searches
    exp_ids = [backend.experiments[e] for e in EXPERIMENTS]
    tuiflow_runs(backend, exp_ids, "metrics.acc > 0", [], ViewType.ALL)
    assert backend.store.forked_searches > before

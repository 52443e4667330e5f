"""The first page of a filtered, sorted run search on a big SQL store: tuiflow vs MLflow.

    python benchmarks/bench_sql_page.py --sqlite /tmp/bench100k/mlruns.db [--postgres]

Times, in this process, the call the explorer makes when a filter is applied: one
`search_runs` over every experiment with `--filter` and `--order-by`, 500 runs (its page
size, `--page`), through tuiflow's SQL store and through MLflow's own `SqlAlchemyStore`, on the
SQLite store given and, with `--postgres`, on a PostgreSQL copy of it: MLflow creates the
schema (its own tables and indexes, nothing added), then every row is copied over with
COPY. Without `--postgres-url` a private PostgreSQL server is started for the run (the
test suite's, tests/db_servers.py) and removed afterwards. The first call (cold
connection and caches) is shown apart from the median of `--repeat` later calls (MLflow's
first call only unless `--mlflow-repeat`: on 100,000 runs it takes minutes), and both
tools' pages are compared. It is a report: the exit status is 0 whatever the
numbers are; the target (issue 6) is under 0.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

TARGET_S = 0.5
HERE = Path(__file__).resolve().parent


def timed(fn: Callable[[], list[str]], repeat: int) -> tuple[float, float, list[str]]:
    """(first call, median of `repeat` more calls or the first when 0, the page's run ids)."""
    began = time.perf_counter()
    ids = fn()
    first = time.perf_counter() - began
    seconds = [first] if repeat == 0 else []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - began)
    return first, statistics.median(seconds), ids


def measure(
    url: str, flt: str, order_by: list[str], page: int, repeat: int, mlflow_repeat: int
) -> list[str]:
    from mlflow.entities import ViewType as MlflowView
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    from tuiflow.stores.sql import SqlStore

    ours = SqlStore(url)
    theirs = SqlAlchemyStore(url, "/tmp/unused-artifacts")
    ours_ids = [e.experiment_id for e in ours.search_experiments()]
    theirs_ids = [e.experiment_id for e in theirs.search_experiments()]

    def tuiflow_page() -> list[str]:
        runs = ours.search_runs(ours_ids, filter=flt, order_by=order_by, max_results=page)
        return [r.run_id for r in runs.items]

    def mlflow_page() -> list[str]:
        runs = theirs.search_runs(theirs_ids, flt, MlflowView.ACTIVE_ONLY, page, order_by)
        return [r.info.run_id for r in runs]

    try:
        t_first, t_median, t_ids = timed(tuiflow_page, repeat)
        m_first, m_median, m_ids = timed(mlflow_page, mlflow_repeat)
    finally:
        ours.close()
        theirs.engine.dispose()
    same = "identical" if t_ids == m_ids else "DIFFERENT"
    return [
        f"{t_median:.3f} (first {t_first:.3f})",
        f"{m_median:.3f} (first {m_first:.3f})",
        f"{m_median / t_median:.1f}×",
        "met" if t_median < TARGET_S and t_first < TARGET_S else "NOT met",
        f"{same} ({len(t_ids)} runs)",
    ]


def copy_to_postgres(sqlite_path: Path, url: str) -> float:
    """MLflow makes the schema at `url`; every row of the SQLite store is copied in."""
    import sqlalchemy as sa
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    began = time.perf_counter()
    SqlAlchemyStore(url, "/tmp/unused-artifacts").engine.dispose()  # schema at MLflow's head
    source = sa.create_engine(f"sqlite:///{sqlite_path}")
    target = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(target)
    with source.connect() as src, target.connect() as dst:
        raw = dst.connection.dbapi_connection
        # A store migrated from files keeps its 18-digit experiment ids, which SQLite holds
        # and PostgreSQL's integer column does not: they are numbered 0, 1, 2... instead.
        old_ids = [row[0] for row in src.exec_driver_sql(
            "SELECT experiment_id FROM experiments ORDER BY experiment_id")]  # fmt: skip
        renumber = {old: new for new, old in enumerate(old_ids)}
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            names = [c.name for c in table.columns if c.computed is None]  # not generated
            listed = ", ".join(f'"{n}"' for n in names)
            src_cols = {c["name"] for c in sa.inspect(source).get_columns(table.name)}
            picked = ", ".join(f'"{n}"' if n in src_cols else "NULL" for n in names)
            rows = src.exec_driver_sql(f'SELECT {picked} FROM "{table.name}"')
            cur = raw.cursor()
            cur.execute(f'DELETE FROM "{table.name}"')  # MLflow's Default experiment
            at = names.index("experiment_id") if "experiment_id" in names else None
            with cur.copy(f'COPY "{table.name}" ({listed}) FROM STDIN') as copy:
                for row in rows:
                    values = list(row)
                    if at is not None and values[at] is not None:
                        values[at] = renumber.get(int(values[at]), values[at])
                    copy.write_row(values)
            raw.commit()
        cur = raw.cursor()
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), "
            "(SELECT MAX(experiment_id) FROM experiments))"
        )
        cur.execute("ANALYZE")
        raw.commit()
    source.dispose()
    target.dispose()
    return time.perf_counter() - began


@contextlib.contextmanager
def postgres_database(admin_url: str | None) -> Iterator[str]:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from db_servers import DatabaseServer, postgres_server

    if admin_url:
        server = DatabaseServer("postgresql", admin_url)
        url = server.create_database()
        try:
            yield url
        finally:
            server.drop_database(url)
        return
    with postgres_server() as server:
        yield server.create_database()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path, required=True)
    parser.add_argument("--postgres", action="store_true", help="also on a PostgreSQL copy")
    parser.add_argument("--postgres-url", help="an existing server's admin URL (no database)")
    parser.add_argument("--filter", default="metrics.eval_acc > 0.9")
    parser.add_argument("--order-by", action="append", default=None)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--mlflow-repeat",
        type=int,
        default=0,
        help="MLflow's calls after its first (0: the first only; it can take minutes)",
    )
    args = parser.parse_args(argv)
    order_by = args.order_by or ["metrics.eval_acc DESC"]
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    rows = []
    sqlite_url = f"sqlite:///{args.sqlite.resolve()}"
    reps = (args.page, args.repeat, args.mlflow_repeat)
    rows.append(["SQLite", *measure(sqlite_url, args.filter, order_by, *reps)])
    if args.postgres or args.postgres_url:
        with postgres_database(args.postgres_url) as url:
            took = copy_to_postgres(args.sqlite.resolve(), url)
            print(f"(PostgreSQL copy made in {took:.0f} s)", file=sys.stderr)
            rows.append(["PostgreSQL", *measure(url, args.filter, order_by, *reps)])
    theirs = (
        f"median of {args.mlflow_repeat} calls after a first one"
        if args.mlflow_repeat
        else "its first call only"
    )
    print(
        f"search_runs(all experiments, {args.filter!r}, order_by={order_by}, "
        f"max_results={args.page}); tuiflow: median of {args.repeat} calls after a first "
        f"one; MLflow: {theirs}; seconds\n"
    )
    header = ["store", "tuiflow s", "MLflow s", "MLflow/tuiflow", "target < 0.5 s", "same page"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    from tuiflow.errors import TuiflowError

    try:
        sys.exit(main())
    except TuiflowError as exc:  # a store that cannot be opened: one line, as tuiflow says it
        sys.exit(f"{Path(__file__).name}: {exc}")

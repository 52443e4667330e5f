"""Twin file stores written by real MLflow, and a masked view of one for comparisons.

Two stores are populated by the same code (their ids differ); tuiflow acts on one and
MlflowClient on the other, then `view()` reads both through MlflowClient and the files,
with ids replaced by names and timestamps replaced by "NOW" (inside the action's time
window) or "OLD".
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import ViewType

from tuiflow.stores.yamlio import read_meta


def client_for(root: Path) -> MlflowClient:
    uri = f"file://{root}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def populate(root: Path) -> dict[str, str]:
    """Experiments alpha (4 runs, r4 still RUNNING) and beta (2 runs), model m (3 versions)."""
    c = client_for(root)
    ids: dict[str, str] = {}
    for exp_name, runs in (("alpha", ("r1", "r2", "r3", "r4")), ("beta", ("b1", "b2"))):
        exp_id = c.create_experiment(exp_name, tags={"team": exp_name})
        ids[exp_name] = exp_id
        for i, run_name in enumerate(runs):
            run = c.create_run(exp_id, run_name=run_name, tags={"kind": "twin"})
            rid = run.info.run_id
            ids[run_name] = rid
            c.log_metric(rid, "loss", 1.0 / (i + 1), step=0)
            c.log_param(rid, "lr", str(i))
            art = root.parent / f"art-{root.name}-{run_name}.txt"
            art.write_text(run_name)
            c.log_artifact(rid, str(art))
            if run_name != "r4":
                c.set_terminated(rid, "FINISHED")
    c.create_registered_model("m")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            c.create_model_version("m", f"runs:/{ids['r1']}/model", run_id=ids["r1"])
        c.transition_model_version_stage("m", "1", "Production")
        c.transition_model_version_stage("m", "2", "Staging")
    c.set_registered_model_alias("m", "champ", "1")
    return ids


def _t(value: Any, window: tuple[int, int]) -> Any:
    if value is None:
        return None
    return "NOW" if window[0] <= int(value) <= window[1] else "OLD"


def _meta_keys(path: str) -> tuple[str, ...]:
    return tuple(sorted(k for k in read_meta(path) if k != "run_uuid"))


def view(root: Path, window: tuple[int, int]) -> dict[str, Any]:
    """Everything MLflow reads from the store, with ids and timestamps masked."""
    c = client_for(root)
    out: dict[str, Any] = {}
    exps = c.search_experiments(view_type=ViewType.ALL)
    for e in exps:
        trashed = os.path.isdir(root / ".trash" / e.experiment_id)
        exp_dir = root / (".trash" if trashed else "") / e.experiment_id
        out[f"exp:{e.name}"] = (
            e.lifecycle_stage,
            e.tags,
            _t(e.last_update_time, window),
            trashed,
            _meta_keys(str(exp_dir)),
        )
    runs = c.search_runs([e.experiment_id for e in exps], run_view_type=ViewType.ALL)
    names = {e.experiment_id: e.name for e in exps}
    for r in runs:
        i = r.info
        run_dir = root / (".trash" if out[f"exp:{names[i.experiment_id]}"][3] else "")
        run_dir = run_dir / i.experiment_id / i.run_id
        meta = read_meta(str(run_dir))
        out[f"run:{i.run_name}"] = (
            names[i.experiment_id],
            i.status,
            i.lifecycle_stage,
            _t(i.end_time, window),
            _t(meta.get("deleted_time"), window) if "deleted_time" in meta else "absent",
            r.data.tags,
            r.data.params,
            r.data.metrics,
            sorted(a.path for a in c.list_artifacts(i.run_id)),
            _meta_keys(str(run_dir)),
            meta.get("run_uuid", i.run_id) == i.run_id,
        )
    for m in c.search_registered_models():
        out[f"model:{m.name}"] = (
            _t(m.last_updated_timestamp, window),
            dict(m.aliases),
            _meta_keys(str(root / "models" / m.name)),
        )
        for v in c.search_model_versions(f"name='{m.name}'"):
            out[f"mv:{m.name}/{v.version}"] = (
                v.current_stage,
                _t(v.last_updated_timestamp, window),
                sorted(v.aliases),
                _meta_keys(str(root / "models" / m.name / f"version-{v.version}")),
            )
    return out


def run_dirs(root: Path) -> set[str]:
    """Names of every run folder left on disk (active or trashed experiments)."""
    out = set()
    for base in (root, root / ".trash"):
        for exp in base.iterdir() if base.is_dir() else ():
            if exp.name in (".trash", "models") or not exp.is_dir():
                continue
            out |= {p.name for p in exp.iterdir() if (p / "meta.yaml").is_file()}
    return out

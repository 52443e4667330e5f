"""Write flows of the main screen and the models screen, over `tuiflow.actions.Actions`.

Each flow: work out what would change (a plan, in a worker), state it in a modal, then do
it in a worker and reload the views. Every binding here is hidden from the footer, the
palette and the keyboard (`check_action` -> False) when the app is read-only or the store
is not writable; pressing one anyway says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tuiflow.actions import Actions
from tuiflow.entities import ViewType
from tuiflow.textsafe import inert
from tuiflow.ui.screens.confirm import ChoiceScreen, ConfirmScreen, PromptScreen, TransitionScreen


def app_actions(app: Any) -> Actions:
    """One Actions per app, so `u` can undo a delete made from any screen."""
    actions = getattr(app, "_tuiflow_actions", None)
    if actions is None:
        actions = Actions(app.store, read_only=bool(getattr(app, "read_only", False)))
        app._tuiflow_actions = actions
    return actions


class WriteFlowsBase:
    """Shared by the screens: run a write in a worker, report, reload."""

    app: Any
    query_one: Any  # provided by the Screen this is mixed into

    def _write_allowed(self) -> bool:
        return app_actions(self.app).can_write

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("write_") and not self._write_allowed():
            return False
        return super().check_action(action, parameters)  # type: ignore[misc]

    def _in_worker(self, job: Callable[[], object], done: Callable[[object], None]) -> None:
        def work() -> None:
            try:
                result = job()
            except Exception as exc:  # noqa: BLE001 - shown in place, never a crash
                message = inert(str(exc), single_line=True)
                self.app.call_from_thread(
                    self.app.notify, message, title="Not done", severity="error", markup=False
                )
                return
            self.app.call_from_thread(done, result)

        self.app.run_worker(work, thread=True, group="write", exit_on_error=False)

    def _say(self, text: str) -> None:
        self.app.notify(inert(text, single_line=True), markup=False)


class MainWriteFlows(WriteFlowsBase):
    """Runs and experiments: delete, restore, undo, terminate, tags, rename, purge."""

    def _runs_pane(self):
        from tuiflow.ui.widgets.runs_pane import RunsPane

        return self.query_one(RunsPane)

    def _experiments_focused(self) -> bool:
        from tuiflow.ui.widgets.experiments_pane import ExperimentsTable

        return self.query_one(ExperimentsTable).has_focus

    def _chosen_runs(self) -> list:
        table = self._runs_pane().table
        if table.marked:
            return [r for r in table.runs if r.run_id in table.marked]
        run = table.current_run()
        return [run] if run is not None else []

    def _reload(self) -> None:
        self._runs_pane().table.marked.clear()
        self.action_refresh()  # type: ignore[attr-defined]

    def _confirm_runs(self, verb: str, runs: list, job: Callable[[list[str]], object]) -> None:
        if not runs:
            self._say(f"no runs to {verb}")
            return
        ids = [r.run_id for r in runs]
        names = sorted({self._experiment_name(r.experiment_id) for r in runs})
        items = [f"{r.run_name or r.run_id}  ({r.run_id})" for r in runs]
        count = f"{len(runs)} run{'s' if len(runs) != 1 else ''}"
        title = f"{verb.capitalize()} {count} in {', '.join(names)}?"

        def answered(ok: bool | None) -> None:
            if ok:
                self._in_worker(lambda: job(ids), lambda _: self._done(f"{verb}d {count}"))

        self.app.push_screen(ConfirmScreen(title, items), answered)

    def _experiment_name(self, exp_id: str) -> str:
        for exp in self._runs_pane().experiments:
            if exp.experiment_id == exp_id:
                return exp.name
        return exp_id

    def _done(self, text: str) -> None:
        self._say(text)
        self._reload()

    # -- runs ----------------------------------------------------------------------------

    def action_write_delete(self) -> None:
        if self._experiments_focused():
            self._experiment_flow(restore=False)
            return
        actions = app_actions(self.app)
        self._confirm_runs("delete", self._chosen_runs(), actions.delete_runs)

    def action_write_delete_matching(self) -> None:
        pane = self._runs_pane()
        actions = app_actions(self.app)
        exp_ids, text = list(pane.experiment_ids), pane.filter_text or None
        if not exp_ids:
            return
        self._in_worker(
            lambda: actions.plan_delete_matching(exp_ids, text),
            lambda plan: self._confirm_runs("delete", list(plan.runs), actions.delete_runs),
        )

    def action_write_undo(self) -> None:
        actions = app_actions(self.app)
        if not actions.last_deleted:
            self._say("nothing to undo")
            return
        self._in_worker(actions.undo_delete, lambda ids: self._done(f"restored {len(ids)} run(s)"))

    def action_write_restore(self) -> None:
        if self._experiments_focused():
            self._experiment_flow(restore=True)
            return
        runs = [r for r in self._chosen_runs() if r.lifecycle_stage == "deleted"]
        self._confirm_runs("restore", runs, app_actions(self.app).restore_runs)

    def action_write_terminate(self) -> None:
        run = self._runs_pane().table.current_run()
        if run is None or run.status != "RUNNING":
            self._say("only a RUNNING run can be terminated")
            return

        def chosen(status: str | None) -> None:
            if status:
                self._in_worker(
                    lambda: app_actions(self.app).terminate_run(run.run_id, status),
                    lambda _: self._done(f"run {run.run_id} is now {status}"),
                )

        self.app.push_screen(
            ChoiceScreen(
                f"Terminate {run.run_name or run.run_id}: new status", ["KILLED", "FAILED"]
            ),
            chosen,
        )

    def _prompt_run(self, title: str, labels: list[str], job, values=()) -> None:
        run = self._runs_pane().table.current_run()
        if run is None:
            return

        def answered(values: tuple[str, ...] | None) -> None:
            if values is not None:
                self._in_worker(lambda: job(run, *values), lambda _: self._done(f"{title}: done"))

        self.app.push_screen(PromptScreen(f"{title} ({run.run_id})", labels, values), answered)

    def action_write_set_tag(self) -> None:
        a = app_actions(self.app)
        self._prompt_run("Set tag", ["Key", "Value"], lambda r, k, v: a.set_tag(r.run_id, k, v))

    def action_write_delete_tag(self) -> None:
        a = app_actions(self.app)
        self._prompt_run("Delete tag", ["Key"], lambda r, k: a.delete_tag(r.run_id, k))

    def action_write_rename(self) -> None:
        a = app_actions(self.app)
        if self._experiments_focused():
            from tuiflow.ui.widgets.experiments_pane import ExperimentsPane

            exp = self.query_one(ExperimentsPane).current_experiment()
            if exp is None:
                return

            def answered(values: tuple[str, ...] | None) -> None:
                if values is not None:
                    self._in_worker(
                        lambda: a.rename_experiment(exp.experiment_id, values[0]),
                        lambda _: self._done("experiment renamed"),
                    )

            self.app.push_screen(PromptScreen("Rename experiment", ["Name"], [exp.name]), answered)
            return
        run = self._runs_pane().table.current_run()
        self._prompt_run(
            "Rename run",
            ["Name"],
            lambda r, n: a.rename_run(r.run_id, n),
            values=[run.run_name] if run else (),
        )

    # -- experiments -------------------------------------------------------------------

    def _experiment_flow(self, restore: bool) -> None:
        from tuiflow.ui.widgets.experiments_pane import ExperimentsPane

        exp = self.query_one(ExperimentsPane).current_experiment()
        if exp is None:
            return
        a = app_actions(self.app)
        verb = "restore" if restore else "delete"
        view = ViewType.DELETED_ONLY if restore else ViewType.ACTIVE_ONLY

        def plan() -> int:
            return len(a.store.search_runs([exp.experiment_id], view=view, max_results=50000).items)

        def ask(n: object) -> None:
            title = f"{verb.capitalize()} experiment '{exp.name}' (id {exp.experiment_id})?"
            note = f"{n} {'deleted' if restore else 'active'} run(s) are {verb}d with it."
            job = a.restore_experiment if restore else a.delete_experiment

            def answered(ok: bool | None) -> None:
                if ok:
                    self._in_worker(
                        lambda: job(exp.experiment_id), lambda _: self._done(f"{verb}d {exp.name}")
                    )

            self.app.push_screen(ConfirmScreen(title, note=note), answered)

        self._in_worker(plan, ask)

    def action_write_purge(self) -> None:
        """Purge the deleted runs (and deleted experiments) of the experiments in view."""
        pane = self._runs_pane()
        a = app_actions(self.app)
        exp_ids = list(pane.experiment_ids)

        def ask(plan: Any) -> None:
            if not plan.count:
                self._say("nothing to purge: no deleted runs or experiments here")
                return
            names = [self._experiment_name(i) for i in exp_ids]
            require = names[0] if len(names) == 1 else str(plan.count)
            items = [f"experiment {e.name}" for e in plan.experiments] + [
                f"run {r.run_name or ''} ({r.run_id})" for r in plan.runs
            ]
            title = (
                f"PERMANENTLY remove {len(plan.runs)} deleted run(s) and "
                f"{len(plan.experiments)} experiment(s) in {', '.join(names)}?"
            )

            def answered(ok: bool | None) -> None:
                if ok:
                    self._in_worker(
                        lambda: a.purge(plan),
                        lambda r: self._done(f"purged {len(r.runs)} run(s)"),  # type: ignore[attr-defined]
                    )

            note = "This cannot be undone; local artifacts are removed too."
            self.app.push_screen(ConfirmScreen(title, items, note, require=require), answered)

        if exp_ids:
            self._in_worker(lambda: a.plan_purge(None, exp_ids), ask)


class ModelWriteFlows(WriteFlowsBase):
    """Models screen: stage transitions (with archive-existing) and aliases."""

    versions: dict
    shown_model: str | None
    models: dict

    def _current_version(self):
        from tuiflow.ui.widgets.nav_table import NavTable

        table = self.query_one("#versions-table", NavTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.versions.get(str(key))

    def action_write_transition(self, stage: str) -> None:
        version = self._current_version()
        if version is None:
            self._say("choose a version first (tab to the versions table)")
            return
        a = app_actions(self.app)
        name, number = version.name, version.version
        archivable = stage in ("Staging", "Production")

        def ask(would: Any) -> None:
            def answered(archive: bool | None) -> None:
                if archive is not None:
                    self._in_worker(
                        lambda: a.transition(name, number, stage, archive),
                        lambda _: self._done(f"{name} v{number} is now in {stage}"),
                    )

            self.app.push_screen(TransitionScreen(name, number, stage, would), answered)

        self._in_worker(lambda: a.plan_transition(name, number, stage, archivable), ask)

    def action_write_set_alias(self) -> None:
        version = self._current_version()
        if version is None:
            self._say("choose a version first (tab to the versions table)")
            return
        a = app_actions(self.app)

        def answered(values: tuple[str, ...] | None) -> None:
            if values is not None:
                self._in_worker(
                    lambda: a.set_alias(version.name, values[0], version.version),
                    lambda _: self._done(f"@{values[0]} -> v{version.version}"),
                )

        title = f"Alias for {version.name} v{version.version} (moves it if it exists)"
        self.app.push_screen(PromptScreen(title, ["Alias"]), answered)

    def action_write_delete_alias(self) -> None:
        version = self._current_version()
        if version is None or not (aliases := self._aliases(version)):
            self._say("this version has no alias")
            return
        a = app_actions(self.app)

        def chosen(alias: str | None) -> None:
            if alias:
                self._in_worker(
                    lambda: a.delete_alias(version.name, alias),
                    lambda _: self._done(f"deleted @{alias}"),
                )

        self.app.push_screen(ChoiceScreen("Delete which alias?", aliases), chosen)

    def _aliases(self, version) -> list[str]:
        model = self.models.get(version.name)
        mapped = [k for k, v in (model.aliases if model else {}).items() if v == version.version]
        return sorted(set(mapped) | set(version.aliases))

    def _done(self, text: str) -> None:
        self._say(text)
        self.action_refresh()  # type: ignore[attr-defined]

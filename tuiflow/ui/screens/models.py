"""The model registry (`m`): registered models on the left, the selected one's versions on
the right with its description and tags. Enter on a version opens its source run.

Stages are shown because old registries use them, but MLflow deprecated them in favour of
aliases (MLflow 2.9); the screen says so in one dim line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from tuiflow import humanize
from tuiflow.entities import ModelVersion, RegisteredModel
from tuiflow.stores.base import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)
from tuiflow.textsafe import inert
from tuiflow.ui import clock, keys
from tuiflow.ui.messages import LoadFailed, RunChosen
from tuiflow.ui.screens.models_text import (
    MODEL_COLUMNS,
    STAGE_STYLE,
    STAGES_NOTE,
    VERSION_COLUMNS,
    aliases_of,
    latest_version,
    model_header,
    version_detail,
    versions_filter,
)
from tuiflow.ui.screens.quiet_focus import QuietFocus
from tuiflow.ui.widgets import cells
from tuiflow.ui.widgets.key_bar import KeyBar
from tuiflow.ui.widgets.nav_table import NavTable
from tuiflow.ui.write_flows import ModelWriteFlows

MAX_PAGES = 100  # a server that keeps answering with a token must not hang the screen
MAX_RUN_NAMES = 200  # source runs looked up per model
VERSION_COLUMN_WIDTHS = {  # "Source run" is "name (8-char id)", long names truncated
    "version": 7, "stage": 10, "aliases": 20, "run": 28, "created": 9, "status": 8,
}


@dataclass
class ModelsLoaded(Message):
    models: tuple[RegisteredModel, ...]


@dataclass
class VersionsLoaded(Message):
    name: str
    versions: tuple[ModelVersion, ...]


@dataclass
class RunNamesLoaded(Message):
    name: str
    run_names: dict[str, str]


class ModelsScreen(QuietFocus, ModelWriteFlows, Screen[None]):
    BINDINGS = [*keys.MODELS, *keys.MODELS_WRITE]

    DEFAULT_CSS = """
    ModelsScreen #models-title, ModelsScreen #model-header {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    ModelsScreen #models-panes { height: 1fr; }
    ModelsScreen #models-table { width: 2fr; }
    ModelsScreen #model-detail { width: 3fr; border-left: solid $panel; }
    ModelsScreen #versions-table { height: auto; max-height: 70%; }
    ModelsScreen #version-detail { height: auto; max-height: 6; padding: 0 1; }
    ModelsScreen #stages-note { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.models: dict[str, RegisteredModel] = {}
        self.versions: dict[str, ModelVersion] = {}  # row key (version number) -> version
        self.shown_model: str | None = None
        self.run_names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text("Registered models  loading…"), id="models-title")
        with Horizontal(id="models-panes"):
            yield NavTable(id="models-table", cursor_type="row")
            with Vertical(id="model-detail"):
                yield Static(id="model-header")
                yield NavTable(id="versions-table", cursor_type="row")
                yield Static(id="version-detail")
                yield Static(Text(STAGES_NOTE, style="dim"), id="stages-note")
        yield KeyBar()

    def on_mount(self) -> None:
        models = self.query_one("#models-table", NavTable)
        for key, label in MODEL_COLUMNS:
            models.add_column(label, key=key)
        versions = self.query_one("#versions-table", NavTable)
        for key, label in VERSION_COLUMNS:
            # Rows, aliases and source-run names arrive from separate workers; fixed widths
            # keep the layout the same whichever comes first (and stop columns jumping).
            versions.add_column(label, key=key, width=VERSION_COLUMN_WIDTHS[key])
        models.focus()
        self.action_refresh()

    # -- loading -------------------------------------------------------------------------

    def action_refresh(self) -> None:
        if not self.app.store.capabilities.registry:  # type: ignore[attr-defined]
            self._title("this store has no model registry")
            return
        self._title("loading…")
        self._load_models()

    @work(thread=True, exclusive=True, group="models", exit_on_error=False)
    def _load_models(self) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        worker = get_current_worker()
        out: list[RegisteredModel] = []
        token = None
        try:
            for _ in range(MAX_PAGES):
                page = store.search_registered_models(
                    max_results=SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD, page_token=token
                )
                out.extend(page.items)
                token = page.next_page_token
                if not token or worker.is_cancelled:
                    break
        except Exception as exc:  # StoreError, a server without a registry
            self.post_message(LoadFailed("models", exc))
            return
        self.post_message(ModelsLoaded(tuple(out)))

    def on_models_loaded(self, message: ModelsLoaded) -> None:
        table = self.query_one("#models-table", NavTable)
        keep = self.shown_model
        table.clear()
        self.models = {m.name: m for m in message.models}
        now = clock.now_ms()
        for model in message.models:
            latest = latest_version(model)
            aliases = " ".join(f"@{a}" for a in sorted(model.aliases))
            table.add_row(
                cells.text(model.name, "bold"),
                cells.text("" if latest is None else f"v{latest}", justify="right"),
                cells.text(aliases),
                cells.text(humanize.relative(model.last_updated_timestamp, now)),
                key=model.name,
            )
        count = len(message.models)
        self._title(f"{count} registered model{'s' if count != 1 else ''}")
        if keep in self.models:  # a refresh: stay on the model and re-read its versions
            table.move_cursor(row=table.get_row_index(keep))
            self._show_model(self.models[keep])
        if not message.models:
            self._show_model(None)

    @on(DataTable.RowHighlighted, "#models-table")
    def _on_model_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value
        if name in self.models and name != self.shown_model:
            self._show_model(self.models[name])

    def _show_model(self, model: RegisteredModel | None) -> None:
        self.shown_model = model.name if model else None
        self.query_one("#versions-table", NavTable).clear()
        self.versions = {}
        self.query_one("#version-detail", Static).update("")
        header = self.query_one("#model-header", Static)
        if model is None:
            header.update(Text("No registered models.", style="dim"))
            return
        header.update(model_header(model))
        self._load_versions(model.name)

    @work(thread=True, exclusive=True, group="model-versions", exit_on_error=False)
    def _load_versions(self, name: str) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        text, exact = versions_filter(name)
        out: list[ModelVersion] = []
        token = None
        try:
            for _ in range(MAX_PAGES):
                page = store.search_model_versions(
                    filter=text,
                    max_results=SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                    page_token=token,
                )
                out.extend(v for v in page.items if exact or v.name == name)
                token = page.next_page_token
                if not token:
                    break
        except Exception as exc:
            self.post_message(LoadFailed("model versions", exc))
            return
        out.sort(key=lambda v: v.version, reverse=True)
        self.post_message(VersionsLoaded(name, tuple(out)))
        names: dict[str, str] = {}
        for run_id in dict.fromkeys(v.run_id for v in out if v.run_id):
            if len(names) >= MAX_RUN_NAMES or get_current_worker().is_cancelled:
                break
            if run_id in self.run_names:
                continue
            try:
                names[run_id] = store.get_run(run_id).run_name
            except Exception:  # a run deleted for good, or in another store: id alone is shown
                names[run_id] = ""
        if names:
            self.post_message(RunNamesLoaded(name, names))

    def on_versions_loaded(self, message: VersionsLoaded) -> None:
        if message.name != self.shown_model:
            return
        model = self.models.get(message.name)
        table = self.query_one("#versions-table", NavTable)
        table.clear()
        self.versions = {}
        now = clock.now_ms()
        for v in message.versions:
            key = str(v.version)
            self.versions[key] = v
            created = humanize.relative(v.creation_timestamp, now)
            table.add_row(
                cells.text(f"v{v.version}", justify="right"),
                cells.text(v.current_stage, STAGE_STYLE.get(v.current_stage, "")),
                cells.text(", ".join(f"@{a}" for a in aliases_of(v, model)), "bold cyan"),
                self._run_cell(v.run_id),
                cells.text(created),
                cells.text(v.status, "" if v.status == "READY" else "yellow"),
                key=key,
            )
        if not message.versions:
            self.query_one("#version-detail", Static).update(Text("No versions.", style="dim"))

    def on_run_names_loaded(self, message: RunNamesLoaded) -> None:
        self.run_names.update(message.run_names)
        if message.name != self.shown_model:
            return
        table = self.query_one("#versions-table", NavTable)
        for key, v in self.versions.items():
            if v.run_id in message.run_names:
                table.update_cell(key, "run", self._run_cell(v.run_id))

    def _run_cell(self, run_id: str | None) -> Text:
        if not run_id:
            return cells.text("—", "dim")
        name = self.run_names.get(run_id)
        return cells.text(f"{name} ({run_id[:8]})" if name else run_id)

    @on(DataTable.RowHighlighted, "#versions-table")
    def _on_version_highlighted(self, event: DataTable.RowHighlighted) -> None:
        version = self.versions.get(str(event.row_key.value))
        if version is not None:
            self.query_one("#version-detail", Static).update(version_detail(version))

    # -- opening a version's run ---------------------------------------------------------

    @on(DataTable.RowSelected, "#models-table")
    def _on_model_selected(self, event: DataTable.RowSelected) -> None:
        self.query_one("#versions-table", NavTable).focus()

    def action_select_cursor(self) -> None:
        table = self.query_one("#versions-table", NavTable)
        if table.row_count:
            table.action_select_cursor()

    @on(DataTable.RowSelected, "#versions-table")
    def _on_version_selected(self, event: DataTable.RowSelected) -> None:
        version = self.versions.get(str(event.row_key.value))
        if version is None:
            return
        if not version.run_id:
            self.notify(f"version {version.version} has no source run", severity="warning")
            return
        self._open_run(version.run_id)

    @work(thread=True, exclusive=True, group="model-run", exit_on_error=False)
    def _open_run(self, run_id: str) -> None:
        try:
            run = self.app.store.get_run(run_id)  # type: ignore[attr-defined]
        except Exception as exc:  # deleted for good, or logged to another tracking store
            self.post_message(LoadFailed("source run", exc))
            return
        self.post_message(RunChosen(run))

    def on_run_chosen(self, message: RunChosen) -> None:
        from tuiflow.ui.screens.run_detail import RunDetailScreen

        message.stop()
        self.app.push_screen(RunDetailScreen(message.run))

    def on_load_failed(self, message: LoadFailed) -> None:
        if message.what == "models":
            self._title("could not load models")
        self.notify(
            inert(str(message.error), single_line=True),
            title=f"Could not load {message.what}",
            severity="error",
            markup=False,
        )

    # -- keys ----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_switch_pane(self) -> None:
        models = self.query_one("#models-table", NavTable)
        if models.has_focus:
            self.query_one("#versions-table", NavTable).focus()
        else:
            models.focus()

    def _title(self, status: str) -> None:
        title = Text.assemble(("Models", "bold"), "  ·  ", inert(status, single_line=True))
        self.query_one("#models-title", Static).update(title)

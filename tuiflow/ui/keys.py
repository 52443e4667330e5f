"""Every key binding of the explorer, each with an id and a description (habit 6).

Widgets and screens take their BINDINGS from here so the help screen can list them all
and a user keymap (`App.set_keymap({"tuiflow.runs.sort_asc": "o"})`) can rebind by id.
"""

from __future__ import annotations

from textual.binding import Binding


def _b(key: str, action: str, description: str, id: str, show: bool = True, **kw) -> Binding:
    return Binding(key, action, description, show=show, id=f"tuiflow.{id}", **kw)


APP = [
    _b("q", "quit", "Quit", "app.quit"),
    _b("question_mark", "help", "Help", "app.help"),
    _b("colon,ctrl+p", "command_palette", "Commands", "app.palette", show=False),
]

MAIN = [
    _b("slash", "focus_filter", "Filter", "main.filter"),
    _b("r", "refresh", "Refresh", "main.refresh"),
    _b("v", "cycle_view", "Active/deleted/all experiments", "main.view", show=False),
    _b("tab", "switch_pane", "Next pane", "main.next_pane", show=False),
    _b("shift+tab", "switch_pane", "Previous pane", "main.previous_pane", show=False),
    _b("m", "models", "Models", "main.models"),
]

TABLE = [
    _b("j", "cursor_down", "Down", "table.down", show=False),
    _b("k", "cursor_up", "Up", "table.up", show=False),
    _b("g", "first_row", "First row", "table.first", show=False),
    _b("G", "last_row", "Last row", "table.last", show=False),
]

EXPERIMENTS = [
    _b("space", "toggle_mark", "Mark", "experiments.mark"),
    _b("enter", "select_cursor", "Show runs", "experiments.open"),
]

RUNS = [
    _b("enter", "select_cursor", "Open run", "runs.open"),
    _b("space", "toggle_mark", "Mark", "runs.mark"),
    _b("s", "sort(True)", "Sort asc", "runs.sort_asc"),
    _b("S", "sort(False)", "Sort desc", "runs.sort_desc"),
    _b("h", "cursor_left", "Left", "runs.left", show=False),
    _b("l", "cursor_right", "Right", "runs.right", show=False),
    _b("c", "compare", "Compare marked", "runs.compare"),
    _b("X", "scatter", "Scatter", "runs.scatter"),
    _b("p", "plot", "Plot metrics", "runs.plot"),
]

RUNS_LOAD = [
    _b("escape", "cancel_load", "Cancel loading", "runs.cancel_load", show=False),
]

FILTER = [
    _b("escape", "clear", "Clear filter", "filter.clear"),
    _b("up", "history(-1)", "Older filter", "filter.older", show=False),
    _b("down", "history(1)", "Newer filter", "filter.newer", show=False),
]

DETAIL = [
    _b("escape", "back", "Back", "detail.back"),
    _b("r", "refresh", "Refresh", "detail.refresh"),
    _b("1", "tab('overview')", "Overview", "detail.overview", show=False),
    _b("2", "tab('params')", "Params", "detail.params", show=False),
    _b("3", "tab('metrics')", "Metrics", "detail.metrics", show=False),
    _b("4", "tab('tags')", "Tags", "detail.tags", show=False),
    _b("5", "tab('artifacts')", "Artifacts", "detail.artifacts", show=False),
]

MODELS = [
    _b("escape", "back", "Back", "models.back"),
    _b("r", "refresh", "Refresh", "models.refresh"),
    _b("tab", "switch_pane", "Next pane", "models.next_pane", show=False),
    _b("shift+tab", "switch_pane", "Previous pane", "models.previous_pane", show=False),
    _b("enter", "select_cursor", "Open source run", "models.open_run"),
]

# Run detail, Artifacts tab (the tree): enter previews a file or opens a folder.
ARTIFACTS = [
    _b("j", "cursor_down", "Down", "artifacts.down", show=False),
    _b("k", "cursor_up", "Up", "artifacts.up", show=False),
    _b("g", "scroll_home", "First", "artifacts.first", show=False),
    _b("G", "scroll_end", "Last", "artifacts.last", show=False),
    _b("l", "toggle_node", "Open/close folder", "artifacts.toggle", show=False),
    _b("h", "cursor_parent", "Parent folder", "artifacts.parent", show=False),
]

COMPARE = [
    _b("escape", "back", "Back", "compare.back"),
    _b("d", "toggle_differences", "Differences only", "compare.differences"),
    _b("s", "toggle_order", "Differing first", "compare.order"),
    _b("t", "toggle_tags", "Tags", "compare.tags"),
    _b("x", "scatter", "Scatter", "compare.scatter"),
    _b("o", "open_run", "Open run", "compare.open"),
    _b("h", "cursor_left", "Left", "compare.left", show=False),
    _b("l", "cursor_right", "Right", "compare.right", show=False),
]

SCATTER = [
    _b("escape", "back", "Back", "scatter.back"),
    _b("x", "choose('x')", "Choose x", "scatter.x"),
    _b("y", "choose('y')", "Choose y", "scatter.y"),
    _b("l", "toggle_log('x')", "Log x", "scatter.log_x"),
    _b("L", "toggle_log('y')", "Log y", "scatter.log_y"),
]

# Main screen: live refresh, the runs view (active/deleted/all) and export.
LIVE = [
    _b("w", "toggle_watch", "Watch", "main.watch"),
    _b("V", "cycle_runs_view", "Active/deleted/all runs", "main.runs_view", show=False),
    _b("e", "export", "Export", "main.export"),
]

RUNS_VIEW = [
    _b("z", "toggle_fold", "Fold/unfold nested runs", "runs.fold", show=False),
    _b("Z", "fold_all", "Fold/unfold all nested runs", "runs.fold_all", show=False),
    _b("C", "choose_columns", "Columns", "runs.columns"),
    _b("y", "copy_id", "Copy run id", "runs.copy_id", show=False),
]

EXPERIMENTS_FIND = [
    _b("f", "find", "Find experiment", "experiments.find", show=False),
]

FIND = [
    _b("escape", "clear", "Clear", "find.clear"),
]

COLUMNS = [
    # priority: in the list, enter would otherwise toggle the option like space does
    _b("enter", "apply", "Apply", "columns.apply", priority=True),
    _b("escape", "cancel", "Cancel", "columns.cancel"),
    _b("d", "defaults", "Defaults", "columns.defaults"),
]

EXPORT = [
    _b("escape", "cancel", "Cancel", "export.cancel"),
]

CHART = [
    _b("escape", "back", "Back", "chart.back"),
    _b("x", "cycle_x", "X axis", "chart.x_axis"),
    _b("l", "toggle_log", "Log y", "chart.log_y"),
    _b("plus,equals_sign,right_square_bracket", "smoothing(1)", "Smooth+", "chart.smooth_more"),
    _b("minus,left_square_bracket", "smoothing(-1)", "Smooth-", "chart.smooth_less"),
    _b("r", "refresh", "Reload", "chart.refresh"),
]

# Run detail, Metrics tab: enter on a metric opens the chart too.
DETAIL_CHART = [
    _b("p", "plot", "Plot metric", "detail.plot"),
]

HELP = [
    _b("escape,question_mark,q", "dismiss", "Close help", "help.close"),
]

# Write actions (tuiflow/ui/write_flows.py). Hidden and refused when read-only.
WRITE = [
    _b("ctrl+d", "write_delete", "Delete", "write.delete", show=False),
    _b("D", "write_delete_matching", "Delete all matching", "write.delete_matching", show=False),
    _b("u", "write_undo", "Undo delete", "write.undo", show=False),
    _b("R", "write_restore", "Restore", "write.restore", show=False),
    _b("T", "write_terminate", "Terminate run", "write.terminate", show=False),
    _b("t", "write_set_tag", "Set tag", "write.set_tag", show=False),
    _b("ctrl+t", "write_delete_tag", "Delete tag", "write.delete_tag", show=False),
    _b("n", "write_rename", "Rename", "write.rename", show=False),
    _b("P", "write_purge", "Purge deleted", "write.purge", show=False),
]

MODELS_WRITE = [
    _b("P", "write_transition('Production')", "To Production", "models.to_production", show=False),
    _b("S", "write_transition('Staging')", "To Staging", "models.to_staging", show=False),
    _b("A", "write_transition('Archived')", "To Archived", "models.to_archived", show=False),
    _b("N", "write_transition('None')", "To stage None", "models.to_none", show=False),
    _b("a", "write_set_alias", "Set alias", "models.set_alias", show=False),
    _b("ctrl+d", "write_delete_alias", "Delete alias", "models.delete_alias", show=False),
]

CONFIRM = [
    _b("y,enter", "yes", "Confirm", "confirm.yes"),
    _b("n,escape", "no", "Cancel", "confirm.no"),
]

TRANSITION = [
    _b("a", "toggle_archive", "Archive existing", "confirm.archive"),
]

PROMPT = [
    _b("escape", "cancel", "Cancel", "prompt.cancel"),
]

# The list of what the store skipped while reading (ctrl+p → Show problems).
PROBLEMS = [
    _b("escape,q", "dismiss", "Close problems", "problems.close"),
]

# Sections of the help screen, in reading order.
SECTIONS: list[tuple[str, list[Binding]]] = [
    ("Anywhere", APP),
    ("Main screen", MAIN),
    ("Tables", TABLE),
    ("Experiments pane", EXPERIMENTS),
    ("Runs table", RUNS),
    ("Loading runs", RUNS_LOAD),
    ("Filter bar", FILTER),
    ("Run detail", DETAIL),
    ("Artifacts tab", ARTIFACTS),
    ("Models", MODELS),
    ("Compare", COMPARE),
    ("Scatter", SCATTER),
    ("Live, runs view, export", LIVE),
    ("Runs table: nesting, columns", RUNS_VIEW),
    ("Experiments: find", EXPERIMENTS_FIND),
    ("Find box", FIND),
    ("Column chooser", COLUMNS),
    ("Export", EXPORT),
    ("Metric chart", [*CHART, *DETAIL_CHART]),
    ("Help", HELP),
    ("Write actions (main screen)", WRITE),
    ("Write actions (models)", MODELS_WRITE),
    ("Confirm", [*CONFIRM, *TRANSITION]),
    ("Prompt", PROMPT),
    ("Problems list", PROBLEMS),
]

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
]

MAIN = [
    _b("slash", "focus_filter", "Filter", "main.filter"),
    _b("r", "refresh", "Refresh", "main.refresh"),
    _b("v", "cycle_view", "Active/deleted/all experiments", "main.view", show=False),
    _b("tab", "switch_pane", "Next pane", "main.next_pane", show=False),
    _b("shift+tab", "switch_pane", "Previous pane", "main.previous_pane", show=False),
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
]

HELP = [
    _b("escape,question_mark,q", "dismiss", "Close help", "help.close"),
]

# Sections of the help screen, in reading order.
SECTIONS: list[tuple[str, list[Binding]]] = [
    ("Anywhere", APP),
    ("Main screen", MAIN),
    ("Tables", TABLE),
    ("Experiments pane", EXPERIMENTS),
    ("Runs table", RUNS),
    ("Filter bar", FILTER),
    ("Run detail", DETAIL),
    ("Help", HELP),
]

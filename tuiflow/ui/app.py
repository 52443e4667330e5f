"""The Textual app: holds the store, the read-only flag and the filter history.

Screens and widgets do the work (screens/, widgets/); this module only wires them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from textual import events, on
from textual.app import App
from textual.screen import Screen
from textual.timer import Timer

from tuiflow.config import DEFAULT_WATCH_SECONDS
from tuiflow.stores.base import Store
from tuiflow.textsafe import inert
from tuiflow.ui import heap, keys, yielding
from tuiflow.ui.commands import ActionsProvider, Command
from tuiflow.ui.history import FilterHistory, default_history_path
from tuiflow.ui.messages import StoreRetrying
from tuiflow.ui.prefetch import Prefetch
from tuiflow.ui.screens.help import HelpScreen
from tuiflow.ui.screens.main import MainScreen
from tuiflow.ui.screens.problems import ProblemsScreen, problems_notice, store_problems
from tuiflow.ui.widgets.runs_pane import RunsPane

# How often the app looks for new store warnings that no screen reported (watch mode, run
# detail): reading the list is a lock and a copy, so this costs nothing noticeable.
PROBLEMS_CHECK_SECONDS = 2.0
PREFETCH_CLOSE_S = 5.0  # at most, at exit: it stops at its next progress report
GC_CHECK_SECONDS = 0.1  # while input holds collection off: is it quiet yet (heap.py)

# Where terminal graphics are likely, textual-image asks the terminal about them when first
# imported, which only works before Textual owns stdin: terminal_image decides that on import,
# so it comes with the app (the artifact preview itself, Pygments and all, waits until used).
from tuiflow.ui.widgets import terminal_image as _terminal_image  # noqa: E402, F401, I001


class TuiflowApp(App[None]):
    CSS_PATH = "tuiflow.tcss"
    TITLE = "tuiflow"
    BINDINGS = keys.APP
    COMMANDS = App.COMMANDS | {ActionsProvider}

    def __init__(
        self,
        store: Store,
        *,
        read_only: bool = False,
        history_path: Path | None = None,
        theme: str | None = None,
        watch: float | None = None,
        watch_interval: float = DEFAULT_WATCH_SECONDS,
        keymap: Mapping[str, str] | None = None,
        notices: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.store = store
        self.read_only = read_only
        self.filter_history = FilterHistory(history_path)
        self.sub_title = store.display_uri
        # Settings (config file, then command line): see tuiflow/config.py.
        self.watch_start = watch  # watch mode from the start, every `watch` seconds
        self.watch_interval = watch if watch else watch_interval  # what `w` turns on
        self.user_keymap = dict(keymap or {})
        self.notices = tuple(notices)  # one-line complaints to show once the app runs
        self.problems_reported = 0  # store warnings already announced
        self.runs_shown = threading.Event()  # set once the first runs (or none) are shown
        self._collection_check: Timer | None = None  # see _show_notices
        if theme:
            self.theme = theme
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        listen = getattr(store, "set_retry_listener", None)
        if listen is not None:
            # Called in the thread doing the read (a worker, or the read ahead before the
            # app's loop runs, when post_message only queues the message).
            listen(lambda text: self.post_message(StoreRetrying(text)))
        # What the main screen shows first, read while Textual starts (prefetch.py).
        self.prefetch = Prefetch(store, lambda e: RunsPane.first_request(store, e))
        self.prefetch.start()

    @on(events.Mount)
    def _show_notices(self) -> None:
        for notice in self.notices:
            self.notify(notice, severity="warning", markup=False, timeout=10)
        self.set_interval(PROBLEMS_CHECK_SECONDS, self.check_problems)
        # Runs only while input holds garbage collection off (heap.py).
        self._collection_check = self.set_interval(
            GC_CHECK_SECONDS, self._resume_collection, pause=True
        )

    def _resume_collection(self) -> None:
        if heap.resume_if_quiet(yielding.last_input()):
            self._collection_check.pause()

    # -- what the store skipped (damaged files): one notification, the list on demand ----

    def check_problems(self) -> None:
        """Announce store warnings added since the last check (screens call it after loads)."""
        count = len(store_problems(self.store))
        if count > self.problems_reported:
            self.notify(
                problems_notice(count),
                title="Store problems",
                severity="warning",
                markup=False,
                timeout=10,
            )
        self.problems_reported = count  # also follows a store that cleared its list

    def palette_commands(self) -> list[Command]:
        """Commands without a key, offered by the palette when they apply."""
        if not store_problems(self.store):
            return []
        return [Command("Show problems", "", "tuiflow.app.problems", self.action_show_problems)]

    def action_show_problems(self) -> None:
        if not isinstance(self.screen, ProblemsScreen):
            self.push_screen(ProblemsScreen(store_problems(self.store)))

    @on(StoreRetrying)
    def _show_retry(self, message: StoreRetrying) -> None:
        self.notify(
            inert(message.text, single_line=True),
            title="Server not answering",
            severity="warning",
            markup=False,
            timeout=5,
        )

    def get_default_screen(self) -> Screen:
        return MainScreen()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown,
                              events.MouseScrollUp)):  # fmt: skip
            yielding.note_input()  # background loads pause for it (yielding.py)
            heap.hold()  # and garbage collection (heap.py)
            if self._collection_check is not None:
                self._collection_check.resume()
        await super().on_event(event)

    def on_unmount(self) -> None:
        heap.resume()
        heap.release()  # the app's objects are all garbage now, cycles included

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def run_app(
    store: Store,
    read_only: bool = False,
    *,
    theme: str | None = None,
    watch: float | None = None,
    watch_interval: float = DEFAULT_WATCH_SECONDS,
    keymap: Mapping[str, str] | None = None,
    notices: Sequence[str] = (),
) -> None:
    """`tuiflow [STORE]`: explore `store` until the user quits."""
    app = TuiflowApp(
        store,
        read_only=read_only,
        history_path=default_history_path(),
        theme=theme,
        watch=watch,
        watch_interval=watch_interval,
        keymap=keymap,
        notices=notices,
    )
    try:
        app.run()
    finally:
        app.prefetch.close(PREFETCH_CLOSE_S)  # a read still running stops before the store
        store.close()

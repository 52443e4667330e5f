"""`tuiflow [STORE]`: settings, theme check and store, then the explorer.

Shared by the `open` verb (tuiflow/cli.py) and the short way in that skips the command
parser (tuiflow/launch.py), so both start the same explorer from the same arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from tuiflow.cli_support import die, open_for_cli, say
from tuiflow.errors import InvalidArgumentError

# Textual draws at most 60 frames a second, and after a frame longer than a sixtieth of a
# second (a page of new rows is 20-30 ms) it skips to one or two periods later: a key that
# arrives during such a frame waited up to 33 ms more for its own. At 120 that wait halves
# (`tab` while a big store loads: 81-91 ms -> 72-73), and frames are only drawn when
# something changed, so an idle screen costs nothing more.
FRAME_RATE = 120


@contextmanager
def frame_rate() -> Iterator[None]:
    """Around Textual's import (it reads TEXTUAL_FPS once, then): FRAME_RATE, unless the
    user set a rate. Only for that import: a process tuiflow starts (an editor, a shell, a
    Textual app) gets the environment the user gave tuiflow."""
    ours = "TEXTUAL_FPS" not in os.environ
    if ours:
        os.environ["TEXTUAL_FPS"] = str(FRAME_RATE)
    try:
        yield
    finally:
        if ours:
            os.environ.pop("TEXTUAL_FPS", None)


def explore(
    store: str | None,
    read_only: bool = False,
    watch: float | None = None,
    theme: str | None = None,
) -> None:
    """The settings file (tuiflow/config.py) fills in what the arguments leave unset."""
    from tuiflow.config import load_config

    config, complaint = load_config()
    if complaint:
        say(complaint)
    try:
        with frame_rate():
            from textual.theme import BUILTIN_THEMES

            from tuiflow.ui.app import run_app
    except ImportError:
        die(
            "the terminal explorer is not available in this build; "
            "use the headless verbs (tuiflow --help)",
            1,
        )
    valid = ", ".join(sorted(BUILTIN_THEMES))
    if theme is not None and theme not in BUILTIN_THEMES:
        raise InvalidArgumentError(f"unknown theme '{theme}'; valid themes: {valid}")
    if config.theme is not None and config.theme not in BUILTIN_THEMES and theme is None:
        # The settings file is not the command line: say so once and use the default.
        complaint = f"unknown theme '{config.theme}' in the settings file; valid themes: {valid}"
        say(complaint)
    chosen_theme = theme or (config.theme if config.theme in BUILTIN_THEMES else None)
    opened = open_for_cli(store, headless=False)
    run_app(
        opened,
        read_only=read_only or config.read_only,
        theme=chosen_theme,
        watch=watch,
        watch_interval=config.watch_seconds,
        keymap=config.keymap,
        notices=(complaint,) if complaint else (),
    )

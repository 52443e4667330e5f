"""The user's settings file: `<user config dir>/tuiflow/config.toml`.

    read_only = true          # refuse every write action
    theme = "nord"            # one of Textual's built-in themes
    watch_seconds = 5         # interval of watch mode (`w`, `--watch`)

    [keymap]                  # binding id = key(s); ids are listed by `?`
    "tuiflow.runs.sort_asc" = "o"
    "tuiflow.app.quit" = "q,ctrl+q"

Command-line options win over the file. A file that cannot be used is reported in one
line and ignored as a whole: half-applied settings would be harder to understand.
Pure: no Textual, so the CLI can read it before deciding to open the UI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a backport
    import tomli as tomllib  # type: ignore[no-redef]

ENV_PATH = "TUIFLOW_CONFIG"  # points at another file; tests and scripts use it
DEFAULT_WATCH_SECONDS = 5.0
MIN_WATCH_SECONDS = 0.1
SETTINGS = ("read_only", "theme", "watch_seconds", "keymap")


@dataclass(frozen=True, slots=True)
class Config:
    read_only: bool = False
    theme: str | None = None
    watch_seconds: float = DEFAULT_WATCH_SECONDS
    keymap: Mapping[str, str] = field(default_factory=dict)


class ConfigError(ValueError):
    """A settings file that cannot be used; the message is one line naming the file."""


def config_path() -> Path:
    explicit = os.environ.get(ENV_PATH)
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_config_path

    return user_config_path("tuiflow") / "config.toml"


def load_config(path: Path | None = None) -> tuple[Config, str | None]:
    """The settings, and a one-line complaint when the file had to be ignored.

    A missing file is not a complaint: most people never write one.
    """
    path = config_path() if path is None else path
    try:
        return parse_config(path.read_text(encoding="utf-8"), str(path)), None
    except FileNotFoundError:
        return Config(), None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Config(), f"config file {path} cannot be read ({reason}); using defaults"
    except ConfigError as exc:
        return Config(), f"{exc}; using defaults"


def parse_config(text: str, where: str = "config") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {_one_line(str(exc))}") from None
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"{where}: unknown setting '{unknown[0]}' (known: {', '.join(SETTINGS)})")
    read_only = data.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ConfigError(f"{where}: read_only must be true or false")
    theme = data.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        raise ConfigError(f"{where}: theme must be a theme name in quotes")
    watch = data.get("watch_seconds", DEFAULT_WATCH_SECONDS)
    if isinstance(watch, bool) or not isinstance(watch, (int, float)):
        raise ConfigError(f"{where}: watch_seconds must be a number of seconds")
    if not watch >= MIN_WATCH_SECONDS:  # also refuses nan
        raise ConfigError(f"{where}: watch_seconds must be at least {MIN_WATCH_SECONDS}")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise ConfigError(f"{where}: keymap must be a table ([keymap])")
    return Config(
        read_only=read_only,
        theme=theme.strip() if theme else None,
        watch_seconds=float(watch),
        keymap=_flat_keymap(keymap, where),
    )


def _flat_keymap(table: Mapping[str, Any], where: str, prefix: str = "") -> dict[str, str]:
    """`tuiflow.runs.sort_asc = "o"` written unquoted is a nested table in TOML; flatten it."""
    out: dict[str, str] = {}
    for key, value in table.items():
        binding_id = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat_keymap(value, where, f"{binding_id}."))
        elif isinstance(value, str) and value.strip():
            out[binding_id] = ",".join(k.strip() for k in value.split(",") if k.strip())
        else:
            raise ConfigError(f"{where}: keymap '{binding_id}' must be a key in quotes, e.g. \"o\"")
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())

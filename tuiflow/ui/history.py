"""Filter history: Up/Down in the filter bar walk it; kept across sessions if a path is given.

The file is plain text, one filter per line, newest last, under the XDG state dir
(`platformdirs.user_state_path("tuiflow")`). A history that cannot be read or written is
not worth an error: the session simply starts empty or stays in memory.
"""

from __future__ import annotations

from pathlib import Path

MAX_ENTRIES = 200


def default_history_path() -> Path:
    from platformdirs import user_state_path

    return user_state_path("tuiflow") / "filter_history"


class FilterHistory:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[str] = self._read()
        self._cursor = len(self.entries)  # == len(entries): editing a new line

    def _read(self) -> list[str]:
        if self.path is None:
            return []
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        return [line for line in lines if line.strip()][-MAX_ENTRIES:]

    def add(self, text: str) -> None:
        """Remember an applied filter (moved to the end if already known)."""
        text = text.strip()
        if text and "\n" not in text:
            if text in self.entries:
                self.entries.remove(text)
            self.entries.append(text)
            del self.entries[:-MAX_ENTRIES]
            self._write()
        self.reset()

    def _write(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("\n".join(self.entries) + "\n", encoding="utf-8")
        except OSError:
            self.path = None  # read-only home: keep the session's history in memory

    def reset(self) -> None:
        self._cursor = len(self.entries)

    def previous(self) -> str | None:
        """The entry before the current one, or None at the oldest."""
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self.entries[self._cursor]

    def next(self) -> str | None:
        """The entry after the current one; "" past the newest (back to an empty line)."""
        if self._cursor >= len(self.entries):
            return None
        self._cursor += 1
        return self.entries[self._cursor] if self._cursor < len(self.entries) else ""

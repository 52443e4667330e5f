"""The command palette (`:` or ctrl+p): every action of the current screen, by name.

Lists the tuiflow bindings (`tuiflow/ui/keys.py`) of every widget on the screen under
the palette, the screen itself and the app, with the binding's description, its key (as
remapped by the user's keymap) and its id. Choosing one runs the action on the widget
that owns the binding, exactly as pressing its key there would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial

from textual.actions import SkipAction, parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

PREFIX = "tuiflow."


@dataclass(frozen=True, slots=True)
class Command:
    description: str
    key: str
    binding_id: str
    run: Callable[[], object]

    @property
    def help(self) -> str:
        return f"{self.key}  ·  {self.binding_id}" if self.key else self.binding_id


def _bindings(node: DOMNode) -> Iterator[Binding]:
    for cls in type(node).__mro__:
        for item in cls.__dict__.get("BINDINGS", ()):
            if isinstance(item, Binding) and (item.id or "").startswith(PREFIX):
                yield item


def _nodes(screen) -> list[DOMNode]:
    """The focused widget and its ancestors first (their keys win), then the rest."""
    chain: list[DOMNode] = []
    node = screen.focused
    while node is not None and node is not screen:
        chain.append(node)
        node = node.parent
    rest = [w for w in screen.walk_children(with_self=False) if w not in chain]
    return [*chain, *rest, screen, screen.app]


def _enabled(node: DOMNode, action: str) -> bool:
    try:
        _, name, params = parse(action)
        return node.check_action(name, params) is not False
    except (SkipAction, Exception):  # a check that fails hides the command, never crashes
        return False


def screen_commands(screen) -> list[Command]:
    """The commands the palette offers for `screen`, in the order its widgets are found."""
    app = screen.app
    keymap: dict[str, str] = dict(getattr(app, "user_keymap", {}) or {})
    seen: set[str] = set()
    out: list[Command] = []
    for node in _nodes(screen):
        for binding in _bindings(node):
            binding_id = binding.id or ""
            if binding_id in seen or not binding.description:
                continue
            seen.add(binding_id)
            if not _enabled(node, binding.action):
                continue
            keys = keymap.get(binding_id, binding.key).split(",")
            shown = " ".join(app.get_key_display(replace(binding, key=k.strip())) for k in keys)
            run = partial(app.run_action, binding.action, node)
            out.append(Command(binding.description, shown, binding_id, run))
    # Palette-only commands of the app (no key), e.g. "Show problems" after a damaged read.
    extra = getattr(app, "palette_commands", None)
    out += [c for c in (extra() if extra else []) if c.binding_id not in seen]
    return out


class ActionsProvider(Provider):
    """Every tuiflow action of the screen the palette was opened on."""

    async def discover(self) -> Hits:
        for command in screen_commands(self.screen):
            yield DiscoveryHit(command.description, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in screen_commands(self.screen):
            haystack = f"{command.description} {command.binding_id}"
            score = matcher.match(haystack)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.description),
                    command.run,
                    text=command.description,
                    help=command.help,
                )

"""Pure pieces of the models screen: the versions filter, alias lookup, header texts."""

from __future__ import annotations

from rich.text import Text

from tuiflow.entities import ModelVersion, RegisteredModel
from tuiflow.textsafe import inert

STAGE_STYLE = {"Production": "green", "Staging": "yellow", "Archived": "dim"}
STAGES_NOTE = "Model stages are deprecated in MLflow; use aliases (e.g. @champion) instead."
MODEL_COLUMNS = (
    ("name", "Name"),
    ("latest", "Latest"),
    ("aliases", "Aliases"),
    ("updated", "Updated"),
)
VERSION_COLUMNS = (
    ("version", "Version"),
    ("stage", "Stage"),
    ("aliases", "Aliases"),
    ("run", "Source run"),
    ("created", "Created"),
    ("status", "Status"),
)


def versions_filter(name: str) -> tuple[str, bool]:
    """(filter, exact) selecting the versions of model `name`.

    MLflow strings have no escapes, so a name with a `'` is double-quoted. A name with
    both quote kinds cannot be written at all: it is matched with LIKE, each quote a `_`
    wildcard, and `exact` is False so the caller keeps only versions of that very name.
    """
    if "'" not in name:
        return f"name = '{name}'", True
    if '"' not in name:
        return f'name = "{name}"', True
    return "name LIKE '" + name.replace("'", "_").replace('"', "_") + "'", False


def aliases_of(version: ModelVersion, model: RegisteredModel | None) -> tuple[str, ...]:
    """A version's aliases; some stores leave them out and only the model's map has them."""
    if version.aliases or model is None:
        return tuple(version.aliases)
    return tuple(sorted(a for a, v in model.aliases.items() if int(v) == version.version))


def latest_version(model: RegisteredModel) -> int | None:
    return max((v.version for v in model.latest_versions), default=None)


def model_header(model: RegisteredModel) -> Text:
    text = Text(inert(model.name, single_line=True), style="bold")
    text.append("\n")
    if model.description:
        text.append(inert(model.description))
    else:
        text.append("no description", style="dim")
    if model.tags:
        text.append("\n")
        for i, (key, value) in enumerate(sorted(model.tags.items())):
            if i:
                text.append("  ")
            text.append(inert(key, single_line=True), style="cyan")
            text.append("=" + inert(value, single_line=True))
    return text


def version_detail(version: ModelVersion) -> Text:
    text = Text(f"v{version.version}", style="bold")
    text.append("  " + inert(version.description or "no description", single_line=True),
                style="" if version.description else "dim")  # fmt: skip
    for key, value in sorted(version.tags.items()):
        text.append("  ")
        text.append(inert(key, single_line=True), style="cyan")
        text.append("=" + inert(value, single_line=True))
    if version.source:
        text.append("\nsource: " + inert(version.source, single_line=True), style="dim")
    return text

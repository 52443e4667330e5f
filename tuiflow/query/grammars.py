"""The four search languages: runs, experiments, registered models, model versions.

Each has a `*_comparison(clause, text)` turning a raw clause into a `Comparison`, and a
`*_order_ident(ident_text, offset, text)` turning an order_by identifier into an
`Identifier`. Wording follows `SearchUtils`, `SearchExperimentsUtils`, `SearchModelUtils`
and `SearchModelVersionUtils` in MLflow's `utils/search_utils.py`.
"""

from __future__ import annotations

from collections.abc import Collection

from tuiflow.errors import QueryError
from tuiflow.query.ast import Comparison, Entity, Identifier, Value
from tuiflow.query.syntax import RawClause
from tuiflow.query.validate import (
    _MODEL_ENTITIES,
    _RUN_ENTITY_NAMES,
    DATASET_KEYS,
    NUMERIC_OPS,
    PARAM_OPS,
    RUN_ALIASES,
    RUN_ENTITIES,
    RUN_FILTER_ATTRS,
    RUN_NUMERIC_ATTRS,
    RUN_ORDER_ATTRS,
    STRING_ATTR_OPS,
    STRING_OPS,
    Checker,
    is_string_operand,
    number,
    parse_list,
    quoted_string,
    show_set,
    strip_quotes,
    trim_backticks,
)

EXPERIMENT_ATTRS = frozenset({"name", "experiment_id", "creation_time", "last_update_time"})
EXPERIMENT_NUMERIC = frozenset({"creation_time", "last_update_time"})
RM_FILTER_ATTRS = frozenset({"name"})
# File store: name, creation_timestamp, last_updated_timestamp; SQL: name, timestamp,
# last_updated_timestamp (timestamp and last_updated_timestamp both mean the update time).
RM_ORDER_ATTRS = frozenset({"name", "creation_timestamp", "last_updated_timestamp", "timestamp"})
MV_FILTER_ATTRS = frozenset({"name", "version_number", "run_id", "source_path"})
MV_NUMERIC = frozenset({"version_number", "creation_timestamp", "last_updated_timestamp"})
MV_ORDER_ATTRS = frozenset(
    {"name", "version_number", "creation_timestamp", "last_updated_timestamp"}
)


def _invalid_attribute(key: str, valid: Collection[str], at: int, text: str) -> QueryError:
    return QueryError(
        f"Invalid attribute key '{key}' specified. Valid keys are '{show_set(valid)}'", at, text
    )


# -- runs -------------------------------------------------------------------------------------


def run_identifier(raw: str, at: int, text: str, attrs: Collection[str]) -> Identifier:
    """MLflow's `SearchUtils._get_identifier` (the key keeps its alias spelling)."""
    entity_raw, key = raw.split(".", 1) if "." in raw else ("attribute", raw)
    name = trim_backticks(entity_raw)
    entity = RUN_ENTITIES.get(name)
    if entity is None:
        raise QueryError(
            f"Invalid entity type '{name}'. Valid values are {_RUN_ENTITY_NAMES}", at, text
        )
    key = trim_backticks(strip_quotes(key))
    if entity == "attribute" and key not in attrs:
        raise _invalid_attribute(key, attrs, at, text)
    if entity == "dataset" and key not in DATASET_KEYS:
        raise QueryError(
            f"Invalid dataset key '{key}' specified. Valid keys are '{show_set(DATASET_KEYS)}'",
            at,
            text,
        )
    return Identifier(entity, key, at, raw)


def run_comparison(clause: RawClause, text: str) -> Comparison:
    ck = Checker(clause, text)
    ident = run_identifier(clause.ident.text, clause.ident.start, text, RUN_FILTER_ATTRS)
    entity, key = ident.entity, ident.key
    if entity == "attribute":
        ck.ident = Identifier(entity, RUN_ALIASES.get(key, key), ident.offset, ident.text)
    else:
        ck.ident = ident
    if clause.form == "is":
        if entity not in ("tag", "parameter"):
            raise ck.fail(
                "IS NULL / IS NOT NULL is only supported for tags and params, "
                f"not for '{entity}' '{key}'"
            )
        return ck.done(None)
    value = clause.value
    assert value is not None
    out: Value
    if entity == "metric":
        out = ck.numeric_value(f"Expected numeric value type for metric. Found {value.text}")
        ck.check_op(NUMERIC_OPS)
    elif entity in ("parameter", "tag"):
        out = ck.string_value(entity)
        ck.check_op(PARAM_OPS)
    elif entity == "attribute" and key in RUN_NUMERIC_ATTRS:
        out = ck.numeric_value(
            f"Expected numeric value type for numeric attribute: {key}. Found {value.text}", key
        )
        ck.check_op(NUMERIC_OPS)
    elif entity == "attribute":
        out = _string_or_list(ck, key, {"run_id"}, "for attributes")
        ck.check_op(STRING_ATTR_OPS)
    else:  # dataset: lists work for every dataset key
        out = _string_or_list(ck, key, DATASET_KEYS, "for dataset attributes")
        ck.check_op(STRING_ATTR_OPS)
    return ck.done(out)


def _string_or_list(ck: Checker, key: str, list_keys: Collection[str], what: str) -> Value:
    value = ck.clause.value
    assert value is not None
    if is_string_operand(value):
        return quoted_string(value, ck.text)
    if value.kind == "list":
        ck.list_supported(key, list_keys)
        return parse_list(value, ck.text)
    raise ck.fail_value(f"Expected a quoted string value {what}. Got value {value.text}")


def run_order_ident(raw: str, at: int, text: str) -> Identifier:
    ident = run_identifier(raw, at, text, RUN_ORDER_ATTRS)
    if ident.entity == "dataset":
        raise QueryError("Invalid order_by entity type 'dataset'", at, text)
    if ident.entity == "attribute":
        return Identifier("attribute", RUN_ALIASES.get(ident.key, ident.key), at, raw)
    return ident


# -- experiments and the model registry --------------------------------------------------------


def model_identifier(
    raw: str, at: int, text: str, attrs: Collection[str], check_unstripped: bool = False
) -> Identifier:
    """`SearchExperimentsUtils._get_identifier`; with `check_unstripped`, the registry's
    `_get_model_search_identifier`, which checks attribute keys before removing quotes."""
    if "." in raw:
        entity_raw, key = raw.split(".", 1)
        if entity_raw not in _MODEL_ENTITIES:
            raise QueryError(
                f"Invalid entity type '{entity_raw}'. Valid entity types are {_MODEL_ENTITIES}",
                at,
                text,
            )
        entity: Entity = "attribute" if entity_raw == "attribute" else "tag"
    else:
        entity, key = "attribute", raw
    if check_unstripped and entity == "attribute" and key not in attrs:
        raise _invalid_attribute(key, attrs, at, text)
    key = trim_backticks(strip_quotes(key))
    if entity == "attribute" and key not in attrs:
        raise _invalid_attribute(key, attrs, at, text)
    return Identifier(entity, key, at, raw)


def _model_order_ident(ident: Identifier, text: str) -> Identifier:
    if ident.entity != "attribute":
        raise QueryError(f"Invalid order_by entity: {ident.entity}", ident.offset, text)
    return ident


def experiment_comparison(clause: RawClause, text: str) -> Comparison:
    ck = Checker(clause, text)
    ck.ident = ident = model_identifier(
        clause.ident.text, clause.ident.start, text, EXPERIMENT_ATTRS
    )
    if clause.form == "is":
        if ident.entity != "tag":
            raise ck.fail(
                f"IS NULL / IS NOT NULL is only supported for tags, not for attribute '{ident.key}'"
            )
        return ck.done(None)
    value = clause.value
    assert value is not None
    out: Value
    if ident.entity == "tag":
        out = ck.string_value("tag")
        ck.check_op(PARAM_OPS)
    elif ident.key in EXPERIMENT_NUMERIC:
        out = ck.numeric_value(
            f"Expected numeric value type for numeric attribute: {ident.key}. Found {value.text}",
            ident.key,
        )
        ck.check_op(NUMERIC_OPS)
    else:
        out = _string_or_list(ck, ident.key, {"experiment_id"}, "for attributes")
        ck.check_op(STRING_ATTR_OPS)
    return ck.done(out)


def experiment_order_ident(raw: str, at: int, text: str) -> Identifier:
    return _model_order_ident(model_identifier(raw, at, text, EXPERIMENT_ATTRS), text)


def _registry_value(ck: Checker, list_keys: Collection[str], numeric: Collection[str]) -> Value:
    value = ck.clause.value
    assert value is not None
    if ck.ident.entity == "tag":
        return ck.string_value("tag")
    if is_string_operand(value):
        return quoted_string(value, ck.text)
    if value.kind == "list":
        ck.list_supported(ck.ident.key, list_keys)
        return parse_list(value, ck.text)
    if value.kind in ("int", "float") and numeric:
        if ck.ident.key not in numeric:
            raise ck.fail_value(
                f"Only the '{show_set(numeric)}' attributes support comparison with numeric values."
            )
        return number(value)
    raise ck.fail_value(
        "Expected a quoted string value or a list of quoted string values for attributes. "
        f"Got value {value.text}"
    )


def _no_null_checks(ck: Checker, what: str) -> None:
    if ck.clause.form == "is":
        # MLflow crashes with "not enough values to unpack" here.
        raise ck.fail(
            f"IS NULL / IS NOT NULL is not supported in {what} filters", ck.clause.op_start
        )


def registered_model_comparison(clause: RawClause, text: str) -> Comparison:
    ck = Checker(clause, text)
    ck.ident = model_identifier(
        clause.ident.text, clause.ident.start, text, RM_FILTER_ATTRS, check_unstripped=True
    )
    _no_null_checks(ck, "registered model")
    out = _registry_value(ck, {"name"}, ())
    ck.check_op(STRING_OPS if ck.ident.entity == "tag" else STRING_ATTR_OPS)
    return ck.done(out)


def registered_model_order_ident(raw: str, at: int, text: str) -> Identifier:
    ident = _model_order_ident(model_identifier(raw, at, text, RM_ORDER_ATTRS), text)
    if ident.key == "timestamp":
        return Identifier("attribute", "last_updated_timestamp", at, raw)
    return ident


def model_version_comparison(clause: RawClause, text: str) -> Comparison:
    ck = Checker(clause, text)
    ck.ident = model_identifier(
        clause.ident.text, clause.ident.start, text, MV_FILTER_ATTRS, check_unstripped=True
    )
    _no_null_checks(ck, "model version")
    out = _registry_value(ck, {"name", "run_id"}, MV_NUMERIC)
    if ck.ident.entity == "tag":
        ck.check_op(STRING_OPS)
    elif ck.ident.key == "version_number":
        ck.check_op(NUMERIC_OPS)
        try:  # MLflow's file store compares int(value); SQL rejects floats
            int(out)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise ck.fail_value(
                f"Invalid value for numeric attribute 'version_number': {out!r}"
            ) from None
    else:
        ck.check_op(STRING_ATTR_OPS)
    return ck.done(out)


def model_version_order_ident(raw: str, at: int, text: str) -> Identifier:
    return _model_order_ident(model_identifier(raw, at, text, MV_ORDER_ATTRS), text)

"""Filter and order_by language: parse (text -> AST), evaluate (file store), compile (SQL)."""

from tuiflow.query.parser import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_model_version_filter,
    parse_model_version_order_by,
    parse_registered_model_filter,
    parse_registered_model_order_by,
    parse_run_filter,
    parse_run_order_by,
)

__all__ = [
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_model_version_filter",
    "parse_model_version_order_by",
    "parse_registered_model_filter",
    "parse_registered_model_order_by",
    "parse_run_filter",
    "parse_run_order_by",
]

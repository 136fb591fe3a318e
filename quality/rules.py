"""Quality rules as data: validating them when they are saved, and building them from a form.

A rule is a JSON object ``{"type": "expect_...", "kwargs": {...}, "severity": "critical"}``.
``critical`` rules block admission; ``warning`` rules are only reported. Each rule is built
explicitly as a Great Expectations expectation when it is saved, because
``ExpectationSuite(**d)`` silently drops unknown expectation types: an unknown type, a missing
column argument or a bad parameter must be refused here, not discovered (or lost) at check time.

The cooperative's default policy may use ``"*"`` for a column argument: it stands for every
column of the file being checked (see ``quality.checks.expand``).

No database access here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.errors import Invalid

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)
ALL_COLUMNS = "*"
COLUMN_ARGS = ("column", "column_A", "column_B")
COLUMN_LIST_ARGS = ("column_list", "column_set")
# The cooperative's starting policy; curators change it (each change is a new version).
DEFAULT_POLICY_RULES: list[dict[str, Any]] = [
    {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 1, "max_value": None},
        "severity": CRITICAL,
    },
    {
        "type": "expect_column_proportion_of_non_null_values_to_be_between",
        "kwargs": {"column": "*", "min_value": 0, "max_value": 1, "strict_min": True},
        "severity": CRITICAL,
    },
    {
        # At most 1% of rows may be part of a group of identical rows.
        "type": "expect_compound_columns_to_be_unique",
        "kwargs": {"column_list": "*", "mostly": 0.99},
        "severity": CRITICAL,
    },
]

# Keys a stored rule may have; anything else is a typo that would otherwise be ignored.
RULE_KEYS = frozenset({"type", "kwargs", "severity", "meta", "notes"})


class RuleError(Invalid, ValueError):
    """One or more rules are invalid; ``messages`` are for the person who wrote them. Still a
    ``ValueError``, which the forms and the rule editor catch."""

    field_in_detail = True

    def __init__(self, messages: list[str], *, field: str = "rules") -> None:
        super().__init__(messages=messages, field=field)


@dataclass(frozen=True)
class RuleKind:
    """A kind of rule the web form builds without JSON."""

    key: str
    label: str
    needs_column: bool = True


FORM_KINDS: tuple[RuleKind, ...] = (
    RuleKind("column_exists", "Column exists"),
    RuleKind("type", "Column has type"),
    RuleKind("not_null", "Not null"),
    RuleKind("unique", "Unique values"),
    RuleKind("between", "Values between"),
    RuleKind("in_set", "Values in set"),
    RuleKind("regex", "Values match regex"),
    RuleKind("row_count", "Row count between", needs_column=False),
)

# Declared column types and the pandas type each must have after reading (see checks.read_table:
# timestamps are normalised to naive UTC, so "datetime64" covers them).
DECLARED_TYPES: dict[str, str] = {
    "string": "str",
    "integer": "int",
    "float": "float",
    "boolean": "bool",
    "datetime": "datetime64",
}


def _pydantic_messages(exc: Exception) -> list[str]:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        out = []
        for err in errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
            msg = str(err.get("msg", ""))
            if msg == "field required":
                msg = "this argument is required"
            elif msg == "extra fields not permitted":
                msg = "unknown argument"
            out.append(f"{where}: {msg}" if where else msg)
        # pydantic repeats a message per union member it tried; keep each once.
        return list(dict.fromkeys(out))
    return [str(exc)]


def _with_placeholder_columns(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A copy where ``"*"`` column arguments are replaced by stand-ins GX accepts."""
    out = dict(kwargs)
    for key in COLUMN_ARGS:
        if out.get(key) == ALL_COLUMNS:
            out[key] = "__every_column__"
    for key in COLUMN_LIST_ARGS:
        if out.get(key) == ALL_COLUMNS:
            out[key] = ["__column_1__", "__column_2__"]
    return out


def build_expectation(
    rule_type: str, kwargs: dict[str, Any], meta: dict[str, Any] | None = None
) -> Any:
    """The GX expectation for a rule; raises on unknown types and bad arguments."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    config = ExpectationConfiguration(type=rule_type, kwargs=kwargs, meta=meta or {})
    return config.to_domain_obj()


def validate_rule(rule: Any, *, allow_all_columns: bool = False) -> dict[str, Any]:
    """Return the rule normalised (severity defaulted); raise RuleError with readable messages."""
    if not isinstance(rule, dict):
        raise RuleError(["each rule must be a JSON object with a type and kwargs"])
    unknown = sorted(set(rule) - RULE_KEYS)
    if unknown:
        raise RuleError([f"unknown key(s) {', '.join(unknown)}"])
    rule_type = rule.get("type")
    if not isinstance(rule_type, str) or not rule_type.startswith("expect_"):
        raise RuleError(["type must be the name of an expectation, such as expect_column_to_exist"])
    kwargs = rule.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise RuleError([f"{rule_type}: kwargs must be a JSON object"])
    severity = rule.get("severity", CRITICAL)
    if severity not in SEVERITIES:
        raise RuleError([f"{rule_type}: severity must be critical or warning, not {severity!r}"])
    meta = rule.get("meta", {})
    if not isinstance(meta, dict):
        raise RuleError([f"{rule_type}: meta must be a JSON object"])
    problems: list[str] = []
    if "mostly" in kwargs:
        mostly = kwargs["mostly"]
        if isinstance(mostly, bool) or not isinstance(mostly, int | float) or not 0 <= mostly <= 1:
            problems.append(f"{rule_type}: mostly must be a number between 0 and 1, not {mostly!r}")
    for key in COLUMN_ARGS:
        value = kwargs.get(key)
        if key in kwargs and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{rule_type}: {key} must be a non-empty column name")
        elif value == ALL_COLUMNS and not allow_all_columns:
            problems.append(f"{rule_type}: '*' (every column) is only allowed in the policy")
    for key in COLUMN_LIST_ARGS:
        value = kwargs.get(key)
        if value == ALL_COLUMNS and not allow_all_columns:
            problems.append(f"{rule_type}: '*' (every column) is only allowed in the policy")
    if problems:
        raise RuleError(problems)
    checked = _with_placeholder_columns(kwargs) if allow_all_columns else kwargs
    try:
        build_expectation(rule_type, checked)
    except Exception as exc:
        # GX raises ExpectationNotFoundError, pydantic ValidationError or its own config
        # errors; all of them mean the same to the person: this rule cannot be used.
        if type(exc).__name__ == "ExpectationNotFoundError":
            raise RuleError([f"unknown expectation type {rule_type!r}"]) from exc
        raise RuleError([f"{rule_type}: {m}" for m in _pydantic_messages(exc)]) from exc
    normalised: dict[str, Any] = {"type": rule_type, "kwargs": kwargs, "severity": severity}
    if meta:
        normalised["meta"] = meta
    return normalised


def validate_rules(rules: Any, *, allow_all_columns: bool = False) -> list[dict[str, Any]]:
    """Validate a whole list; every problem is reported, each with its rule number."""
    if not isinstance(rules, list):
        raise RuleError(["rules must be a JSON list of rule objects"])
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, rule in enumerate(rules, start=1):
        try:
            out.append(validate_rule(rule, allow_all_columns=allow_all_columns))
        except RuleError as exc:
            problems.extend(f"Rule {number}: {m}" for m in exc.messages)
    if problems:
        raise RuleError(problems)
    return out


def parse_rules_json(text: str, *, allow_all_columns: bool = False) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleError(
            [f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]
        ) from exc
    if isinstance(data, dict) and "rules" in data:
        data = data["rules"]
    if isinstance(data, dict):
        data = [data]
    return validate_rules(data, allow_all_columns=allow_all_columns)


def _number(raw: str, name: str) -> float | int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise RuleError([f"{name} must be a number, not {raw!r}"]) from exc
    return int(value) if value.is_integer() and "." not in raw else value


def rule_from_form(
    *,
    kind: str,
    column: str = "",
    severity: str = CRITICAL,
    mostly: str = "",
    min_value: str = "",
    max_value: str = "",
    values: str = "",
    regex: str = "",
    type_name: str = "",
) -> dict[str, Any]:
    """Build one rule from the web form's fields, then validate it like any other."""
    column = column.strip()
    kwargs: dict[str, Any] = {} if kind == "row_count" else {"column": column}
    if kind != "row_count" and not column:
        raise RuleError(["Give the column this rule applies to."])
    if kind == "column_exists":
        rule_type = "expect_column_to_exist"
    elif kind == "type":
        if type_name not in DECLARED_TYPES:
            raise RuleError([f"Choose a type: {', '.join(DECLARED_TYPES)}."])
        rule_type = "expect_column_values_to_be_of_type"
        kwargs["type_"] = DECLARED_TYPES[type_name]
    elif kind == "not_null":
        rule_type = "expect_column_values_to_not_be_null"
    elif kind == "unique":
        rule_type = "expect_column_values_to_be_unique"
    elif kind in ("between", "row_count"):
        low, high = _number(min_value, "Minimum"), _number(max_value, "Maximum")
        if low is None and high is None:
            raise RuleError(["Give a minimum, a maximum or both."])
        rule_type = (
            "expect_column_values_to_be_between"
            if kind == "between"
            else "expect_table_row_count_to_be_between"
        )
        kwargs.update({"min_value": low, "max_value": high})
    elif kind == "in_set":
        items = [v.strip() for v in values.replace("\n", ",").split(",") if v.strip()]
        if not items:
            raise RuleError(["List the allowed values, separated by commas."])
        rule_type = "expect_column_values_to_be_in_set"
        kwargs["value_set"] = items
    elif kind == "regex":
        if not regex:
            raise RuleError(["Give the regular expression values must match."])
        rule_type = "expect_column_values_to_match_regex"
        kwargs["regex"] = regex
    else:
        raise RuleError([f"Unknown kind of rule {kind!r}."])
    if mostly.strip() and kind in ("not_null", "unique", "between", "in_set", "regex"):
        value = _number(mostly, "Mostly")
        kwargs["mostly"] = value
    return validate_rule({"type": rule_type, "kwargs": kwargs, "severity": severity})


def validate_declared_schema(schema: Any) -> list[dict[str, str]] | None:
    """``[{"name": ..., "type": ...}]`` with types from DECLARED_TYPES, or None for none."""
    if schema is None or schema == []:
        return None
    if not isinstance(schema, list):
        raise RuleError(
            ["the declared schema must be a list of {name, type} objects"], field="declared_schema"
        )
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    problems: list[str] = []
    for number, col in enumerate(schema, start=1):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str):
            problems.append(f"Column {number}: give a name")
            continue
        name = col["name"].strip()
        col_type = col.get("type", "")
        if not name:
            problems.append(f"Column {number}: the name is empty")
        elif name in seen:
            problems.append(f"Column {number}: {name!r} is declared twice")
        if col_type not in DECLARED_TYPES:
            problems.append(
                f"Column {number}: type must be one of {', '.join(DECLARED_TYPES)}, "
                f"not {col_type!r}"
            )
        seen.add(name)
        out.append({"name": name, "type": str(col_type)})
    if problems:
        raise RuleError(problems, field="declared_schema")
    return out


def parse_schema_text(text: str) -> list[dict[str, str]] | None:
    """One column per line, ``name: type`` (or ``name type``)."""
    cols = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, col_type = line.partition(":")
        if not sep:
            name, _, col_type = line.strip().rpartition(" ")
        cols.append({"name": name.strip(), "type": col_type.strip()})
    return validate_declared_schema(cols)


def schema_text(schema: list[dict[str, str]] | None) -> str:
    return "\n".join(f"{c['name']}: {c['type']}" for c in schema or [])

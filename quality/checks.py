"""The quality gate's computation: read a file, expand the suite for its columns, run it with
Great Expectations, and summarise the result for people. No database access here.

Facts about GX 1.24 / pandas 3 this module relies on:

- Results come back grouped by column, not in suite order, so each expectation carries its
  rule id in ``meta`` and results are matched by it.
- Text columns have dtype ``str``; timestamps are normalised to naive UTC at read time so a
  rule compares them against full ISO datetimes (a date-only string does not compare).
- One ephemeral context per gate run, progress bars and analytics off.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from quality.rules import (
    ALL_COLUMNS,
    COLUMN_ARGS,
    COLUMN_LIST_ARGS,
    CRITICAL,
    DECLARED_TYPES,
    build_expectation,
)

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# GX logs every datasource it builds at INFO; one per gate run is noise in worker logs.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

SAMPLE_SIZE = 10
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
# Forking worker processes pays off only on large tables (measured in bench/quality.py).
PARALLEL_MIN_ROWS = 200_000


class ParseFailure(Exception):
    """The file cannot be read as its declared format; the message is for people."""


@dataclass
class Check:
    """One expectation of the combined suite, with where it came from."""

    id: str
    source: str  # builtin | policy | schema | dataset
    severity: str
    type: str
    kwargs: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "severity": self.severity,
            "type": self.type,
            "kwargs": self.kwargs,
        }


@dataclass
class GateOutcome:
    admitted: bool
    reason: str
    rows: list[dict[str, Any]]
    suite: list[dict[str, Any]]
    gx_result: dict[str, Any] | None
    schema: list[dict[str, str]] | None = None
    row_count: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


# --- Reading ---------------------------------------------------------------------------------


def _arrow_error(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def read_table(path: Path, fmt: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read CSV, Parquet or JSON Lines strictly; raise ParseFailure with a readable reason.

    pyarrow's readers are used for all three: unlike pandas' CSV reader they refuse ragged rows
    (too few fields as well as too many), and they report the line.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.json as pa_json
    import pyarrow.parquet as pq

    try:
        if fmt == "csv":
            # Empty fields are missing values in text columns too, as pandas reads them.
            options = pa_csv.ConvertOptions(strings_can_be_null=True)
            if columns:
                options.include_columns = columns
            table = pa_csv.read_csv(path, convert_options=options)
        elif fmt == "parquet":
            table = pq.read_table(path, columns=columns)
        elif fmt == "jsonl":
            table = pa_json.read_json(path)
        else:
            raise ParseFailure(f"Unknown format {fmt!r}.")
    except ParseFailure:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        label = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON Lines"}.get(fmt, fmt)
        raise ParseFailure(f"The file does not parse as {label}: {_arrow_error(exc)}") from exc
    problems = column_name_problems(table.column_names)
    if problems:
        raise ParseFailure("Column names must be unique and non-empty: " + "; ".join(problems))
    for name, col_type in zip(table.column_names, table.schema.types, strict=True):
        if pa.types.is_binary(col_type) or pa.types.is_large_binary(col_type):
            raise ParseFailure(f"Column {name!r} is not valid UTF-8 text (bad encoding).")
    frame = table.to_pandas(date_as_object=False)
    for name in frame.columns:
        dtype = frame[name].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


def column_name_problems(names: Iterable[str]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not str(name).strip():
            problems.append(f"column {position} has no name")
        elif name in seen:
            problems.append(f"{name!r} appears more than once")
        seen.add(name)
    return problems


def schema_of(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [{"name": str(c), "type": str(frame[c].dtype)} for c in frame.columns]


# --- The suite -------------------------------------------------------------------------------


def _expand_one(rule_id: str, source: str, rule: dict[str, Any], columns: list[str]) -> list[Check]:
    kwargs = dict(rule.get("kwargs", {}))
    severity = rule.get("severity", CRITICAL)
    for key in COLUMN_LIST_ARGS:
        if kwargs.get(key) == ALL_COLUMNS:
            kwargs[key] = list(columns)
    if rule["type"] == "expect_compound_columns_to_be_unique" and len(kwargs["column_list"]) < 2:
        # GX wants two or more columns; for one, "unique rows" means unique values.
        only = kwargs.pop("column_list")
        kwargs["column"] = only[0] if only else ""
        return [Check(rule_id, source, severity, "expect_column_values_to_be_unique", kwargs)]
    for key in COLUMN_ARGS:
        if kwargs.get(key) == ALL_COLUMNS:
            return [
                Check(f"{rule_id}:{col}", source, severity, rule["type"], {**kwargs, key: col})
                for col in columns
            ]
    return [Check(rule_id, source, severity, rule["type"], kwargs)]


def expand(
    *,
    policy_rules: list[dict[str, Any]],
    dataset_rules: list[dict[str, Any]],
    declared_schema: list[dict[str, str]] | None,
    columns: list[str],
) -> list[Check]:
    """The combined suite for a file with these columns, in a stable order."""
    checks: list[Check] = []
    for number, rule in enumerate(policy_rules, start=1):
        checks.extend(_expand_one(f"policy:{number}", "policy", rule, columns))
    if declared_schema:
        names = [c["name"] for c in declared_schema]
        checks.append(
            Check(
                "schema:columns",
                "schema",
                CRITICAL,
                "expect_table_columns_to_match_set",
                {"column_set": names, "exact_match": True},
            )
        )
        for col in declared_schema:
            if col["name"] in columns:
                checks.append(
                    Check(
                        f"schema:type:{col['name']}",
                        "schema",
                        CRITICAL,
                        "expect_column_values_to_be_of_type",
                        {"column": col["name"], "type_": DECLARED_TYPES[col["type"]]},
                    )
                )
    for number, rule in enumerate(dataset_rules, start=1):
        checks.extend(_expand_one(f"rules:{number}", "dataset", rule, columns))
    return checks


def _gx_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            progress_bars=ProgressBarsConfig(globally=False),
            analytics_enabled=False,
        ),
    )


def _suite(checks: list[Check], name: str) -> Any:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name)
    for check in checks:
        meta = {"rule_id": check.id, "source": check.source, "severity": check.severity}
        suite.add_expectation(build_expectation(check.type, check.kwargs, meta))
    return suite


def _batch(frame: pd.DataFrame) -> Any:
    context = _gx_context()
    asset = context.data_sources.add_pandas("gate").add_dataframe_asset("file")
    definition = asset.add_batch_definition_whole_dataframe("whole")
    return definition.get_batch(batch_parameters={"dataframe": frame})


def _validate(batch: Any, checks: list[Check], name: str) -> dict[str, Any]:
    result = batch.validate(_suite(checks, name), result_format=RESULT_FORMAT)
    data: dict[str, Any] = result.to_json_dict()
    return data


# Set before forking: the workers inherit the batch (and its frame) copy-on-write.
_FORK_BATCH: Any = None


def _validate_part(part: list[Check], name: str) -> dict[str, Any]:
    return _validate(_FORK_BATCH, part, name)


def _cost(check: Check) -> int:
    """Rough relative cost, to balance parts: multi-column uniqueness dominates."""
    if check.type.startswith("expect_compound") or check.type.startswith("expect_multicolumn"):
        return 6
    if check.type.startswith("expect_table"):
        return 1
    return 2


def split(checks: list[Check], parts: int) -> list[list[Check]]:
    """Greedy balance by cost, largest first; each part keeps suite order."""
    buckets: list[list[tuple[int, Check]]] = [[] for _ in range(parts)]
    loads = [0] * parts
    order = sorted(enumerate(checks), key=lambda ic: -_cost(ic[1]))
    for index, check in order:
        target = loads.index(min(loads))
        buckets[target].append((index, check))
        loads[target] += _cost(check)
    return [[c for _, c in sorted(bucket, key=lambda ic: ic[0])] for bucket in buckets if bucket]


def run_suite(frame: pd.DataFrame, checks: list[Check], *, workers: int = 1) -> dict[str, Any]:
    """Validate with GX; with ``workers`` > 1 and a large frame, parts of the suite run in
    forked processes and their results are merged back in suite order (identical results:
    every expectation is computed by GX on the same frame either way)."""
    global _FORK_BATCH
    batch = _batch(frame)
    if not checks:
        return {"success": True, "results": [], "statistics": {}}
    # GX keeps one of two equal expectations (meta aside) in a suite; a dataset rule that
    # repeats a policy rule runs once and its result is reported under both ids.
    primary: dict[str, str] = {}
    aliases: dict[str, str] = {}
    unique: list[Check] = []
    for check in checks:
        key = json.dumps([check.type, check.kwargs], sort_keys=True, default=str)
        if key in primary:
            aliases[check.id] = primary[key]
        else:
            primary[key] = check.id
            unique.append(check)
    merged = _run_unique(batch, frame, unique, workers)
    by_id = {_rule_id(r): r for r in merged["results"]}
    for alias, original in aliases.items():
        if original in by_id:
            copy = json.loads(json.dumps(by_id[original], default=str))
            copy["expectation_config"]["meta"]["rule_id"] = alias
            merged["results"].append(copy)
    position = {check.id: n for n, check in enumerate(checks)}
    merged["results"].sort(key=lambda r: position.get(_rule_id(r), len(position)))
    merged["statistics"] = _statistics(merged["results"])
    return merged


def _run_unique(
    batch: Any, frame: pd.DataFrame, checks: list[Check], workers: int
) -> dict[str, Any]:
    global _FORK_BATCH
    parts = split(checks, workers) if workers > 1 and len(frame) >= PARALLEL_MIN_ROWS else []
    if len(parts) <= 1:
        merged = _validate(batch, checks, "gate")
    else:
        import multiprocessing

        _FORK_BATCH = batch
        try:
            with ProcessPoolExecutor(
                max_workers=len(parts), mp_context=multiprocessing.get_context("fork")
            ) as pool:
                futures = [
                    pool.submit(_validate_part, part, f"gate-{n}") for n, part in enumerate(parts)
                ]
                pieces = [f.result() for f in futures]
        finally:
            _FORK_BATCH = None
        merged = pieces[0]
        merged["results"] = [r for piece in pieces for r in piece["results"]]
        merged["success"] = all(piece["success"] for piece in pieces)
    return merged


def _rule_id(result: dict[str, Any]) -> str:
    return str((result.get("expectation_config") or {}).get("meta", {}).get("rule_id", ""))


def _statistics(results: list[dict[str, Any]]) -> dict[str, Any]:
    evaluated = len(results)
    passed = sum(1 for r in results if r.get("success"))
    return {
        "evaluated_expectations": evaluated,
        "successful_expectations": passed,
        "unsuccessful_expectations": evaluated - passed,
        "success_percent": (100.0 * passed / evaluated) if evaluated else None,
    }


# --- Summaries for people --------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple | set):
        items = list(value)
        shown = ", ".join(_fmt(v) for v in items[:12])
        return f"{{{shown}{', …' if len(items) > 12 else ''}}}"
    return str(value)


def _range(kwargs: dict[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    lo_op = ">" if kwargs.get("strict_min") else "≥"
    hi_op = "<" if kwargs.get("strict_max") else "≤"
    if low is not None and high is not None:
        return f"between {_fmt(low)} and {_fmt(high)}"
    if low is not None:
        return f"{lo_op} {_fmt(low)}"
    return f"{hi_op} {_fmt(high)}"


DESCRIPTIONS: dict[str, str] = {
    "expect_column_to_exist": "column {column} exists",
    "expect_column_values_to_not_be_null": "{column} has no missing values",
    "expect_column_values_to_be_unique": "values of {column} are unique",
    "expect_column_values_to_be_between": "values of {column} are {range}",
    "expect_column_values_to_be_in_set": "values of {column} are in {value_set}",
    "expect_column_values_to_match_regex": "values of {column} match /{regex}/",
    "expect_column_values_to_be_of_type": "{column} has type {type_}",
    "expect_column_values_to_be_in_type_list": "{column} has a type in {type_list}",
    "expect_table_row_count_to_be_between": "the row count is {range}",
    "expect_table_columns_to_match_set": "the columns are exactly {column_set}",
    "expect_table_columns_to_match_ordered_list": "the columns are, in order, {column_list}",
    "expect_compound_columns_to_be_unique": "rows are unique across {column_list}",
    "expect_column_proportion_of_non_null_values_to_be_between": (
        "the share of non-missing values in {column} is {range}"
    ),
}


def describe(check_type: str, kwargs: dict[str, Any]) -> str:
    """What the expectation expects, in words."""
    values = {k: _fmt(v) for k, v in kwargs.items()}
    values["range"] = _range(kwargs)
    template = DESCRIPTIONS.get(check_type)
    if template is None:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in kwargs.items() if k != "batch_id")
        text = f"{check_type.removeprefix('expect_').replace('_', ' ')} ({args})"
    else:
        try:
            text = template.format(**values)
        except KeyError:
            text = check_type
    if check_type == "expect_column_proportion_of_non_null_values_to_be_between" and (
        kwargs.get("min_value") == 0 and kwargs.get("strict_min")
    ):
        text = f"{kwargs.get('column')} is not entirely empty"
    mostly = kwargs.get("mostly")
    if mostly is not None and mostly < 1:
        text += f" (at least {mostly * 100:g}% of rows)"
    return text


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _json_safe(item())
    return str(value)


def _row(check: Check, result: dict[str, Any] | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        **check.as_dict(),
        "expected": describe(check.type, check.kwargs),
        "column": check.kwargs.get("column"),
        "success": False,
        "observed": None,
        "unexpected_count": None,
        "unexpected_percent": None,
        "element_count": None,
        "sample": [],
        "error": "",
    }
    if result is None:
        row["error"] = "GX returned no result for this expectation."
        return row
    body = result.get("result") or {}
    info = result.get("exception_info") or {}
    row["success"] = bool(result.get("success"))
    if info.get("raised_exception"):
        row["error"] = str(info.get("exception_message") or "The check raised an error.")[:500]
    observed = body.get("observed_value")
    row["observed"] = _json_safe(observed)
    row["element_count"] = body.get("element_count")
    row["unexpected_count"] = body.get("unexpected_count")
    if body.get("unexpected_percent") is not None:
        row["unexpected_percent"] = round(float(body["unexpected_percent"]), 4)
    row["sample"] = _json_safe(body.get("partial_unexpected_list") or [])[:SAMPLE_SIZE]
    if observed is None and row["unexpected_count"] is not None:
        row["observed"] = f"{row['unexpected_count']} unexpected of {row['element_count']}"
    return row


def builtin_row(check_id: str, expected: str, success: bool, observed: str) -> dict[str, Any]:
    return {
        "id": check_id,
        "source": "builtin",
        "severity": CRITICAL,
        "type": check_id.replace("builtin:", ""),
        "kwargs": {},
        "expected": expected,
        "column": None,
        "success": success,
        "observed": observed,
        "unexpected_count": None,
        "unexpected_percent": None,
        "element_count": None,
        "sample": [],
        "error": "",
    }


def summarise(checks: list[Check], gx_result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per check, matched to its GX result by the rule id in ``meta``."""
    by_id = {_rule_id(r): r for r in gx_result.get("results", [])}
    return [_row(check, by_id.get(check.id)) for check in checks]


def counts_of(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "checks": len(rows),
        "passed": sum(1 for r in rows if r["success"]),
        "critical_failed": sum(1 for r in rows if not r["success"] and r["severity"] == CRITICAL),
        "warnings": sum(1 for r in rows if not r["success"] and r["severity"] != CRITICAL),
    }


def _reason(rows: list[dict[str, Any]]) -> str:
    failed = [r for r in rows if not r["success"] and r["severity"] == CRITICAL]
    if not failed:
        return ""
    parts = []
    for r in failed[:5]:
        detail = r["error"] or (
            f"{r['unexpected_count']} unexpected ({r['unexpected_percent']:g}%)"
            if r["unexpected_count"] is not None and r["unexpected_percent"] is not None
            else f"observed {_fmt(r['observed'])}"
        )
        parts.append(f"{r['expected']}: {detail}")
    more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
    return "Rejected: " + "; ".join(parts) + more


# --- The gate --------------------------------------------------------------------------------


def gate(
    path: Path,
    fmt: str,
    *,
    policy_rules: list[dict[str, Any]],
    dataset_rules: list[dict[str, Any]],
    declared_schema: list[dict[str, str]] | None,
    workers: int = 1,
) -> GateOutcome:
    """Read and check one file; never raises for a bad file (it is rejected with a reason)."""
    label = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON Lines"}.get(fmt, fmt)
    try:
        frame = read_table(path, fmt)
    except ParseFailure as exc:
        rows = [builtin_row("builtin:parse", f"the file parses as {label}", False, str(exc))]
        return GateOutcome(
            admitted=False,
            reason=f"Rejected: {exc}",
            rows=rows,
            suite=[],
            gx_result=None,
            counts=counts_of(rows),
        )
    columns = [str(c) for c in frame.columns]
    rows = [
        builtin_row(
            "builtin:parse",
            f"the file parses as {label}",
            True,
            f"{len(frame)} rows, {len(columns)} columns",
        ),
        builtin_row("builtin:column_names", "column names are unique and non-empty", True, "ok"),
    ]
    checks = expand(
        policy_rules=policy_rules,
        dataset_rules=dataset_rules,
        declared_schema=declared_schema,
        columns=columns,
    )
    gx_result = run_suite(frame, checks, workers=workers)
    rows.extend(summarise(checks, gx_result))
    counts = counts_of(rows)
    admitted = counts["critical_failed"] == 0
    return GateOutcome(
        admitted=admitted,
        reason=_reason(rows),
        rows=rows,
        suite=[c.as_dict() for c in checks],
        gx_result=_json_safe(gx_result),
        schema=schema_of(frame),
        row_count=len(frame),
        counts=counts,
    )

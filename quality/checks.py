"""The quality gate's computation: read a file, expand the suite for its columns, run it with
Great Expectations, and summarise the result for people. No database access here.

The file is never held whole (a 1.5 GB CSV needed about 8 GB that way, see
docs/benchmarks.md): ``quality.reading`` hands out columns, ``plan`` groups the expectations
by the columns they read, and each group is validated by GX on a frame of only those columns;
the duplicate-rows and unique-values rules, which need every row's values at once, are counted
a column at a time by ``quality.duplicates``. The results are those of one GX suite on the
whole frame (``gate_whole_frame``, kept as the reference; tests/quality/test_bounded.py).

Facts about GX 1.24 / pandas 3 this module relies on:

- Results come back grouped by column, not in suite order, so each expectation carries its
  rule id in ``meta`` and results are matched by it (also across groups).
- Text columns have dtype ``str``; timestamps are normalised to naive UTC at read time so a
  rule compares them against full ISO datetimes (a date-only string does not compare).
- One ephemeral context per group, progress bars and analytics off.
- GX's pandas metrics copy a column several times (about 4x per expectation, measured) and a
  suite's copies add up, so a large group is validated one expectation at a time, and
  row-by-row expectations run on row batches (``ROW_BY_ROW``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quality import duplicates
from quality.reading import (
    LABELS,
    Limits,
    ParseFailure,
    Source,
    arrow_error,
    column_name_problems,
    frame_columns,
    open_source,
    to_frame,
)
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


# --- Reading (whole frame: profiling, and the reference the bounded gate is tested against) --


def read_table(path: Path, fmt: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Read CSV, Parquet or JSON Lines whole and strictly; raise ParseFailure with a reason.

    pyarrow's readers are used for all three: unlike pandas' CSV reader they refuse ragged rows
    (too few fields as well as too many), and they report the line. This holds the whole file
    in memory (several times its size); the gate itself reads through ``quality.reading``.
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
        label = LABELS.get(fmt, fmt)
        raise ParseFailure(f"The file does not parse as {label}: {arrow_error(exc)}") from exc
    problems = column_name_problems(table.column_names)
    if problems:
        raise ParseFailure("Column names must be unique and non-empty: " + "; ".join(problems))
    for name, col_type in zip(table.column_names, table.schema.types, strict=True):
        if pa.types.is_binary(col_type) or pa.types.is_large_binary(col_type):
            raise ParseFailure(f"Column {name!r} is not valid UTF-8 text (bad encoding).")
    return to_frame(table)


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


def _batch(frame: pd.DataFrame, context: Any = None) -> Any:
    context = context or _gx_context()
    asset = context.data_sources.add_pandas("gate").add_dataframe_asset("file")
    definition = asset.add_batch_definition_whole_dataframe("whole")
    return definition.get_batch(batch_parameters={"dataframe": frame})


def _validate(batch: Any, checks: list[Check], name: str) -> dict[str, Any]:
    result = batch.validate(_suite(checks, name), result_format=RESULT_FORMAT)
    data: dict[str, Any] = result.to_json_dict()
    return data


def _deduplicated(checks: list[Check]) -> tuple[list[Check], dict[str, str]]:
    """GX keeps one of two equal expectations (meta aside) in a suite; a dataset rule that
    repeats a policy rule runs once and its result is reported under both ids."""
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
    return unique, aliases


def _merged(
    envelope: dict[str, Any], results: list[dict[str, Any]], checks: list[Check], aliases: dict
) -> dict[str, Any]:
    by_id = {_rule_id(r): r for r in results}
    for alias, original in aliases.items():
        if original in by_id:
            copy = json.loads(json.dumps(by_id[original], default=str))
            copy["expectation_config"]["meta"]["rule_id"] = alias
            results.append(copy)
    position = {check.id: n for n, check in enumerate(checks)}
    results.sort(key=lambda r: position.get(_rule_id(r), len(position)))
    merged = dict(envelope)
    merged["results"] = results
    merged["success"] = all(r.get("success") for r in results)
    merged["statistics"] = _statistics(results)
    return merged


def run_suite(frame: pd.DataFrame, checks: list[Check]) -> dict[str, Any]:
    """Validate the whole frame with GX in one suite: the gate as it ran before it read by
    column groups, kept as the reference its results are compared with."""
    batch = _batch(frame)
    if not checks:
        return {"success": True, "results": [], "statistics": {}}
    unique, aliases = _deduplicated(checks)
    envelope = _validate(batch, unique, "gate")
    return _merged(envelope, envelope["results"], checks, aliases)


# --- Running by column groups ----------------------------------------------------------------

# Expectations that see only the row count, or only the column names: they run on a frame
# with no columns, or no rows, whatever the size of the file.
ROWS_ONLY = frozenset({"expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"})
NAMES_ONLY = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_column_count_to_be_between",
        "expect_table_column_count_to_equal",
    }
)
# Expectations that hash the values: nested cells (JSON objects, arrays) are given to them as
# canonical JSON text, since GX cannot hash a dict.
HASHING = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_column_proportion_of_unique_values_to_be_between",
        "expect_column_unique_value_count_to_be_between",
        "expect_column_distinct_values_to_be_in_set",
        "expect_column_distinct_values_to_contain_set",
        "expect_column_distinct_values_to_equal_set",
        "expect_column_most_common_value_to_be_in_set",
    }
)
COMPOUND = "expect_compound_columns_to_be_unique"
UNIQUE = "expect_column_values_to_be_unique"
# The Arrow bytes one group of columns may hold (a single larger column is a group alone).
GROUP_BYTES = 256 * 1024**2
# Above this, a group's expectations are validated one at a time (see _run_group).
ONE_BY_ONE_BYTES = 64 * 1024**2
# Groups run in parallel only for tables up to this size: two processes each holding a large
# column and GX's copies of it would double the peak (measured in bench/quality.py).
PARALLEL_MAX_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class Options:
    """How one gate run reads and validates (the settings' values, see services.gate_options)."""

    workers: int = 1
    limits: Limits = field(default_factory=Limits)
    group_bytes: int = GROUP_BYTES
    parallel_min_rows: int = PARALLEL_MIN_ROWS
    parallel_max_bytes: int = PARALLEL_MAX_BYTES

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Options:
        return cls(**{**data, "limits": Limits(**data["limits"])})


@dataclass
class Group:
    """Checks that run together on a frame of only these columns."""

    columns: list[str]
    checks: list[Check]
    frame: str = "columns"  # columns | rows (no columns) | names (no rows)
    hashable: bool = False


def needed_columns(check: Check, names: list[str]) -> list[str] | None:
    """The columns an expectation reads; None when it may read any (a row condition, or a
    table-level expectation this module does not know)."""
    kwargs = check.kwargs
    if kwargs.get("row_condition"):
        return None
    wanted = [kwargs[key] for key in COLUMN_ARGS if isinstance(kwargs.get(key), str)]
    listed = kwargs.get("column_list")
    if isinstance(listed, list):
        wanted.extend(c for c in listed if isinstance(c, str))
    if not wanted:
        return None
    present = set(names)
    # A column the file lacks is left out: GX then reports it missing, as on the whole frame.
    return [c for c in dict.fromkeys(wanted) if c in present]


def _counted_apart(check: Check, names: list[str]) -> bool:
    """Duplicate rows and unique values are counted by quality.duplicates, not by GX."""
    if check.type == COMPOUND:
        return duplicates.can_compute(check.kwargs, names)
    return check.type == UNIQUE and duplicates.can_compute_column(check.kwargs, names)


def plan(
    checks: list[Check], source: Source, *, group_bytes: int = GROUP_BYTES
) -> tuple[list[Group], list[Check]]:
    """Groups of columns with their checks, and the duplicate-rows checks computed apart."""
    names = frame_columns(source.schema)
    types = {f.name: f.type for f in source.schema}
    compound: list[Check] = []
    rows_only: list[Check] = []
    names_only: list[Check] = []
    whole: list[Check] = []
    by_columns: dict[tuple[str, ...], list[Check]] = {}
    hashing: dict[tuple[str, ...], list[Check]] = {}
    for check in checks:
        plain = not check.kwargs.get("row_condition")
        if _counted_apart(check, names):
            compound.append(check)
        elif check.type in ROWS_ONLY and plain:
            rows_only.append(check)
        elif check.type in NAMES_ONLY and plain:
            names_only.append(check)
        else:
            wanted = needed_columns(check, names)
            if wanted is None:
                whole.append(check)
            elif check.type in HASHING and any(duplicates.is_nested(types[c]) for c in wanted):
                hashing.setdefault(tuple(wanted), []).append(check)
            else:
                by_columns.setdefault(tuple(wanted), []).append(check)
    groups: list[Group] = []
    if rows_only:
        groups.append(Group([], rows_only, frame="rows"))
    if names_only:
        groups.append(Group([], names_only, frame="names"))
    if whole:
        groups.append(Group(list(names), whole))
    groups.extend(Group(list(cols), found, hashable=True) for cols, found in hashing.items())
    # Pack the column sets, in file order, into groups of at most group_bytes.
    order = {name: n for n, name in enumerate(names)}
    current: Group | None = None
    for cols in sorted(by_columns, key=lambda c: min((order[x] for x in c), default=-1)):
        extra = [c for c in cols if current is None or c not in current.columns]
        size = sum(source.column_bytes.get(c, 0) for c in extra)
        held = sum(source.column_bytes.get(c, 0) for c in current.columns) if current else 0
        if current is None or (held + size > group_bytes and current.columns):
            current = Group([], [])
            groups.append(current)
        current.columns.extend(c for c in cols if c not in current.columns)
        current.checks.extend(by_columns[cols])
    return groups, compound


def column_frame(source: Source, columns: list[str]) -> pd.DataFrame:
    """These columns as the gate's frames hold them (see reading.to_frame)."""
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(source.num_rows))
    return to_frame(source.read(columns))[columns]


def _group_frame(source: Source, group: Group) -> pd.DataFrame:
    if group.frame == "rows":
        return pd.DataFrame(index=pd.RangeIndex(source.num_rows))
    if group.frame == "names":
        return pd.DataFrame(columns=frame_columns(source.schema))
    frame = column_frame(source, group.columns)
    if group.hashable:
        types = {f.name: f.type for f in source.schema}
        for name in group.columns:
            frame[name] = duplicates.hashable(frame[name], types[name])
    return frame


def _run_group(source: Source, group: Group) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """GX's result for one group (None when it has no checks), and its columns' dtypes."""
    checks = list(group.checks)
    results: list[dict[str, Any]] = []
    dtypes: dict[str, str] = {}
    if _by_row_batches(source, group):
        merged, dtypes = _run_row_batches(source, group)
        results = [r for r in merged.values() if r is not None]
        checks = [c for c in checks if merged.get(c.id) is None]
        if not checks:
            return {"results": results, "success": None}, dtypes
    frame = _group_frame(source, group)
    if group.frame == "columns":
        dtypes = {str(c): str(frame[c].dtype) for c in frame.columns}
    if not checks:
        return None, dtypes
    batch = _batch(frame)
    held = sum(source.column_bytes.get(c, 0) for c in group.columns)
    if held <= ONE_BY_ONE_BYTES or len(checks) == 1:
        data = _validate(batch, checks, "gate")
    else:
        # On a large column each further expectation of a suite adds its own copies (about
        # 4x the column each, measured). One at a time holds one expectation's at most.
        pieces = [_validate(batch, [check], "gate") for check in checks]
        data = pieces[0]
        data["results"] = [r for piece in pieces for r in piece["results"]]
    data["results"] = results + data["results"]
    del batch, frame
    _release()
    return data, dtypes


# Expectations GX decides row by row: over row batches in order their counts add up and their
# first unexpected values are the first of the whole column, so they run on BATCH_ROWS rows at
# a time and GX's own _validate decides from the summed metrics.
ROW_BY_ROW = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_match_strftime_format",
        "expect_column_values_to_be_dateutil_parseable",
        "expect_column_values_to_be_json_parseable",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
    }
)
NON_NULL_SHARE = "expect_column_proportion_of_non_null_values_to_be_between"
BATCH_ROWS = 2_000_000


def _by_row_batches(source: Source, group: Group) -> bool:
    return (
        group.frame == "columns"
        and not group.hashable
        and source.num_rows > BATCH_ROWS
        # Index labels of a pandas-written file are not positions; those read whole.
        and source.schema.pandas_metadata is None
        and any(c.type in ROW_BY_ROW or c.type == NON_NULL_SHARE for c in group.checks)
    )


def _whole_dtypes(table: Any) -> dict[str, Any]:
    """The dtype each column has when converted whole: a slice without missing values would
    give int64 where the whole integer column gives float64 (object for booleans)."""
    import pyarrow as pa

    empty = to_frame(table.slice(0, 0))
    out: dict[str, Any] = {}
    for name in table.column_names:
        column = table.column(name)
        dtype: Any = empty[name].dtype
        if column.null_count and pa.types.is_integer(column.type):
            dtype = np.dtype("float64")
        elif column.null_count and pa.types.is_boolean(column.type):
            dtype = np.dtype("object")
        out[name] = dtype
    return out


def _run_row_batches(
    source: Source, group: Group
) -> tuple[dict[str, dict[str, Any] | None], dict[str, str]]:
    """Results of the group's row-by-row checks (None where GX raised on a batch: that check
    then runs on the whole column, so its error is GX's), and the columns' dtypes."""
    table = source.read(group.columns)
    dtypes = _whole_dtypes(table)
    row_checks = [c for c in group.checks if c.type in ROW_BY_ROW]
    pieces: dict[str, list[dict[str, Any]]] = {c.id: [] for c in row_checks}
    non_null = dict.fromkeys(group.columns, 0)
    for start in range(0, table.num_rows, BATCH_ROWS):
        frame = to_frame(table.slice(start, BATCH_ROWS))[group.columns]
        frame.index = pd.RangeIndex(start, start + len(frame))
        for name in group.columns:
            if frame[name].dtype != dtypes[name]:
                frame[name] = frame[name].astype(dtypes[name])
            non_null[name] += int(frame[name].notna().sum())
        if row_checks:
            for result in _validate(_batch(frame), row_checks, "gate")["results"]:
                pieces[_rule_id(result)].append(result)
        del frame
        _release()
    del table
    merged: dict[str, dict[str, Any] | None] = {}
    for check in group.checks:
        if check.type in ROW_BY_ROW:
            merged[check.id] = _merge_rows(check, pieces[check.id])
        elif check.type == NON_NULL_SHARE and check.kwargs.get("column") in non_null:
            share = non_null[check.kwargs["column"]] / source.num_rows
            merged[check.id] = _decided_by_gx(check, {"column.non_null_proportion": share})
    return merged, {name: str(dtype) for name, dtype in dtypes.items()}


def _decided_by_gx(check: Check, metrics: dict[str, Any]) -> dict[str, Any]:
    """The expectation's own GX decision and result from metrics computed here."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )

    meta = {"rule_id": check.id, "source": check.source, "severity": check.severity}
    expectation = build_expectation(check.type, {"batch_id": "gate-file", **check.kwargs}, meta)
    decided = expectation._validate(
        metrics=metrics, runtime_configuration={"result_format": RESULT_FORMAT}
    )
    result = ExpectationValidationResult(
        success=decided["success"],
        expectation_config=expectation.configuration,
        result=decided.get("result", {}),
    )
    data: dict[str, Any] = result.to_json_dict()
    return data


def _merge_rows(check: Check, pieces: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not pieces or any((p.get("exception_info") or {}).get("raised_exception") for p in pieces):
        return None
    parts = [p.get("result") or {} for p in pieces]
    if any("element_count" not in r or "unexpected_count" not in r for r in parts):
        return None
    meta = {"rule_id": check.id, "source": check.source, "severity": check.severity}
    metric = build_expectation(check.type, check.kwargs, meta).map_metric
    metrics: dict[str, Any] = {
        "table.row_count": sum(r["element_count"] for r in parts),
        f"{metric}.unexpected_count": sum(r["unexpected_count"] for r in parts),
        f"{metric}.unexpected_values": [
            v for r in parts for v in r.get("partial_unexpected_list", [])
        ][:SAMPLE_SIZE],
        f"{metric}.unexpected_index_list": [
            i for r in parts for i in r.get("partial_unexpected_index_list", [])
        ][:SAMPLE_SIZE],
        f"{metric}.unexpected_index_query": None,
    }
    if all("missing_count" in r for r in parts):
        metrics["column_values.nonnull.unexpected_count"] = sum(r["missing_count"] for r in parts)
    return _decided_by_gx(check, metrics)


def _release() -> None:
    """Give back what a group held before the next one is read. GX keeps each ephemeral
    context (and the frames its batches cached) in reference cycles, and Arrow's allocator
    keeps freed pages: measured, each group left about its own size behind until this."""
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()


def _compound_result(source: Source, check: Check, dtypes: dict[str, str]) -> dict[str, Any]:
    """GX's result for a duplicate-rows check (or "values are unique"), from counts made a
    column at a time."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import _format_map_output, _mostly_success
    from great_expectations.expectations.expectation_configuration import parse_result_format
    from great_expectations.expectations.metrics.util import compute_unexpected_pandas_indices

    def series_of(name: str) -> pd.Series:
        frame = column_frame(source, [name])
        dtypes[name] = str(frame[name].dtype)
        return frame[name]

    kwargs = check.kwargs
    column_map = check.type == UNIQUE
    column_list = [kwargs["column"]] if column_map else kwargs["column_list"]
    counts = duplicates.count_duplicates(
        source,
        column_list,
        # A column expectation leaves the column's missing values out.
        ignore_row_if=(
            "any_value_is_missing"
            if column_map
            else kwargs.get("ignore_row_if", "all_values_are_missing")
        ),
        sample=SAMPLE_SIZE,
        series_of=series_of,
    )
    _release()
    if counts["element_count"] == 0 or counts["filtered"] == 0:
        success = True  # vacuously, as GX decides
    else:
        success = _mostly_success(
            counts["filtered"], counts["unexpected_count"], kwargs.get("mostly", 1.0)
        )
    result_format = parse_result_format(RESULT_FORMAT)
    shown = counts["rows"]
    index_list: Any = compute_unexpected_pandas_indices(
        domain_records_df=shown,
        expectation_domain_column_list=column_list,
        result_format=result_format,
        execution_engine=PandasExecutionEngine(),
        metrics={},
    )
    values = list(shown[column_list[0]]) if column_map else shown.to_dict("records")
    formatted = _format_map_output(
        result_format=result_format,
        success=success,
        element_count=counts["element_count"],
        nonnull_count=counts["filtered"],
        unexpected_count=counts["unexpected_count"],
        unexpected_list=values,
        # Positions, or dicts of the index's values when the file has a named index (GX's
        # annotation says list[int]).
        unexpected_index_list=index_list,
    )
    meta = {"rule_id": check.id, "source": check.source, "severity": check.severity}
    configuration = build_expectation(
        check.type, {"batch_id": "gate-file", **kwargs}, meta
    ).configuration
    result = ExpectationValidationResult(
        success=success, expectation_config=configuration, result=formatted["result"]
    )
    data: dict[str, Any] = result.to_json_dict()
    return data


def _schema_dtypes(source: Source, names: list[str], dtypes: dict[str, str]) -> None:
    """Columns no check read still need their dtype for the version's schema."""
    for name in names:
        if name not in dtypes:
            dtypes[name] = str(column_frame(source, [name])[name].dtype)


def _run_compound(source: Source, check: Check) -> tuple[dict[str, Any], dict[str, str]]:
    dtypes: dict[str, str] = {}
    return _compound_result(source, check, dtypes), dtypes


def run_groups(
    source: Source, checks: list[Check], options: Options
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate by column groups and merge the results in suite order (matched by the rule
    id in ``meta``), with the dtype of every column. With ``workers`` > 1 and a large table,
    (from ``parallel_min_rows`` rows up to ``parallel_max_bytes``), the groups are smaller (a
    share of the table each) and they and the duplicate-rows checks run in that many forked
    processes; each reads only its own columns."""
    names = frame_columns(source.schema)
    dtypes: dict[str, str] = {}
    if not checks:
        _schema_dtypes(source, names, dtypes)
        return {"success": True, "results": [], "statistics": {}}, dtypes
    unique, aliases = _deduplicated(checks)
    total = sum(source.column_bytes.values())
    workers, group_bytes = options.workers, options.group_bytes
    parallel = (
        workers > 1
        and options.parallel_min_rows <= source.num_rows
        and total <= options.parallel_max_bytes
    )
    if parallel:
        share = -(-total // workers)
        group_bytes = max(1, min(group_bytes, share))
    groups, compound = plan(unique, source, group_bytes=group_bytes)
    tasks: list[tuple[Any, Source, Any]] = [(_run_group, source, g) for g in groups]
    tasks += [(_run_compound, source, c) for c in compound]
    pieces: list[tuple[dict[str, Any] | None, dict[str, str]]]
    if parallel and len(tasks) > 1:
        import multiprocessing

        # Largest first, so that the last task to start is a short one.
        tasks.sort(key=lambda t: t[0] is _run_group and not t[2].columns)
        with ProcessPoolExecutor(
            max_workers=min(workers, len(tasks)), mp_context=multiprocessing.get_context("fork")
        ) as pool:
            futures = [pool.submit(run, src, item) for run, src, item in tasks]
            pieces = [future.result() for future in futures]
    else:
        pieces = [run(src, item) for run, src, item in tasks]
    envelope: dict[str, Any] | None = None
    results: list[dict[str, Any]] = []
    for data, piece_dtypes in pieces:
        dtypes.update(piece_dtypes)
        if data is None:
            continue
        if "results" in data:  # a group's validation result (an envelope unless all merged)
            if data.get("success") is not None:
                envelope = envelope or data
            results.extend(data["results"])
        else:  # one duplicate-rows result
            results.append(data)
    _schema_dtypes(source, names, dtypes)
    if envelope is None:
        envelope = _validate(_batch(pd.DataFrame(columns=names)), [], "gate")
    return _merged(envelope, results, checks, aliases), dtypes


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


def _refused(label: str, exc: ParseFailure) -> GateOutcome:
    rows = [builtin_row("builtin:parse", f"the file parses as {label}", False, str(exc))]
    return GateOutcome(
        admitted=False,
        reason=f"Rejected: {exc}",
        rows=rows,
        suite=[],
        gx_result=None,
        counts=counts_of(rows),
    )


def _decided(
    checks: list[Check],
    gx_result: dict[str, Any],
    *,
    label: str,
    columns: list[str],
    row_count: int,
    schema: list[dict[str, str]],
) -> GateOutcome:
    rows = [
        builtin_row(
            "builtin:parse",
            f"the file parses as {label}",
            True,
            f"{row_count} rows, {len(columns)} columns",
        ),
        builtin_row("builtin:column_names", "column names are unique and non-empty", True, "ok"),
    ]
    rows.extend(summarise(checks, gx_result))
    counts = counts_of(rows)
    return GateOutcome(
        admitted=counts["critical_failed"] == 0,
        reason=_reason(rows),
        rows=rows,
        suite=[c.as_dict() for c in checks],
        gx_result=_json_safe(gx_result),
        schema=schema,
        row_count=row_count,
        counts=counts,
    )


def gate(
    path: Path,
    fmt: str,
    *,
    policy_rules: list[dict[str, Any]],
    dataset_rules: list[dict[str, Any]],
    declared_schema: list[dict[str, str]] | None,
    options: Options | None = None,
) -> GateOutcome:
    """Read and check one file in bounded memory; never raises for a bad file (it is
    rejected with a reason). Scratch files go next to the file and are removed after."""
    label = LABELS.get(fmt, fmt)
    with tempfile.TemporaryDirectory(prefix="gate-", dir=path.parent) as scratch:
        try:
            options = options or Options()
            source = open_source(path, fmt, Path(scratch), options.limits)
        except ParseFailure as exc:
            return _refused(label, exc)
        columns = frame_columns(source.schema)
        checks = expand(
            policy_rules=policy_rules,
            dataset_rules=dataset_rules,
            declared_schema=declared_schema,
            columns=columns,
        )
        gx_result, dtypes = run_groups(source, checks, options)
        return _decided(
            checks,
            gx_result,
            label=label,
            columns=columns,
            row_count=source.num_rows,
            schema=[{"name": c, "type": dtypes[c]} for c in columns],
        )


def gate_whole_frame(
    path: Path,
    fmt: str,
    *,
    policy_rules: list[dict[str, Any]],
    dataset_rules: list[dict[str, Any]],
    declared_schema: list[dict[str, str]] | None,
) -> GateOutcome:
    """The gate as it was before it read by column groups: the whole file in one frame and
    one GX suite. Only the reference for tests and bench/quality.py; it may need several
    times the file in memory."""
    label = LABELS.get(fmt, fmt)
    try:
        frame = read_table(path, fmt)
    except ParseFailure as exc:
        return _refused(label, exc)
    columns = [str(c) for c in frame.columns]
    checks = expand(
        policy_rules=policy_rules,
        dataset_rules=dataset_rules,
        declared_schema=declared_schema,
        columns=columns,
    )
    return _decided(
        checks,
        run_suite(frame, checks),
        label=label,
        columns=columns,
        row_count=len(frame),
        schema=schema_of(frame),
    )

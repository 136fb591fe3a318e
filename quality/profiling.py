"""Profiling a file and proposing rules from the profile, as GX's profilers and Deequ's
constraint suggestion do: column types, null rates, ranges, and value sets for low-cardinality
columns. No database access here."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from quality.rules import CRITICAL, WARNING

# A text column with at most this many distinct values (and few relative to the rows) is
# treated as categorical, and its value set is proposed.
MAX_SET_SIZE = 12


def _kind(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype):
        return "string"
    return "other"


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def profile(frame: pd.DataFrame) -> dict[str, Any]:
    rows = len(frame)
    columns = []
    for name in frame.columns:
        series = frame[name]
        nulls = int(series.isna().sum())
        kind = _kind(series)
        non_null = series.dropna()
        distinct = int(non_null.nunique())
        col: dict[str, Any] = {
            "name": str(name),
            "dtype": str(series.dtype),
            "kind": kind,
            "null_count": nulls,
            "null_rate": round(nulls / rows, 6) if rows else 0.0,
            "distinct": distinct,
            "unique": rows > 0 and nulls == 0 and distinct == rows,
        }
        if kind in ("integer", "float", "datetime") and len(non_null):
            col["min"], col["max"] = _plain(non_null.min()), _plain(non_null.max())
        if kind in ("string", "boolean") and 0 < distinct <= MAX_SET_SIZE and distinct < rows:
            col["values"] = sorted(_plain(v) for v in non_null.unique())
        columns.append(col)
    return {"rows": rows, "columns": columns}


def _floor(value: float, places: int = 2) -> float:
    factor = 10**places
    return math.floor(value * factor) / factor


def suggest(prof: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules the profiled file passes, for the contributor to accept or edit."""
    out: list[dict[str, Any]] = []
    if prof["rows"]:
        out.append(
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": 1, "max_value": None},
                "severity": CRITICAL,
            }
        )
    type_names = {"string": "str", "integer": "int", "float": "float", "boolean": "bool"}
    for col in prof["columns"]:
        name = col["name"]
        out.append(
            {"type": "expect_column_to_exist", "kwargs": {"column": name}, "severity": CRITICAL}
        )
        if col["kind"] in type_names:
            out.append(
                {
                    "type": "expect_column_values_to_be_of_type",
                    "kwargs": {"column": name, "type_": type_names[col["kind"]]},
                    "severity": CRITICAL,
                }
            )
        if col["null_count"] == 0:
            out.append(
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": name},
                    "severity": CRITICAL,
                }
            )
        elif col["null_rate"] < 1:
            out.append(
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": name, "mostly": _floor(1 - col["null_rate"])},
                    "severity": WARNING,
                }
            )
        if col["unique"] and col["kind"] in ("integer", "string"):
            out.append(
                {
                    "type": "expect_column_values_to_be_unique",
                    "kwargs": {"column": name},
                    "severity": CRITICAL,
                }
            )
        if col["kind"] in ("integer", "float") and "min" in col:
            out.append(
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": name, "min_value": col["min"], "max_value": col["max"]},
                    "severity": WARNING,
                }
            )
        if "values" in col and col["kind"] == "string":
            out.append(
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": name, "value_set": col["values"]},
                    "severity": WARNING,
                }
            )
    return out

"""The duplicate-rows rule (``expect_compound_columns_to_be_unique``) over any number of
columns, one column in memory at a time, with the result Great Expectations gives for the whole
frame. No database access here.

GX computes this rule as ``~frame[column_list].duplicated(keep=False)`` on the rows its
``ignore_row_if`` keeps, which needs every listed column in memory at once: with the default
policy's "every column" that is the whole table, the gate's largest cost (see
docs/benchmarks.md). pandas' ``duplicated`` factorizes each column and combines the codes into
one key per row; this module does the same, a column at a time, so the key is exact (no hash
can collide) and only one column plus two integer arrays are held. The few unexpected rows
shown in the report are then read back, and GX's own formatter builds the result, so it is
identical to GX's on every file that fits in memory (tests/quality/test_bounded.py).

Cells GX cannot hash (nested JSON objects and arrays) are compared by their canonical JSON
text; GX itself fails on them ("unhashable type"), which rejected valid nested files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from quality.reading import Source

IGNORE_ROW_IF = ("all_values_are_missing", "any_value_is_missing", "never")
# Keys stay below 2**62 so that key * (codes + 1) cannot overflow int64.
_KEY_LIMIT = 2**62


def is_nested(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_struct(data_type)
        or pa.types.is_list(data_type)
        or pa.types.is_large_list(data_type)
        or pa.types.is_fixed_size_list(data_type)
        or pa.types.is_map(data_type)
    )


def canonical(value: Any) -> Any:
    """A hashable stand-in for a nested cell; other cells are returned as they are."""
    if isinstance(value, dict | list | tuple | np.ndarray):
        return json.dumps(_plain(value), sort_keys=True, default=str)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def hashable(series: pd.Series, data_type: pa.DataType) -> pd.Series:
    """The series with nested cells as canonical JSON, so it can be factorized."""
    if not is_nested(data_type):
        return series
    return series.map(canonical).astype(object)


def can_compute(kwargs: dict[str, Any], names: list[str]) -> bool:
    """Whether this module computes a duplicate-rows rule (otherwise GX does, and reports its
    own error)."""
    column_list = kwargs.get("column_list")
    return (
        isinstance(column_list, list)
        and len(column_list) >= 2
        and all(isinstance(c, str) and c in names for c in column_list)
        and len(set(column_list)) == len(column_list)
        and kwargs.get("ignore_row_if", "all_values_are_missing") in IGNORE_ROW_IF
        and not kwargs.get("row_condition")
    )


def can_compute_column(kwargs: dict[str, Any], names: list[str]) -> bool:
    """The same for "values of a column are unique" (GX holds several copies of the column
    and two hash tables of its values for it)."""
    return (
        isinstance(kwargs.get("column"), str)
        and kwargs["column"] in names
        and not kwargs.get("row_condition")
        and set(kwargs) <= {"column", "mostly", "batch_id"}
    )


def _ranks(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense codes of numeric values by sorting: equal values (0.0 and -0.0 too, as pandas'
    factorize has them) get one code. A sort holds about 3 arrays of the column; a hash table
    of 26M distinct values took 1.1 GB more (measured)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.empty(len(values), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    del ordered
    rank = np.cumsum(starts, dtype=np.int64)
    del starts
    rank -= 1
    count = int(rank[-1]) + 1 if len(values) else 0
    codes = np.empty(len(values), dtype=np.int64)
    codes[order] = rank
    return codes, count


def _codes(series: pd.Series, data_type: pa.DataType) -> tuple[np.ndarray, int]:
    """Codes of a column's values, missing ones -1, as pandas' factorize gives them, and the
    number of distinct values."""
    if (
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or (pa.types.is_timestamp(data_type) or pa.types.is_date(data_type))
    ):
        values = series.to_numpy()
        if values.dtype.kind in "iufM":
            if values.dtype.kind == "M":
                values = values.view(np.int64)
            missing = series.isna().to_numpy(dtype=bool)
            if not missing.any():
                return _ranks(values)
            codes = np.full(len(values), -1, dtype=np.int64)
            present, count = _ranks(values[~missing])
            codes[~missing] = present
            return codes, count
    codes, uniques = pd.factorize(hashable(series, data_type))
    return codes.astype(np.int64, copy=False), len(uniques)


def _dense(key: np.ndarray) -> tuple[np.ndarray, int]:
    return _ranks(key)


def count_duplicates(
    source: Source,
    column_list: list[str],
    *,
    ignore_row_if: str,
    sample: int,
    series_of: Callable[[str], pd.Series],
) -> dict[str, Any]:
    """The counts GX's map expectations report for duplicate rows across ``column_list``
    (one column: duplicate values, nulls left out as GX's column expectations do), computed
    a column at a time.

    ``series_of(name)`` gives a column as the gate's frames hold it (see checks.column_frame).
    Returns ``element_count``, ``filtered`` (the rows considered), ``unexpected_count`` and
    ``rows``: the first ``sample`` unexpected rows, with the file's index.
    """
    rows = source.num_rows
    key: np.ndarray | None = None  # made from the first column's codes, not zeros first
    bound = 1
    injective = False  # once every row has its own key, later columns cannot make duplicates
    all_missing = np.ones(rows, dtype=bool)
    any_missing = np.zeros(rows, dtype=bool)
    types = {field.name: field.type for field in source.schema}
    for name in column_list:
        series = series_of(name)
        missing = series.isna().to_numpy(dtype=bool)
        all_missing &= missing
        any_missing |= missing
        if not injective:
            codes, distinct = _codes(series, types[name])
            width = distinct + 1  # missing values (code -1) are one more value, as in pandas
            if key is None:
                key = codes
                key += 1
            else:
                if bound * width >= _KEY_LIMIT:
                    key, bound = _dense(key)
                np.multiply(key, width, out=key)
                key += codes
                key += 1
            bound *= width
            injective = distinct == rows
            del codes
        del series, missing
    if ignore_row_if == "all_values_are_missing":
        kept = ~all_missing
    elif ignore_row_if == "any_value_is_missing":
        kept = ~any_missing
    else:
        kept = np.ones(rows, dtype=bool)
    del all_missing, any_missing
    duplicated = np.zeros(rows, dtype=bool)
    if not injective and rows and key is not None:
        # A value's count among the kept rows: bincount of dense codes needs no hash table.
        dense, size = _dense(key[kept])
        duplicated[kept] = np.bincount(dense, minlength=size)[dense] > 1
        del dense
    del key
    positions = np.flatnonzero(duplicated)[:sample]
    parts = {}
    index: pd.Index = pd.RangeIndex(0)
    for name in column_list if len(positions) else []:
        taken = series_of(name).iloc[positions]
        index = taken.index  # the file's own index labels (Parquet written by pandas)
        parts[name] = taken.reset_index(drop=True)
    shown = pd.DataFrame(parts, columns=column_list)
    shown.index = index
    return {
        "element_count": rows,
        "filtered": int(kept.sum()),
        "unexpected_count": int(duplicated.sum()),
        "rows": shown,
    }

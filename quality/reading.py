"""Reading an uploaded file for the quality gate in bounded memory: the file is refused with a
reason before it is expanded when it would not fit (a decompression bomb, too many rows or
cells, pathological JSON nesting), and otherwise turned into a ``Source`` that hands out
column groups, so the gate never holds the whole table at once. No database access here.

Why each format is read the way it is (measured with pyarrow 26, see docs/benchmarks.md):

- CSV: ``pyarrow.csv.read_csv`` keeps every parsed block until it has inferred the column
  types over the whole file: about 3-4x the file in memory before the first value is checked.
  The streaming reader holds one block, but infers types from the first block only. So the
  file is streamed into a scratch Arrow file, and when a later block fails to convert a column
  the column is fixed to the next type of Arrow's own inference order (``_LOOSER``) and the
  stream starts over. The final types are then those ``read_csv`` infers (the first type of the
  order that converts every block), without its memory.
- Parquet: the metadata (rows, columns, uncompressed sizes) is read first; columns are then
  read straight from the file, only those a group needs.
- JSON Lines: a cheap scan refuses nesting deeper than the limit before Arrow parses anything
  (a 600 KB line nested 100,000 levels deep crashes libarrow). The file is then read whole by
  ``pyarrow.json`` (its streaming reader also infers from the first block only) and moved to a
  scratch Arrow file, so only the hard memory limit of the check process bounds this step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.ipc as pa_ipc
import pyarrow.json as pa_json
import pyarrow.parquet as pq

LABELS = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON Lines"}
# Blocks of this size are converted one at a time; the first one also decides the first guess
# of each column's type, so a larger block means fewer restarts.
CSV_BLOCK_BYTES = 8 * 1024**2
JSON_SCAN_BYTES = 16 * 1024**2


class ParseFailure(Exception):
    """The file cannot be read as its declared format; the message is for people."""


class TooLarge(ParseFailure):
    """The file would expand beyond what the gate may hold in memory."""


@dataclass(frozen=True)
class Limits:
    """What one check may read. ``max_bytes`` counts the decoded (Arrow) size of the table."""

    max_rows: int = 50_000_000
    max_cells: int = 500_000_000
    max_bytes: int = 4 * 1024**3
    max_depth: int = 64


_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\"/:]+/)+[^\s'\":,)]*")


def strip_paths(text: str) -> str:
    """Server paths (``/tmp/quality-.../bafy....csv``) never reach a message people see."""
    return _PATH.sub("<file>", text)


def arrow_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return strip_paths(text)[:300]


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


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


def _check_size(rows: int, columns: int, nbytes: int, limits: Limits) -> None:
    if rows > limits.max_rows:
        raise TooLarge(
            f"The file is too large to check: more than {limits.max_rows:,} rows "
            f"(the gate's limit)."
        )
    if rows * max(columns, 1) > limits.max_cells:
        raise TooLarge(
            f"The file is too large to check: {rows:,} rows x {columns:,} columns is more "
            f"than {limits.max_cells:,} values (the gate's limit)."
        )
    if nbytes > limits.max_bytes:
        raise TooLarge(
            f"The file is too large to check: it expands to more than {_gb(limits.max_bytes)} "
            f"in memory (the gate's limit)."
        )


# --- JSON nesting ----------------------------------------------------------------------------

_OPEN = np.frombuffer(b"{[", dtype=np.uint8)
_CLOSE = np.frombuffer(b"}]", dtype=np.uint8)
_ESCAPED = re.compile(rb"\\.", re.DOTALL)


def json_depth_exceeds(path: Path, max_depth: int) -> int | None:
    """The line number where objects/arrays nest deeper than ``max_depth``, or None.

    A streaming scan in numpy: escaped characters are dropped, quotes toggle "inside a
    string", and brackets outside strings move the depth. Malformed lines are left for the
    parser to report.
    """
    depth = 0
    in_string = False
    line = 1
    carry = b""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(JSON_SCAN_BYTES)
            if not chunk and not carry:
                return None
            data = carry + chunk
            carry = b""
            if chunk and data.endswith(b"\\"):
                # An escape split across two reads: keep it for the next one.
                data, carry = data[:-1], b"\\"
            data = _ESCAPED.sub(b"", data)
            raw = np.frombuffer(data, dtype=np.uint8)
            quotes = raw == ord('"')
            # Inside a string after an odd number of quotes (the quote itself counts as inside).
            inside = (np.cumsum(quotes) + int(in_string)) % 2 == 1
            outside = ~(inside | quotes)
            step = np.isin(raw, _OPEN).astype(np.int64) - np.isin(raw, _CLOSE).astype(np.int64)
            step[~outside] = 0
            levels = depth + np.cumsum(step)
            if levels.size and int(levels.max()) > max_depth:
                first = int(np.argmax(levels > max_depth))
                return line + int(np.count_nonzero(raw[:first] == ord("\n")))
            if levels.size:
                depth = int(levels[-1])
                in_string = bool(inside[-1])
                line += int(np.count_nonzero(raw == ord("\n")))
            if not chunk:
                return None


# --- Sources ---------------------------------------------------------------------------------


@dataclass
class Source:
    """A readable table: its Arrow schema, its row count, and columns on demand."""

    schema: pa.Schema
    num_rows: int
    path: Path
    kind: str  # "ipc" (a scratch file) or "parquet" (the upload itself)
    column_bytes: dict[str, int] = field(default_factory=dict)  # Arrow bytes, to plan groups

    @property
    def names(self) -> list[str]:
        return list(self.schema.names)

    def read(self, columns: list[str]) -> pa.Table:
        if self.kind == "parquet":
            return pq.ParquetFile(self.path).read(columns=columns, use_pandas_metadata=True)
        wanted = set(columns)
        fields = [i for i, name in enumerate(self.schema.names) if name in wanted]
        options = pa_ipc.IpcReadOptions(included_fields=fields)
        with pa.OSFile(str(self.path)) as handle:
            return pa_ipc.open_file(handle, options=options).read_all()

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """The columns in row order, a record batch at a time (for taking a few rows)."""
        if self.kind == "parquet":
            yield from pq.ParquetFile(self.path).iter_batches(
                columns=columns, use_pandas_metadata=True
            )
            return
        wanted = set(columns)
        fields = [i for i, name in enumerate(self.schema.names) if name in wanted]
        options = pa_ipc.IpcReadOptions(included_fields=fields)
        with pa.OSFile(str(self.path)) as handle:
            reader = pa_ipc.open_file(handle, options=options)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)


def frame_columns(schema: pa.Schema) -> list[str]:
    """The columns pandas shows for this schema: index columns stored by pandas are not data."""
    meta = schema.pandas_metadata or {}
    index = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    return [name for name in schema.names if name not in index]


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas exactly as the gate has always converted: timestamps as naive UTC."""
    frame = table.to_pandas(date_as_object=False)
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


# Arrow's CSV type inference, in its order (arrow/csv/inference_internal.h): a column gets the
# first type that converts every value.
_LOOSER: list[pa.DataType] = [
    pa.null(),
    pa.int64(),
    pa.bool_(),
    pa.date32(),
    pa.time32("s"),
    pa.timestamp("s"),
    pa.timestamp("ns"),
    pa.float64(),
    pa.string(),
    pa.binary(),
]
_CONVERSION = re.compile(r"In CSV column #(\d+): CSV conversion error to ")


def _looser(current: pa.DataType) -> pa.DataType:
    tz = getattr(current, "tz", None)
    plain = pa.timestamp(current.unit) if pa.types.is_timestamp(current) else current
    following = _LOOSER[_LOOSER.index(plain) + 1]
    if tz and pa.types.is_timestamp(following):
        # Zoned values stay zoned: arrow infers the zone along with the unit.
        return pa.timestamp(following.unit, tz)
    return following


def _stream_to_ipc(reader: Any, out: Path, limits: Limits) -> tuple[int, dict[str, int]]:
    """Write the reader's batches to a scratch Arrow file, counting rows and bytes as they
    pass so that an oversized file is refused before more than one block is held."""
    schema = reader.schema
    rows, total = 0, 0
    per_column = dict.fromkeys(schema.names, 0)
    with pa.OSFile(str(out), "wb") as sink, pa_ipc.new_file(sink, schema) as writer:
        for batch in reader:
            rows += batch.num_rows
            total += batch.nbytes
            for name, column in zip(schema.names, batch.columns, strict=True):
                per_column[name] += column.nbytes
            _check_size(rows, len(schema), total, limits)
            writer.write_batch(batch)
    return rows, per_column


def _csv_source(path: Path, out: Path, limits: Limits) -> Source:
    fixed: dict[str, pa.DataType] = {}
    # The types of the last attempt that got past its first block.
    names: list[str] = []
    types: dict[str, pa.DataType] = {}
    while True:
        options = pa_csv.ConvertOptions(strings_can_be_null=True, column_types=fixed)
        try:
            # Opening converts the first block already, with the types fixed so far.
            reader = pa_csv.open_csv(
                path,
                read_options=pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                convert_options=options,
            )
            problems = column_name_problems(reader.schema.names)
            if problems:
                raise ParseFailure(
                    "Column names must be unique and non-empty: " + "; ".join(problems)
                )
            schema = reader.schema
            names = list(schema.names)
            types = {f.name: f.type for f in schema}
            rows, per_column = _stream_to_ipc(reader, out, limits)
        except pa.ArrowInvalid as exc:
            failed = _CONVERSION.match(str(exc))
            if failed is None:
                raise
            name = names[int(failed.group(1))] if names else ""
            if name not in types:
                raise
            # The next type of arrow's inference order, and start over (see the docstring).
            fixed[name] = types[name] = _looser(types[name])
            continue
        return Source(schema, rows, out, "ipc", per_column)


def _parquet_source(path: Path, limits: Limits) -> Source:
    meta = pq.ParquetFile(path).metadata
    schema = pq.ParquetFile(path).schema_arrow
    rows, columns = meta.num_rows, len(schema)
    # Uncompressed page sizes undercount run-length and dictionary encoded columns (a column
    # of 390M zeros is a few KB of pages), so fixed-width columns also count rows x width.
    pages = sum(
        meta.row_group(g).column(c).total_uncompressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    )
    per_column = {}
    for column in schema:
        leaf_pages = sum(
            meta.row_group(g).column(c).total_uncompressed_size
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
            if meta.row_group(g).column(c).path_in_schema.split(".")[0] == column.name
        )
        try:
            width = max(column.type.bit_width // 8, 1)
        except ValueError:
            width = 4  # the offsets of a variable-width value; its bytes are in the pages
        per_column[column.name] = max(leaf_pages, rows * width)
    _check_size(rows, columns, max(pages, sum(per_column.values())), limits)
    return Source(schema, rows, path, "parquet", per_column)


def _jsonl_source(path: Path, out: Path, limits: Limits) -> Source:
    line = json_depth_exceeds(path, limits.max_depth)
    if line is not None:
        raise ParseFailure(
            f"The file nests objects or arrays more than {limits.max_depth} levels deep "
            f"(line {line})."
        )
    table = pa_json.read_json(path)
    _check_size(table.num_rows, table.num_columns, table.nbytes, limits)
    with pa.OSFile(str(out), "wb") as sink, pa_ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    per_column = {name: table.column(name).nbytes for name in table.column_names}
    source = Source(table.schema, table.num_rows, out, "ipc", per_column)
    del table
    return source


def _nesting(data_type: pa.DataType) -> int:
    if pa.types.is_struct(data_type):
        return 1 + max((_nesting(f.type) for f in data_type), default=0)
    value_type = getattr(data_type, "value_type", None)
    if value_type is not None and not pa.types.is_dictionary(data_type):
        return 1 + _nesting(value_type)
    return 0


def open_source(path: Path, fmt: str, scratch: Path, limits: Limits) -> Source:
    """Check the file's size and shape and make it readable by column; raise ParseFailure
    (or TooLarge) with a reason for people."""
    label = LABELS.get(fmt, fmt)
    if fmt not in LABELS:
        raise ParseFailure(f"Unknown format {fmt!r}.")
    try:
        if fmt == "csv":
            source = _csv_source(path, scratch / "table.arrow", limits)
        elif fmt == "parquet":
            source = _parquet_source(path, limits)
        else:
            source = _jsonl_source(path, scratch / "table.arrow", limits)
    except ParseFailure:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        if isinstance(exc, pa.ArrowMemoryError | MemoryError):
            raise
        raise ParseFailure(f"The file does not parse as {label}: {arrow_error(exc)}") from exc
    problems = column_name_problems(source.names)
    if problems:
        raise ParseFailure("Column names must be unique and non-empty: " + "; ".join(problems))
    for column in source.schema:
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            raise ParseFailure(f"Column {column.name!r} is not valid UTF-8 text (bad encoding).")
        if _nesting(column.type) > limits.max_depth:
            raise ParseFailure(
                f"Column {column.name!r} nests more than {limits.max_depth} levels deep."
            )
    return source

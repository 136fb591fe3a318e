"""The gate reads by column groups in bounded memory: its results are those of the whole-frame
gate it replaced, and files that would not fit are refused before they are expanded."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quality import checks, reading
from quality.rules import DEFAULT_POLICY_RULES

RULES = [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
    {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "station", "value_set": ["Avenida", "Belem", "Olivais"]},
        "severity": "warning",
    },
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "pm25", "min_value": 0, "max_value": 20, "mostly": 0.9},
    },
    {
        "type": "expect_column_values_to_match_regex",
        "kwargs": {"column": "station", "regex": "^[A-Z][a-z]+$"},
        "severity": "warning",
    },
    {
        "type": "expect_compound_columns_to_be_unique",
        "kwargs": {"column_list": ["station", "kind"], "ignore_row_if": "any_value_is_missing"},
        "severity": "warning",
    },
    {
        "type": "expect_compound_columns_to_be_unique",
        "kwargs": {"column_list": ["kind", "pm25"], "ignore_row_if": "never"},
        "severity": "warning",
    },
    {
        "type": "expect_table_columns_to_match_set",
        "kwargs": {"column_set": ["id", "station", "kind", "pm25", "ts"]},
        "severity": "warning",
    },
    {"type": "expect_column_to_exist", "kwargs": {"column": "ts", "column_index": 4}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "missing"}},
    {
        "type": "expect_column_values_to_be_of_type",
        "kwargs": {"column": "ts", "type_": "datetime64"},
        "severity": "warning",
    },
    {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 10, "max_value": None},
    },
    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "pm25", "min_value": 1}},
    {
        "type": "expect_column_values_to_be_unique",
        "kwargs": {"column": "pm25", "mostly": 0.5},
        "severity": "warning",
    },
    {
        "type": "expect_column_values_to_be_unique",
        "kwargs": {"column": "ts"},
        "severity": "warning",
    },
]


def air(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "station": rng.choice(["Avenida", "Belem", "Olivais", "lumiar"], rows),
            "kind": rng.choice(["a", "b"], rows),
            "pm25": rng.normal(12, 4, rows).round(1),
            "ts": pd.date_range("2024-01-01", periods=rows, freq="min"),
        }
    )
    # Duplicate rows, missing values, and a row missing everything but its id.
    frame.iloc[5:9] = frame.iloc[0:4].to_numpy()
    frame.loc[11, ["station", "kind", "pm25", "ts"]] = None
    frame.loc[12, "pm25"] = np.nan
    return frame


def both(path, fmt, rules=RULES, **options):
    kwargs = {"policy_rules": DEFAULT_POLICY_RULES, "dataset_rules": rules, "declared_schema": None}
    new = checks.gate(path, fmt, **kwargs, options=checks.Options(**options))
    return checks.gate_whole_frame(path, fmt, **kwargs), new


def assert_identical(old, new):
    assert new.rows == old.rows
    assert new.gx_result["results"] == old.gx_result["results"]
    assert (new.reason, new.counts, new.admitted) == (old.reason, old.counts, old.admitted)
    assert (new.schema, new.row_count, new.suite) == (old.schema, old.row_count, old.suite)


@pytest.mark.parametrize(
    ("options", "large"),
    [
        ({}, False),
        # As on a large file: each expectation validated alone, rows in batches of 1,000.
        ({}, True),
        # One column per group, and groups in two forked processes.
        ({"group_bytes": 1, "workers": 2, "parallel_min_rows": 1}, False),
    ],
)
def test_results_equal_the_whole_frame_gate_on_csv(tmp_path, monkeypatch, options, large):
    if large:
        monkeypatch.setattr(checks, "ONE_BY_ONE_BYTES", 0)
        monkeypatch.setattr(checks, "BATCH_ROWS", 1000)
    path = tmp_path / "air.csv"
    air(3000).to_csv(path, index=False)
    old, new = both(path, "csv", **options)
    assert_identical(old, new)
    rows = {r["id"]: r for r in new.rows}
    assert (rows["policy:3"]["success"], rows["policy:3"]["unexpected_count"]) == (True, 8)
    assert rows["policy:3"]["sample"][:2] == [
        {"id": 0, "station": "lumiar", "kind": "a", "pm25": 11.0, "ts": "2024-01-01T00:00:00"},
        {"id": 1, "station": "Olivais", "kind": "a", "pm25": 10.5, "ts": "2024-01-01T00:01:00"},
    ]
    assert (rows["rules:6"]["unexpected_count"], rows["rules:7"]["unexpected_count"]) == (
        2999,
        2949,
    )
    assert new.reason == (
        "Rejected: values of id are unique: 8 unexpected (0.2667%); "
        "missing has no missing values: observed None"
    )


def test_results_equal_the_whole_frame_gate_on_parquet_with_an_index_and_json_lines(tmp_path):
    frame = air(500).set_index("id")
    frame["station"] = frame["station"].astype("category")
    frame["ts"] = frame["ts"].dt.tz_localize("Europe/Lisbon")
    frame.to_parquet(tmp_path / "air.parquet")
    assert_identical(*both(tmp_path / "air.parquet", "parquet", group_bytes=1))

    lines = air(400).astype({"ts": str}).to_json(orient="records", lines=True)
    (tmp_path / "air.jsonl").write_text(lines)
    assert_identical(*both(tmp_path / "air.jsonl", "jsonl"))


def test_row_batches_keep_whole_column_types_and_results(tmp_path, monkeypatch):
    """A batch without missing values converts an integer column to int64 and a boolean one
    to bool; the whole column (with them) is float64 and object, and so are the batches."""
    monkeypatch.setattr(checks, "BATCH_ROWS", 7)
    lines = [{"n": i, "flag": i % 3 == 0, "s": f"v{i % 4}"} for i in range(40)]
    lines[33] = {"n": None, "flag": None, "s": None}
    (tmp_path / "gaps.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    rules = [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "n", "max_value": 9}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "flag", "value_set": [True]},
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "s", "mostly": 0.9}},
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "s", "regex": "^v[12]$"},
        },
    ]
    old, new = both(tmp_path / "gaps.jsonl", "jsonl", rules=rules)
    assert_identical(old, new)
    assert [c["type"] for c in new.schema] == ["float64", "object", "str"]


def test_csv_types_are_those_of_the_whole_file_when_a_later_block_differs(tmp_path):
    """The streaming reader guesses types from its first block (8 MiB); a later value that
    needs a looser type restarts the stream with it, so the types are read_csv's."""
    rows = 400_000
    frame = pd.DataFrame(
        {
            "n": np.arange(rows).astype(str),
            "flag": np.where(np.arange(rows) % 2, "1", "0"),
            "when": ["2024-01-01"] * rows,
            "zone": ["2024-01-01T10:00:00Z"] * rows,
        }
    )
    frame.loc[rows - 1] = ["2.5", "maybe", "2024-01-01 10:30", "2024-01-01T10:00:00.5Z"]
    path = tmp_path / "late.csv"
    frame.to_csv(path, index=False)
    assert path.stat().st_size > reading.CSV_BLOCK_BYTES
    old, new = both(path, "csv", rules=[])
    assert_identical(old, new)
    assert new.schema == [
        {"name": "n", "type": "float64"},
        {"name": "flag", "type": "str"},
        {"name": "when", "type": "datetime64[s]"},
        {"name": "zone", "type": "datetime64[ns]"},
    ]


def test_nested_json_lines_objects_pass_the_duplicate_rows_rule(tmp_path):
    nested = [
        {"station": {"name": "A", "at": [38.7, -9.1]}, "readings": [1, 2], "n": 1},
        {"station": {"name": "B", "at": [41.1, -8.6]}, "readings": [3], "n": 2},
        {"station": {"name": "A", "at": [38.7, -9.1]}, "readings": [1, 2, 3], "n": 3},
    ]
    path = tmp_path / "nested.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in nested))
    unique = [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "readings"}}]
    outcome = checks.gate(
        path, "jsonl", policy_rules=DEFAULT_POLICY_RULES, dataset_rules=unique, declared_schema=None
    )
    assert outcome.admitted is True
    rows = {r["id"]: r for r in outcome.rows}
    assert (rows["policy:3"]["success"], rows["policy:3"]["unexpected_count"]) == (True, 0)
    assert (rows["rules:1"]["success"], rows["rules:1"]["unexpected_count"]) == (True, 0)

    path.write_text("".join(json.dumps(row) + "\n" for row in [*nested, nested[0]]))
    outcome = checks.gate(
        path, "jsonl", policy_rules=DEFAULT_POLICY_RULES, dataset_rules=unique, declared_schema=None
    )
    assert outcome.admitted is False
    assert outcome.reason == (
        "Rejected: rows are unique across {station, readings, n} (at least 99% of rows): "
        "2 unexpected (50%); values of readings are unique: 2 unexpected (50%)"
    )
    rows = {r["id"]: r for r in outcome.rows}
    assert (
        rows["policy:3"]["sample"]
        == [{"station": {"name": "A", "at": [38.7, -9.1]}, "readings": [1, 2], "n": 1}] * 2
    )
    assert rows["rules:1"]["sample"] == [[1, 2], [1, 2]]


def gate(path, fmt, limits=None):
    return checks.gate(
        path,
        fmt,
        policy_rules=DEFAULT_POLICY_RULES,
        dataset_rules=[],
        declared_schema=None,
        options=checks.Options(limits=limits or reading.Limits()),
    )


def test_pathological_nesting_is_refused_before_it_is_parsed(tmp_path):
    # The file: 600 KB, nested 100,000 levels deep (it crashes libarrow's parser).
    path = tmp_path / "deep.jsonl"
    path.write_text('{"ok": 1}\n' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n")
    outcome = gate(path, "jsonl")
    assert outcome.admitted is False
    assert outcome.reason == (
        "Rejected: The file nests objects or arrays more than 64 levels deep (line 2)."
    )
    # Brackets inside strings, escaped quotes included, are not nesting: this line is 3 deep.
    path.write_text('{"n": 1}\n{"a": "[[[[\\"{{{{", "b": [[1]]}\n')
    assert reading.json_depth_exceeds(path, 3) is None
    assert reading.json_depth_exceeds(path, 2) == 2


def test_a_decompression_bomb_is_refused_from_its_metadata(tmp_path):
    # 3.4 MB of zstd Parquet in the issue; 390M zeros here in under 2 MB.
    path = tmp_path / "bomb.parquet"
    zeros = pa.table({"z": pa.array(np.zeros(10_000_000, dtype=np.int64))})
    with pq.ParquetWriter(path, zeros.schema, compression="zstd") as writer:
        for _ in range(39):
            writer.write_table(zeros)
    assert path.stat().st_size < 4_000_000
    outcome = gate(path, "parquet")
    assert outcome.admitted is False
    assert outcome.reason == (
        "Rejected: The file is too large to check: more than 50,000,000 rows (the gate's limit)."
    )
    small = reading.Limits(max_rows=10**9, max_cells=10**9, max_bytes=2 * 1024**3)
    assert gate(path, "parquet", small).reason == (
        "Rejected: The file is too large to check: it expands to more than 2.1 GB in memory "
        "(the gate's limit)."
    )


def test_a_csv_over_the_limits_is_refused_while_it_streams(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("a,b,c\n" + "1,2,3\n" * 1000)
    limits = reading.Limits(max_rows=10**6, max_cells=2000)
    assert gate(path, "csv", limits).reason == (
        "Rejected: The file is too large to check: 1,000 rows x 3 columns is more than 2,000 "
        "values (the gate's limit)."
    )


def test_messages_never_show_server_paths(tmp_path):
    path = tmp_path / "bafy.parquet"
    path.write_bytes(b"PAR1 not parquet at all PAR1")
    outcome = gate(path, "parquet")
    assert outcome.admitted is False
    assert str(tmp_path) not in outcome.reason
    assert "/tmp" not in outcome.reason
    assert reading.strip_paths(
        "Could not open Parquet input source '/tmp/quality-x1/gate-y/bafy.parquet': bad"
    ) == ("Could not open Parquet input source '<file>': bad")

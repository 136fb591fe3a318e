"""The pure gate: reading files strictly, validating rules, and GX results summarised."""

import numpy as np
import pandas as pd
import pytest

from quality import checks, profiling
from quality.rules import (
    DEFAULT_POLICY_RULES,
    RuleError,
    parse_rules_json,
    rule_from_form,
    validate_rules,
)


def gate(path, fmt="csv", rules=(), schema=None, workers=1):
    return checks.gate(
        path,
        fmt,
        policy_rules=DEFAULT_POLICY_RULES,
        dataset_rules=list(rules),
        declared_schema=schema,
        options=checks.Options(workers=workers),
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"a,b,c\n1,2,3\n4,5\n", "Expected 3 columns, got 2"),
        (b"a,b\n\xff\xfe,1\n", "not valid UTF-8"),
        (b"a,a,b\n1,2,3\n", "'a' appears more than once"),
        (b"a,,b\n1,2,3\n", "column 2 has no name"),
        (b"", "Empty CSV file"),
    ],
)
def test_a_broken_csv_is_rejected_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    outcome = gate(path)
    assert outcome.admitted is False
    assert reason in outcome.reason
    assert outcome.rows[0]["id"] == "builtin:parse"


def test_broken_parquet_and_jsonl_are_rejected(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not parquet")
    (tmp_path / "bad.jsonl").write_bytes(b'{"a": 1}\n{"a": \n')
    assert "does not parse as Parquet" in gate(tmp_path / "bad.parquet", "parquet").reason
    assert "does not parse as JSON Lines" in gate(tmp_path / "bad.jsonl", "jsonl").reason


def test_the_default_policy_catches_empty_columns_duplicates_and_no_rows(tmp_path):
    (tmp_path / "empty.csv").write_text("a,b\n1,\n2,\n")
    (tmp_path / "dups.csv").write_text("a,b\n1,2\n1,2\n3,4\n")
    (tmp_path / "none.csv").write_text("a,b\n")
    empty = gate(tmp_path / "empty.csv")
    assert empty.admitted is False
    assert "b is not entirely empty" in empty.reason
    dups = gate(tmp_path / "dups.csv")
    assert dups.admitted is False
    assert "rows are unique across {a, b} (at least 99% of rows): 2 unexpected" in dups.reason
    assert gate(tmp_path / "none.csv").admitted is False


def test_a_declared_schema_is_enforced(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(
        "city,year,when\nLisbon,2024,2024-01-01T10:00:00Z\nPorto,2025,2024-01-02T10:00:00Z\n"
    )
    good = [
        {"name": "city", "type": "string"},
        {"name": "year", "type": "integer"},
        {"name": "when", "type": "datetime"},
    ]
    assert gate(path, schema=good).admitted is True
    wrong = gate(
        path, schema=[*good[:2], {"name": "when", "type": "float"}, {"name": "x", "type": "string"}]
    )
    assert wrong.admitted is False
    failed = {r["id"] for r in wrong.rows if not r["success"]}
    assert failed == {"schema:columns", "schema:type:when"}


def test_results_are_matched_to_rules_by_id_not_order(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("b,a\nx,1\ny,\nz,3\n")
    rules = [
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "a"},
            "severity": "critical",
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "b", "value_set": ["x", "y"]},
            "severity": "warning",
        },
        {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 1, "max_value": 2},
            "severity": "warning",
        },
    ]
    outcome = gate(path, rules=rules)
    by_id = {r["id"]: r for r in outcome.rows}
    assert by_id["rules:1"]["success"] is False
    assert (by_id["rules:1"]["column"], by_id["rules:1"]["unexpected_count"]) == ("a", 1)
    assert by_id["rules:2"]["sample"] == ["z"]
    assert by_id["rules:2"]["unexpected_percent"] == pytest.approx(33.3333, abs=1e-3)
    assert by_id["rules:3"]["observed"] == 3
    assert outcome.counts == {"checks": 9, "passed": 6, "critical_failed": 1, "warnings": 2}


def test_parallel_validation_gives_identical_results(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "kind": rng.choice(["a", "b", "c", "d"], n),
            "v": rng.normal(0, 1, n),
        }
    )
    frame.loc[5, "v"] = np.nan
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    rules = [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "kind", "value_set": ["a", "b"]},
            "severity": "warning",
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "v", "min_value": -2, "max_value": 2},
            "severity": "critical",
        },
        {
            "type": "expect_column_values_to_be_unique",
            "kwargs": {"column": "id"},
            "severity": "critical",
        },
    ]
    single = gate(path, rules=rules, workers=1)
    parallel = checks.gate(
        path,
        "csv",
        policy_rules=DEFAULT_POLICY_RULES,
        dataset_rules=rules,
        declared_schema=None,
        options=checks.Options(workers=2, parallel_min_rows=1),
    )
    assert parallel.rows == single.rows
    assert parallel.gx_result is not None
    assert parallel.gx_result["results"] == single.gx_result["results"]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            [{"type": "expect_column_values_to_be_purple", "kwargs": {"column": "a"}}],
            "Rule 1: unknown expectation type 'expect_column_values_to_be_purple'",
        ),
        (
            [{"type": "expect_column_values_to_not_be_null", "kwargs": {}}],
            "Rule 1: expect_column_values_to_not_be_null: column: this argument is required",
        ),
        (
            [
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "a", "mostly": 1.5},
                }
            ],
            "Rule 1: expect_column_values_to_not_be_null: "
            "mostly must be a number between 0 and 1, not 1.5",
        ),
        (
            [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "a"}}],
            "Rule 1: expect_column_values_to_be_between: "
            "min_value and max_value cannot both be None",
        ),
        (
            [{"type": "expect_column_to_exist", "kwargs": {"column": "*"}}],
            "Rule 1: expect_column_to_exist: '*' (every column) is only allowed in the policy",
        ),
        (
            [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "severity": "fatal"}],
            "Rule 1: expect_column_to_exist: severity must be critical or warning, not 'fatal'",
        ),
    ],
)
def test_bad_rules_are_refused_with_clear_messages(rules, message):
    with pytest.raises(RuleError) as caught:
        validate_rules(rules)
    assert caught.value.messages == [message]


def test_the_form_builds_each_common_kind():
    assert rule_from_form(kind="not_null", column="pm25", mostly="0.9") == {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "pm25", "mostly": 0.9},
        "severity": "critical",
    }
    assert rule_from_form(kind="row_count", min_value="1", max_value="", severity="warning") == {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 1, "max_value": None},
        "severity": "warning",
    }
    assert rule_from_form(kind="in_set", column="c", values="a, b")["kwargs"]["value_set"] == [
        "a",
        "b",
    ]
    assert rule_from_form(kind="type", column="c", type_name="integer")["kwargs"]["type_"] == "int"
    for kind in ("column_exists", "unique"):
        assert rule_from_form(kind=kind, column="c")["kwargs"] == {"column": "c"}
    assert rule_from_form(kind="regex", column="c", regex="^a")["kwargs"]["regex"] == "^a"
    assert rule_from_form(kind="between", column="c", min_value="0", max_value="9.5")["kwargs"] == {
        "column": "c",
        "min_value": 0,
        "max_value": 9.5,
    }
    with pytest.raises(RuleError, match="mostly must be a number between 0 and 1"):
        rule_from_form(kind="not_null", column="c", mostly="2")
    with pytest.raises(RuleError, match="not valid JSON"):
        parse_rules_json("[{")


def test_suggested_rules_pass_on_the_profiled_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,kind,v,note\n1,a,0.5,x\n2,b,1.5,\n3,a,2.5,y\n4,b,3.0,z\n")
    suggestions = profiling.suggest(profiling.profile(checks.read_table(path, "csv")))
    kinds = {(s["type"], s["kwargs"].get("column")) for s in suggestions}
    assert ("expect_column_values_to_be_in_set", "kind") in kinds
    assert ("expect_column_values_to_be_unique", "id") in kinds
    assert ("expect_column_values_to_be_between", "v") in kinds
    note = [
        s
        for s in suggestions
        if s["type"] == "expect_column_values_to_not_be_null" and s["kwargs"]["column"] == "note"
    ]
    assert note == [
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "note", "mostly": 0.75},
            "severity": "warning",
        }
    ]
    validate_rules(suggestions)
    outcome = gate(path, rules=suggestions)
    assert outcome.admitted is True
    assert outcome.counts["warnings"] == 0

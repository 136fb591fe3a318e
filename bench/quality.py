"""Benchmark of the quality gate on one 1,000,000-row, 8-column CSV, with the default policy
plus 10 dataset rules. Measures, each in its own process (wall time median of --repeat runs,
peak RSS of the process and any workers it forked):

- gate-1: the whole gate (read, validate, store, decide) through quality.services.gate_run,
  GX in one process;
- gate-2: the same with the suite split over 2 forked GX worker processes;
- bare-gx: pandas.read_csv + one GX batch.validate of the same expanded suite;
- pandas: the same checks written directly in pandas.

It also checks that the gate's per-expectation results equal bare GX's.

    .venv/bin/python bench/quality.py [--rows 1000000] [--repeat 3]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RULES = [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
    {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {
            "column": "station",
            "value_set": ["Avenida", "Belem", "Olivais", "Entrecampos", "Lumiar"],
        },
    },
    {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "kind", "value_set": ["a", "b", "c"]},
    },
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "pm25", "min_value": 0, "max_value": 100},
    },
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "pm10", "min_value": 0, "max_value": 100, "mostly": 0.95},
        "severity": "warning",
    },
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "count", "min_value": 0, "max_value": 99},
    },
    {
        "type": "expect_column_values_to_match_regex",
        "kwargs": {"column": "station", "regex": "^[A-Z][a-z]+$"},
    },
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ts"}},
    {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 1000, "max_value": None},
    },
]
for rule in RULES:
    rule.setdefault("severity", "critical")


def make_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    pd.DataFrame(
        {
            "id": np.arange(rows),
            "ts": pd.date_range("2024-01-01", periods=rows, freq="min").strftime(
                "%Y-%m-%dT%H:%M:%S"
            ),
            "station": rng.choice(["Avenida", "Belem", "Olivais", "Entrecampos", "Lumiar"], rows),
            "kind": rng.choice(["a", "b", "c"], rows),
            "pm25": rng.normal(12, 3, rows).round(2),
            "pm10": rng.normal(20, 5, rows).round(2),
            "count": rng.integers(0, 100, rows),
            "ok": rng.random(rows) > 0.1,
        }
    ).to_csv(path, index=False)


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def expanded_checks(columns):
    from quality import checks
    from quality.rules import DEFAULT_POLICY_RULES

    return checks.expand(
        policy_rules=DEFAULT_POLICY_RULES,
        dataset_rules=RULES,
        declared_schema=None,
        columns=columns,
    )


def run_bare_gx(csv: Path, repeat: int) -> dict:
    import pandas as pd

    from quality import checks

    checks._gx_context()  # import GX before timing, as a warm worker has it imported
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        frame = pd.read_csv(csv)
        suite_checks = expanded_checks(list(frame.columns))
        batch = checks._batch(frame)
        result = batch.validate(
            checks._suite(suite_checks, "bare"), result_format=checks.RESULT_FORMAT
        )
        times.append(time.perf_counter() - start)
    assert result is not None
    data = result.to_json_dict()
    summary = {
        r["expectation_config"]["meta"]["rule_id"]: [
            r["success"],
            r["result"].get("unexpected_count"),
        ]
        for r in data["results"]
    }
    return {"times": times, "results": summary}


def run_pandas(csv: Path, repeat: int) -> dict:
    import pandas as pd

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        df = pd.read_csv(csv)
        out = {"rows": len(df) >= 1}
        for col in df.columns:
            out[f"nonnull:{col}"] = bool(df[col].notna().any())
        dup = df.duplicated(keep=False).sum()
        out["dups"] = dup <= 0.01 * len(df)
        out["id_notnull"] = bool(df["id"].notna().all())
        out["id_unique"] = bool(df["id"].is_unique)
        out["station_set"] = bool(
            df["station"].isin(["Avenida", "Belem", "Olivais", "Entrecampos", "Lumiar"]).all()
        )
        out["kind_set"] = bool(df["kind"].isin(["a", "b", "c"]).all())
        out["pm25"] = bool(df["pm25"].between(0, 100).all())
        out["pm10"] = bool(df["pm10"].between(0, 100).mean() >= 0.95)
        out["count"] = bool(df["count"].between(0, 99).all())
        out["regex"] = bool(df["station"].str.match(r"^[A-Z][a-z]+$").all())
        out["ts"] = bool(df["ts"].notna().all())
        out["rows_min"] = len(df) >= 1000
        times.append(time.perf_counter() - start)
    return {"times": times}


def run_gate(csv: Path, repeat: int, workers: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'db.sqlite3'}"
    os.environ["QUALITY_WORKERS"] = str(workers)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from marketplace.models import Dataset, DatasetContributor, DatasetVersion, VersionStatus
    from quality import checks, services

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench")
    dataset = Dataset.objects.create(title="Bench", license="CC0-1.0", created_by=user)
    DatasetContributor.objects.create(dataset=dataset, user=user)
    services.rules_set(user=user, dataset=dataset, rules=RULES)
    version = DatasetVersion.objects.create(
        dataset=dataset,
        number=1,
        cid="bench",
        sha256="0" * 64,
        size=csv.stat().st_size,
        format="csv",
        license="CC0-1.0",
        original_filename=csv.name,
        uploaded_by=user,
    )
    checks._gx_context()
    times, report = [], None
    for _ in range(repeat):
        DatasetVersion.objects.filter(pk=version.pk).update(status=VersionStatus.CHECKING)
        start = time.perf_counter()
        report = services.gate_run(version=version, path=csv)
        times.append(time.perf_counter() - start)
    assert report is not None
    summary = {
        r["id"]: [r["success"], r["unexpected_count"]]
        for r in report.summary
        if r["source"] != "builtin"
    }
    return {"times": times, "results": summary, "verdict": report.verdict}


def child(mode: str, csv: Path, repeat: int) -> None:
    if mode == "bare-gx":
        out = run_bare_gx(csv, repeat)
    elif mode == "pandas":
        out = run_pandas(csv, repeat)
    else:
        out = run_gate(csv, repeat, int(mode.split("-")[1]))
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out, default=str))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--csv")
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.csv), args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "bench.csv"
        make_csv(csv, args.rows)
        print(
            f"{args.rows} rows, 8 columns, {csv.stat().st_size / 1e6:.1f} MB; "
            f"default policy + {len(RULES)} rules; median of {args.repeat}"
        )
        results = {}
        for mode in ("bare-gx", "gate-1", "gate-2", "pandas"):
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    mode,
                    "--csv",
                    str(csv),
                    "--repeat",
                    str(args.repeat),
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=ROOT,
            )
            if proc.returncode:
                sys.exit(f"{mode} failed:\n{proc.stderr[-3000:]}")
            results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        bare = statistics.median(results["bare-gx"]["times"])
        for mode, out in results.items():
            median = statistics.median(out["times"])
            print(
                f"{mode:8s} wall {median:6.2f} s  ({median / bare:4.2f}x bare GX)  "
                f"peak RSS {out['peak_rss_mb']:6.0f} MB"
            )
        for mode in ("gate-1", "gate-2"):
            same = results[mode]["results"] == results["bare-gx"]["results"]
            print(f"{mode} results identical to bare GX: {same}")


if __name__ == "__main__":
    main()

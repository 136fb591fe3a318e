"""Benchmark of the quality gate on one large CSV (8 columns, default 1.5 GB), with the default
policy plus 10 dataset rules, against the gate as it was before it read by column groups
("today": the base commit's quality/checks.py, whole file in one frame, the suite split over
2 forked GX processes) in the same run. Measured, each mode in its own process, repeated and
interleaved:

- today-2: the old gate, in-process, 2 forked GX workers (QUALITY_WORKERS' default);
- bounded-1 / bounded-2: the gate as the worker runs it now (quality.isolation: a warm check
  server forks a child with RLIMIT_AS, which reads by column groups), 1 or 2 GX processes
  (bounded-2 in parallel whatever the size; production stops at QUALITY_PARALLEL_MAX_BYTES).

Wall time is the gate alone (read, validate, summarise), not the database writes. Peak memory
is the largest sum, sampled every 50 ms, of the proportional set sizes (PSS) of the mode's
process and all its descendants (check server, check child, forked GX workers): resident
memory with pages shared after a fork counted once. Each mode runs under a hard address
space limit, so a mistake cannot take the machine down. The script checks that the summary
rows, counts, verdict and reason of every mode equal today's.

    .venv/bin/python bench/quality.py [--mb 1500] [--repeat 3] [--modes today-2,bounded-1,...]
    .venv/bin/python bench/quality.py --csv FILE   # an existing file instead of a new one
"""

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASE_COMMIT = "59ab43f"  # the gate before column groups
MODES = ("today-2", "bounded-1", "bounded-2")
# Hard limits per mode process (RLIMIT_AS, inherited by forked GX workers): today's gate needs
# about 5.4x the file; the bounded gate's check child has its own 4 GiB limit.
LIMIT_BYTES = {"today": 16 * 1024**3, "bounded": 6 * 1024**3}

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


def make_csv(path: Path, target_bytes: int, chunk_rows: int = 1_000_000) -> int:
    """Write about ``target_bytes`` of CSV a chunk at a time (the generator stays small)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    rows = 0
    start = pd.Timestamp("2024-01-01")
    with path.open("w") as out:
        while rows == 0 or out.tell() < target_bytes:
            n = chunk_rows
            pd.DataFrame(
                {
                    "id": np.arange(rows, rows + n),
                    "ts": pd.date_range(
                        start + pd.Timedelta(minutes=rows), periods=n, freq="min"
                    ).strftime("%Y-%m-%dT%H:%M:%S"),
                    "station": rng.choice(
                        ["Avenida", "Belem", "Olivais", "Entrecampos", "Lumiar"], n
                    ),
                    "kind": rng.choice(["a", "b", "c"], n),
                    "pm25": rng.normal(12, 3, n).round(2),
                    "pm10": rng.normal(20, 5, n).round(2),
                    "count": rng.integers(0, 100, n),
                    "ok": rng.random(n) > 0.1,
                }
            ).to_csv(out, index=False, header=rows == 0)
            rows += n
    return rows


class TreeRss(threading.Thread):
    """The largest sum of the proportional set sizes (PSS: shared pages split between the
    processes that share them, so forked copies are not counted twice) over this process and
    its descendants."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    @staticmethod
    def tree(pid: int) -> list[int]:
        found = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found += TreeRss.tree(child)
        return found

    @staticmethod
    def rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, sum(self.rss(p) for p in self.tree(os.getpid())))
            time.sleep(0.05)


def today_module(tmp: Path):
    """The base commit's quality/checks.py, importable beside the current quality package
    (``BENCH_TODAY_SOURCE`` names a copy of it, for a tree without git)."""
    copy = os.environ.get("BENCH_TODAY_SOURCE")
    source = (
        Path(copy).read_text()
        if copy
        else subprocess.run(
            ["git", "show", f"{BASE_COMMIT}:quality/checks.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    path = tmp / "checks_today.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("checks_today", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["checks_today"] = module  # dataclasses and pickling look it up there
    spec.loader.exec_module(module)
    return module


def summary(outcome) -> dict:
    return {
        "rows": outcome.rows,
        "counts": outcome.counts,
        "admitted": outcome.admitted,
        "reason": outcome.reason,
        "row_count": outcome.row_count,
        "schema": outcome.schema,
    }


def child(mode: str, csv: Path) -> None:
    from quality.rules import DEFAULT_POLICY_RULES

    kind, workers = mode.split("-")
    kwargs = {"policy_rules": DEFAULT_POLICY_RULES, "dataset_rules": RULES, "declared_schema": None}
    sampler = TreeRss()
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        if kind == "today":
            old = today_module(Path(tmp))
            old._gx_context()  # GX imported before timing, as in a warm worker

            def run():
                return old.gate(csv, "csv", workers=int(workers), **kwargs)
        else:
            from quality import isolation
            from quality.checks import Options

            folder = Path(tmp) / "check"
            folder.mkdir()
            copy = folder / csv.name
            copy.symlink_to(csv)

            def run():
                return isolation.gate_isolated(
                    copy,
                    "csv",
                    policy_rules=DEFAULT_POLICY_RULES,
                    dataset_rules=RULES,
                    declared_schema=None,
                    # Production runs groups in parallel only up to 512 MiB of table (so
                    # above that bounded-2 would be bounded-1); here they always are.
                    options=Options(workers=int(workers), parallel_max_bytes=2**62),
                    memory_bytes=4 * 1024**3,
                    timeout=3300,
                )

            # Warm the check server (GX imported), as a worker has after its first check.
            warm = Path(tmp) / "warm"
            warm.mkdir()
            (warm / "w.csv").write_text("a,b\n1,2\n")
            isolation.gate_isolated(
                warm / "w.csv",
                "csv",
                policy_rules=[],
                dataset_rules=[],
                declared_schema=None,
                options=Options(),
                memory_bytes=4 * 1024**3,
                timeout=300,
            )
        sampler.start()
        start = time.perf_counter()
        outcome = run()
        wall = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "wall": wall,
                "peak_pss": sampler.peak,
                "peak_process": max(own, kids),
                "summary": summary(outcome),
            },
            default=str,
        )
    )


def limited(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--csv")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.csv))
        return
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        if args.csv:
            csv = Path(args.csv)
            rows = None
        else:
            csv = Path(tmp) / "bench.csv"
            rows = make_csv(csv, args.mb * 10**6)
        print(
            f"{csv.stat().st_size / 1e6:.0f} MB CSV, {rows or '?'} rows x 8 columns; default "
            f"policy + {len(RULES)} rules; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        results: dict[str, list[dict]] = {mode: [] for mode in modes}
        for n in range(args.repeat):
            for mode in modes:
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", mode, "--csv", str(csv)],
                    capture_output=True,
                    text=True,
                    check=False,
                    cwd=ROOT,
                    preexec_fn=limited(LIMIT_BYTES[mode.split("-")[0]]),
                )
                if proc.returncode:
                    sys.exit(f"{mode} failed:\n{proc.stderr[-3000:]}")
                out = json.loads(proc.stdout.strip().splitlines()[-1])
                results[mode].append(out)
                print(
                    f"run {n + 1} {mode:9s} wall {out['wall']:7.1f} s  peak PSS "
                    f"{out['peak_pss'] / 1e9:5.2f} GB  (largest waited-for process RSS "
                    f"{out['peak_process'] / 1e9:5.2f} GB)  load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        reference = results[modes[0]][0]["summary"]
        print(f"\nmedians of {args.repeat}:")
        for mode, outs in results.items():
            wall = statistics.median(o["wall"] for o in outs)
            tree = statistics.median(o["peak_pss"] for o in outs)
            same = all(o["summary"] == reference for o in outs)
            print(
                f"{mode:9s} wall {wall:7.1f} s  peak PSS {tree / 1e9:5.2f} GB  "
                f"results identical to {modes[0]}: {same}  verdict "
                f"{'admitted' if outs[0]['summary']['admitted'] else 'rejected'}"
            )


if __name__ == "__main__":
    main()

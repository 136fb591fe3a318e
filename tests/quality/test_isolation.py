"""The check runs in a child process: a native crash or a file that needs more memory than the
limit fails the check with a reason, and the process that asked for it goes on.

These tests start real checks that would crash or exhaust a process. Each is bounded twice:
by the child's RLIMIT_AS, and by a watchdog here that kills any check process resident above
a safe limit, so that a mistake can never threaten the machine.
"""

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from quality import isolation
from quality.checks import Options
from quality.reading import Limits
from quality.rules import DEFAULT_POLICY_RULES

SAFE_RSS = 2 * 1024**3


class Watchdog(threading.Thread):
    """Kills every process under the check server that is resident above ``limit`` bytes,
    and records the largest resident size it saw."""

    def __init__(self, limit: int = SAFE_RSS) -> None:
        super().__init__(daemon=True)
        self.limit = limit
        self.peak = 0
        self.killed: list[int] = []
        self.done = threading.Event()

    def descendants(self, pid: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found += [child, *self.descendants(child)]
        return found

    def run(self) -> None:
        while not self.done.is_set():
            server = isolation._ZYGOTE.proc
            for pid in self.descendants(server.pid) if server else []:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                lines = [line for line in status.splitlines() if line.startswith("VmRSS")]
                rss = int(lines[0].split()[1]) * 1024 if lines else 0
                self.peak = max(self.peak, rss)
                if rss > self.limit:
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)
            time.sleep(0.02)

    def __enter__(self) -> "Watchdog":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


def check(path: Path, fmt: str, *, limits: Limits, memory_bytes: int):
    return isolation.gate_isolated(
        path,
        fmt,
        policy_rules=DEFAULT_POLICY_RULES,
        dataset_rules=[],
        declared_schema=None,
        options=Options(limits=limits),
        memory_bytes=memory_bytes,
        timeout=300,
    )


def test_a_native_crash_in_the_parser_rejects_the_file_and_the_caller_goes_on(tmp_path):
    # With the depth cap lifted, the 600 KB file reaches libarrow, which segfaults.
    path = tmp_path / "deep.jsonl"
    path.write_text('{"a":' * 100_000 + "1" + "}" * 100_000 + "\n")
    with Watchdog() as watchdog:
        outcome = check(path, "jsonl", limits=Limits(max_depth=10**6), memory_bytes=2 * 1024**3)
    assert watchdog.killed == []
    assert outcome.admitted is False
    assert outcome.reason == (
        "Rejected: reading the file crashed the check process (SIGSEGV); it may be malformed."
    )
    assert outcome.rows[0]["id"] == "builtin:run"
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n3,4\n")
    assert check(good, "csv", limits=Limits(), memory_bytes=2 * 1024**3).admitted is True


def test_a_bomb_past_the_caps_hits_the_memory_limit_not_the_machine(tmp_path):
    """150M zeros (1.2 GB as int64) in a 1 MB file: with the row cap lifted, reading them
    needs more than the 1.5 GiB the check may use; the check fails, the host is untouched."""
    path = tmp_path / "bomb.parquet"
    zeros = pa.table({"z": pa.array(np.zeros(10_000_000, dtype=np.int64))})
    with pq.ParquetWriter(path, zeros.schema, compression="zstd") as writer:
        for _ in range(15):
            writer.write_table(zeros)
    lifted = Limits(max_rows=10**10, max_cells=10**10, max_bytes=10**12)
    with Watchdog() as watchdog:
        outcome = check(path, "parquet", limits=lifted, memory_bytes=1536 * 1024**2)
    assert watchdog.killed == []
    assert 0 < watchdog.peak < 1536 * 1024**2
    assert outcome.admitted is False
    assert outcome.reason == (
        "Rejected: checking this file needs more than the 1.5 GiB of memory a check may use."
    )


def test_a_check_over_its_time_is_stopped_and_the_next_one_runs(tmp_path):
    path = tmp_path / "air.csv"
    path.write_text("a,b\n" + "".join(f"{n},{n % 7}\n" for n in range(50_000)))
    slow = isolation.gate_isolated(
        path,
        "csv",
        policy_rules=DEFAULT_POLICY_RULES,
        dataset_rules=[],
        declared_schema=None,
        options=Options(),
        memory_bytes=2 * 1024**3,
        timeout=0.01,
    )
    assert (slow.admitted, slow.reason) == (
        False,
        "Rejected: the checks did not finish within 0.01 s.",
    )
    assert check(path, "csv", limits=Limits(), memory_bytes=2 * 1024**3).admitted is True

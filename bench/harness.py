"""How the benchmark scripts run what they measure: processes, databases and meters.

The scripts in ``bench/`` say what they measure and print; this module owns what they share:

* processes: free loopback ports, the process tree of a pid, a background ``Service`` started
  in its own session (so it and its children stop together), commands that must succeed,
  waiting for a service to answer, and pinning process trees to a CPU;
* databases: the PostgreSQL database a run creates and drops, the Redis db it empties;
* measurement: CPU seconds and peak RSS of process trees read from ``/proc``, a ``CpuMeter``
  for one operation, and ``settle``, which starts a measurement only on a quiet disk and stack;
* output: the machine's description.

Linux only (``/proc``, ``taskset``); everything runs on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Final

import httpx
import psycopg
import redis
from psycopg import sql

ROOT: Final = Path(__file__).resolve().parent.parent
# The environment running the script: gunicorn, celery and manage.py come from it too.
VENV_BIN: Final = Path(sys.executable).parent
MB: Final = 10**6
# The machine's PostgreSQL (trust authentication on loopback), as user postgres.
PG_SERVER: Final = "postgres://postgres@127.0.0.1:5432"


class BenchError(RuntimeError):
    """The benchmark could not run (as opposed to a target that was missed)."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM/SIGHUP into an exception so every ``finally`` stops what it started.
    raise SystemExit(128 + signum)


def stop_on_signals() -> None:
    """Make SIGTERM and SIGHUP unwind the script, as Ctrl-C does."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ppid_map() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    parents = _ppid_map()
    tree = [root] if root in parents else []
    frontier = list(tree)
    while frontier:
        current = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == current]
        tree += children
        frontier += children
    return tree


def run_checked(argv: Sequence[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(
        list(argv), cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    if result.returncode != 0:
        raise BenchError(f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def pin_to_cpu(cpu: int, roots: Sequence[int]) -> None:
    """Pin every thread of the process trees of ``roots`` to one CPU."""
    for root in roots:
        for pid in process_tree(root):
            # taskset -a reaches every thread; os.sched_setaffinity only the main one.
            run_checked(["taskset", "-apc", str(cpu), str(pid)], dict(os.environ), "taskset")


@dataclass
class Service:
    """A background process started in its own session, so it and its children (gunicorn
    workers, the Celery pool) are stopped together through its process group.

    Its output goes to ``log_path``, or with ``None`` to this script's own stdout and stderr.
    ``stop`` sends SIGTERM to the whole group, or with ``signal_group=False`` to the process
    alone, which then stops its own children (a gunicorn master logs an error for each worker
    that was signalled by someone else); whatever is left after the grace period is killed."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path | None
    signal_group: bool = True
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with contextlib.ExitStack() as stack:
            log = None if self.log_path is None else stack.enter_context(self.log_path.open("wb"))
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=None if log is None else subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BenchError(f"{self.name} is not running")
        return self.process.pid

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise BenchError(f"{self.name} exited early:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None:
            return "(no log)"
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # The group id is the pid of the process we started (start_new_session=True).
        with contextlib.suppress(ProcessLookupError):
            if self.signal_group:
                os.killpg(process.pid, signal.SIGTERM)
            else:
                process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def gunicorn_argv(app: str, port: int, *options: str) -> list[str]:
    """gunicorn serving the WSGI ``app`` (``module:name``, importable from the project root)."""
    return [str(VENV_BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", *options]


def wait_http(url: str, service: Service, deadline: float = 60.0) -> None:
    """Return once ``service`` answers ``url`` with any HTTP response."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        service.check_alive()
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=2.0)
            return
        time.sleep(0.2)
    raise BenchError(f"{service.name} did not answer on {url}:\n{service.log_tail()}")


def wait_log(service: Service, marker: str, deadline: float = 60.0) -> None:
    """Return once ``marker`` appears in the log of ``service``."""
    if service.log_path is None:
        raise BenchError(f"{service.name} has no log to wait on")
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        service.check_alive()
        with contextlib.suppress(OSError):
            if marker in service.log_path.read_text(errors="replace"):
                return
        time.sleep(0.2)
    raise BenchError(f"{service.name} did not become ready:\n{service.log_tail()}")


# --- databases -----------------------------------------------------------------------------


def drop_database(admin_dsn: str, name: str, *, force: bool = True) -> None:
    """Drop the database ``name`` if it exists, through a connection to ``admin_dsn``; with
    ``force``, even while sessions (of a run that was killed, say) are still connected."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    if force:
        statement += sql.SQL(" WITH (FORCE)")
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(statement)


def recreate_database(admin_dsn: str, name: str, *, force: bool = True) -> None:
    """A fresh, empty database ``name`` (dropped first if it exists)."""
    drop_database(admin_dsn, name, force=force)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(url: str) -> None:
    """Empty the Redis db of ``url``, which must be reserved for the benchmark."""
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- measurement ---------------------------------------------------------------------------

_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time the processes have used so far (dead ones count as 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _CLOCK_TICKS


def own_cpu() -> float:
    """This script and the commands it ran (curl, sha256sum) that have finished."""
    own, children = os.times()[:2], os.times()[2:4]
    return sum(own) + sum(children)


@dataclass
class CpuMeter:
    """CPU seconds spent by each part of the stack during one measured operation.

    Wall time on 2 shared cores is noisy; CPU seconds per file are much steadier and say where
    the cycles go. The process trees are re-read at each start, so new pool children count.
    """

    roots: dict[str, int]
    _trees: dict[str, list[int]] = field(default_factory=dict)
    _before: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        self._trees = {name: process_tree(pid) for name, pid in self.roots.items()}
        self._before = {name: cpu_seconds(pids) for name, pids in self._trees.items()}
        self._before["client"] = own_cpu()

    def stop(self) -> dict[str, float]:
        used = {name: cpu_seconds(pids) - self._before[name] for name, pids in self._trees.items()}
        used["client"] = own_cpu() - self._before["client"]
        return used


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident set size of a process in MB (``VmHWM`` is in KiB)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / MB
    except OSError:
        return None
    return None


def peak_rss(service: Service, *, children_only: bool) -> tuple[float, list[int]]:
    """The highest peak RSS in MB among the processes of ``service``, and their pids."""
    pids = process_tree(service.pid)
    if children_only:
        pids = [pid for pid in pids if pid != service.pid]
    peaks = [peak for pid in pids if (peak := vm_hwm_mb(pid)) is not None]
    if not peaks:
        raise BenchError(f"no processes found for {service.name}")
    return max(peaks), sorted(pids)


QUIET_WINDOW: Final = 0.5  # seconds
QUIET_CPU: Final = 0.05  # CPU seconds the whole stack may use in one window to count as quiet
QUIET_DEADLINE: Final = 20.0


def settle(stack_pids: Sequence[int]) -> float:
    """Start a measurement only on a quiet disk and a quiet stack; returns the seconds waited.

    Both nodes fsync every block they store, so they are slowed by whatever else the disk is
    writing back. The kernel writes dirty pages back about 30 s after they were written: left
    alone, the file generated just before a measurement (1 GB of them) would be written back
    in the middle of whichever measurement runs at that moment. And a node that has just
    ingested a gigabyte goes on collecting garbage for a while, on the cores the next
    measurement needs. So: sync, then wait until every process of the stack (both nodes, web,
    worker) has been idle for a window, or give up waiting after ``QUIET_DEADLINE``.
    """
    started = time.monotonic()
    os.sync()
    pids = [pid for root in stack_pids for pid in process_tree(root)]
    while time.monotonic() - started < QUIET_DEADLINE:
        before = cpu_seconds(pids)
        time.sleep(QUIET_WINDOW)
        if cpu_seconds(pids) - before < QUIET_CPU:
            break
    return time.monotonic() - started


# --- output --------------------------------------------------------------------------------


def platform_summary() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, Python {sys.version.split()[0]}"

"""Ingest benchmark: upload-to-pinned throughput against the node's own ``add`` and ``sha256sum``.

What it measures, in one run, for synthetic CSV files of each size (default 10, 100, 1000 MB,
where MB = 10**6 bytes throughout):

* **ours**: from the first byte of a streaming multipart ``POST /api/v1/datasets/`` (gunicorn,
  2 sync workers) until the pin is recorded (``Pin.pinned_at``; the API shows
  ``pin_status == "pinned"`` at most one 0.1 s poll later, and the script waits for that too).
  This includes parsing the upload, computing sha256 and the CID while it streams, the node's
  add (fed while the upload arrives) and the database writes. When the node's add answers with
  our CID the upload's own transaction records the pin; otherwise the Celery worker adds the
  staged file and the queue is included too. The quality gate is NOT included
  (``COOP_AFTER_PIN_TASK=``).
* **node add**: ``curl -F file=@...`` to the node's own ``/api/v0/add`` with the same profile
  (cid-version=1, raw-leaves, chunker size-262144, pin). curl is a negligible-overhead client,
  so this is the rate of the node itself. The baseline node is stock js-ipfs, without the V8
  flags the project gives its own node (``ipfs.node.NODE_V8_FLAGS``).
* **sha256sum** of the same file (a floor: reading the bytes and hashing them once).
* with ``--relay``, **relay**: curl sends the file to a web process (gunicorn, one sync worker)
  that only passes the body on, through the project's own ``NodeFeed``, to a third fresh node
  configured as ours. No parsing, hashing, staging or database: the ceiling for any upload path
  through a web process on this machine, against which ours can be read.

Before each measurement the disk is synced and the stack (both nodes, web, worker) is left to
go idle, so no measurement pays for the writeback or garbage collection of the one before.

The node add baseline runs on a *second* fresh node. js-ipfs does not re-store blocks it already
has, so adding a file our upload just pinned would measure dedupe, not ingest (measured on this
machine: a 200 MB re-add runs at ~2.7x the first add). Both nodes start empty and receive the
same files in the same order, so their repos grow alike. Each repetition uses a different file
(a different seed), because the cooperative refuses a second upload of the same bytes.

Peak RSS is ``VmHWM`` from ``/proc/<pid>/status`` of every gunicorn worker and every Celery
process (pool children included), read after each size; peaks are cumulative per process, so
sizes run in increasing order and a flat column means memory does not grow with file size.

Everything runs on 127.0.0.1 and is started and stopped by the script: two private js-ipfs
nodes (three with ``--relay``), a fresh PostgreSQL database, gunicorn, and a Celery worker on its
own Redis db and queue.

How the processes are started, stopped and metered is ``bench/harness.py``; the relay's and
the profile's WSGI apps are ``bench/wsgi_relay.py`` and ``bench/wsgi_sink.py``.

    .venv/bin/python bench/ingest.py                    # make bench-ingest
    .venv/bin/python bench/ingest.py --sizes 10,100     # a quick run
    .venv/bin/python bench/ingest.py --relay            # also measure the relay ceiling
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import httpx
import psycopg
import redis

# The project root, for bench.harness here and for the project's apps that main() imports.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    MB,
    PG_SERVER,
    ROOT,
    VENV_BIN,
    BenchError,
    CpuMeter,
    Service,
    drop_database,
    flush_redis,
    free_port,
    gunicorn_argv,
    peak_rss,
    pin_to_cpu,
    platform_summary,
    process_tree,
    recreate_database,
    run_checked,
    settle,
    stop_on_signals,
    vm_hwm_mb,
    wait_http,
    wait_log,
)

DB_NAME: Final = "coop_bench_ingest"
DATABASE_URL: Final = f"{PG_SERVER}/{DB_NAME}"
ADMIN_DSN: Final = f"{PG_SERVER}/postgres"
BROKER_URL: Final = "redis://127.0.0.1:6379/13"
QUEUE: Final = "bench-ingest"
GUNICORN_WORKERS: Final = 2
CELERY_CONCURRENCY: Final = 2

DEFAULT_SIZES: Final = "10,100,1000"
# Repetitions per size when --reps is not given: what fits ~15 minutes on a 2-core machine.
DEFAULT_REPS: Final = {10: 5, 100: 3, 1000: 2}
UPLOAD_CHUNK: Final = 1024 * 1024  # bytes per piece of the streaming request body
POLL_INTERVAL: Final = 0.1
RATIO_TARGET: Final = 0.8
RSS_TARGET_MB: Final = 300.0
# "Flat in file size": the peak after the largest size may exceed the peak after the smallest
# by at most this much (allocator noise, one-off imports on first use).
RSS_FLAT_TOLERANCE_MB: Final = 50.0

NODE_NAMES: Final = ("ours", "baseline", "relay")  # repo folders ipfs-<name> in the workdir
ADD_QUERY: Final = (
    "cid-version=1&raw-leaves=true&chunker=size-262144&pin=true&cid-base=base32&progress=false"
)
CSV_HEADER: Final = b"row_id,member_id,region,observed_on,kwh,price_cents,tariff,note\n"
REGIONS: Final = ("north", "south", "east", "west", "centre", "coast", "valley", "uplands")
TARIFFS: Final = ("flat", "peak", "offpeak", "solar", "wind", "community")
WORDS: Final = ("meter", "read", "estimate", "ok", "late", "manual", "smart", "reset", "audit")
POOL_SIZE: Final = 4096  # distinct row tails; a power of two so a mask picks one
POOL_STEP: Final = 2654435761  # odd, so (row * step) mod POOL_SIZE walks the whole pool
ROWS_PER_BLOCK: Final = 20_000

# --- synthetic data ------------------------------------------------------------------------


def write_csv(path: Path, size: int, seed: int) -> None:
    """Write a deterministic CSV of exactly ``size`` bytes, a block of rows at a time.

    Every row has a unique id, so no two 256 KiB chunks are equal and the node cannot dedupe
    blocks within a file or across files (the ids of each seed start at ``seed * 10**9``).
    """
    rng = random.Random(seed)
    pool = [
        f"{rng.randrange(1, 50_000)},{rng.choice(REGIONS)},"
        f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d},"
        f"{rng.uniform(0, 80):.3f},{rng.randrange(5, 90_000)},{rng.choice(TARIFFS)},"
        f"{' '.join(rng.choice(WORDS) for _ in range(rng.randrange(0, 4)))}"
        for _ in range(POOL_SIZE)
    ]
    mask = POOL_SIZE - 1
    row = seed * 10**9
    with path.open("wb") as out:
        out.write(CSV_HEADER)
        written = len(CSV_HEADER)
        while True:
            lines = [
                f"{r},{pool[(r * POOL_STEP) & mask]}\n" for r in range(row, row + ROWS_PER_BLOCK)
            ]
            block = "".join(lines).encode()
            if written + len(block) <= size - 4096:
                out.write(block)
                written += len(block)
                row += ROWS_PER_BLOCK
                continue
            for line in lines:
                encoded = line.encode()
                if written + len(encoded) > size - 256:
                    break
                out.write(encoded)
                written += len(encoded)
                row += 1
            break
        # One last row whose note pads the file to the exact size.
        prefix = f"{row},0,north,2024-01-01,0.000,0,flat,".encode()
        pad = size - written - len(prefix) - 1
        if pad < 0:
            raise BenchError(f"cannot pad {path} to {size} bytes")
        out.write(prefix + b"x" * pad + b"\n")
    if path.stat().st_size != size:
        raise BenchError(f"{path} has {path.stat().st_size} bytes, expected {size}")


# --- the measured operations ---------------------------------------------------------------


@dataclass
class UploadTiming:
    """One upload through the API; times in seconds from the first body byte sent."""

    version_id: int
    cid: str
    sha256: str
    total: float  # first byte → pinned: the 201 if the request recorded the pin, else pinned_at
    observed: float  # first byte → the API reported pin_status == "pinned"
    response: float  # first byte → 201 response received
    received: float  # first byte → the version row was created (body parsed, hashed, on disk)
    handoff: float  # version created → the worker claimed the pin (commit, 201, Celery queue)
    pinning: float  # claim → pinned_at: add via ipfshttpclient + pin check + commit
    attempts: int
    # The node's add matched our CID and the upload's own transaction recorded the pin: no
    # worker was involved (handoff 0; "pinning" is the commit and the 201 reaching us).
    in_request: bool


@dataclass
class _Clock:
    mono: float = 0.0
    wall: float = 0.0


def _multipart_body(
    path: Path, size: int, boundary: str, fields: dict[str, str], clock: _Clock
) -> tuple[int, Iterator[bytes]]:
    """A streaming multipart body (length, generator); the file is read a chunk at a time."""
    preamble = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    preamble += (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    head = preamble.encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def generate() -> Iterator[bytes]:
        clock.mono, clock.wall = time.monotonic(), time.time()
        yield head
        with path.open("rb") as source:
            while chunk := source.read(UPLOAD_CHUNK):
                yield chunk
        yield tail

    return len(head) + size + len(tail), generate()


def upload_to_pinned(client: httpx.Client, path: Path, title: str) -> UploadTiming:
    size = path.stat().st_size
    boundary = "coop-bench-" + os.urandom(8).hex()
    clock = _Clock()
    length, body = _multipart_body(
        path,
        size,
        boundary,
        {
            "title": title,
            "description": "ingest benchmark",
            "license": "CC-BY-4.0",
            "format": "csv",
        },
        clock,
    )
    response = client.post(
        "/api/v1/datasets/",
        content=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        },
    )
    uploaded = time.monotonic() - clock.mono
    if response.status_code != 201:
        raise BenchError(f"upload of {path.name} got {response.status_code}: {response.text[:500]}")
    version = response.json()["version"]
    deadline = time.monotonic() + 120 + size / MB
    while True:
        detail = client.get(f"/api/v1/versions/{version['id']}/")
        if detail.status_code != 200:
            raise BenchError(f"version {version['id']}: {detail.status_code} {detail.text[:300]}")
        state = detail.json()
        if state["pin_status"] == "pinned":
            observed = time.monotonic() - clock.mono
            break
        if state["status"] == "failed" or state["pin_status"] == "failed":
            raise BenchError(f"pinning failed: {state['status_reason']}")
        if time.monotonic() > deadline:
            raise BenchError(f"version {version['id']} not pinned in time: {state}")
        time.sleep(POLL_INTERVAL)
    created, claimed, pinned, attempts = _server_times(int(version["id"]))
    in_request = version["pin_status"] == "pinned"
    received = created - clock.wall
    # A pin recorded in the request is only certain once it commits, so it counts as pinned
    # when the 201 arrives (which is later), not at the pinned_at it wrote before committing.
    total = uploaded if in_request else pinned - clock.wall
    return UploadTiming(
        version_id=int(version["id"]),
        cid=str(state["cid"]),
        sha256=str(state["sha256"]),
        total=total,
        observed=observed,
        response=uploaded,
        received=received,
        handoff=0.0 if in_request else claimed - created,
        pinning=total - received if in_request else pinned - claimed,
        attempts=attempts,
        in_request=in_request,
    )


def _server_times(version_id: int) -> tuple[float, float, float, int]:
    """(version created, pin claimed, pinned) as Unix times, and the attempts: the server's
    own record. Same machine, same clock as ``time.time()`` in this script. ``updated_at`` is
    last written by the claim; the final update sets only ``pinned_at``."""
    with psycopg.connect(DATABASE_URL) as conn:
        row = conn.execute(
            "SELECT v.created_at, p.updated_at, p.pinned_at, p.attempts FROM marketplace_pin p "
            "JOIN marketplace_datasetversion v ON v.id = p.version_id WHERE p.version_id = %s",
            (version_id,),
        ).fetchone()
    if row is None or row[2] is None:
        raise BenchError(f"no pin record for version {version_id}")
    stamps: list[datetime] = [row[0], row[1], row[2]]
    created, claimed, pinned = (stamp.timestamp() for stamp in stamps)
    return created, claimed, pinned, int(row[3])


def timed_curl(argv: list[str], what: str) -> tuple[float, str]:
    """Run a curl command line: (seconds, its last output line); a failure is a BenchError."""
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise BenchError(f"{what} failed: {result.stdout}{result.stderr}")
    return elapsed, result.stdout.strip().splitlines()[-1]


def node_add(api_port: int, path: Path) -> tuple[float, str]:
    """The node's own add of ``path`` through curl: (seconds, CID)."""
    url = f"http://127.0.0.1:{api_port}/api/v0/add?{ADD_QUERY}"
    elapsed, last = timed_curl(
        ["curl", "-sS", "--fail-with-body", "-X", "POST", "-F", f"file=@{path}", url],
        f"node add of {path.name}",
    )
    return elapsed, str(json.loads(last)["Hash"])


# --- the relay: a ceiling for any upload path through a web process (--relay) -------------


def start_relay(stack: Stack, node_addr: str) -> tuple[str, Service]:
    """gunicorn (one sync worker, as a web worker takes one upload) serving bench/wsgi_relay.py."""
    env = _env(node_addr, stack.workdir / "staging")
    port = free_port()
    relay = Service(
        "gunicorn relay",
        gunicorn_argv(
            "bench.wsgi_relay:application",
            port,
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--timeout",
            "1800",
        ),
        env,
        stack.workdir / "relay.log",
    )
    stack.services.append(relay)
    relay.start()
    url = f"http://127.0.0.1:{port}/"
    wait_http(url, relay)
    return url, relay


def curl_stream_argv(url: str, path: Path) -> list[str]:
    """curl POSTing ``path`` as the raw request body, streamed from disk as it is sent.

    ``--data-binary @file`` would read the whole file into memory first; ``-T`` streams it. The
    empty Expect header skips the 100-continue round (gunicorn does not answer it)."""
    return [
        "curl",
        "-sS",
        "--fail-with-body",
        "-X",
        "POST",
        "-T",
        str(path),
        "-H",
        "Expect:",
        "-H",
        "Content-Type: application/octet-stream",
        url,
    ]


def relay_add(url: str, path: Path) -> tuple[float, str]:
    """The file through the relay to its node, sent by curl as the node add is: (seconds, CID)."""
    elapsed, last = timed_curl(curl_stream_argv(url, path), f"relay of {path.name}")
    return elapsed, str(json.loads(last)["cid"])


def sha256sum(path: Path) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True, check=True)
    return time.monotonic() - started, result.stdout.split()[0]


# --- the run -------------------------------------------------------------------------------


@dataclass
class SizeResult:
    size_mb: int
    ours: list[UploadTiming] = field(default_factory=list)
    node: list[float] = field(default_factory=list)
    sha: list[float] = field(default_factory=list)
    rss_web: float = 0.0
    rss_worker: float = 0.0
    rss_node: float = 0.0
    rss_node_baseline: float = 0.0
    ours_cpu: list[dict[str, float]] = field(default_factory=list)
    node_cpu: list[dict[str, float]] = field(default_factory=list)
    # --relay only: the same file passed through a web process that does nothing else.
    relay: list[float] = field(default_factory=list)
    relay_cpu: list[dict[str, float]] = field(default_factory=list)

    def rate(self, seconds: list[float]) -> float:
        return self.size_mb / statistics.median(seconds)

    @property
    def ours_rate(self) -> float:
        return self.rate([t.total for t in self.ours])

    @property
    def node_rate(self) -> float:
        return self.rate(self.node)

    @property
    def sha_rate(self) -> float:
        return self.rate(self.sha)

    @property
    def ratio(self) -> float:
        return self.ours_rate / self.node_rate

    @property
    def relay_ratio(self) -> float:
        return self.rate(self.relay) / self.node_rate


@dataclass
class Stack:
    """Everything the run starts, in the order it must be stopped."""

    workdir: Path
    nodes: list[Any] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    database: bool = False


def _env(node_addr: str, staging: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COOP_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        # A throwaway secret of the production length; DEBUG stays off as in production.
        DJANGO_SECRET_KEY=os.urandom(25).hex(),
        DATABASE_URL=DATABASE_URL,
        CELERY_BROKER_URL=BROKER_URL,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        IPFS_API_ADDR=node_addr,
        COOP_STAGING_DIR=str(staging),
        # Measure upload → pinned only; the quality gate is another stage with its own bench.
        COOP_AFTER_PIN_TASK="",
        COOP_UPLOAD_MAX_BYTES=str(4 * 1024**3),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_node(stack: Stack, name: str, flags: tuple[str, ...]) -> Any:
    """A fresh node with its own repo ``ipfs-<name>`` in the workdir, started and running.

    Started from the main thread: LocalNode asks Linux to stop the daemon when the *thread*
    that started it exits (PR_SET_PDEATHSIG), so a worker thread cannot do it."""
    # Imported when the run starts a node: the project's modules (and Django with them) are
    # not needed before, nor for --help.
    from ipfs.node import LocalNode

    node = LocalNode(
        stack.workdir / f"ipfs-{name}", api_port=0, gateway_port=0, project=ROOT, v8_flags=flags
    )
    stack.nodes.append(node)
    node.start()
    return node


def _start_nodes(stack: Stack, ours_flags: tuple[str, ...] | None) -> tuple[Any, Any]:
    from ipfs.node import NODE_V8_FLAGS

    ours = _start_node(stack, "ours", NODE_V8_FLAGS if ours_flags is None else ours_flags)
    # The baseline is stock js-ipfs: none of the V8 flags the project starts its node with, so
    # our tuning of the node cannot lower the bar (alone, the stock node adds at least as fast).
    baseline = _start_node(stack, "baseline", ())
    return ours, baseline


def start_site(stack: Stack, node_addr: str) -> tuple[str, str]:
    """Database, member and token, gunicorn and the Celery worker; returns (base URL, token)."""
    staging = stack.workdir / "staging"
    staging.mkdir()
    env = _env(node_addr, staging)
    recreate_database(ADMIN_DSN, DB_NAME)
    stack.database = True
    flush_broker()
    run_checked([str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput"], env, "migrate")
    script = (
        "from accounts.services import member_create, token_create\n"
        "m = member_create(username='bench', password=None, is_contributor=True)\n"
        "print(token_create(user=m.user, name='bench-ingest').key)\n"
    )
    out = run_checked([str(VENV_BIN / "python"), "manage.py", "shell", "-c", script], env, "shell")
    token = out.strip().splitlines()[-1]
    port = free_port()
    web = Service(
        "gunicorn",
        gunicorn_argv(
            "config.wsgi:application",
            port,
            "--workers",
            str(GUNICORN_WORKERS),
            "--worker-class",
            "sync",
            # A sync worker cannot report to the master mid-request; a 1 GB upload must not
            # look like a hung worker.
            "--timeout",
            "1800",
        ),
        env,
        stack.workdir / "gunicorn.log",
    )
    worker = Service(
        "celery",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(CELERY_CONCURRENCY),
            "--queues",
            QUEUE,
            "--hostname",
            f"bench-ingest-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        stack.workdir / "celery.log",
    )
    for service in (web, worker):
        stack.services.append(service)
        service.start()
    base_url = f"http://127.0.0.1:{port}"
    wait_http(f"{base_url}/api/v1/versions/0/", web)
    wait_log(worker, " ready.")
    return base_url, token


def split_cores(*, nodes: Sequence[int], rest: Sequence[int]) -> None:
    """Pin every thread of the node trees to CPU 1 and of the rest (and this script, whose
    children such as curl inherit it) to CPU 0."""
    if len(os.sched_getaffinity(0)) < 2:
        raise BenchError("--split-cores needs at least 2 CPUs")
    pin_to_cpu(1, nodes)
    pin_to_cpu(0, rest)
    os.sched_setaffinity(0, {0})


def flush_broker() -> None:
    # Redis db 13 is reserved for this benchmark; a stale run may have left tasks in it.
    flush_redis(BROKER_URL)


def _fmt_cpu(used: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.2f}" for name, seconds in used.items())


def _metered(
    stack_pids: Sequence[int],
    meter: CpuMeter,
    cpu: list[dict[str, float]],
    work: Any,
    args: tuple[Any, ...],
) -> Any:
    """``work(*args)`` on a settled stack; the CPU seconds it took, by process, go to ``cpu``."""
    settle(stack_pids)
    meter.start()
    done = work(*args)
    cpu.append(meter.stop())
    return done


def run_size(
    size_mb: int,
    reps: int,
    *,
    client: httpx.Client,
    baseline_port: int,
    datadir: Path,
    first_seed: int,
    ours_meter: CpuMeter,
    node_meter: CpuMeter,
    warmup: int = 0,
    relay: tuple[str, CpuMeter] | None = None,
) -> SizeResult:
    """``reps`` counted repetitions, after ``warmup`` uncounted ones (printed, marked)."""
    result = SizeResult(size_mb)
    meters = [ours_meter, node_meter] + ([relay[1]] if relay else [])
    stack_pids = [pid for meter in meters for pid in meter.roots.values()]
    for rep in range(warmup + reps):
        counted = rep >= warmup
        seed = first_seed + rep
        path = datadir / f"bench-{size_mb}mb-{rep}.csv"
        started = time.monotonic()
        write_csv(path, size_mb * MB, seed)
        generated = time.monotonic() - started
        sha_time, digest = sha256sum(path)

        title = f"bench {size_mb} MB #{rep}"

        # name: (meter, where its CPU seconds go, the measurement, its arguments)
        measures: dict[str, tuple[CpuMeter, list[dict[str, float]], Any, tuple[Any, ...]]] = {
            "node": (node_meter, result.node_cpu, node_add, (baseline_port, path)),
            "ours": (ours_meter, result.ours_cpu, upload_to_pinned, (client, path, title)),
        }
        if relay:
            url, relay_meter = relay
            measures["relay"] = (relay_meter, result.relay_cpu, relay_add, (url, path))

        # Rotate which goes first, so none always meets a warmer (or busier) machine.
        order = list(measures)
        shift = rep % len(order)
        measured = {
            name: _metered(stack_pids, *measures[name]) for name in order[shift:] + order[:shift]
        }
        path.unlink()
        node_time, node_cid = measured["node"]
        ours = measured["ours"]
        relay_time, relay_cid = measured.get("relay", (0.0, node_cid))
        if ours.cid != node_cid or relay_cid != node_cid:
            raise BenchError(f"CID mismatch: ours {ours.cid}, node {node_cid}, relay {relay_cid}")
        if ours.sha256 != digest:
            raise BenchError(f"sha256 mismatch: ours {ours.sha256}, sha256sum {digest}")
        cpu_ours, cpu_node = result.ours_cpu[-1], result.node_cpu[-1]
        relay_line = (
            f"        relay {relay_time:7.2f}s; CPU s relay: {_fmt_cpu(result.relay_cpu[-1])}\n"
            if relay
            else ""
        )
        if counted:
            result.ours.append(ours)
            result.node.append(node_time)
            result.sha.append(sha_time)
            if relay:
                result.relay.append(relay_time)
        else:
            del result.ours_cpu[-1], result.node_cpu[-1]
            if relay:
                del result.relay_cpu[-1]
        print(
            f"  {size_mb:>5} MB #{rep}{'' if counted else ' (warm-up, not counted)'}: "
            f"ours {ours.total:7.2f}s "
            f"(receive {ours.received:.2f} + handoff {ours.handoff:.2f} + add/pin "
            f"{ours.pinning:.2f}; {'pinned in the request, ' if ours.in_request else ''}"
            f"201 at {ours.response:.2f}s, API saw pinned at "
            f"{ours.observed:.2f}s, attempts {ours.attempts})  "
            f"node add {node_time:7.2f}s  sha256sum {sha_time:5.2f}s  "
            f"(generated in {generated:.1f}s)\n"
            f"        CPU s ours: {_fmt_cpu(cpu_ours)}; node add: {_fmt_cpu(cpu_node)}\n"
            f"{relay_line}",
            end="",
            flush=True,
        )
    return result


def _fmt_table(results: list[SizeResult]) -> str:
    lines = [
        "| size | runs | ours MB/s | node add MB/s | sha256sum MB/s | ours/node "
        "| peak RSS web | peak RSS worker | peak RSS node (ours / baseline) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.size_mb} MB | {len(r.ours)} | {r.ours_rate:.1f} | {r.node_rate:.1f} "
            f"| {r.sha_rate:.0f} | {r.ratio:.2f} | {r.rss_web:.0f} MB | {r.rss_worker:.0f} MB "
            f"| {r.rss_node:.0f} / {r.rss_node_baseline:.0f} MB |"
        )
    lines += [
        "",
        "Where our time goes (medians, seconds). Receive: first byte → version row, which"
        " includes the node's add fed as the bytes arrive. For a pin recorded in the request,"
        " handoff is 0 and add + pin check is the commit and the 201 reaching the client.",
        "",
        "| size | receive upload | handoff to worker | add + pin check | total "
        "| node add | receive MB/s | pinned in the request |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        med = statistics.median
        received = med(t.received for t in r.ours)
        lines.append(
            f"| {r.size_mb} MB | {received:.2f} | {med(t.handoff for t in r.ours):.2f} "
            f"| {med(t.pinning for t in r.ours):.2f} | {med(t.total for t in r.ours):.2f} "
            f"| {med(r.node):.2f} | {r.size_mb / received:.0f} "
            f"| {sum(t.in_request for t in r.ours)} of {len(r.ours)} |"
        )
    if any(r.relay for r in results):
        lines += [
            "",
            "The relay (--relay): the same files through a web process that only passes the"
            " body on to a third fresh node (no parsing, hashing or staging), sent by curl.",
            "",
            "| size | relay MB/s | relay/node | ours/relay |",
            "|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r.size_mb} MB | {r.rate(r.relay):.1f} | {r.relay_ratio:.2f} "
            f"| {r.ours_rate / r.rate(r.relay):.2f} |"
            for r in results
            if r.relay
        ]
    return "\n".join(lines)


def _targets(results: list[SizeResult]) -> list[str]:
    verdicts = []
    for r in results:
        met = r.ratio >= RATIO_TARGET
        verdicts.append(
            f"- throughput at {r.size_mb} MB: {r.ratio:.2f}x the node's own add "
            f"(target >= {RATIO_TARGET}x): {'MET' if met else 'NOT MET'}"
            + (
                f"; a web process that only relays the body reached {r.relay_ratio:.2f}x"
                if r.relay
                else ""
            )
        )
    largest, smallest = results[-1], results[0]
    for role, attr in (("web", "rss_web"), ("worker", "rss_worker")):
        peak, first = getattr(largest, attr), getattr(smallest, attr)
        under = peak < RSS_TARGET_MB
        flat = peak - first <= RSS_FLAT_TOLERANCE_MB
        verdicts.append(
            f"- {role} peak RSS after {largest.size_mb} MB: {peak:.0f} MB (after "
            f"{smallest.size_mb} MB: {first:.0f} MB); under {RSS_TARGET_MB:.0f} MB: "
            f"{'MET' if under else 'NOT MET'}; flat (growth <= {RSS_FLAT_TOLERANCE_MB:.0f} MB): "
            f"{'MET' if flat else 'NOT MET'}"
        )
    if largest.size_mb < 1000:
        verdicts.append("- (the RSS target is stated for 1 GB; this run stopped below it)")
    return verdicts


# --- where the time goes (--profile) -------------------------------------------------------


def _best_rate(size: int, runs: int, measure: Any) -> float:
    """MB/s of the fastest of ``runs`` calls (the least disturbed by other load)."""
    best = min(measure() for _ in range(runs))
    return float(size / MB / best)


def profile_components(workdir: Path, size_mb: int = 100, runs: int = 3) -> list[str]:
    """Rates of the pieces of the upload path on one file, each alone, in MB/s."""
    import hashlib
    import io

    path = workdir / "profile.csv"
    write_csv(path, size_mb * MB, seed=9)
    size = size_mb * MB
    # The profile runs in this process only, not in the measured ones; freed before the POSTs.
    held = {"data": path.read_bytes()}
    rows: list[tuple[str, float]] = []

    def timed(work: Any) -> Any:
        def run() -> float:
            started = time.perf_counter()
            work()
            return time.perf_counter() - started

        return run

    def sha_pass() -> None:
        digest = hashlib.sha256()
        view = memoryview(held["data"])
        for start in range(0, size, 65536):
            digest.update(view[start : start + 65536])

    rows.append(
        ("sha256 in Python (hashlib, 64 KiB updates)", _best_rate(size, runs, timed(sha_pass)))
    )

    from ipfs.cid import CidBuilder

    def cid_pass() -> None:
        builder, view = CidBuilder(), memoryview(held["data"])
        for start in range(0, size, 65536):
            builder.update(view[start : start + 65536])
        builder.finish()

    rows.append(("CID in Python (ipfs.cid.CidBuilder)", _best_rate(size, runs, timed(cid_pass))))

    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="1",
        COOP_STAGING_DIR=str(workdir / "profile-staging"),
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.http.multipartparser import MultiPartParser
    from django.test.client import RequestFactory

    from marketplace.uploads import StagedUpload, StagingUploadHandler

    boundary = "coop-bench-profile"
    length, body_iter = _multipart_body(path, size, boundary, {"title": "x"}, _Clock())
    held["body"] = b"".join(body_iter)
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "CONTENT_LENGTH": length}

    def parse() -> None:
        handler = StagingUploadHandler(RequestFactory().post("/"))
        _, files = MultiPartParser(meta, io.BytesIO(held["body"]), [handler]).parse()
        upload = files.get("file")
        if not isinstance(upload, StagedUpload) or upload.size != size:
            raise BenchError(f"the in-memory parse produced {upload!r}")
        upload.close()

    rows.append(
        (
            "Django multipart parse + StagingUploadHandler (sha256 + CID + disk), in memory",
            _best_rate(size, runs, timed(parse)),
        )
    )
    held.clear()
    port = free_port()
    sink = Service(
        "gunicorn sink",
        gunicorn_argv("bench.wsgi_sink:application", port, "--workers", "1", "--timeout", "600"),
        dict(os.environ),
        workdir / "sink.log",
    )
    sink.start()
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, sink)

        def httpx_post() -> None:
            length, body = _multipart_body(path, size, boundary, {}, _Clock())
            httpx.post(url, content=body, headers={"Content-Length": str(length)}, timeout=600)

        def curl_post() -> None:
            subprocess.run(curl_stream_argv(url, path), check=True, capture_output=True)

        rows.append(
            (
                "gunicorn sync worker reading the body, httpx client (no Django)",
                _best_rate(size, runs, timed(httpx_post)),
            )
        )
        rows.append(
            (
                "gunicorn sync worker reading the body, curl client (no Django)",
                _best_rate(size, runs, timed(curl_post)),
            )
        )
    finally:
        sink.stop()
        path.unlink(missing_ok=True)
    lines = [
        f"Pieces of the upload path alone, {size_mb} MB, best of {runs} (MB/s):",
        "",
        "| piece | MB/s |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {rate:.0f} |" for name, rate in rows]
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="file sizes in MB (10**6 bytes)")
    parser.add_argument(
        "--reps", default="", help="repetitions per size, e.g. 5,3,2 (default 5/3/2 by size)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--split-cores",
        action="store_true",
        help="run both IPFS nodes on CPU 1 and everything else (web, worker, this script, curl) "
        "on CPU 0, as when the node has cores of its own",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also time the pieces of the upload path alone"
    )
    parser.add_argument(
        "--relay",
        action="store_true",
        help="also pass each file through a web process that only relays it to a third fresh "
        "node: the ceiling for any upload path through a web process on this machine",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=0,
        help="uncounted repetitions before each size's counted ones (both paths; printed)",
    )
    parser.add_argument(
        "--node-flags",
        default=None,
        help="V8 flags for our node instead of the project's (ipfs.node.NODE_V8_FLAGS), "
        "given as --node-flags='--a --b'; --node-flags= runs it stock, like the baseline node",
    )
    args = parser.parse_args(argv)
    try:
        args.size_list = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
        if args.reps:
            reps = [int(s) for s in args.reps.split(",")]
            if len(reps) != len(args.size_list):
                parser.error("--reps needs one count per size")
            args.rep_list = reps
        else:
            args.rep_list = [DEFAULT_REPS.get(s, 3 if s <= 100 else 1) for s in args.size_list]
    except ValueError:
        parser.error("--sizes and --reps take comma-separated integers")
    if args.node_flags is not None:
        args.node_flags = tuple(args.node_flags.split())
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    if not args.size_list or min(args.size_list) < 1 or min(args.rep_list) < 1:
        parser.error("sizes and repetitions must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    for tool in ("curl", "sha256sum"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is needed")
    command = "make bench-ingest" if argv is None and len(sys.argv) == 1 else None
    command = command or ".venv/bin/python bench/ingest.py " + " ".join(sys.argv[1:])
    print(f"# ingest benchmark: {command.strip()}")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform_summary()}\n"
        "measured: upload -> pinned only (COOP_AFTER_PIN_TASK empty: no quality gate)\n"
        "node add baseline: curl to a second fresh js-ipfs node with the same profile, so "
        "no block of the file is already stored (a node dedupes blocks it has)\n"
        "MB = 10**6 bytes; files are fresh in the page cache for all three measurements; "
        "before each, the disk is synced and the stack (nodes, web, worker) left to go idle",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="coop-bench-ingest-", dir="/tmp"))
    stack = Stack(workdir)
    failed = True
    try:
        started = time.monotonic()
        ours_node, baseline_node = _start_nodes(stack, args.node_flags)
        print(f"our node's V8 flags: {' '.join(ours_node.v8_flags) or '(none)'}; baseline: none")
        base_url, token = start_site(stack, ours_node.api_addr)
        web, worker = stack.services
        relay: tuple[str, CpuMeter] | None = None
        node_pids = [ours_node.pid, baseline_node.pid]
        rest_pids = [web.pid, worker.pid]
        if args.relay:
            # A third fresh node, configured as ours: the relay must not find blocks the
            # other two already stored either.
            relay_node = _start_node(stack, "relay", ours_node.v8_flags)
            relay_url, relay_web = start_relay(stack, relay_node.api_addr)
            relay = (relay_url, CpuMeter({"web": relay_web.pid, "node": relay_node.pid}))
            node_pids.append(relay_node.pid)
            rest_pids.append(relay_web.pid)
        if args.split_cores:
            split_cores(nodes=node_pids, rest=rest_pids)
        print(
            f"started {len(node_pids)} nodes, postgres db, gunicorn, celery"
            f"{', the relay' if relay else ''} in {time.monotonic() - started:.0f}s"
        )
        datadir = workdir / "data"
        datadir.mkdir()
        results: list[SizeResult] = []
        ours_meter = CpuMeter({"web": web.pid, "worker": worker.pid, "node": ours_node.pid})
        node_meter = CpuMeter({"node": baseline_node.pid})
        with httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(None),
            headers={"Authorization": f"Token {token}", "Accept": "application/json"},
        ) as client:
            # Warm-up: imports, connections and the first task, not counted.
            run_size(
                1,
                1,
                client=client,
                baseline_port=baseline_node.api_port,
                datadir=datadir,
                first_seed=1,
                ours_meter=ours_meter,
                node_meter=node_meter,
                relay=relay,
            )
            for index, (size_mb, reps) in enumerate(
                zip(args.size_list, args.rep_list, strict=True)
            ):
                result = run_size(
                    size_mb,
                    reps,
                    client=client,
                    baseline_port=baseline_node.api_port,
                    datadir=datadir,
                    first_seed=100 * (index + 1),
                    ours_meter=ours_meter,
                    node_meter=node_meter,
                    warmup=args.warmup,
                    relay=relay,
                )
                result.rss_web, web_pids = peak_rss(web, children_only=True)
                result.rss_worker, worker_pids = peak_rss(worker, children_only=False)
                result.rss_node = max(vm_hwm_mb(p) or 0.0 for p in process_tree(ours_node.pid))
                result.rss_node_baseline = max(
                    vm_hwm_mb(p) or 0.0 for p in process_tree(baseline_node.pid)
                )
                print(
                    f"  after {size_mb} MB: peak RSS web {result.rss_web:.0f} MB "
                    f"(pids {web_pids}), worker {result.rss_worker:.0f} MB (pids {worker_pids}), "
                    f"node {result.rss_node:.0f} MB, baseline node "
                    f"{result.rss_node_baseline:.0f} MB",
                    flush=True,
                )
                results.append(result)
        print()
        print(_fmt_table(results))
        print()
        print("\n".join(_targets(results)))
        if args.profile:
            print()
            print("\n".join(profile_components(workdir)))
        print(f"\ntotal wall time {time.monotonic() - started:.0f}s")
        failed = False
        return 0
    except BenchError as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        for service in stack.services:
            print(f"--- {service.name} log tail ---\n{service.log_tail()}", file=sys.stderr)
        return 1
    finally:
        for service in reversed(stack.services):
            service.stop()
        for node in stack.nodes:
            with contextlib.suppress(Exception):
                node.stop()
        with contextlib.suppress(redis.RedisError):
            flush_broker()
        if stack.database:
            drop_database(ADMIN_DSN, DB_NAME)
        if args.keep or failed:
            print(f"work directory kept (logs only): {workdir}", file=sys.stderr)
            # Data, staged uploads and node blocks are large and useless after the run; the
            # logs (gunicorn.log, celery.log, ipfs-*/daemon.log) are what is worth keeping.
            for bulky in ("data", "staging", *(f"ipfs-{n}/blocks" for n in NODE_NAMES)):
                shutil.rmtree(workdir / bulky, ignore_errors=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""API benchmark: catalogue list and detail against a trivial DRF endpoint on the same server.

One run, all on 127.0.0.1, started and stopped by the script:

* a fresh PostgreSQL database (``coop_bench``), migrated and seeded with ``--datasets``
  datasets, each with an admitted version (plus a second for every third dataset), two offers
  and a contributor; and a buyer with an API token;
* gunicorn serving ``config.wsgi`` with 2 sync workers (persistent database connections);
* a load generator keeping 20 requests in flight (20 concurrent clients), each request
  authenticated with the token: by default ``wrk -t1 -c20`` for ``--seconds`` per endpoint, or
  (``--client httpx``) an asyncio + httpx loop for ``--requests`` requests per endpoint.

Why wrk by default: the client runs on the same two CPUs as the server. An asyncio + httpx
client spends about as much CPU per request as gunicorn, Django and DRF do to answer it, so it
takes half the machine and mostly measures itself (with the same server, the baseline went from
~430-550 req/s under httpx to ~1000-1100 req/s under wrk). wrk is C on one thread and leaves
the cores to the server. It comes from Debian (``make bench-tools`` installs it); a small Lua
script sets the token header, picks a random path per request and counts every response that
is not a 200. Any such response, or any socket error or timeout, fails the run.

Endpoints, measured in rounds (health, list, detail, repeated ``--rounds`` times) so that
drift on a shared machine hits each alike; the table shows the median over rounds:

* ``GET /api/v1/health/``: the baseline, a DRF view returning a constant (auth still runs);
* ``GET /api/v1/datasets/?page_size=20``: the catalogue's first page, 20 items with offers;
* ``GET /api/v1/datasets/{id}/``: a random dataset's detail.

Targets (issue 4): catalogue p99 < 50 ms and throughput >= 0.5 x the baseline's.

    .venv/bin/python bench/api.py                             # make bench-api (wrk)
    .venv/bin/python bench/api.py --seconds 3 --rounds 1      # a quick run
    .venv/bin/python bench/api.py --client httpx              # the Python client, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

# The project root, for bench.harness.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    PG_SERVER,
    VENV_BIN,
    BenchError,
    Service,
    drop_database,
    free_port,
    gunicorn_argv,
    recreate_database,
    run_checked,
    wait_http,
)

# Another name lets two checkouts benchmark on one server without dropping each other's database.
DB_NAME: Final = os.environ.get("BENCH_DB_NAME", "coop_bench")
PG_URL: Final = os.environ.get("BENCH_PG_URL", PG_SERVER)
ADMIN_DSN: Final = f"{PG_URL}/postgres"
CONCURRENCY: Final = 20
WRK: Final = "wrk"
# Well above any latency seen here: a request wrk gives up on would be missing from its
# percentiles (and counts as a socket error, which fails the run).
WRK_TIMEOUT_S: Final = 30


def site_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG_URL}/{DB_NAME}",
        DATABASE_CONN_MAX_AGE="600",
        DJANGO_SECRET_KEY="bench-only-secret-" + "b" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL="",
    )
    env.pop("DJANGO_DEBUG", None)
    return env


SEED = r"""
import sys
from accounts.services import member_create, token_create
from policy.services import policy_current as fee_policy_current
from licensing.models import LicenseOffer
from marketplace.models import Dataset, DatasetContributor, DatasetVersion

n = int(sys.argv[1])
owner = member_create(username="alice", password=None, is_contributor=True)
buyer = member_create(username="bob", password=None, is_contributor=False, is_buyer=True)
fee_policy_current()
schema = [{"name": "city", "type": "string"}, {"name": "pm25", "type": "float64"}]
for i in range(n):
    d = Dataset.objects.create(
        title=f"Dataset {i}", description=f"Synthetic dataset number {i}", license="CC-BY-4.0",
        created_by=owner.user,
    )
    DatasetContributor.objects.create(dataset=d, user=owner.user)
    for number in range(1, 3 if i % 3 == 0 else 2):
        DatasetVersion.objects.create(
            dataset=d, number=number, cid=f"bafkbench{i:06d}v{number}", sha256="0" * 64,
            size=1000 + i, format="csv", license="CC-BY-4.0", original_filename="d.csv",
            uploaded_by=owner.user, status="admitted", schema=schema, row_count=100 + i,
        )
    LicenseOffer.objects.create(dataset=d, license="CC-BY-4.0", use="research", price=500 + i,
                                duration_days=30, created_by=owner.user)
    LicenseOffer.objects.create(dataset=d, license="CC-BY-4.0", use="commercial",
                                price=5000 + i, created_by=owner.user)
print(token_create(user=buyer.user, name="bench").key)
print(",".join(str(pk) for pk in Dataset.objects.values_list("pk", flat=True)))
"""


def migrate_and_seed(env: dict[str, str], datasets: int) -> tuple[str, list[int]]:
    manage = [str(VENV_BIN / "python"), "manage.py"]
    run_checked([*manage, "migrate", "--noinput"], env, "migrate")
    out = run_checked(
        [*manage, "shell", "-c", f"import sys; sys.argv = ['', '{datasets}']\n{SEED}"],
        env,
        "seeding",
    ).split()
    return out[-2], [int(pk) for pk in out[-1].split(",")]


def start_gunicorn(env: dict[str, str], port: int) -> Service:
    """gunicorn with 2 sync workers; its warnings go to this script's stderr, and it is stopped
    through its master, which logs nothing when it stops its workers itself."""
    gunicorn = Service(
        "gunicorn",
        gunicorn_argv(
            "config.wsgi:application",
            port,
            "--workers",
            "2",
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
        ),
        env,
        log_path=None,
        signal_group=False,
    )
    gunicorn.start()
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v1/health/", gunicorn)
    except BenchError:
        gunicorn.stop()
        raise
    return gunicorn


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float


async def drive(base: str, token: str, name: str, paths: list[str], requests: int) -> Result:
    """``requests`` requests with CONCURRENCY in flight; every response must be a 200."""
    latencies: list[float] = []
    remaining = requests
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker(seed: int) -> None:
            nonlocal remaining
            rng = random.Random(seed)
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                response = await client.get(rng.choice(paths))
                latencies.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {response.status_code} {response.text[:200]}")

        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return Result(
        name=name,
        rps=len(latencies) / elapsed,
        p50_ms=1000 * latencies[len(latencies) // 2],
        p99_ms=1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )


# Per request: a random path from PATHS (seeded, so every round asks for the same sequence) with
# the token header. Statuses other than 200 are counted in the thread's state and reported by
# ``done`` (wrk's own "Non-2xx or 3xx responses" line leaves out 3xx and its threads' counts
# are only reachable through ``setup``).
WRK_SCRIPT: Final = """
local paths = %(paths)s
local threads = {}
wrk.headers["Authorization"] = %(authorization)s

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_ok = 0
  math.randomseed(%(seed)d)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("not_ok")
  end
  io.write(string.format("Not 200: %%d\\n", total))
end
"""


def lua_string(text: str) -> str:
    # JSON string escapes (quotes, backslashes, control characters) are valid in Lua strings.
    return json.dumps(text)


def wrk_script(token: str, paths: list[str], seed: int) -> str:
    return WRK_SCRIPT % {
        "paths": "{" + ", ".join(lua_string(p) for p in paths) + "}",
        "authorization": lua_string(f"Token {token}"),
        "seed": seed,
    }


UNITS_MS: Final = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_ms(text: str) -> float:
    """A wrk duration such as ``812.00us``, ``12.34ms`` or ``1.02s``, in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * UNITS_MS[match[2]]


def parse_wrk(name: str, output: str) -> Result:
    """Requests/sec and the 50% and 99% lines of ``wrk --latency``; a run with any response
    other than 200, any socket error or timeout is refused."""

    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, re.MULTILINE)

    problems = []
    not_ok = find(r"^Not 200: (\d+)$")
    if not_ok is None or int(not_ok[1]) > 0:
        problems.append(f"responses other than 200: {not_ok[1] if not_ok else 'unknown'}")
    if non_2xx := find(r"Non-2xx or 3xx responses: (\d+)"):
        problems.append(f"non-2xx or 3xx responses: {non_2xx[1]}")
    if errors := find(r"Socket errors: (.*)$"):
        problems.append(f"socket errors: {errors[1]}")
    rps = find(r"^Requests/sec:\s+([\d.]+)")
    # wrk pads latencies of a second or more ("99%    1.00s "), so a line may end in blanks.
    p50 = find(r"^\s+50%\s+(\S+)\s*$")
    p99 = find(r"^\s+99%\s+(\S+)\s*$")
    if rps is None or p50 is None or p99 is None:
        problems.append("no Requests/sec or latency distribution in wrk's output")
    if problems:
        raise SystemExit(f"{name}: " + "; ".join(problems) + "\n" + output)
    assert rps is not None and p50 is not None and p99 is not None
    return Result(name=name, rps=float(rps[1]), p50_ms=parse_ms(p50[1]), p99_ms=parse_ms(p99[1]))


def drive_wrk(
    base: str, token: str, name: str, paths: list[str], seconds: int, seed: int
) -> Result:
    """``wrk -t1 -c20`` for ``seconds``: one thread keeping CONCURRENCY connections busy."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-api-") as script:
        script.write(wrk_script(token, paths, seed))
        script.flush()
        completed = subprocess.run(
            [
                WRK,
                "-t1",
                f"-c{CONCURRENCY}",
                f"-d{seconds}s",
                f"--timeout={WRK_TIMEOUT_S}s",
                "--latency",
                "-s",
                script.name,
                base + paths[0],
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise SystemExit(f"{name}: wrk exited with {completed.returncode}\n{completed.stderr}")
    return parse_wrk(name, completed.stdout)


def load(average: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in average)


def median_result(runs: list[Result]) -> Result:
    return Result(
        name=runs[0].name,
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=300)
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk")
    parser.add_argument(
        "--seconds", type=int, default=10, help="wrk: duration per endpoint and round"
    )
    parser.add_argument(
        "--warmup-seconds", type=int, default=5, help="wrk: warm-up duration per endpoint"
    )
    parser.add_argument(
        "--requests", type=int, default=1000, help="httpx: requests per endpoint and round"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.client == "wrk" and shutil.which(WRK) is None:
        raise SystemExit(
            "wrk is not installed: `make bench-tools` (Debian's wrk package), or run with "
            "--client httpx"
        )

    load_before = os.getloadavg()
    env = site_env()
    recreate_database(ADMIN_DSN, DB_NAME)
    gunicorn = None
    try:
        token, dataset_ids = migrate_and_seed(env, args.datasets)
        port = free_port()
        gunicorn = start_gunicorn(env, port)
        base = f"http://127.0.0.1:{port}"
        endpoints = {
            "health (baseline)": ["/api/v1/health/"],
            "catalogue list": ["/api/v1/datasets/?page_size=20"],
            "catalogue detail": [f"/api/v1/datasets/{pk}/" for pk in dataset_ids],
        }

        def measure(name: str, paths: list[str], warmup: bool, round_: int) -> Result:
            if args.client == "httpx":
                count = 300 if warmup else args.requests
                return asyncio.run(drive(base, token, name, paths, count))
            seconds = args.warmup_seconds if warmup else args.seconds
            return drive_wrk(base, token, name, paths, seconds, seed=round_)

        for name, paths in endpoints.items():  # warm up workers, connections and caches
            measure(name, paths, warmup=True, round_=0)
        runs: dict[str, list[Result]] = {name: [] for name in endpoints}
        for round_ in range(1, args.rounds + 1):
            for name, paths in endpoints.items():
                runs[name].append(measure(name, paths, warmup=False, round_=round_))
    except BenchError as error:
        raise SystemExit(str(error)) from None
    finally:
        if gunicorn is not None:
            gunicorn.stop(grace=30)
        drop_database(ADMIN_DSN, DB_NAME)

    results = [median_result(r) for r in runs.values()]
    baseline = results[0].rps
    per_round = (
        f"wrk -t1 -c{CONCURRENCY} for {args.seconds} s (warm-up {args.warmup_seconds} s)"
        if args.client == "wrk"
        else f"httpx, {args.requests} requests (warm-up 300)"
    )
    print(
        f"\n{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"{args.datasets} datasets · client: {per_round} per endpoint x {args.rounds} rounds · "
        f"{CONCURRENCY} concurrent clients · gunicorn 2 sync workers · load average "
        f"{load(load_before)} before the run, {load(os.getloadavg())} after"
    )
    print("\n| endpoint | req/s | x baseline | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.name} | {r.rps:.0f} | {r.rps / baseline:.2f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} |"
        )
    print("\nEach round (req/s, p50 ms, p99 ms):\n")
    for name, rounds in runs.items():
        cells = ", ".join(f"{r.rps:.0f} / {r.p50_ms:.1f} / {r.p99_ms:.1f}" for r in rounds)
        print(f"- {name}: {cells}")
    failures = [
        f"{r.name}: p99 {r.p99_ms:.1f} ms >= 50 ms" for r in results[1:] if r.p99_ms >= 50
    ] + [
        f"{r.name}: {r.rps / baseline:.2f} x baseline < 0.5"
        for r in results[1:]
        if r.rps < 0.5 * baseline
    ]
    print("\nTargets: " + ("met" if not failures else "MISSED: " + "; ".join(failures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

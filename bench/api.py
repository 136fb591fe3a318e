"""API benchmark: catalogue list and detail against a trivial DRF endpoint on the same server.

One run, all on 127.0.0.1, started and stopped by the script:

* a fresh PostgreSQL database (``coop_bench``), migrated and seeded with ``--datasets``
  datasets, each with an admitted version (plus a second for every third dataset), two offers
  and a contributor; and a buyer with an API token;
* gunicorn serving ``config.wsgi`` with 2 sync workers (persistent database connections);
* an asyncio + httpx client keeping 20 requests in flight (20 concurrent clients), each
  request authenticated with the token, for a fixed number of requests per endpoint.

Endpoints, measured in rounds (health, list, detail, repeated ``--rounds`` times) so that
drift on a shared machine hits each alike; the table shows the median over rounds:

* ``GET /api/v1/health/``: the baseline, a DRF view returning a constant (auth still runs);
* ``GET /api/v1/datasets/?page_size=20``: the catalogue's first page, 20 items with offers;
* ``GET /api/v1/datasets/{id}/``: a random dataset's detail.

Targets (issue 4): catalogue p99 < 50 ms and throughput >= 0.5 x the baseline's.

    .venv/bin/python bench/api.py                         # make bench-api
    .venv/bin/python bench/api.py --requests 500 --rounds 1   # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import psycopg

ROOT: Final = Path(__file__).resolve().parent.parent
VENV_BIN: Final = Path(sys.executable).parent
DB_NAME: Final = "coop_bench"
PG_URL: Final = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
CONCURRENCY: Final = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database() -> None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


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
from ledger.services import fee_policy_current
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
    subprocess.run(
        [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    out = subprocess.run(
        [*manage, "shell", "-c", f"import sys; sys.argv = ['', '{datasets}']\n{SEED}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out[-2], [int(pk) for pk in out[-1].split(",")]


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health/", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


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
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    env = site_env()
    recreate_database()
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
        for name, paths in endpoints.items():  # warm up workers, connections and caches
            asyncio.run(drive(base, token, name, paths, 300))
        runs: dict[str, list[Result]] = {name: [] for name in endpoints}
        for _ in range(args.rounds):
            for name, paths in endpoints.items():
                runs[name].append(asyncio.run(drive(base, token, name, paths, args.requests)))
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    results = [median_result(r) for r in runs.values()]
    baseline = results[0].rps
    print(
        f"\n{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"{args.datasets} datasets · {args.requests} requests x {args.rounds} rounds per "
        f"endpoint · {CONCURRENCY} concurrent clients · gunicorn 2 sync workers"
    )
    print("\n| endpoint | req/s | x baseline | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.name} | {r.rps:.0f} | {r.rps / baseline:.2f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} |"
        )
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

"""Lineage traversal at scale: the API's recursive CTE on PostgreSQL against a networkx baseline.

    .venv/bin/python bench/lineage.py [--dsn postgres://postgres@127.0.0.1:5432/postgres]
        [--against REV] [--db-name NAME]

Builds a synthetic provenance graph of 100,000 nodes and 500,000 edges in its own database
(``coop_bench_lineage`` or ``--db-name``, created and dropped here), in tables with the same
names, columns and indexes as the project's (see the docstring of ``provenance.lineage``),
bulk-loaded with COPY. It then times upstream and downstream walks at depth 10 from random
starting nodes with exactly the SQL the API runs (``provenance.lineage.walk_sql`` with the
public visibility, through a client-side-binding cursor as Django uses), and, in the same run,
the same walks in networkx after loading the same edges into a DiGraph.

``--against REV`` also times the traversal of another commit (its ``provenance/lineage.py``,
read with ``git show`` into a throwaway module) on the same database and the same starts,
alternating which of the two goes first at each start, so both see the same load; it prints
both and the ratio of their p95s. Its answers must equal the current ones except upstream of a
dataset, where the current walk also goes through the dataset's versions (a superset).

The graph's shape follows the cooperative: 5,000 members, 10,000 datasets, 60,000 versions,
15,000 training runs and 10,000 models. Versions belong to 300 subject domains; a derived
version's parents are earlier versions of its own domain (derivation stays within a field), and
a run uses versions from one or two domains. Edges: 20,000 contributed, 60,000 uploaded,
60,000 dataset→version, 135,000 derived, 200,000 used, 15,000 generated, 10,000 owns.
"""

import argparse
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import networkx as nx
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import drop_database, recreate_database
from provenance.lineage import EDGES_SQL, PUBLIC, Direction, Node, run_walk

DB_NAME = "coop_bench_lineage"
MEMBERS, DATASETS, VERSIONS, RUNS, MODELS = 5_000, 10_000, 60_000, 15_000, 10_000
DOMAINS = 300
DERIVATIONS, USES = 135_000, 200_000
DEPTH = 10
SAMPLES = 300
SEED = 20260101

SCHEMA = """
CREATE TABLE auth_user (id integer PRIMARY KEY);
CREATE TABLE marketplace_dataset (id bigint PRIMARY KEY, created_at timestamptz NOT NULL);
CREATE TABLE marketplace_datasetcontributor (
    id bigint PRIMARY KEY, dataset_id bigint NOT NULL, user_id integer NOT NULL,
    share_weight integer NOT NULL, UNIQUE (dataset_id, user_id));
CREATE INDEX ON marketplace_datasetcontributor (user_id);
CREATE TABLE marketplace_datasetversion (
    id bigint PRIMARY KEY, dataset_id bigint NOT NULL, uploaded_by_id integer NOT NULL,
    status varchar(10) NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX ON marketplace_datasetversion (dataset_id);
CREATE INDEX ON marketplace_datasetversion (uploaded_by_id);
CREATE INDEX ON marketplace_datasetversion (status);
CREATE INDEX version_dataset_status ON marketplace_datasetversion (dataset_id, status);
CREATE TABLE marketplace_versionderivation (
    id bigint PRIMARY KEY, child_id bigint NOT NULL, parent_id bigint NOT NULL,
    weight numeric(7, 6) NOT NULL, created_at timestamptz NOT NULL, UNIQUE (child_id, parent_id));
CREATE INDEX ON marketplace_versionderivation (child_id);
CREATE INDEX ON marketplace_versionderivation (parent_id);
CREATE INDEX derivation_parent_child ON marketplace_versionderivation (parent_id, child_id);
CREATE TABLE provenance_model (
    id bigint PRIMARY KEY, owner_id integer NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX ON provenance_model (owner_id);
CREATE TABLE provenance_trainingrun (
    id bigint PRIMARY KEY, model_id bigint NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX ON provenance_trainingrun (model_id);
CREATE TABLE provenance_trainingruninput (
    id bigint PRIMARY KEY, run_id bigint NOT NULL, version_id bigint NOT NULL,
    weight numeric(24, 6) NOT NULL, created_at timestamptz NOT NULL,
    UNIQUE (run_id, version_id));
CREATE INDEX ON provenance_trainingruninput (run_id);
CREATE INDEX ON provenance_trainingruninput (version_id);
CREATE INDEX run_input_version_run ON provenance_trainingruninput (version_id, run_id);
"""


def admin_dsn(dsn: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(dsn, dbname=dbname)


class Synthetic:
    """The graph as Python lists, so the same edges feed both PostgreSQL and networkx."""

    def __init__(self, rng: random.Random) -> None:
        t0 = datetime(2025, 1, 1, tzinfo=UTC)

        def when() -> datetime:
            return t0 + timedelta(seconds=rng.randrange(365 * 86400))

        self.datasets = [(d, when()) for d in range(1, DATASETS + 1)]
        contributors: set[tuple[int, int]] = set()
        for d in range(1, DATASETS + 1):
            contributors.add((d, rng.randrange(1, MEMBERS + 1)))
        while len(contributors) < 20_000:
            contributors.add((rng.randrange(1, DATASETS + 1), rng.randrange(1, MEMBERS + 1)))
        self.contributors = sorted(contributors)
        owner: dict[int, int] = {}
        for d, u in self.contributors:
            owner.setdefault(d, u)
        # Versions: 200 per domain; datasets are runs of consecutive versions in one domain.
        per_domain = VERSIONS // DOMAINS
        self.versions = []
        self.domain_of = {}
        for v in range(1, VERSIONS + 1):
            dataset = min(DATASETS, (v - 1) * DATASETS // VERSIONS + 1)
            self.domain_of[v] = (v - 1) // per_domain
            self.versions.append((v, dataset, owner[dataset], when()))
        derivations: set[tuple[int, int]] = set()
        while len(derivations) < DERIVATIONS:
            child = rng.randrange(1, VERSIONS + 1)
            start = self.domain_of[child] * per_domain + 1
            if child - start < 20:  # the first versions of a domain are original data
                continue
            parent = rng.randrange(max(start, child - 50), child)
            derivations.add((child, parent))
        self.derivations = sorted(derivations)
        self.models = [(m, rng.randrange(1, MEMBERS + 1), when()) for m in range(1, MODELS + 1)]
        self.runs = [
            (r, (r - 1) % MODELS + 1 if r <= MODELS else rng.randrange(1, MODELS + 1), when())
            for r in range(1, RUNS + 1)
        ]
        uses: set[tuple[int, int]] = set()
        run_domains = {r: rng.sample(range(DOMAINS), 2) for r in range(1, RUNS + 1)}
        while len(uses) < USES:
            r = rng.randrange(1, RUNS + 1)
            domain = rng.choice(run_domains[r])
            uses.add((r, domain * per_domain + rng.randrange(1, per_domain + 1)))
        self.uses = sorted(uses)

    def edges(self) -> Iterator[tuple[str, str]]:
        """(src, dst) node keys, as provenance.lineage defines the edges."""
        for d, u in self.contributors:
            yield f"member:{u}", f"dataset:{d}"
        for v, d, u, _ in self.versions:
            yield f"member:{u}", f"version:{v}"
            yield f"dataset:{d}", f"version:{v}"
        for child, parent in self.derivations:
            yield f"version:{parent}", f"version:{child}"
        for r, v in self.uses:
            yield f"version:{v}", f"run:{r}"
        for r, m, _ in self.runs:
            yield f"run:{r}", f"model:{m}"
        for m, u, _ in self.models:
            yield f"member:{u}", f"model:{m}"

    def nodes(self) -> list[str]:
        return (
            [f"member:{u}" for u in range(1, MEMBERS + 1)]
            + [f"dataset:{d}" for d in range(1, DATASETS + 1)]
            + [f"version:{v}" for v in range(1, VERSIONS + 1)]
            + [f"run:{r}" for r in range(1, RUNS + 1)]
            + [f"model:{m}" for m in range(1, MODELS + 1)]
        )


def copy_rows(cur: psycopg.Cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    with cur.copy(
        sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
    ) as copy:
        for row in rows:
            copy.write_row(row)


def load(conn: psycopg.Connection, g: Synthetic, rng: random.Random) -> None:
    with conn.cursor() as cur:
        cur.execute(SCHEMA)
        copy_rows(cur, "auth_user", ["id"], [(u,) for u in range(1, MEMBERS + 1)])
        copy_rows(cur, "marketplace_dataset", ["id", "created_at"], g.datasets)
        copy_rows(
            cur,
            "marketplace_datasetcontributor",
            ["id", "dataset_id", "user_id", "share_weight"],
            [(i, d, u, 1) for i, (d, u) in enumerate(g.contributors, 1)],
        )
        copy_rows(
            cur,
            "marketplace_datasetversion",
            ["id", "dataset_id", "uploaded_by_id", "status", "created_at"],
            [(v, d, u, "admitted", t) for v, d, u, t in g.versions],
        )
        copy_rows(
            cur,
            "marketplace_versionderivation",
            ["id", "child_id", "parent_id", "weight", "created_at"],
            [(i, c, p, "0.1", g.versions[c - 1][3]) for i, (c, p) in enumerate(g.derivations, 1)],
        )
        copy_rows(cur, "provenance_model", ["id", "owner_id", "created_at"], g.models)
        copy_rows(cur, "provenance_trainingrun", ["id", "model_id", "created_at"], g.runs)
        copy_rows(
            cur,
            "provenance_trainingruninput",
            ["id", "run_id", "version_id", "weight", "created_at"],
            [
                (i, r, v, rng.randrange(1, 10_000), g.runs[r - 1][2])
                for i, (r, v) in enumerate(g.uses, 1)
            ],
        )
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, timings: list[float], sizes: list[int]) -> str:
    return (
        f"| {name} | {len(timings)} | {statistics.median(timings):.1f} | {pct(timings, 0.95):.1f} "
        f"| {max(timings):.1f} | {statistics.mean(sizes):.0f} | {max(sizes)} |"
    )


DIRECTIONS: tuple[Direction, ...] = ("upstream", "downstream")
# A walk: (cursor, node key, direction) → the node keys it reached.
Walk = Callable[[psycopg.Cursor, str, Direction], set[str]]


def current_walk(cursor: psycopg.Cursor, key: str, direction: Direction) -> set[str]:
    node_type, node_id = key.split(":")
    graph = run_walk(
        cursor,
        roots=[Node(node_type, int(node_id))],
        direction=direction,
        depth=DEPTH,
        visibility=PUBLIC,
    )
    return {node.key for node in graph.nodes}


def walk_of_commit(rev: str) -> Walk:
    """The traversal as commit ``rev`` wrote it, loaded from git into a throwaway module."""
    repo = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{rev}:provenance/lineage.py"],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"lineage_at_{rev}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:provenance/lineage.py", "exec"), module.__dict__)  # noqa: S102

    def walk(cursor: psycopg.Cursor, key: str, direction: Direction) -> set[str]:
        node_type, node_id = key.split(":")
        graph = module.run_walk(
            cursor, root_type=node_type, root_id=int(node_id), direction=direction, depth=DEPTH
        )
        return set(graph.nodes)

    return walk


def timed(
    walk: Walk, cursor: psycopg.Cursor, key: str, direction: Direction
) -> tuple[float, set[str]]:
    t = time.perf_counter()
    reached = walk(cursor, key, direction)
    return (time.perf_counter() - t) * 1000, reached


def networkx_reach(
    digraph: nx.DiGraph, reverse: nx.DiGraph, key: str, direction: str, datasets_as_versions: bool
) -> set[str]:
    """What a walk must reach. Upstream of a dataset, the current walk also steps down to the
    dataset's versions and goes upstream from them (a dataset stands for its versions)."""
    graph = reverse if direction == "upstream" else digraph
    reached = set(nx.single_source_shortest_path_length(graph, key, cutoff=DEPTH))
    if datasets_as_versions and direction == "upstream" and key.startswith("dataset:"):
        for version in digraph.successors(key):
            reached |= set(nx.single_source_shortest_path_length(reverse, version, DEPTH - 1))
    return reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db-name", default=DB_NAME, help="the database to create and drop")
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--keep", action="store_true", help="keep the database to inspect plans")
    parser.add_argument(
        "--against", metavar="REV", help="also time this commit's traversal, interleaved"
    )
    args = parser.parse_args()
    rng = random.Random(SEED)
    began = time.perf_counter()
    walks: dict[str, Walk] = {"current": current_walk}
    if args.against:
        walks[args.against] = walk_of_commit(args.against)

    t = time.perf_counter()
    g = Synthetic(rng)
    edges = list(g.edges())
    nodes = g.nodes()
    assert len(nodes) == 100_000, len(nodes)
    assert len(edges) == 500_000, len(edges)
    print(
        f"generated {len(nodes):,} nodes and {len(edges):,} edges in {time.perf_counter() - t:.1f}s"
    )

    recreate_database(args.dsn, args.db_name, force=False)
    # (walk name, direction) → per-start timings and answers, in the order of ``starts``
    timings: dict[tuple[str, Direction], list[float]] = {}
    results: dict[tuple[str, Direction], list[set[str]]] = {}
    try:
        with psycopg.connect(admin_dsn(args.dsn, args.db_name)) as conn:
            t = time.perf_counter()
            load(conn, g, rng)
            print(f"loaded PostgreSQL (COPY + indexes + ANALYZE) in {time.perf_counter() - t:.1f}s")
            conn.autocommit = True
            starts = rng.sample(nodes, args.samples)
            cursor = psycopg.ClientCursor(conn)  # Django's default: client-side binding
            for direction in DIRECTIONS:
                # warm the cache, as a running server would be
                for walk in walks.values():
                    for key in starts[:20]:
                        walk(cursor, key, direction)
                for i, key in enumerate(starts):
                    # Alternate which walk goes first, so neither always meets a colder cache.
                    order = list(walks.items())
                    for name, walk in order if i % 2 == 0 else reversed(order):
                        ms, reached = timed(walk, cursor, key, direction)
                        timings.setdefault((name, direction), []).append(ms)
                        results.setdefault((name, direction), []).append(reached)
            # The baseline loads the same edge set from the same database into memory.
            t = time.perf_counter()
            digraph = nx.DiGraph()
            digraph.add_nodes_from(nodes)
            with conn.cursor() as cur:
                edge_sql = f"SELECT src_type, src_id, dst_type, dst_id FROM ({EDGES_SQL}) e"  # noqa: S608
                cur.execute(edge_sql)
                digraph.add_edges_from((f"{st}:{si}", f"{dt}:{di}") for st, si, dt, di in cur)
            nx_load = time.perf_counter() - t
            assert digraph.number_of_edges() == len(edges)
    finally:
        if not args.keep:
            drop_database(args.dsn, args.db_name, force=False)

    rows = []
    for (name, direction), times in timings.items():
        sizes = [len(r) for r in results[(name, direction)]]
        label = "PostgreSQL recursive CTE" + ("" if name == "current" else f" at {name}")
        rows.append(summary(f"{label}, {direction}", times, sizes))
        if direction == "upstream":
            # The starts whose answers did not change (all but datasets), for a like-for-like view.
            same = [i for i, key in enumerate(starts) if not key.startswith("dataset:")]
            rows.append(
                summary(
                    f"{label}, upstream, non-dataset starts",
                    [times[i] for i in same],
                    [sizes[i] for i in same],
                )
            )
    reverse = digraph.reverse(copy=False)
    for direction in DIRECTIONS:
        nx_timings, sizes = [], []
        for i, key in enumerate(starts):
            t = time.perf_counter()
            reached = nx.single_source_shortest_path_length(
                reverse if direction == "upstream" else digraph, key, cutoff=DEPTH
            )
            nx_timings.append((time.perf_counter() - t) * 1000)
            sizes.append(len(reached))
            # Every implementation must agree with networkx on what is reachable.
            for name in walks:
                expected = networkx_reach(digraph, reverse, key, direction, name == "current")
                assert results[(name, direction)][i] == expected, (name, direction, key)
        rows.append(summary(f"networkx in memory, {direction}", nx_timings, sizes))

    print()
    print(f"depth {DEPTH}, {args.samples} random start nodes (all node types), same starts for all")
    print("| traversal | queries | p50 ms | p95 ms | max ms | mean nodes reached | max nodes |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print()
    if args.against:
        for direction in ("upstream", "downstream"):
            now, then = (pct(timings[(n, direction)], 0.95) for n in ("current", args.against))
            print(f"p95 {direction}: current / {args.against} = {now:.1f} / {then:.1f} ms", end="")
            print(f" = {now / then:.2f}x")
    print(
        f"networkx baseline: reading the 500,000 edges from PostgreSQL into a DiGraph took "
        f"{nx_load:.1f}s (not in its per-query times; the CTE needs no load at all)."
    )
    print(f"total run time {time.perf_counter() - began:.0f}s.")


if __name__ == "__main__":
    main()

"""The provenance graph's edge set and its traversal, as SQL that runs on PostgreSQL and SQLite.

The edge set
------------
Every edge lives in the table that already owns the fact: derivations in
``marketplace_versionderivation``, membership and uploads on ``marketplace_datasetversion``,
contributors in ``marketplace_datasetcontributor``, runs and their inputs and models here.
``EDGE_SOURCES`` below lists them, one entry per kind of edge; every query that walks the
graph is generated from that list, so the graph has a single definition and cannot drift from
the facts: nothing copies rows into a denormalised edge table, and marketplace (which comes
before provenance in the flow) never needs to know this app exists. It is deliberately not a
database VIEW: SQLite refuses to rename a table a view depends on, which would break every
later migration that rebuilds one of these tables (Django rebuilds tables on SQLite for most
alterations), and on PostgreSQL a plain join against a union of the edge tables is planned as
a hash over all edges at every step (measured: seconds at 500,000 edges), where a LATERAL
union of per-table probes takes milliseconds.

Each edge points the way data flows, ``src → dst``:

==================  ===========  =====================================================
src → dst           kind         from
==================  ===========  =====================================================
member → dataset    contributed  DatasetContributor (dated by the dataset's creation)
member → version    uploaded     DatasetVersion.uploaded_by
dataset → version   version      DatasetVersion.dataset
version → version   derived      VersionDerivation (parent → child, royalty weight)
version → run       used         TrainingRunInput (attribution weight)
run → model         generated    TrainingRun.model
member → model      owns         Model.owner
==================  ===========  =====================================================

Only admitted versions are part of the public graph; a dataset appears once it has one.

Upstream of a node means following edges backwards (towards sources: contributors, parent
versions, datasets); downstream means following them forwards (towards runs and models).

The traversal
-------------
A recursive CTE (``walk_sql``). The walk's rows are ``(node_type, node_id, depth)`` and the
CTE uses ``UNION`` (not ``UNION ALL``): a node reached again at a depth it already has adds no row,
and ``depth < :max`` stops every path, so a cycle can never loop (derivation cycles are
rejected anyway, this is the belt to those braces). On PostgreSQL each step joins the frontier
LATERALly to the union of the edge tables, each branch filtered by the frontier node, so a step
is one index probe per edge table whose near-end type matches, never a load of the graph.
SQLite (no LATERAL) joins the frontier to the union as a derived table: exact, and fast enough
for the embedded single-user setup. ``as_of`` keeps only edges created by then. The answer's
edges are those leaving each reached node short of the depth limit.

Indexes each step relies on (all exist on the tables above; Django creates FK indexes):

- upstream (look up by ``dst``): ``marketplace_versionderivation(child_id)`` (FK index),
  ``marketplace_datasetversion`` primary key, ``marketplace_datasetcontributor(dataset_id)``
  (unique (dataset, user)), ``provenance_trainingruninput(run_id, version_id)`` (unique),
  ``provenance_trainingrun(model_id)`` (FK), ``provenance_model`` primary key;
- downstream (look up by ``src``): ``derivation_parent_child (parent_id, child_id)``,
  ``version_dataset_status (dataset_id, status)``, ``datasetversion(uploaded_by_id)`` (FK),
  ``datasetcontributor(user_id)`` (FK), ``run_input_version_run (version_id, run_id)``,
  ``provenance_trainingrun`` primary key, ``provenance_model(owner_id)`` (FK);
- the contributed edge's "dataset has an admitted version" test uses
  ``version_dataset_status (dataset_id, status)``; the derived edge's "child admitted" test
  the version primary key.

User ids are ``integer`` and every other id ``bigint``; the comparison ``user_id = node_id``
is a cross-type btree operator, so those indexes are used too.

This module builds and runs SQL only; it takes no Django models, so ``bench/lineage.py``
measures exactly the query the API runs.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

NODE_TYPES = ("dataset", "version", "model", "run", "member")
Direction = Literal["upstream", "downstream"]
Vendor = Literal["postgresql", "sqlite"]


@dataclass(frozen=True)
class EdgeSource:
    """One kind of edge and the table that holds it: the single definition of the edge set."""

    kind: str
    src_type: str
    src_id: str  # column holding the source node's id
    dst_type: str
    dst_id: str
    weight: str  # column, or NULL
    created_at: str
    tables: str  # FROM clause
    condition: str = ""  # extra WHERE condition


EDGE_SOURCES = (
    EdgeSource(
        "contributed", "member", "c.user_id", "dataset", "c.dataset_id", "NULL", "d.created_at",
        "marketplace_datasetcontributor c JOIN marketplace_dataset d ON d.id = c.dataset_id",
        "EXISTS (SELECT 1 FROM marketplace_datasetversion a"
        " WHERE a.dataset_id = c.dataset_id AND a.status = 'admitted')",
    ),
    EdgeSource(
        "uploaded", "member", "v.uploaded_by_id", "version", "v.id", "NULL", "v.created_at",
        "marketplace_datasetversion v", "v.status = 'admitted'",
    ),
    EdgeSource(
        "version", "dataset", "v.dataset_id", "version", "v.id", "NULL", "v.created_at",
        "marketplace_datasetversion v", "v.status = 'admitted'",
    ),
    EdgeSource(
        "derived", "version", "vd.parent_id", "version", "vd.child_id", "vd.weight",
        "vd.created_at", "marketplace_versionderivation vd"
        " JOIN marketplace_datasetversion ch ON ch.id = vd.child_id AND ch.status = 'admitted'",
    ),
    EdgeSource(
        "used", "version", "i.version_id", "run", "i.run_id", "i.weight", "i.created_at",
        "provenance_trainingruninput i",
    ),
    EdgeSource(
        "generated", "run", "t.id", "model", "t.model_id", "NULL", "t.created_at",
        "provenance_trainingrun t",
    ),
    EdgeSource(
        "owns", "member", "m.owner_id", "model", "m.id", "NULL", "m.created_at",
        "provenance_model m",
    ),
)  # fmt: skip


def _branch(edge: EdgeSource, near: str | None = None, outer: str = "") -> str:
    """One SELECT of the union. With ``near`` ("src"/"dst") it keeps only the edges whose near
    end is the outer row's node, so PostgreSQL probes the index on that column."""
    conditions = [edge.condition] if edge.condition else []
    if near is not None:
        near_type, near_id = (
            (edge.src_type, edge.src_id) if near == "src" else (edge.dst_type, edge.dst_id)
        )
        # The type test is on the outer row alone: PostgreSQL skips the branch outright.
        conditions[:0] = [f"{outer}.node_type = '{near_type}'", f"{near_id} = {outer}.node_id"]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # Every column is cast to one type so the branches agree (user ids are integer, the
    # others bigint) on both databases. Only the constants above are interpolated.
    columns = ", ".join(
        [
            f"CAST('{edge.src_type}' AS TEXT) AS src_type",
            f"CAST({edge.src_id} AS BIGINT) AS src_id",
            f"CAST('{edge.dst_type}' AS TEXT) AS dst_type",
            f"CAST({edge.dst_id} AS BIGINT) AS dst_id",
            f"CAST('{edge.kind}' AS TEXT) AS kind",
            f"CAST({edge.weight} AS NUMERIC) AS weight",
            f"{edge.created_at} AS created_at",
        ]
    )
    return f"SELECT {columns} FROM {edge.tables}{where}"  # noqa: S608


# The whole edge set as one derived table (src_type, src_id, dst_type, dst_id, kind, weight,
# created_at): what SQLite joins against, and what the benchmark's baseline loads.
EDGES_SQL = "\nUNION ALL\n".join(_branch(edge) for edge in EDGE_SOURCES)


def _edges_of(near: str, outer: str, vendor: Vendor) -> str:
    """The edges touching the outer row's node at their ``near`` end, as a FROM item.

    On PostgreSQL a LATERAL subquery: each branch is filtered by the outer node before the
    union, so each step is an index probe per edge table (a plain join against the union makes
    the planner hash the whole edge set at every step). SQLite has no LATERAL; it gets the
    union as a derived table and the join condition, which is exact and fast enough for the
    embedded, single-user setup.
    """
    if vendor == "postgresql":
        union = "\n    UNION ALL\n    ".join(_branch(e, near, outer) for e in EDGE_SOURCES)
        return f"LATERAL (\n    {union}\n) e ON TRUE"
    return f"({EDGES_SQL}) e ON e.{near}_type = {outer}.node_type AND e.{near}_id = {outer}.node_id"


def walk_sql(direction: Direction, *, with_as_of: bool, vendor: Vendor = "postgresql") -> str:
    """The traversal for one direction. Parameters, in order: root type, root id, depth,
    [as_of], depth, [as_of]. Rows: one per (reached node, edge towards the next level), the
    edge columns NULL for nodes at the depth limit or without further edges."""
    # Upstream walks from an edge's dst to its src; downstream the other way round.
    near, far = ("dst", "src") if direction == "upstream" else ("src", "dst")
    as_of = " AND e.created_at <= %s" if with_as_of else ""
    # Only constants are interpolated (the direction picks column names); values are parameters.
    return f"""
WITH RECURSIVE walk(node_type, node_id, depth) AS (
    SELECT CAST(%s AS TEXT), CAST(%s AS BIGINT), 0
  UNION
    SELECT e.{far}_type, e.{far}_id, w.depth + 1
      FROM walk w
      JOIN {_edges_of(near, "w", vendor)}
     WHERE w.depth < %s{as_of}
),
reached AS (
    SELECT node_type, node_id, MIN(depth) AS depth FROM walk GROUP BY node_type, node_id
)
SELECT rn.node_type, rn.node_id, rn.depth,
       e.src_type, e.src_id, e.dst_type, e.dst_id, e.kind, e.weight
  FROM reached rn
  LEFT JOIN {_edges_of(near, "rn", vendor)} AND rn.depth < %s{as_of}
"""  # noqa: S608


def walk_params(root_type: str, root_id: int, depth: int, as_of: Any | None) -> list[Any]:
    """Parameters for ``walk_sql``; ``as_of`` already adapted for the database."""
    if as_of is None:
        return [root_type, root_id, depth, depth]
    return [root_type, root_id, depth, as_of, depth, as_of]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str
    weight: str | None


@dataclass
class Graph:
    # node id ("version:12") → its smallest depth from the root
    nodes: dict[str, int] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)

    def merge(self, other: "Graph") -> None:
        for node, depth in other.nodes.items():
            self.nodes[node] = min(depth, self.nodes.get(node, depth))
        self.edges |= other.edges


def node_key(node_type: str, node_id: int) -> str:
    return f"{node_type}:{node_id}"


def weight_text(value: object) -> str | None:
    """Weights come back as Decimal (PostgreSQL) or float/int (SQLite); print them plainly."""
    if value is None:
        return None
    number = Decimal(str(value)).normalize()
    return format(number, "f")


def graph_from_rows(rows: Iterable[tuple[Any, ...]]) -> Graph:
    graph = Graph()
    for node_type, node_id, depth, s_type, s_id, d_type, d_id, kind, weight in rows:
        key = node_key(node_type, int(node_id))
        graph.nodes[key] = min(int(depth), graph.nodes.get(key, int(depth)))
        if kind is not None:
            graph.edges.add(
                Edge(
                    source=node_key(s_type, int(s_id)),
                    target=node_key(d_type, int(d_id)),
                    kind=kind,
                    weight=weight_text(weight),
                )
            )
    # Edges at the frontier lead to nodes one level further, which the walk also reached.
    return graph


def run_walk(
    cursor: Any,
    *,
    vendor: Vendor = "postgresql",
    root_type: str,
    root_id: int,
    direction: Direction,
    depth: int,
    as_of: datetime | str | None = None,
) -> Graph:
    """Run the traversal on a DB-API cursor (Django's or psycopg's) and collect the graph."""
    cursor.execute(
        walk_sql(direction, with_as_of=as_of is not None, vendor=vendor),
        walk_params(root_type, root_id, depth, as_of),
    )
    return graph_from_rows(cursor.fetchall())

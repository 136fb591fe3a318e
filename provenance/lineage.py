"""The provenance graph: the one definition of its edges, the visibility filters applied on top
of it, and its traversal, as SQL that runs on PostgreSQL and SQLite.

The edges
---------
Every edge lives in the table that already owns the fact: derivations in
``marketplace_versionderivation``, membership and uploads on ``marketplace_datasetversion``,
contributors in ``marketplace_datasetcontributor``, runs and their inputs and models here.
``EDGE_SOURCES`` below lists them, one entry per kind of edge, each with its endpoints, its
creation time and its weight; every query that reads the graph (the lineage walk, the PROV
export, the derivation cycle check, the revenue split's upstream slice) is generated from that
list, so the graph has a single definition and cannot drift from the facts: nothing copies rows
into a denormalised edge table, and marketplace (which comes before provenance in the flow)
never needs to know this app exists. It is deliberately not a database VIEW: SQLite refuses to
rename a table a view depends on, which would break every later migration that rebuilds one of
these tables (Django rebuilds tables on SQLite for most alterations), and on PostgreSQL a plain
join against a union of the edge tables is planned as a hash over all edges at every step
(measured: seconds at 500,000 edges), where a LATERAL union of per-table probes takes
milliseconds.

Each edge points the way data flows, ``src → dst``:

==================  ===========  ====================================================  ==========
src → dst           kind         from                                                  weight
==================  ===========  ====================================================  ==========
member → dataset    contributed  DatasetContributor (dated by the dataset's creation)  share
member → version    uploaded     DatasetVersion.uploaded_by
dataset → version   version      DatasetVersion.dataset
version → version   derived      VersionDerivation (parent → child)                    royalty
version → run       used         TrainingRunInput                                      attribution
run → model         generated    TrainingRun.model
member → model      owns         Model.owner
==================  ===========  ====================================================  ==========

Weights are ``Decimal`` (royalty and attribution weights keep 6 decimal places, share weights
are whole); the other kinds have none. The definition says nothing about status: a rejected
version's derivations are edges like any other, which is what the cycle check and the split
need.

Visibility
----------
What a viewer may see is a ``Visibility``: an SQL condition per node type (types it does not
name are always visible), applied on top of the edges; an edge is visible when both its ends
are. ``PUBLIC`` is the public graph: admitted versions, and datasets with an admitted version.
Queries given ``visibility=None`` read every edge.

Upstream of a node means following edges backwards (towards sources: contributors, parent
versions, datasets); downstream means following them forwards (towards runs and models). A
dataset stands for its versions: upstream of a dataset is the dataset's contributors and
everything upstream of any of its versions, so from a dataset at the root the upstream walk
also steps down to its versions (depth 1) and carries on upstream from them; downstream of a
dataset is everything downstream of its versions, which the edges give already.

The traversal
-------------
A recursive CTE (``walk_sql``). The walk's rows are ``(node_type, node_id, depth)`` and the
CTE uses ``UNION`` (not ``UNION ALL``): a node reached again at a depth it already has adds no
row, and ``depth < :max`` stops every path, so a cycle can never loop (derivation cycles are
rejected anyway, this is the belt to those braces). An unbounded walk (``depth=None``, for the
cycle check and the split) keeps only "root" (0) or "reached" (1) as its depth, so ``UNION``
alone ends it. On PostgreSQL each step joins the frontier LATERALly to the union of the edge
tables, each branch filtered by the frontier node, so a step is one index probe per edge table
whose near-end type matches, never a load of the graph. SQLite (no LATERAL) joins the frontier
to the union as a derived table: exact, and fast enough for the embedded single-user setup.
``as_of`` keeps only edges created by then. The answer's edges are those leaving each reached
node short of the depth limit. Visibility is tested on the far end of each step only: the walk
starts from visible nodes, so every node it reaches, and both ends of every edge it returns,
are visible.

Indexes each step relies on (all exist on the tables above; Django creates FK indexes):

- upstream (look up by ``dst``): ``marketplace_versionderivation(child_id)`` (FK index),
  ``marketplace_datasetversion`` primary key, ``marketplace_datasetcontributor(dataset_id)``
  (unique (dataset, user)), ``provenance_trainingruninput(run_id, version_id)`` (unique),
  ``provenance_trainingrun(model_id)`` (FK), ``provenance_model`` primary key;
- downstream (look up by ``src``): ``derivation_parent_child (parent_id, child_id)``,
  ``version_dataset_status (dataset_id, status)``, ``datasetversion(uploaded_by_id)`` (FK),
  ``datasetcontributor(user_id)`` (FK), ``run_input_version_run (version_id, run_id)``,
  ``provenance_trainingrun`` primary key, ``provenance_model(owner_id)`` (FK);
- ``PUBLIC``'s "dataset has an admitted version" test uses ``version_dataset_status
  (dataset_id, status)`` (a dataset reached from one of its versions needs no test), its
  "version admitted" test the version primary key (or the row the edge already reads).

User ids are ``integer`` and every other id ``bigint``; the comparison ``user_id = node_id``
is a cross-type btree operator, so those indexes are used too.

This module builds and runs SQL only; it takes no Django models, so ``bench/lineage.py``
measures exactly the query the API runs.
"""

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple

NODE_TYPES = ("dataset", "version", "model", "run", "member")
EDGE_KINDS = ("contributed", "uploaded", "version", "derived", "used", "generated", "owns")
Direction = Literal["upstream", "downstream"]
Vendor = Literal["postgresql", "sqlite"]


class Node(NamedTuple):
    type: str
    id: int

    @property
    def key(self) -> str:
        """The node's id in answers and pages: ``"version:12"``."""
        return f"{self.type}:{self.id}"


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
    # Decimal places the weight keeps (SQLite hands back floats; they are re-quantized).
    weight_places: int = 0
    # Alias of the end node's own row when ``tables`` reads it, so a visibility test on that
    # end reads the row at hand instead of probing its table again.
    src_row: str | None = None
    dst_row: str | None = None


EDGE_SOURCES = (
    EdgeSource(
        "contributed", "member", "c.user_id", "dataset", "c.dataset_id", "c.share_weight",
        "d.created_at",
        "marketplace_datasetcontributor c JOIN marketplace_dataset d ON d.id = c.dataset_id",
        dst_row="d",
    ),
    EdgeSource(
        "uploaded", "member", "v.uploaded_by_id", "version", "v.id", "NULL", "v.created_at",
        "marketplace_datasetversion v", dst_row="v",
    ),
    EdgeSource(
        "version", "dataset", "v.dataset_id", "version", "v.id", "NULL", "v.created_at",
        "marketplace_datasetversion v", dst_row="v",
    ),
    EdgeSource(
        "derived", "version", "vd.parent_id", "version", "vd.child_id", "vd.weight",
        "vd.created_at", "marketplace_versionderivation vd", weight_places=6,
    ),
    EdgeSource(
        "used", "version", "i.version_id", "run", "i.run_id", "i.weight", "i.created_at",
        "provenance_trainingruninput i", weight_places=6,
    ),
    EdgeSource(
        "generated", "run", "t.id", "model", "t.model_id", "NULL", "t.created_at",
        "provenance_trainingrun t", src_row="t",
    ),
    EdgeSource(
        "owns", "member", "m.owner_id", "model", "m.id", "NULL", "m.created_at",
        "provenance_model m", dst_row="m",
    ),
)  # fmt: skip
_SOURCE = {source.kind: source for source in EDGE_SOURCES}


class Edge(NamedTuple):
    """One fact of the graph as plain data (a tuple: answers hold thousands)."""

    kind: str
    src: Node
    dst: Node
    weight: Decimal | None
    # None in walks that did not ask for times (``with_times``): the lineage answer does not
    # show them, and reading them costs a tenth of a large walk's time.
    created_at: datetime | None


# --- Visibility ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeRule:
    """When a node of one type is visible, as SQL: ``by_id`` tests an id expression (``{id}``);
    ``by_row``, if given, tests the node's own row (``{row}``) when the query reads it.
    ``implied_via`` names the kinds of edge whose other end, when visible, makes this end
    visible without a test (a dataset with a visible version is visible)."""

    by_id: str
    by_row: str | None = None
    implied_via: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: queries are cached by it
class Visibility:
    """The nodes a viewer may see, per node type (a type without a rule is always visible)."""

    name: str
    rules: Mapping[str, NodeRule] = field(default_factory=dict)

    def condition(
        self, node_type: str, id_sql: str, row: str | None = None, via: str | None = None
    ) -> str | None:
        """The SQL test of one end of an edge, or None when it needs none. ``via`` is the
        edge's kind when its other end is known to be visible."""
        rule = self.rules.get(node_type)
        if rule is None or via in rule.implied_via:
            return None
        if row is not None and rule.by_row is not None:
            return rule.by_row.format(row=row)
        return rule.by_id.format(id=id_sql)


# The tests are scalar subqueries, not EXISTS: PostgreSQL plans each EXISTS as a semi-join,
# which in a walk's two LATERAL unions tripled its planning time (on the benchmark's graph,
# about 2 → 7 ms a query) and could turn one into a hashed scan of every admitted version.
PUBLIC = Visibility(
    "public",
    {
        "version": NodeRule(
            by_id="(SELECT pv.status FROM marketplace_datasetversion pv WHERE pv.id = {id})"
            " = 'admitted'",
            by_row="{row}.status = 'admitted'",
        ),
        "dataset": NodeRule(
            by_id="(SELECT 1 FROM marketplace_datasetversion pv WHERE pv.dataset_id = {id}"
            " AND pv.status = 'admitted' LIMIT 1) = 1",
            implied_via=frozenset({"version"}),
        ),
    },
)


def visible_sql(visibility: Visibility, node_type: str) -> str | None:
    """A query answering 1 when the node (parameter: its id) is visible, or None when every
    node of the type is."""
    condition = visibility.condition(node_type, "CAST(%s AS BIGINT)")
    return None if condition is None else f"SELECT 1 WHERE {condition}"


# --- SQL -----------------------------------------------------------------------------------


def _columns(edge: EdgeSource) -> list[str]:
    # Every column is cast to one type so the branches agree (user ids are integer, the
    # others bigint) on both databases. Only the constants above are interpolated.
    return [
        f"CAST('{edge.src_type}' AS TEXT) AS src_type",
        f"CAST({edge.src_id} AS BIGINT) AS src_id",
        f"CAST('{edge.dst_type}' AS TEXT) AS dst_type",
        f"CAST({edge.dst_id} AS BIGINT) AS dst_id",
        f"CAST('{edge.kind}' AS TEXT) AS kind",
        f"CAST({edge.weight} AS NUMERIC) AS weight",
        f"{edge.created_at} AS created_at",
    ]


def _sources(kinds: Collection[str]) -> list[EdgeSource]:
    unknown = set(kinds) - set(EDGE_KINDS)
    if unknown:
        raise ValueError(f"unknown edge kinds: {sorted(unknown)}")
    return [source for source in EDGE_SOURCES if source.kind in kinds]


def edges_sql(*, visibility: Visibility | None, kinds: Collection[str] = EDGE_KINDS) -> str:
    """Every edge (of these kinds) whose ends are both visible, as one query with the columns
    (src_type, src_id, dst_type, dst_id, kind, weight, created_at)."""
    branches = []
    for edge in _sources(kinds):
        conditions = []
        if visibility is not None:
            # The destination is tested here (or always visible), so a source it implies
            # (a version's dataset) needs no test of its own.
            src = visibility.condition(edge.src_type, edge.src_id, edge.src_row, edge.kind)
            dst = visibility.condition(edge.dst_type, edge.dst_id, edge.dst_row)
            conditions += [c for c in (src, dst) if c]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        branches.append(f"SELECT {', '.join(_columns(edge))} FROM {edge.tables}{where}")  # noqa: S608
    return "\nUNION ALL\n".join(branches)


# The whole edge set, unfiltered: what the benchmark's networkx baseline loads.
EDGES_SQL = edges_sql(visibility=None)


@dataclass(frozen=True)
class _Step:
    """Following one kind of edge one way: forwards (src → dst) walks downstream."""

    edge: EdgeSource
    forward: bool
    # Taken from a root only (depth 0): a dataset root stepping down to its versions.
    root_only: bool = False

    @property
    def near(self) -> tuple[str, str]:
        e = self.edge
        return (e.src_type, e.src_id) if self.forward else (e.dst_type, e.dst_id)

    @property
    def far(self) -> tuple[str, str, str | None]:
        e = self.edge
        return (
            (e.dst_type, e.dst_id, e.dst_row) if self.forward else (e.src_type, e.src_id, e.src_row)
        )


def _steps(direction: Direction, kinds: Collection[str]) -> list[_Step]:
    sources = _sources(kinds)
    if direction == "downstream":
        return [_Step(edge, forward=True) for edge in sources]
    # A dataset stands for its versions: from a dataset root, upstream goes through them.
    return [_Step(edge, forward=False) for edge in sources] + [
        _Step(edge, forward=True, root_only=True) for edge in sources if edge.src_type == "dataset"
    ]


def _step_branch(step: _Step, visibility: Visibility | None, outer: str | None) -> str:
    """One SELECT of a step's union: (far_type, far_id, then the edge's columns). With
    ``outer`` it keeps only the edges whose near end is the outer row's node, so PostgreSQL
    probes the index on that column; without, it leads with (near_type, near_id, root_only)
    for the join."""
    near_type, near_id = step.near
    far_type, far_id, far_row = step.far
    conditions = []
    if outer is not None:
        # The type and depth tests are on the outer row alone: PostgreSQL skips the branch
        # outright for other rows.
        conditions += [f"{outer}.node_type = '{near_type}'", f"{near_id} = {outer}.node_id"]
        if step.root_only:
            conditions.insert(1, f"{outer}.depth = 0")
    if visibility is not None:
        # The near end is visible (the walk only reaches visible nodes): test the far end.
        condition = visibility.condition(far_type, far_id, far_row, step.edge.kind)
        if condition:
            conditions.append(condition)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    columns = [
        f"CAST('{far_type}' AS TEXT) AS far_type",
        f"CAST({far_id} AS BIGINT) AS far_id",
        *_columns(step.edge),
    ]
    if outer is None:  # a derived table, joined to the outer row by these
        columns[:0] = [
            f"CAST('{near_type}' AS TEXT) AS near_type",
            f"CAST({near_id} AS BIGINT) AS near_id",
            f"{1 if step.root_only else 0} AS root_only",
        ]
    return f"SELECT {', '.join(columns)} FROM {step.edge.tables}{where}"  # noqa: S608


def _steps_from(
    steps: Sequence[_Step], visibility: Visibility | None, outer: str, vendor: Vendor
) -> str:
    """The edges the steps follow from the outer row's node, as a FROM item.

    On PostgreSQL a LATERAL subquery: each branch is filtered by the outer node before the
    union, so each step is an index probe per edge table (a plain join against the union makes
    the planner hash the whole edge set at every step). SQLite has no LATERAL; it gets the
    union as a derived table and the join condition, which is exact and fast enough for the
    embedded, single-user setup.
    """
    if vendor == "postgresql":
        union = "\n    UNION ALL\n    ".join(_step_branch(s, visibility, outer) for s in steps)
        return f"LATERAL (\n    {union}\n) e ON TRUE"
    union = "\nUNION ALL\n".join(_step_branch(s, visibility, None) for s in steps)
    return (
        f"({union}) e ON e.near_type = {outer}.node_type AND e.near_id = {outer}.node_id"
        f" AND (e.root_only = 0 OR {outer}.depth = 0)"
    )


def _roots(roots: int) -> str:
    """The roots as a VALUES list (one row per root: type, id). Not a compound SELECT: SQLite
    allows at most 500 terms in one, and the export walks from every node of a part."""
    if roots < 1:
        raise ValueError("a walk needs at least one root")
    return "VALUES " + ", ".join(["(CAST(%s AS TEXT), CAST(%s AS BIGINT))"] * roots)


# Building the text costs about as much as planning a small walk; requests repeat a few
# shapes.
@functools.lru_cache(maxsize=256)
def walk_sql(
    direction: Direction,
    *,
    with_as_of: bool,
    vendor: Vendor = "postgresql",
    roots: int = 1,
    bounded: bool = True,
    kinds: frozenset[str] | tuple[str, ...] = EDGE_KINDS,
    visibility: Visibility | None = None,
    with_times: bool = False,
) -> str:
    """The traversal for one direction. Parameters, in order: each root's type and id,
    [depth], [as_of], [depth], [as_of] (depth only when ``bounded``). Rows: one per (reached
    node, edge towards the next level), the edge columns NULL for nodes at the depth limit or
    without further edges; the edge's creation time only ``with_times``."""
    steps = _steps(direction, kinds)
    times = "e.created_at" if with_times else "NULL"
    # Depth 0 marks the roots (for the root-only steps); unbounded, everything else is 1.
    step_depth = "w.depth + 1" if bounded else "1"
    within = ["w.depth < %s"] if bounded else []
    edges_within = ["rn.depth < %s"] if bounded else []
    if with_as_of:
        within.append("e.created_at <= %s")
        edges_within.append("e.created_at <= %s")
    where = f"\n     WHERE {' AND '.join(within)}" if within else ""
    on = "".join(f" AND {condition}" for condition in edges_within)
    # Only constants are interpolated (the direction picks column names); values are parameters.
    return f"""
WITH RECURSIVE roots(node_type, node_id) AS ({_roots(roots)}),
walk(node_type, node_id, depth) AS (
    SELECT node_type, node_id, 0 FROM roots
  UNION
    SELECT e.far_type, e.far_id, {step_depth}
      FROM walk w
      JOIN {_steps_from(steps, visibility, "w", vendor)}{where}
),
reached AS (
    SELECT node_type, node_id, MIN(depth) AS depth FROM walk GROUP BY node_type, node_id
)
SELECT rn.node_type, rn.node_id, rn.depth,
       e.src_type, e.src_id, e.dst_type, e.dst_id, e.kind, e.weight, {times}
  FROM reached rn
  LEFT JOIN {_steps_from(steps, visibility, "rn", vendor)}{on}
"""  # noqa: S608


def walk_params(roots: Sequence[Node], depth: int | None, as_of: Any | None) -> list[Any]:
    """Parameters for ``walk_sql``; ``as_of`` already adapted for the database."""
    params: list[Any] = [value for root in roots for value in (root.type, root.id)]
    for _ in range(2):
        if depth is not None:
            params.append(depth)
        if as_of is not None:
            params.append(as_of)
    return params


# --- Answers -------------------------------------------------------------------------------


@dataclass
class Graph:
    # node → its smallest depth from the roots (0 or 1 only, for an unbounded walk)
    nodes: dict[Node, int] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)

    def merge(self, other: "Graph") -> None:
        for node, depth in other.nodes.items():
            self.nodes[node] = min(depth, self.nodes.get(node, depth))
        self.edges |= other.edges


def to_decimal(value: object, places: int) -> Decimal | None:
    """Weights come back as Decimal (PostgreSQL) or float/int (SQLite, which keeps decimals as
    REAL, 15 significant digits, as the ORM reads them too); quantize them to their column."""
    if value is None or isinstance(value, Decimal):
        return value  # PostgreSQL's numeric keeps the column's scale
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


def to_datetime(value: object) -> datetime | None:
    """PostgreSQL hands back aware datetimes; SQLite the UTC text Django stored."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def weight_text(value: Decimal | None) -> str | None:
    """A weight as answers print it: plainly, without trailing zeros (``"0.3"``, ``"1200"``)."""
    if value is None:
        return None
    return format(value.normalize(), "f")


def edge_from_row(row: Sequence[Any]) -> Edge:
    """An edge from the columns (src_type, src_id, dst_type, dst_id, kind, weight, created_at)."""
    s_type, s_id, d_type, d_id, kind, weight, created_at = row
    make = tuple.__new__  # as Edge(...) and Node(...), without their Python-level __new__
    return make(
        Edge,
        (
            kind,
            make(Node, (s_type, s_id)),
            make(Node, (d_type, d_id)),
            to_decimal(weight, _SOURCE[kind].weight_places),
            to_datetime(created_at),
        ),
    )


def graph_from_rows(rows: Iterable[Sequence[Any]]) -> Graph:
    """Collect a walk's rows (node type, id, depth, then the edge's columns or NULLs). Ids come
    back as integers from both databases (the SQL casts them). Written for speed: an answer
    can be thousands of rows, and this loop is part of every lineage request's time."""
    nodes: dict[Node, int] = {}
    edges: dict[tuple[Any, ...], Edge] = {}
    make = tuple.__new__  # Node(...) without NamedTuple's Python-level __new__
    for row in rows:
        node: Node = make(Node, row[0:2])
        depth = row[2]
        known = nodes.get(node)
        if known is None or depth < known:
            nodes[node] = depth
        if row[7] is not None:  # the kind: NULL for a node without further edges
            # Each edge once (a dataset root's version edges come back from both ends).
            key = tuple(row[3:8])
            if key not in edges:
                edges[key] = edge_from_row(row[3:])
    # Edges at the frontier lead to nodes one level further, which the walk also reached.
    return Graph(nodes=nodes, edges=set(edges.values()))


def run_walk(
    cursor: Any,
    *,
    vendor: Vendor = "postgresql",
    roots: Sequence[Node],
    direction: Direction,
    depth: int | None,
    as_of: datetime | str | None = None,
    kinds: Collection[str] = EDGE_KINDS,
    visibility: Visibility | None = None,
    with_times: bool = False,
) -> Graph:
    """Run the traversal on a DB-API cursor (Django's or psycopg's) and collect the graph.
    ``depth=None`` walks without a limit (the answer's depths are then 0 or 1); edges carry
    their creation time only ``with_times``."""
    cursor.execute(
        walk_sql(
            direction,
            with_as_of=as_of is not None,
            vendor=vendor,
            roots=len(roots),
            bounded=depth is not None,
            kinds=frozenset(kinds),
            visibility=visibility,
            with_times=with_times,
        ),
        walk_params(roots, depth, as_of),
    )
    return graph_from_rows(cursor.fetchall())


def run_edges(
    cursor: Any, *, visibility: Visibility | None, kinds: Collection[str] = EDGE_KINDS
) -> list[Edge]:
    """Every edge (of these kinds) whose ends are both visible."""
    cursor.execute(edges_sql(visibility=visibility, kinds=kinds))
    return [edge_from_row(row) for row in cursor.fetchall()]


# --- The revenue split's view of the graph ---------------------------------------------------

# What the split follows upstream of a version: its parents, and its shareholders (the
# contributors of its dataset).
SPLIT_KINDS = ("derived", "version", "contributed")


@dataclass(frozen=True)
class UpstreamSlice:
    """The graph upstream of some versions, as the revenue split reads it: every version
    reachable from them through derivations, each one's parents with royalty weights and its
    shareholders (its dataset's contributors) with share weights, in the canonical order
    (ascending id)."""

    versions: tuple[int, ...]  # ascending
    edges: frozenset[Edge]

    @classmethod
    def from_graph(cls, graph: Graph) -> "UpstreamSlice":
        versions = sorted(node.id for node in graph.nodes if node.type == "version")
        return cls(versions=tuple(versions), edges=frozenset(graph.edges))

    def parents(self, version_id: int) -> list[tuple[int, Decimal]]:
        """(parent version id, royalty weight), ascending parent id."""
        return sorted(
            (e.src.id, e.weight)
            for e in self.edges
            if e.kind == "derived" and e.dst.id == version_id and e.weight is not None
        )

    def shareholders(self, version_id: int) -> list[tuple[int, Decimal]]:
        """(member id, share weight), ascending member id."""
        datasets = {e.src.id for e in self.edges if e.kind == "version" and e.dst.id == version_id}
        return sorted(
            (e.src.id, e.weight)
            for e in self.edges
            if e.kind == "contributed" and e.dst.id in datasets and e.weight is not None
        )

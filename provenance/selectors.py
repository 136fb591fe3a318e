"""Reads of the provenance graph: models and runs, who may cite a version, and lineage answers
with the labels and links people need to read them."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse

from core.errors import Invalid
from licensing import selectors as licensing
from licensing.models import LicenseOffer
from marketplace import selectors as market
from marketplace.models import Dataset, DatasetContributor, DatasetVersion
from provenance import lineage
from provenance.lineage import (
    EDGE_KINDS,
    NODE_TYPES,
    PUBLIC,
    SPLIT_KINDS,
    Direction,
    Edge,
    Graph,
    Node,
    UpstreamSlice,
    Visibility,
)
from provenance.models import Model, TrainingRun, TrainingRunInput

DEFAULT_DEPTH = 20
# The lineage JSON has always carried royalty and attribution weights and nothing on the other
# kinds; share weights are published by the PROV export (``coop:share``). Kept as it was so
# clients do not change.
JSON_WEIGHTED_KINDS = frozenset({"derived", "used"})


class NodeInvalid(Invalid):
    """A node reference that cannot be read (400, about the ``node`` parameter) or names
    nothing the caller may see (404)."""

    field_in_detail = True

    def __init__(self, message: str, *, missing: bool = False) -> None:
        if missing:
            super().__init__(message, status=HTTPStatus.NOT_FOUND)
        else:
            super().__init__(message, field="node")
        self.missing = missing


def max_depth() -> int:
    return int(getattr(settings, "LINEAGE_MAX_DEPTH", 50))


def parse_node(text: str) -> Node:
    """``"version:12"`` → Node("version", 12); anything else raises NodeInvalid."""
    node_type, sep, raw_id = (text or "").partition(":")
    if not sep or node_type not in NODE_TYPES:
        raise NodeInvalid(
            f"node must look like <type>:<id> with type one of {', '.join(NODE_TYPES)}; "
            f"got {text!r}."
        )
    if not raw_id.isdigit() or len(raw_id) > 18:
        raise NodeInvalid(f"node id must be a positive integer; got {raw_id!r}.")
    return Node(node_type, int(raw_id))


def _vendor() -> lineage.Vendor:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def visibility_for(user: Any) -> Visibility:
    """What ``user`` may see of the graph. Today everyone sees the public graph (admitted
    versions, datasets with one); a viewer-specific rule goes here."""
    return PUBLIC


def node_exists(user: Any, node_type: str, node_id: int) -> bool:
    """Whether the node exists and is part of the graph this user may read."""
    visible = lineage.visible_sql(visibility_for(user), node_type)
    if visible is not None:
        # The visibility rule reads the node's rows, so it answers for existence too.
        with connection.cursor() as cursor:
            cursor.execute(visible, [node_id])
            return cursor.fetchone() is not None
    if node_type == "version":
        return DatasetVersion.objects.filter(pk=node_id).exists()
    if node_type == "dataset":
        return Dataset.objects.filter(pk=node_id).exists()
    if node_type == "model":
        return Model.objects.filter(pk=node_id).exists()
    if node_type == "run":
        return TrainingRun.objects.filter(pk=node_id).exists()
    return get_user_model().objects.filter(pk=node_id, is_active=True).exists()


def _adapted(as_of: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(as_of) if as_of is not None else None


def graph_walk(
    *,
    roots: Iterable[Node],
    directions: Iterable[Direction],
    depth: int | None,
    as_of: datetime | None = None,
    kinds: Iterable[str] = EDGE_KINDS,
    visibility: Visibility | None,
    with_times: bool = False,
) -> Graph:
    """The graph around ``roots``: one recursive query per direction, merged. ``depth=None``
    walks to the end; ``visibility=None`` sees every edge (the cycle check, the split); edges
    carry their creation time only ``with_times``."""
    roots = list(roots)
    kinds = tuple(kinds)
    graph = Graph(nodes=dict.fromkeys(roots, 0))
    with connection.cursor() as cursor:
        for direction in directions:
            graph.merge(
                lineage.run_walk(
                    cursor,
                    vendor=_vendor(),
                    roots=roots,
                    direction=direction,
                    depth=depth,
                    as_of=_adapted(as_of),
                    kinds=kinds,
                    visibility=visibility,
                    with_times=with_times,
                )
            )
    return graph


def lineage_graph(
    *,
    root_type: str,
    root_id: int,
    direction: str,
    depth: int,
    as_of: datetime | None,
    visibility: Visibility = PUBLIC,
) -> Graph:
    """Upstream, downstream or both (their union) of one node, as ``visibility`` shows it."""
    directions: list[Direction] = (
        ["upstream", "downstream"] if direction == "both" else [direction]  # type: ignore[list-item]
    )
    return graph_walk(
        roots=[Node(root_type, root_id)],
        directions=directions,
        depth=depth,
        as_of=as_of,
        visibility=visibility,
    )


def graph_edges(*, visibility: Visibility | None) -> list[Edge]:
    """Every edge of the graph whose ends are both visible (the whole-graph export)."""
    with connection.cursor() as cursor:
        return lineage.run_edges(cursor, visibility=visibility)


def versions_downstream(version_id: int) -> set[int]:
    """Every version derived, directly or not, from ``version_id``, whatever its status: the
    derivation cycle check must see every recorded derivation."""
    graph = graph_walk(
        roots=[Node("version", version_id)],
        directions=["downstream"],
        depth=None,
        kinds=["derived"],
        visibility=None,
    )
    return {node.id for node, depth in graph.nodes.items() if depth > 0}


def upstream_slice(*, versions: Iterable[int], as_of: datetime | None) -> UpstreamSlice:
    """What the revenue split reads: the versions upstream of ``versions`` through
    derivations, with their parents' royalty weights and their shareholders' share weights,
    as the graph stood at ``as_of`` (edges created by then). Every recorded fact counts, whatever
    the versions' status now."""
    roots = [Node("version", pk) for pk in sorted(set(versions))]
    if not roots:
        return UpstreamSlice(versions=(), edges=frozenset())
    graph = graph_walk(
        roots=roots,
        directions=["upstream"],
        depth=None,
        as_of=as_of,
        kinds=SPLIT_KINDS,
        visibility=None,
        with_times=True,
    )
    return UpstreamSlice.from_graph(graph)


@dataclass(frozen=True)
class NodeInfo:
    id: str
    type: str
    label: str
    url: str


def _ids(nodes: Iterable[Node], node_type: str) -> list[int]:
    return [node.id for node in nodes if node.type == node_type]


def node_infos(nodes: Iterable[Node]) -> dict[Node, NodeInfo]:
    """Labels and page links for graph nodes: one query per node type present."""
    nodes = list(nodes)
    info: dict[Node, NodeInfo] = {}

    def put(node_type: str, pk: int, label: str, url: str) -> None:
        node = Node(node_type, pk)
        info[node] = NodeInfo(id=node.key, type=node_type, label=label, url=url)

    for d in Dataset.objects.filter(pk__in=_ids(nodes, "dataset")).only("pk", "title"):
        put("dataset", d.pk, d.title, reverse("marketplace:dataset", args=[d.pk]))
    versions = DatasetVersion.objects.filter(pk__in=_ids(nodes, "version")).select_related(
        "dataset"
    )
    for v in versions.only("pk", "number", "dataset__title"):
        put(
            "version",
            v.pk,
            f"{v.dataset.title} v{v.number}",
            reverse("marketplace:version", args=[v.pk]),
        )
    for m in Model.objects.filter(pk__in=_ids(nodes, "model")).only("pk", "name"):
        put("model", m.pk, m.name, reverse("provenance:model", args=[m.pk]))
    runs = TrainingRun.objects.filter(pk__in=_ids(nodes, "run")).select_related("model")
    for r in runs.only("pk", "model__name"):
        put("run", r.pk, f"run {r.pk} ({r.model.name})", reverse("provenance:run", args=[r.pk]))
    users = get_user_model().objects.filter(pk__in=_ids(nodes, "member"))
    for u in users.only("pk", "username"):
        put("member", u.pk, u.get_username(), reverse("provenance:member", args=[u.pk]))
    return info


def lineage_answer(
    *,
    root_type: str,
    root_id: int,
    direction: str,
    depth: int,
    as_of: datetime | None,
    notice: str | None,
    visibility: Visibility = PUBLIC,
) -> dict[str, Any]:
    """The JSON body of a lineage answer, in the manner of Marquez: nodes and edges."""
    graph = lineage_graph(
        root_type=root_type,
        root_id=root_id,
        direction=direction,
        depth=depth,
        as_of=as_of,
        visibility=visibility,
    )
    info = node_infos(graph.nodes)
    nodes = []
    for node, node_depth in sorted(graph.nodes.items(), key=lambda kv: (kv[1], kv[0].key)):
        found = info.get(node)
        nodes.append(
            {
                "id": node.key,
                "type": node.type,
                "label": found.label if found else node.key,
                "url": found.url if found else None,
                "depth": node_depth,
            }
        )
    edges = [
        {
            "source": e.src.key,
            "target": e.dst.key,
            "kind": e.kind,
            "weight": lineage.weight_text(e.weight) if e.kind in JSON_WEIGHTED_KINDS else None,
        }
        for e in sorted(graph.edges, key=_edge_order)
    ]
    return {
        "root": Node(root_type, root_id).key,
        "direction": direction,
        "depth": depth,
        "as_of": as_of.isoformat() if as_of else None,
        "notice": notice,
        "nodes": nodes,
        "edges": edges,
    }


def _edge_order(edge: Edge) -> tuple[str, str, str]:
    return (edge.src.key, edge.dst.key, edge.kind)


# --- Models and runs ----------------------------------------------------------------------


def models_all() -> QuerySet[Model]:
    return Model.objects.select_related("owner").order_by("-created_at", "-pk")


def runs_of(model: Model) -> QuerySet[TrainingRun]:
    inputs = TrainingRunInput.objects.select_related("version__dataset").order_by("version_id")
    return model.runs.prefetch_related(Prefetch("inputs", queryset=inputs)).order_by(
        "-started_at", "-pk"
    )


def contributors_by_dataset(dataset_ids: Iterable[int]) -> dict[int, list[DatasetContributor]]:
    out: dict[int, list[DatasetContributor]] = {}
    memberships = DatasetContributor.objects.filter(dataset_id__in=set(dataset_ids))
    for m in memberships.select_related("user").order_by("dataset_id", "user__username"):
        out.setdefault(m.dataset_id, []).append(m)
    return out


# --- Who may cite a version in a run -----------------------------------------------------


def version_use_refusal(user: Any, version: DatasetVersion) -> str | None:
    """None if ``user`` may record a run that used ``version``: they contribute to its dataset,
    hold an active grant covering it, or it is offered at price 0. Otherwise the reason."""
    if market.is_contributor_of(user, version.dataset_id):
        return None
    if licensing.active_grant(user, version) is not None or _offered_free(version):
        return None
    return f"you have no active grant for version {version.pk} ({version.cid})"


def _offered_free(version: DatasetVersion) -> bool:
    """A price-0 offer that covers the version: free data may be cited without a purchase."""
    free = LicenseOffer.objects.filter(dataset_id=version.dataset_id, price=0, is_active=True)
    return free.filter(Q(all_versions=True) | Q(versions=version)).exists()

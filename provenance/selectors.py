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
from marketplace.models import Dataset, DatasetContributor, DatasetVersion, VersionStatus
from provenance.lineage import NODE_TYPES, Direction, Edge, Graph, node_key, run_walk
from provenance.models import Model, TrainingRun, TrainingRunInput

DEFAULT_DEPTH = 20


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


def parse_node(text: str) -> tuple[str, int]:
    """``"version:12"`` → ("version", 12); anything else raises NodeInvalid."""
    node_type, sep, raw_id = (text or "").partition(":")
    if not sep or node_type not in NODE_TYPES:
        raise NodeInvalid(
            f"node must look like <type>:<id> with type one of {', '.join(NODE_TYPES)}; "
            f"got {text!r}."
        )
    if not raw_id.isdigit() or len(raw_id) > 18:
        raise NodeInvalid(f"node id must be a positive integer; got {raw_id!r}.")
    return node_type, int(raw_id)


def node_exists(user: Any, node_type: str, node_id: int) -> bool:
    """Whether the node exists and is part of the graph this user may read."""
    if node_type == "version":
        version = market.version_for(user, node_id)
        return version is not None and version.status == VersionStatus.ADMITTED
    if node_type == "dataset":
        return market.listed_datasets().filter(pk=node_id).exists()
    if node_type == "model":
        return Model.objects.filter(pk=node_id).exists()
    if node_type == "run":
        return TrainingRun.objects.filter(pk=node_id).exists()
    return get_user_model().objects.filter(pk=node_id, is_active=True).exists()


def lineage_graph(
    *, root_type: str, root_id: int, direction: str, depth: int, as_of: datetime | None
) -> Graph:
    """Upstream, downstream or both (their union), each one recursive query."""
    directions: list[Direction] = (
        ["upstream", "downstream"] if direction == "both" else [direction]  # type: ignore[list-item]
    )
    adapted = connection.ops.adapt_datetimefield_value(as_of) if as_of is not None else None
    graph = Graph(nodes={node_key(root_type, root_id): 0})
    with connection.cursor() as cursor:
        for one in directions:
            graph.merge(
                run_walk(
                    cursor,
                    vendor="postgresql" if connection.vendor == "postgresql" else "sqlite",
                    root_type=root_type,
                    root_id=root_id,
                    direction=one,
                    depth=depth,
                    as_of=adapted,
                )
            )
    return graph


@dataclass(frozen=True)
class NodeInfo:
    id: str
    type: str
    label: str
    url: str


def _ids(keys: Iterable[str], node_type: str) -> list[int]:
    prefix = node_type + ":"
    return [int(k[len(prefix) :]) for k in keys if k.startswith(prefix)]


def node_infos(keys: Iterable[str]) -> dict[str, NodeInfo]:
    """Labels and page links for graph nodes: one query per node type present."""
    keys = list(keys)
    info: dict[str, NodeInfo] = {}

    def put(node_type: str, pk: int, label: str, url: str) -> None:
        key = node_key(node_type, pk)
        info[key] = NodeInfo(id=key, type=node_type, label=label, url=url)

    for d in Dataset.objects.filter(pk__in=_ids(keys, "dataset")).only("pk", "title"):
        put("dataset", d.pk, d.title, reverse("marketplace:dataset", args=[d.pk]))
    versions = DatasetVersion.objects.filter(pk__in=_ids(keys, "version")).select_related("dataset")
    for v in versions.only("pk", "number", "dataset__title"):
        put(
            "version",
            v.pk,
            f"{v.dataset.title} v{v.number}",
            reverse("marketplace:version", args=[v.pk]),
        )
    for m in Model.objects.filter(pk__in=_ids(keys, "model")).only("pk", "name"):
        put("model", m.pk, m.name, reverse("provenance:model", args=[m.pk]))
    runs = TrainingRun.objects.filter(pk__in=_ids(keys, "run")).select_related("model")
    for r in runs.only("pk", "model__name"):
        put("run", r.pk, f"run {r.pk} ({r.model.name})", reverse("provenance:run", args=[r.pk]))
    users = get_user_model().objects.filter(pk__in=_ids(keys, "member"))
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
) -> dict[str, Any]:
    """The JSON body of a lineage answer, in the manner of Marquez: nodes and edges."""
    graph = lineage_graph(
        root_type=root_type, root_id=root_id, direction=direction, depth=depth, as_of=as_of
    )
    info = node_infos(graph.nodes)
    nodes = []
    for key, node_depth in sorted(graph.nodes.items(), key=lambda kv: (kv[1], kv[0])):
        node = info.get(key)
        node_type = key.partition(":")[0]
        nodes.append(
            {
                "id": key,
                "type": node_type,
                "label": node.label if node else key,
                "url": node.url if node else None,
                "depth": node_depth,
            }
        )
    edges = [
        {"source": e.source, "target": e.target, "kind": e.kind, "weight": e.weight}
        for e in sorted(graph.edges, key=_edge_order)
    ]
    return {
        "root": node_key(root_type, root_id),
        "direction": direction,
        "depth": depth,
        "as_of": as_of.isoformat() if as_of else None,
        "notice": notice,
        "nodes": nodes,
        "edges": edges,
    }


def _edge_order(edge: Edge) -> tuple[str, str, str]:
    return (edge.source, edge.target, edge.kind)


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

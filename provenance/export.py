"""The provenance graph as W3C PROV (PROV-JSON through the ``prov`` library).

Mapping (the ``coop:`` namespace carries identifiers and weights):

- entities: admitted dataset versions (``coop:version-<id>``) and models (``coop:model-<id>``);
- activities: the upload of each version (``coop:upload-<id>``), its quality check
  (``coop:check-<id>``: every admitted version passed one) and training runs
  (``coop:run-<id>``);
- agents: members (``coop:member-<user id>``) who contributed, uploaded, own or trained;
- relations: version ``wasGeneratedBy`` its upload; the check ``used`` the version; a run
  ``used`` versions (with ``coop:weight``); a model ``wasGeneratedBy`` each run; a child version
  ``wasDerivedFrom`` a parent (``coop:weight`` = royalty); a version ``wasAttributedTo`` each
  contributor of its dataset (``coop:share``); a model ``wasAttributedTo`` its owner; an upload
  ``wasAssociatedWith`` its uploader and a run ``wasAssociatedWith`` the member who recorded it.

It is built from the graph's one edge definition (``provenance.lineage``) as a visibility
shows it (the public graph: admitted versions); each relation above is one kind of edge, save
the upload and check activities and the run's recorder, which are facts of the node itself.
With a root, only the part of the graph around it (upstream and downstream to the depth) is
exported; the relations are those whose ends are both in that part, and a kept entity brings
its agents (uploader, contributors, owner, recorder) along.
"""

from collections.abc import Collection, Iterator
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from prov.model import ProvDocument

from marketplace.models import DatasetVersion
from provenance import selectors
from provenance.lineage import PUBLIC, Edge, Node, Visibility, weight_text
from provenance.models import Model, TrainingRun

NAMESPACE = "https://data-coop.example/ns/provenance#"


def _edges(nodes: Collection[Node] | None, visibility: Visibility) -> set[Edge]:
    """The visible edges the document needs: all of them, or those touching the part plus the
    contributions to its versions' datasets (a version's shareholders come with it)."""
    if nodes is None:
        return set(selectors.graph_edges(visibility=visibility))
    if not nodes:
        return set()
    around = selectors.graph_walk(
        roots=nodes, directions=["upstream", "downstream"], depth=1, visibility=visibility
    )
    versions = [node for node in nodes if node.type == "version"]
    if versions:
        around.merge(
            selectors.graph_walk(
                roots=versions,
                directions=["upstream"],
                depth=2,
                kinds=["version", "contributed"],
                visibility=visibility,
            )
        )
    return around.edges


def prov_document(
    *, nodes: Collection[Node] | None = None, visibility: Visibility = PUBLIC
) -> ProvDocument:
    """The whole graph as ``visibility`` shows it, or the part made of ``nodes``."""
    edges = _edges(nodes, visibility)
    part = None if nodes is None else set(nodes)

    def kept(node: Node) -> bool:
        return part is None or node in part

    def ends(kind: str) -> list[tuple[Node, Node, Edge]]:
        return sorted(((e.src, e.dst, e) for e in edges if e.kind == kind), key=lambda t: t[:2])

    def weighted(kind: str) -> Iterator[tuple[Node, Node, str]]:
        """The kind's edges with both ends kept, in the order of the target then the source
        (a child's parents, a run's inputs), with the weight as text."""
        for src, dst, edge in sorted(ends(kind), key=lambda t: (t[1], t[0])):
            if kept(src) and kept(dst):
                yield src, dst, weight_text(edge.weight) or ""

    # Every visible version has its dataset edge, every model its owner, every run its model.
    dataset_of = {dst.id: src.id for src, dst, _ in ends("version") if kept(dst)}
    uploader_of = {dst.id: src.id for src, dst, _ in ends("uploaded")}
    owner_of = {dst.id: src.id for src, dst, _ in ends("owns") if kept(dst)}
    model_of = {src.id: dst.id for src, dst, _ in ends("generated") if kept(src)}
    shares: dict[int, list[tuple[int, Decimal]]] = {}
    for src, dst, edge in ends("contributed"):
        shares.setdefault(dst.id, []).append((src.id, edge.weight or Decimal(0)))

    versions_list = list(
        DatasetVersion.objects.filter(pk__in=dataset_of).select_related("dataset").order_by("pk")
    )
    models_list = list(Model.objects.filter(pk__in=owner_of).order_by("pk"))
    runs_list = list(TrainingRun.objects.filter(pk__in=model_of).order_by("pk"))

    doc = ProvDocument()
    doc.add_namespace("coop", NAMESPACE)
    agents = {uploader_of[v.pk] for v in versions_list}
    agents |= {member for v in versions_list for member, _ in shares.get(dataset_of[v.pk], [])}
    agents |= set(owner_of.values())
    agents |= {r.recorded_by_id for r in runs_list}
    for user in get_user_model().objects.filter(pk__in=agents).order_by("pk"):
        doc.agent(f"coop:member-{user.pk}", {"prov:label": user.get_username()})

    for v in versions_list:
        entity = f"coop:version-{v.pk}"
        doc.entity(
            entity,
            {
                "prov:label": f"{v.dataset.title} v{v.number}",
                "coop:cid": v.cid,
                "coop:sha256": v.sha256,
                "coop:dataset": v.dataset_id,
                "coop:rows": v.row_count if v.row_count is not None else -1,
            },
        )
        upload = f"coop:upload-{v.pk}"
        doc.activity(upload, v.created_at, v.created_at, {"prov:label": f"upload of {entity}"})
        doc.wasGeneratedBy(entity, upload, v.created_at)
        doc.wasAssociatedWith(upload, f"coop:member-{uploader_of[v.pk]}")
        check = f"coop:check-{v.pk}"
        doc.activity(check, None, v.status_changed_at, {"prov:label": f"quality check of {entity}"})
        doc.used(check, entity)
        for member, share in shares.get(dataset_of[v.pk], []):
            doc.wasAttributedTo(
                entity, f"coop:member-{member}", other_attributes={"coop:share": int(share)}
            )

    for parent, child, weight in weighted("derived"):
        doc.wasDerivedFrom(
            f"coop:version-{child.id}",
            f"coop:version-{parent.id}",
            other_attributes={"coop:weight": weight},
        )

    for m in models_list:
        attributes: dict[str, Any] = {"prov:label": m.name}
        if m.artifact_cid:
            attributes["coop:artifact"] = m.artifact_cid
        doc.entity(f"coop:model-{m.pk}", attributes)
        doc.wasAttributedTo(f"coop:model-{m.pk}", f"coop:member-{owner_of[m.pk]}")

    for r in runs_list:
        run = f"coop:run-{r.pk}"
        doc.activity(run, r.started_at, r.ended_at, {"prov:label": f"training run {r.pk}"})
        doc.wasAssociatedWith(run, f"coop:member-{r.recorded_by_id}")
        if model_of[r.pk] in owner_of:
            doc.wasGeneratedBy(f"coop:model-{model_of[r.pk]}", run, r.ended_at)
    for version, run_node, weight in weighted("used"):
        doc.used(
            f"coop:run-{run_node.id}",
            f"coop:version-{version.id}",
            other_attributes={"coop:weight": weight},
        )
    return doc


def prov_json(*, nodes: Collection[Node] | None = None, visibility: Visibility = PUBLIC) -> str:
    return str(prov_document(nodes=nodes, visibility=visibility).serialize(format="json"))

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

With a root, only the part of the graph around it (upstream and downstream to the depth) is
exported; the relations are those whose ends are both in that part.
"""

from typing import Any

from django.contrib.auth import get_user_model
from prov.model import ProvDocument

from marketplace.models import DatasetContributor, DatasetVersion, VersionDerivation, VersionStatus
from provenance.lineage import weight_text
from provenance.models import Model, TrainingRun, TrainingRunInput

NAMESPACE = "https://data-coop.example/ns/provenance#"


def _ids(nodes: set[str] | None, node_type: str) -> set[int] | None:
    if nodes is None:
        return None
    prefix = node_type + ":"
    return {int(n[len(prefix) :]) for n in nodes if n.startswith(prefix)}


def prov_document(*, nodes: set[str] | None = None) -> ProvDocument:
    """The whole graph, or the part whose node keys (``"version:12"``) are in ``nodes``."""
    doc = ProvDocument()
    doc.add_namespace("coop", NAMESPACE)

    versions = DatasetVersion.objects.filter(status=VersionStatus.ADMITTED).select_related(
        "dataset"
    )
    version_ids = _ids(nodes, "version")
    if version_ids is not None:
        versions = versions.filter(pk__in=version_ids)
    versions_list = list(versions.order_by("pk"))
    kept_versions = {v.pk for v in versions_list}
    models = Model.objects.order_by("pk")
    model_ids = _ids(nodes, "model")
    if model_ids is not None:
        models = models.filter(pk__in=model_ids)
    models_list = list(models)
    runs = TrainingRun.objects.order_by("pk")
    run_ids = _ids(nodes, "run")
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
    runs_list = list(runs)
    kept_runs = {r.pk for r in runs_list}

    agents: set[int] = set()
    contributors = DatasetContributor.objects.filter(
        dataset_id__in={v.dataset_id for v in versions_list}
    ).order_by("dataset_id", "user_id")
    by_dataset: dict[int, list[DatasetContributor]] = {}
    for membership in contributors:
        by_dataset.setdefault(membership.dataset_id, []).append(membership)
    agents |= {m.user_id for m in contributors}
    agents |= {v.uploaded_by_id for v in versions_list}
    agents |= {m.owner_id for m in models_list}
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
        doc.wasAssociatedWith(upload, f"coop:member-{v.uploaded_by_id}")
        check = f"coop:check-{v.pk}"
        doc.activity(check, None, v.status_changed_at, {"prov:label": f"quality check of {entity}"})
        doc.used(check, entity)
        for membership in by_dataset.get(v.dataset_id, []):
            doc.wasAttributedTo(
                entity,
                f"coop:member-{membership.user_id}",
                other_attributes={"coop:share": membership.share_weight},
            )

    derivations = VersionDerivation.objects.filter(
        child_id__in=kept_versions, parent_id__in=kept_versions
    ).order_by("child_id", "parent_id")
    for link in derivations:
        doc.wasDerivedFrom(
            f"coop:version-{link.child_id}",
            f"coop:version-{link.parent_id}",
            other_attributes={"coop:weight": weight_text(link.weight) or ""},
        )

    for m in models_list:
        attributes: dict[str, Any] = {"prov:label": m.name}
        if m.artifact_cid:
            attributes["coop:artifact"] = m.artifact_cid
        doc.entity(f"coop:model-{m.pk}", attributes)
        doc.wasAttributedTo(f"coop:model-{m.pk}", f"coop:member-{m.owner_id}")

    kept_models = {m.pk for m in models_list}
    for r in runs_list:
        run = f"coop:run-{r.pk}"
        doc.activity(run, r.started_at, r.ended_at, {"prov:label": f"training run {r.pk}"})
        doc.wasAssociatedWith(run, f"coop:member-{r.recorded_by_id}")
        if r.model_id in kept_models:
            doc.wasGeneratedBy(f"coop:model-{r.model_id}", run, r.ended_at)
    inputs = TrainingRunInput.objects.filter(
        run_id__in=kept_runs, version_id__in=kept_versions
    ).order_by("run_id", "version_id")
    for use in inputs:
        doc.used(
            f"coop:run-{use.run_id}",
            f"coop:version-{use.version_id}",
            other_attributes={"coop:weight": weight_text(use.weight) or ""},
        )
    return doc


def prov_json(*, nodes: set[str] | None = None) -> str:
    return str(prov_document(nodes=nodes).serialize(format="json"))

"""Writes to the provenance graph: registering models, recording training runs, adding
derivations after upload, and ingesting OpenLineage run events. Every fact is appended to the
hash-chained log in the same transaction that writes it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import NON_FIELD, Forbidden, Invalid
from ipfs.cid import is_cid, normalize_cid
from marketplace import selectors as market
from marketplace import services as market_services
from marketplace.models import DatasetVersion, VersionDerivation, VersionStatus
from provenance import selectors
from provenance.models import Model, TrainingRun, TrainingRunInput
from provenance.openlineage import ParsedEvent
from transparency.services import chain_lock, record_append

# TrainingRunInput.weight has 6 decimal places; facts record the weight as stored.
ATTRIBUTION_QUANTUM = Decimal("0.000001")
# TrainingRunInput.weight holds 18 digits before the point.
MAX_ATTRIBUTION = Decimal(10) ** 18


class ProvenanceRejected(Invalid):
    """A write the graph cannot accept, with a message naming the problem (a 400)."""

    default_field = NON_FIELD


@dataclass(frozen=True)
class RunInputSpec:
    version: DatasetVersion
    weight: Decimal | None = None
    rows_used: int | None = None


def _clean_cid(artifact_cid: str) -> str:
    artifact_cid = (artifact_cid or "").strip()
    if not artifact_cid:
        return ""
    if not is_cid(artifact_cid):
        raise ProvenanceRejected(
            f"{artifact_cid!r} is not an IPFS CID (CIDv0 Qm… or base32 CIDv1 b…).",
            field="artifact_cid",
        )
    return normalize_cid(artifact_cid)


def model_create(*, owner: User, name: str, description: str = "", artifact_cid: str = "") -> Model:
    if not name.strip():
        raise ProvenanceRejected("Give the model a name.", field="name")
    cid = _clean_cid(artifact_cid)
    with transaction.atomic():
        model = Model.objects.create(
            owner=owner, name=name.strip(), description=description, artifact_cid=cid
        )
        record_append(
            kind="model",
            subject=f"model:{model.pk}",
            payload={"model": model.pk, "owner": owner.pk, "name": model.name, "artifact": cid},
        )
    return model


def _check_usable(user: User, versions: Sequence[DatasetVersion]) -> None:
    not_admitted = [v for v in versions if v.status != VersionStatus.ADMITTED]
    if not_admitted:
        listed = ", ".join(f"{v.pk} ({v.cid})" for v in not_admitted)
        raise ProvenanceRejected(f"Version(s) not admitted to the catalogue: {listed}.")
    refusals = [r for r in (selectors.version_use_refusal(user, v) for v in versions) if r]
    if refusals:
        raise Forbidden("Not allowed to cite: " + "; ".join(refusals) + ".")


def _input_weight(spec: RunInputSpec) -> tuple[Decimal, int | None]:
    """The attribution weight: as given, else the rows used, else the version's row count,
    else 1 (equal shares when nothing is known)."""
    rows = spec.rows_used if spec.rows_used is not None else spec.version.row_count
    if spec.weight is not None:
        weight = spec.weight
    elif rows:
        weight = Decimal(rows)
    else:
        weight = Decimal(1)
    if not (0 < weight < MAX_ATTRIBUTION and weight.quantize(ATTRIBUTION_QUANTUM) > 0):
        raise ProvenanceRejected(
            f"The attribution weight of version {spec.version.pk} must be above 0 and below "
            f"{MAX_ATTRIBUTION:,} (6 decimal places are kept).",
            field="used",
        )
    return weight.quantize(ATTRIBUTION_QUANTUM), rows


def training_run_record(
    *,
    user: User,
    model: Model,
    started_at: datetime,
    ended_at: datetime | None,
    used: Sequence[RunInputSpec],
    parameters: dict[str, Any] | None = None,
    external_run_id: str | None = None,
) -> TrainingRun:
    """Record that a run generated ``model`` using admitted versions the owner may use."""
    if model.owner_id != user.pk:
        raise Forbidden("Only the model's owner can record its training runs.")
    if not used:
        raise ProvenanceRejected("A training run must cite the versions it used.", field="used")
    ids = [spec.version.pk for spec in used]
    if len(set(ids)) != len(ids):
        raise ProvenanceRejected("A version is listed twice in `used`.", field="used")
    if ended_at is not None and ended_at < started_at:
        raise ProvenanceRejected("The run cannot end before it started.", field="ended_at")
    weights = [_input_weight(spec) for spec in used]
    _check_usable(user, [spec.version for spec in used])
    with transaction.atomic():
        run = TrainingRun.objects.create(
            model=model,
            started_at=started_at,
            ended_at=ended_at,
            parameters=parameters or {},
            external_run_id=external_run_id,
            recorded_by=user,
        )
        TrainingRunInput.objects.bulk_create(
            TrainingRunInput(run=run, version=spec.version, weight=weight, rows_used=rows)
            for spec, (weight, rows) in zip(used, weights, strict=True)
        )
        record_append(
            kind="training_run",
            subject=f"run:{run.pk}",
            payload={
                "run": run.pk,
                "model": model.pk,
                "recorded_by": user.pk,
                "started_at": started_at.isoformat(),
                "ended_at": ended_at.isoformat() if ended_at else None,
                "external_run_id": external_run_id,
                "used": [
                    {"version": s.version.pk, "cid": s.version.cid, "weight": str(w)}
                    for s, (w, _) in zip(used, weights, strict=True)
                ],
            },
        )
    return run


# --- Derivations declared after upload ----------------------------------------------------


def _descendants(version_id: int) -> set[int]:
    """Every version derived, directly or not, from ``version_id`` (whatever its status),
    read through the graph's one edge definition."""
    return selectors.versions_downstream(version_id)


def derivation_add(
    *, user: User, child: DatasetVersion, parents: Sequence[market_services.ParentSpec]
) -> list[VersionDerivation]:
    """Declare that ``child`` wasDerivedFrom ``parents`` after its upload. Returns the new
    links; links already declared with the same weight are left as they are. The royalty
    rules and the links are marketplace's (``derivations_add``); provenance adds who may cite
    the parents and that the graph stays acyclic."""
    if not market.is_contributor_of(user, child.dataset_id):
        raise Forbidden("Only the dataset's contributors can declare its parents.")
    # Whether the member may cite the parents at all comes first, as for a run's inputs.
    _check_usable(user, [spec.version for spec in parents])
    specs = market_services.derivations_check(child=child, parents=parents, field=NON_FIELD)
    with transaction.atomic():
        # Serialise with every other write of the graph before checking it (see chain_lock).
        chain_lock()
        below = _descendants(child.pk)
        cyclic = [spec.version.pk for spec in specs if spec.version.pk in below]
        if cyclic:
            raise ProvenanceRejected(
                f"Deriving version {child.pk} from version(s) "
                f"{', '.join(map(str, cyclic))} would make a cycle: they are already derived "
                f"from version {child.pk}."
            )
        return market_services.derivations_add(child=child, parents=specs, field=NON_FIELD)


# --- OpenLineage --------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    event_type: str
    runs: list[TrainingRun]
    derivations: list[VersionDerivation]
    recorded: bool


def _versions_by_cid(cids: Sequence[str]) -> dict[str, DatasetVersion]:
    found = {
        v.cid: v for v in DatasetVersion.objects.filter(cid__in=set(cids)).select_related("dataset")
    }
    unknown = [cid for cid in cids if cid not in found]
    if unknown:
        raise ProvenanceRejected(
            "Unknown CID(s), no dataset version has them: " + ", ".join(unknown) + "."
        )
    return found


def openlineage_ingest(*, user: User, event: ParsedEvent) -> IngestResult:
    """Record what an OpenLineage RunEvent says. Only COMPLETE events write: a run for each
    model output and derivations for each ``ipfs`` output. Every reference is resolved (and
    refused with a 400 naming it) whatever the event type."""
    by_cid = _versions_by_cid([i.cid for i in event.inputs] + list(event.version_outputs))
    models = {m.pk: m for m in Model.objects.filter(pk__in=event.model_outputs)}
    unknown_models = [str(pk) for pk in event.model_outputs if pk not in models]
    if unknown_models:
        raise ProvenanceRejected("Unknown model id(s) in outputs: " + ", ".join(unknown_models))
    for model in models.values():
        if model.owner_id != user.pk:
            raise Forbidden(f"Only the owner of model {model.pk} can record its runs.")
    if event.event_type != "COMPLETE":
        return IngestResult(event.event_type, [], [], recorded=False)
    runs: list[TrainingRun] = []
    derivations: list[VersionDerivation] = []
    with transaction.atomic():
        for model_id in event.model_outputs:
            external = (
                event.run_id if len(event.model_outputs) == 1 else f"{event.run_id}/{model_id}"
            )
            existing = TrainingRun.objects.filter(external_run_id=external).first()
            if existing is not None:
                runs.append(existing)  # the same COMPLETE event sent again
                continue
            if not event.inputs:
                raise ProvenanceRejected("A training run event must list the inputs it used.")
            runs.append(
                training_run_record(
                    user=user,
                    model=models[model_id],
                    started_at=event.started_at,
                    ended_at=event.event_time,
                    used=[
                        RunInputSpec(by_cid[i.cid], weight=i.weight, rows_used=i.rows)
                        for i in event.inputs
                    ],
                    parameters=event.parameters,
                    external_run_id=external,
                )
            )
        for cid in event.version_outputs:
            missing = [i.cid for i in event.inputs if i.royalty is None]
            if missing:
                raise ProvenanceRejected(
                    f"Output {cid} is derived from inputs without a royalty weight: give each "
                    f"input a `royalty` facet with a `weight` (missing for {', '.join(missing)})."
                )
            derivations += derivation_add(
                user=user,
                child=by_cid[cid],
                parents=[
                    market_services.ParentSpec(by_cid[i.cid], i.royalty)
                    for i in event.inputs
                    if i.royalty is not None
                ],
            )
    return IngestResult(event.event_type, runs, derivations, recorded=True)

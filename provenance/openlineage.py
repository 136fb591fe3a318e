"""Reading OpenLineage ``RunEvent`` JSON (https://openlineage.io/spec/) into what the
cooperative records. Pure: no database; ``services.openlineage_ingest`` resolves the result.

How datasets map:

- an input or output is a dataset version when its namespace is ``ipfs`` and its name is the
  CID (``ipfs://<cid>`` and ``/ipfs/<cid>`` are accepted as the name too), or when its
  namespace is the URI ``ipfs://<cid>``;
- an output with namespace ``model`` and a model id as its name is the trained model;
- other datasets (warehouse tables, files) are not the cooperative's and are ignored.

Weights travel as facets: an input's ``royalty`` facet ``{"weight": "0.3"}`` (in ``facets`` or
``inputFacets``) is the royalty a derived output passes to it; an ``attribution`` input facet
``{"weight": ...}`` or the standard ``inputStatistics`` facet's ``rowCount`` sets the run's
attribution weight.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import Invalid
from ipfs.cid import is_cid, normalize_cid

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")


class EventInvalid(Invalid):
    """The event does not read as an OpenLineage RunEvent; the message says where."""


@dataclass(frozen=True)
class InputRef:
    cid: str
    royalty: Decimal | None = None
    weight: Decimal | None = None
    rows: int | None = None


@dataclass
class ParsedEvent:
    event_type: str
    event_time: datetime
    started_at: datetime
    run_id: str
    parameters: dict[str, Any]
    inputs: list[InputRef] = field(default_factory=list)
    model_outputs: list[int] = field(default_factory=list)
    version_outputs: list[str] = field(default_factory=list)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventInvalid(f"{where} must be a JSON object.")
    return value


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise EventInvalid(f"{where}.{key} must be a non-empty string.")
    return value.strip()


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise EventInvalid(f"{where} must be an ISO 8601 date-time string.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EventInvalid(f"{where} is not an ISO 8601 date-time: {value!r}.") from exc
    if parsed.tzinfo is None:
        raise EventInvalid(f"{where} must carry a time zone: {value!r}.")
    return parsed


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise EventInvalid(f"{where} must be a number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise EventInvalid(f"{where} must be a number; got {value!r}.") from exc
    if not number.is_finite():
        raise EventInvalid(f"{where} must be a finite number.")
    return number


def dataset_cid(namespace: str, name: str) -> str | None:
    """The CID an OpenLineage dataset names, or None if it is not an IPFS dataset."""
    candidate: str | None = None
    if namespace.startswith("ipfs://"):
        candidate = namespace.removeprefix("ipfs://").strip("/")
    elif namespace == "ipfs":
        candidate = name
        for prefix in ("ipfs://", "/ipfs/"):
            candidate = candidate.removeprefix(prefix)
        candidate = candidate.strip("/")
    elif name.startswith("ipfs://"):
        candidate = name.removeprefix("ipfs://").strip("/")
    if candidate is None:
        return None
    # Anything after the CID (a path inside a directory) is not a version of its own.
    candidate = candidate.split("/", 1)[0]
    return candidate


def _facet(dataset: dict[str, Any], name: str, where: str) -> dict[str, Any] | None:
    for holder in ("inputFacets", "facets"):
        facets = dataset.get(holder)
        if facets is None:
            continue
        facets = _object(facets, f"{where}.{holder}")
        if name in facets:
            return _object(facets[name], f"{where}.{holder}.{name}")
    return None


def _input(dataset: dict[str, Any], where: str) -> InputRef | None:
    cid = dataset_cid(_text(dataset, "namespace", where), _text(dataset, "name", where))
    if cid is None:
        return None
    if not is_cid(cid):
        raise EventInvalid(f"{where} names {cid!r}, which is not an IPFS CID.")
    royalty = weight = None
    rows = None
    facet = _facet(dataset, "royalty", where)
    if facet is not None:
        royalty = _decimal(facet.get("weight"), f"{where} royalty.weight")
    facet = _facet(dataset, "attribution", where)
    if facet is not None:
        weight = _decimal(facet.get("weight"), f"{where} attribution.weight")
        if weight <= 0:
            raise EventInvalid(f"{where} attribution.weight must be above 0.")
    facet = _facet(dataset, "inputStatistics", where)
    if facet is not None and facet.get("rowCount") is not None:
        count = facet["rowCount"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise EventInvalid(f"{where} inputStatistics.rowCount must be a whole number.")
        rows = count
    return InputRef(cid=normalize_cid(cid), royalty=royalty, weight=weight, rows=rows)


def _datasets(event: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = event.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise EventInvalid(f"{key} must be a list of datasets.")
    return [_object(item, f"{key}[{n}]") for n, item in enumerate(value)]


def _parameters(run: dict[str, Any], job: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "openlineage": {
            "job": {"namespace": job["namespace"], "name": job["name"]},
            "producer": event.get("producer") if isinstance(event.get("producer"), str) else "",
        }
    }
    facets = run.get("facets")
    if isinstance(facets, dict) and isinstance(facets.get("parameters"), dict):
        params["parameters"] = {
            k: v for k, v in facets["parameters"].items() if not k.startswith("_")
        }
    return params


def parse_run_event(data: Any) -> ParsedEvent:
    """Check the shape of a RunEvent and pick out the cooperative's datasets and models."""
    event = _object(data, "The event")
    event_type = event.get("eventType")
    if event_type not in EVENT_TYPES:
        raise EventInvalid(
            f"eventType must be one of {', '.join(EVENT_TYPES)}; got {event_type!r}."
        )
    event_time = _time(event.get("eventTime"), "eventTime")
    run = _object(event.get("run"), "run")
    run_id = _text(run, "runId", "run")
    if len(run_id) > 64:
        raise EventInvalid("run.runId is too long (a UUID is expected).")
    job = _object(event.get("job"), "job")
    job = {"namespace": _text(job, "namespace", "job"), "name": _text(job, "name", "job")}
    started_at = event_time
    facets = run.get("facets")
    if isinstance(facets, dict) and isinstance(facets.get("nominalTime"), dict):
        start = facets["nominalTime"].get("nominalStartTime")
        if start is not None:
            started_at = _time(start, "run.facets.nominalTime.nominalStartTime")
    if started_at > event_time:
        started_at = event_time
    parsed = ParsedEvent(
        event_type=str(event_type),
        event_time=event_time,
        started_at=started_at,
        run_id=run_id,
        parameters=_parameters(run, job, event),
    )
    seen: set[str] = set()
    for n, dataset in enumerate(_datasets(event, "inputs")):
        ref = _input(dataset, f"inputs[{n}]")
        if ref is None:
            continue
        if ref.cid in seen:
            raise EventInvalid(f"inputs[{n}] repeats CID {ref.cid}.")
        seen.add(ref.cid)
        parsed.inputs.append(ref)
    for n, dataset in enumerate(_datasets(event, "outputs")):
        where = f"outputs[{n}]"
        namespace, name = _text(dataset, "namespace", where), _text(dataset, "name", where)
        if namespace == "model":
            if not name.isdigit() or len(name) > 18:
                raise EventInvalid(f"{where}: a model output's name is the model id; got {name!r}.")
            parsed.model_outputs.append(int(name))
            continue
        cid = dataset_cid(namespace, name)
        if cid is None:
            continue
        if not is_cid(cid):
            raise EventInvalid(f"{where} names {cid!r}, which is not an IPFS CID.")
        cid = normalize_cid(cid)
        if cid in seen:
            raise EventInvalid(f"{where}: version {cid} cannot be derived from itself.")
        parsed.version_outputs.append(cid)
    if not parsed.model_outputs and not parsed.version_outputs:
        raise EventInvalid(
            "The event has no output the cooperative knows: give an output with namespace "
            "`model` and the model id as name, or namespace `ipfs` and a version's CID."
        )
    if len(set(parsed.model_outputs)) != len(parsed.model_outputs):
        raise EventInvalid("outputs list the same model twice.")
    if not parsed.inputs:
        raise EventInvalid(
            "The event has no input the cooperative knows: inputs are dataset versions, named "
            "by namespace `ipfs` and the CID, or an ipfs://<cid> URI."
        )
    return parsed

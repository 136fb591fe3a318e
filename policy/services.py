"""Writes of the cooperative's policy: the version in force (version 1 made on first use from
the settings) and a new version, decided by a curator today and by a motion once governance
exists. Who may decide is the caller's to check; the service records the reference it is
given (``decided_by``) and appends the new version to the provenance chain."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.errors import Invalid
from core.versioning import decided_by_clean, version_current, version_next
from policy.models import BASIS_POINTS, CooperativePolicy
from transparency.services import record_append

RATES = ("fee_bp", "data_share_bp", "max_royalty_stack_bp")
# The settings version 1 is made from, rate by rate.
BOOTSTRAP_SETTINGS = {
    "fee_bp": "COOP_FEE_BASIS_POINTS",
    "data_share_bp": "COOP_DATA_SHARE_BASIS_POINTS",
    "max_royalty_stack_bp": "COOP_MAX_ROYALTY_STACK_BASIS_POINTS",
}


class PolicyInvalid(Invalid):
    """A policy change that cannot be made; ``field`` names the rate at fault."""

    field_in_detail = True


def _rate_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "must be a whole number of basis points"
    if not 0 <= value <= BASIS_POINTS:
        return f"must be between 0 and {BASIS_POINTS} basis points (0 to 100 %)"
    return None


def _bootstrap() -> dict[str, Any]:
    values: dict[str, Any] = {"note": "default policy", "decided_by": "bootstrap"}
    for field, name in BOOTSTRAP_SETTINGS.items():
        value = getattr(settings, name)
        problem = _rate_problem(value)
        if problem:
            raise ImproperlyConfigured(f"{name} {problem}; got {value!r}.")
        values[field] = value
    return values


def policy_current() -> CooperativePolicy:
    """The policy in force: the newest version."""
    return version_current(CooperativePolicy, field="version", first=_bootstrap)


def policy_create(
    *,
    decided_by: str,
    fee_bp: int | None = None,
    data_share_bp: int | None = None,
    max_royalty_stack_bp: int | None = None,
    note: str = "",
) -> CooperativePolicy:
    """The next version: the rates given change, the others carry over from the version in
    force. Raises ``PolicyInvalid`` naming the field; then nothing is written."""
    changes = {
        "fee_bp": fee_bp,
        "data_share_bp": data_share_bp,
        "max_royalty_stack_bp": max_royalty_stack_bp,
    }
    for field, value in changes.items():
        if value is not None and (problem := _rate_problem(value)):
            raise PolicyInvalid(f"The {field} {problem}.", field=field)
    decided_by = decided_by_clean(decided_by)
    note = note.strip()
    if len(note) > 200:
        raise PolicyInvalid("The note must be at most 200 characters.", field="note")

    def values(current: CooperativePolicy) -> dict[str, Any]:
        rates = {f: getattr(current, f) if v is None else v for f, v in changes.items()}
        return {**rates, "note": note, "decided_by": decided_by}

    def record(policy: CooperativePolicy) -> None:
        record_append(
            kind="cooperative_policy",
            subject=f"cooperative_policy:{policy.version}",
            payload={
                "version": policy.version,
                **{f: getattr(policy, f) for f in RATES},
                "note": policy.note,
                "by": decided_by,
            },
        )

    return version_next(
        CooperativePolicy, field="version", first=_bootstrap, values=values, then=record
    )

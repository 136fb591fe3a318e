"""Versioned rows that are never edited: a change is a new row with the next number.

The cooperative's policy (``policy.CooperativePolicy.version``) and the default quality policy
(``quality.QualityPolicy.number``) follow this one pattern:

- ``version_current``: the newest row. Version 1 is created on first use, from the caller's
  defaults, rather than by a data migration, so it also exists after a test flushes the
  tables; two first uses at once still make one row (the number is unique).
- ``decided_by_clean``: the reference to who decided a version, which every version records.
- ``version_next``: a new row numbered after the newest one, with the caller's values and,
  in the same transaction, whatever the caller records with it (its provenance record). Two
  changes at once cannot take the same number: the one that loses the race reads the new
  newest row and tries again, so neither change is lost.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from core.errors import Conflict, Invalid

M = TypeVar("M", bound=models.Model)

# How often a change that lost a race for its number is tried again before giving up.
ATTEMPTS = 3
# ``decided_by`` columns hold this much, like the ledger's references.
DECIDED_BY_MAX = 100


def decided_by_clean(decided_by: str) -> str:
    """Who decided a new version, as an opaque reference ("curator:7", "motion:12"), checked:
    a version nobody decided would be unaccountable."""
    reference = decided_by.strip()
    if not reference or len(reference) > DECIDED_BY_MAX:
        raise Invalid(
            f'Say who decided the change, e.g. "curator:7" (at most {DECIDED_BY_MAX} characters).',
            field="decided_by",
        )
    return reference


def version_current(model: type[M], *, field: str, first: Callable[[], dict[str, Any]]) -> M:
    """The row with the highest ``field``; number 1 (with ``first()``) when there is none."""
    manager = model._default_manager
    latest = manager.order_by(f"-{field}").first()
    if latest is not None:
        return latest
    # get_or_create retries the read when a concurrent first use inserted number 1 first.
    row, _ = manager.get_or_create(**{field: 1}, defaults=first())
    return row


def version_next(
    model: type[M],
    *,
    field: str,
    first: Callable[[], dict[str, Any]],
    values: Callable[[M], dict[str, Any]],
    then: Callable[[M], object] | None = None,
) -> M:
    """Create the row after the newest one with ``values(newest)`` (unchanged fields can be
    carried over from it), then call ``then(row)`` in the same transaction."""
    manager = model._default_manager
    for _ in range(ATTEMPTS):
        latest = version_current(model, field=field, first=first)
        number = getattr(latest, field) + 1
        try:
            with transaction.atomic():
                row = manager.create(**{field: number}, **values(latest))
                if then is not None:
                    then(row)
                return row
        except IntegrityError:
            if not manager.filter(**{field: number}).exists():
                raise  # some other constraint: not a race for the number
    raise Conflict(
        f"The {model._meta.verbose_name} kept changing while this change was made; try again."
    )

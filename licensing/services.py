"""Writes for licensing: offers, purchases (idempotent, paid, booked, granted) and downloads.

A purchase is one database transaction: claim the idempotency key (a unique row), charge the
payment provider, post the balanced ledger rows and revenue events, create the grant and append
the ``purchase`` and ``grant`` provenance records. Any refusal rolls all of it back.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import has_buyer_role, is_curator
from core.errors import NON_FIELD, Conflict, Forbidden, Invalid
from ledger import services as ledger
from ledger.models import Currency
from licensing import selectors
from licensing.models import AccessGrant, AccessVia, Download, LicenseOffer, Purchase, Use
from licensing.payments import PaymentProvider, default_provider
from marketplace.downloads import ByteRange
from marketplace.models import Dataset, DatasetVersion, License, VersionStatus
from marketplace.selectors import is_contributor_of
from transparency.services import record_append


class OfferRejected(Invalid):
    """Terms that cannot be offered; ``field`` names the term at fault."""

    default_field = NON_FIELD
    field_in_detail = True


class IdempotencyConflict(Conflict):
    """The key was already used by this buyer for a different request."""


class PurchaseRefused(Conflict):
    """The offer cannot be bought right now (withdrawn, nothing admitted to sell)."""


class AccessDenied(Forbidden):
    """No download: the message is the reason ("no grant", "grant expired")."""


# --- Offers --------------------------------------------------------------------------------


def _offer_payload(offer: LicenseOffer, version_ids: Sequence[int]) -> dict[str, Any]:
    return {
        "offer": offer.pk,
        "dataset": offer.dataset_id,
        "license": offer.license,
        "use": offer.use,
        "price": offer.price,
        "currency": offer.currency,
        "duration_days": offer.duration_days,
        "versions": "all" if offer.all_versions else sorted(version_ids),
    }


def offer_create(
    *,
    user: User,
    dataset: Dataset,
    license: str,
    use: str,
    price: int,
    currency: str = "EUR",
    duration_days: int | None = None,
    version_ids: Sequence[int] | None = None,
) -> LicenseOffer:
    """Attach terms to an admitted dataset; ``version_ids`` pins the versions it covers."""
    if not is_contributor_of(user, dataset):
        raise Forbidden("Only the dataset's contributors can set its offers.")
    if license not in License.values:
        raise OfferRejected(f"Unknown licence {license!r}.", field="license")
    if use not in Use.values:
        raise OfferRejected(f"Use must be one of {', '.join(Use.values)}.", field="use")
    if price < 0:
        raise OfferRejected("The price cannot be negative.", field="price")
    if currency not in Currency.values:
        raise OfferRejected(f"Unknown currency {currency!r}.", field="currency")
    if duration_days is not None and duration_days <= 0:
        raise OfferRejected("The duration must be at least one day.", field="duration_days")
    admitted = set(
        dataset.versions.filter(status=VersionStatus.ADMITTED).values_list("pk", flat=True)
    )
    if not admitted:
        raise OfferRejected("Only datasets with an admitted version can be offered.")
    pinned = sorted(set(version_ids or []))
    not_admitted = [v for v in pinned if v not in admitted]
    if not_admitted:
        raise OfferRejected(
            f"Not admitted versions of this dataset: {not_admitted}.", field="versions"
        )
    with transaction.atomic():
        offer = LicenseOffer.objects.create(
            dataset=dataset,
            license=license,
            use=use,
            price=price,
            currency=currency,
            duration_days=duration_days,
            all_versions=not pinned,
            created_by=user,
        )
        if pinned:
            offer.versions.set(pinned)
        record_append(
            kind="offer", subject=f"dataset:{dataset.pk}", payload=_offer_payload(offer, pinned)
        )
    return offer


def offer_withdraw(*, user: User, offer: LicenseOffer) -> None:
    """Stop selling under these terms; grants already bought stay valid."""
    if not is_contributor_of(user, offer.dataset_id):
        raise Forbidden("Only the dataset's contributors can withdraw its offers.")
    with transaction.atomic():
        updated = LicenseOffer.objects.filter(pk=offer.pk, is_active=True).update(
            is_active=False, updated_at=timezone.now()
        )
        if updated:
            record_append(
                kind="offer_withdrawn",
                subject=f"dataset:{offer.dataset_id}",
                payload={"offer": offer.pk, "dataset": offer.dataset_id, "by": user.pk},
            )
    offer.is_active = False


def covered_versions(offer: LicenseOffer) -> list[DatasetVersion]:
    """The admitted versions an offer sells today, oldest first."""
    qs = DatasetVersion.objects.filter(dataset_id=offer.dataset_id, status=VersionStatus.ADMITTED)
    if not offer.all_versions:
        qs = qs.filter(offers=offer)
    return list(qs.order_by("number"))


# --- Purchases -----------------------------------------------------------------------------


def request_fingerprint(body: dict[str, Any]) -> str:
    """What makes two requests 'the same' for an idempotency key: the canonical body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PurchaseOutcome:
    purchase: Purchase
    created: bool  # False: a retry that found the earlier purchase (nothing charged again)


def _replayed(buyer: User, key: str, fingerprint: str) -> Purchase | None:
    existing = Purchase.objects.filter(buyer_id=buyer.pk, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used for a different request; "
            "use a new key for a new purchase."
        )
    return existing


def purchase_create(
    *,
    buyer: User,
    offer: LicenseOffer,
    idempotency_key: str,
    fingerprint: str,
    provider: PaymentProvider | None = None,
) -> PurchaseOutcome:
    """Buy ``offer`` once per (buyer, key). Raises ``IdempotencyConflict``, ``PurchaseRefused``,
    ``Forbidden`` or the provider's ``PaymentDeclined``; then nothing is written."""
    existing = _replayed(buyer, idempotency_key, fingerprint)
    if existing is not None:
        return PurchaseOutcome(existing, created=False)
    if not has_buyer_role(buyer):
        raise Forbidden("Only members with the buyer role can buy access.")
    if not offer.is_active:
        raise PurchaseRefused("This offer has been withdrawn.")
    versions = covered_versions(offer)
    if not versions:
        raise PurchaseRefused("This offer covers no admitted version at the moment.")
    provider = provider or default_provider()
    try:
        with transaction.atomic():
            # The unique (buyer, key) row is the claim: a concurrent request with the same key
            # waits on this insert until the first one commits, then fails here.
            purchase = Purchase.objects.create(
                buyer=buyer,
                offer=offer,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                price=offer.price,
                currency=offer.currency,
                payment_provider=provider.name,
            )
            _pay_and_grant(purchase, offer, versions, provider)
    except IntegrityError:
        existing = _replayed(buyer, idempotency_key, fingerprint)
        if existing is None:
            raise
        return PurchaseOutcome(existing, created=False)
    return PurchaseOutcome(purchase, created=True)


def _pay_and_grant(
    purchase: Purchase,
    offer: LicenseOffer,
    versions: list[DatasetVersion],
    provider: PaymentProvider,
) -> None:
    buyer = purchase.buyer
    reference = f"purchase:{purchase.pk}"
    if offer.price > 0:
        source = provider.charge(
            payer=buyer, amount=offer.price, currency=offer.currency, reference=reference
        )
        sale = ledger.sale_post(
            payer_account=source,
            price=offer.price,
            currency=offer.currency,
            version_ids=[v.pk for v in versions],
            reference=reference,
            created_by=buyer,
        )
        purchase.fee = sale.fee
        purchase.ledger_transaction = sale.transaction
        purchase.save(update_fields=["fee", "ledger_transaction"])
    # A free offer moves no money, so it posts no ledger rows; the grant is still recorded.
    now = timezone.now()
    expires_at = now + timedelta(days=offer.duration_days) if offer.duration_days else None
    grant = AccessGrant.objects.create(
        purchase=purchase,
        buyer=buyer,
        dataset_id=offer.dataset_id,
        license=offer.license,
        use=offer.use,
        expires_at=expires_at,
    )
    grant.versions.set(versions)
    record_append(
        kind="purchase",
        subject=reference,
        payload={
            "purchase": purchase.pk,
            "buyer": buyer.pk,
            "offer": offer.pk,
            "dataset": offer.dataset_id,
            "versions": [{"version": v.pk, "cid": v.cid} for v in versions],
            "price": purchase.price,
            "fee": purchase.fee,
            "currency": purchase.currency,
            "payment_provider": purchase.payment_provider,
            "ledger_transaction": purchase.ledger_transaction_id,
        },
    )
    record_append(
        kind="grant",
        subject=f"grant:{grant.pk}",
        payload={
            "grant": grant.pk,
            "purchase": purchase.pk,
            "buyer": buyer.pk,
            "versions": [v.pk for v in versions],
            "license": grant.license,
            "use": grant.use,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )


# --- Downloads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    via: str
    grant: AccessGrant | None


def download_access(*, user: User, version: DatasetVersion) -> Access:
    """Who may download: the dataset's contributors, curators, and holders of an active grant
    covering this exact version. Raises ``AccessDenied`` with the reason otherwise."""
    if is_contributor_of(user, version.dataset_id):
        return Access(AccessVia.CONTRIBUTOR, None)
    if is_curator(user):
        return Access(AccessVia.CURATOR, None)
    grant = selectors.active_grant(user, version)
    if grant is not None:
        return Access(AccessVia.GRANT, grant)
    raise AccessDenied("grant expired" if selectors.grants_covering(user, version) else "no grant")


def download_record(
    *,
    user: User,
    version: DatasetVersion,
    access: Access,
    byte_range: ByteRange | None,
) -> Download:
    return Download.objects.create(
        user=user,
        version=version,
        grant=access.grant,
        via=access.via,
        range_start=byte_range.start if byte_range else None,
        range_end=byte_range.end if byte_range else None,
        length=byte_range.length if byte_range else version.size,
    )

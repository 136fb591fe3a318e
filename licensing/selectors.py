"""Reads for the catalogue API, offers, grants and balances, each a fixed number of queries.

The catalogue shows datasets through their admitted versions only, whoever asks.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from accounts.selectors import AnyUser
from core.api import MAX_ID
from licensing.models import AccessGrant, CatalogueGeneration, LicenseOffer
from marketplace.models import Dataset, DatasetContributor, DatasetVersion
from marketplace.selectors import admitted_versions, datasets_of, listed_datasets


@dataclass(frozen=True)
class CatalogueFilter:
    text: str = ""
    license: str = ""
    fmt: str = ""
    use: str = ""
    currency: str = ""
    price_min: int | None = None
    price_max: int | None = None


def _active_offers() -> QuerySet[LicenseOffer]:
    return LicenseOffer.objects.filter(is_active=True)


def with_catalogue_relations(qs: QuerySet[Dataset]) -> QuerySet[Dataset]:
    """Everything a catalogue item shows, in one query per relation (not per dataset)."""
    return qs.prefetch_related(
        Prefetch(
            "versions",
            queryset=admitted_versions().order_by("-number"),
            to_attr="admitted_versions",
        ),
        Prefetch(
            "offers",
            queryset=_active_offers()
            .order_by("price", "id")
            .prefetch_related(Prefetch("versions", queryset=DatasetVersion.objects.only("id"))),
            to_attr="active_offers",
        ),
        Prefetch("memberships", queryset=DatasetContributor.objects.select_related("user")),
    )


def with_latest(datasets: list[Dataset]) -> list[Dataset]:
    """Set ``latest_admitted`` (the newest admitted version) on datasets loaded through
    ``with_catalogue_relations``."""
    for dataset in datasets:
        dataset.latest_admitted = dataset.admitted_versions[0]  # type: ignore[attr-defined]
    return datasets


def catalogue(filters: CatalogueFilter) -> QuerySet[Dataset]:
    """The catalogue API: the listed datasets (``marketplace.selectors.listed_datasets``),
    filtered by licence (the dataset's or an offer's) and by the terms of one offer."""
    qs = listed_datasets(text=filters.text, fmt=filters.fmt)
    if filters.license:
        offered_under = _active_offers().filter(dataset=OuterRef("pk"), license=filters.license)
        qs = qs.filter(Q(license=filters.license) | Exists(offered_under))
    # Offer filters apply together to one offer: "a research offer under 10 EUR".
    offers = _active_offers().filter(dataset=OuterRef("pk"))
    if filters.use:
        offers = offers.filter(use=filters.use)
    if filters.currency:
        offers = offers.filter(currency=filters.currency)
    if filters.price_min is not None:
        offers = offers.filter(price__gte=filters.price_min)
    if filters.price_max is not None:
        offers = offers.filter(price__lte=filters.price_max)
    if (
        filters.use
        or filters.currency
        or filters.price_min is not None
        or (filters.price_max is not None)
    ):
        qs = qs.filter(Exists(offers))
    return with_catalogue_relations(qs)


def catalogue_dataset(dataset_id: int) -> Dataset | None:
    if not 0 < dataset_id <= MAX_ID:
        return None
    dataset = with_catalogue_relations(listed_datasets().filter(pk=dataset_id)).first()
    return with_latest([dataset])[0] if dataset is not None else None


def dataset_offers(dataset: Dataset) -> QuerySet[LicenseOffer]:
    """All offers of a dataset, withdrawn ones too (for its contributors)."""
    return (
        LicenseOffer.objects.filter(dataset=dataset)
        .prefetch_related(Prefetch("versions", queryset=DatasetVersion.objects.only("id")))
        .order_by("-is_active", "price", "id")
    )


def offer_for_purchase(offer_id: int) -> LicenseOffer | None:
    if not 0 < offer_id <= MAX_ID:
        return None
    return LicenseOffer.objects.select_related("dataset").filter(pk=offer_id).first()


def grants_of(user: User) -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.filter(buyer_id=user.pk)
        .select_related("purchase", "dataset")
        .prefetch_related(Prefetch("versions", queryset=DatasetVersion.objects.order_by("number")))
        .order_by("-id")
    )


def grants_covering(user: AnyUser, version: DatasetVersion) -> list[AccessGrant]:
    """The user's grants that cover this exact version, the one to use first first: a
    perpetual grant, then the one that expires last."""
    return list(
        AccessGrant.objects.filter(buyer_id=user.pk, versions=version).order_by(
            F("expires_at").desc(nulls_first=True), "-pk"
        )
    )


def active_grant(user: AnyUser, version: DatasetVersion) -> AccessGrant | None:
    """The grant that lets the user use the version now (``AccessGrant.is_active``), if any:
    the one rule downloads and training runs both ask."""
    return next((g for g in grants_covering(user, version) if g.is_active), None)


def owned_dataset(user: User, dataset_id: int) -> Dataset | None:
    """A dataset the user contributes to (admitted or not), for the offers page."""
    if not 0 < dataset_id <= MAX_ID:
        return None
    return datasets_of(user).filter(pk=dataset_id).first()


# Plain SQL through the cursor: on every catalogue request, the ORM would cost more than the
# query. Only the model's table name is formatted in.
_GENERATION_SQL = f"SELECT value FROM {CatalogueGeneration._meta.db_table} WHERE id = 1"  # noqa: S608


def catalogue_generation() -> int | None:
    """The catalogue's current generation: a value the database replaces whenever a row the
    catalogue shows changes (``licensing.models.CatalogueGeneration``), read on every catalogue
    request to validate its cached responses. One primary-key read, whatever the catalogue's
    size.

    ``None`` when the row is missing: a TRUNCATE (Django's test flush) removes it without
    firing the triggers, so nothing is known about what changed since; the triggers write it
    again on the next change.
    """
    with connection.cursor() as cursor:
        cursor.execute(_GENERATION_SQL)
        row = cursor.fetchone()
    return None if row is None else int(row[0])

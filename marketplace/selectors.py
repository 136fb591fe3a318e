"""Reads for datasets and versions, with the visibility rules in one place.

Everyone (signed in or not, on the web) sees admitted versions. A dataset's contributors and
the cooperative's curators also see versions that are still in the pipeline or were refused.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.selectors import AnyUser, is_curator
from core.api import MAX_ID
from marketplace.models import Dataset, DatasetContributor, DatasetVersion, VersionStatus


def is_contributor_of(user: AnyUser, dataset: Dataset | int) -> bool:
    if not user.is_authenticated:
        return False
    dataset_id = dataset if isinstance(dataset, int) else dataset.pk
    return DatasetContributor.objects.filter(dataset_id=dataset_id, user_id=user.pk).exists()


def can_see_unadmitted(user: AnyUser, dataset: Dataset | int) -> bool:
    return is_contributor_of(user, dataset) or is_curator(user)


def admitted_versions() -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(status=VersionStatus.ADMITTED)


def listed_datasets(*, text: str = "", fmt: str = "") -> QuerySet[Dataset]:
    """The catalogue's rule, for the web page and the API alike: a dataset is listed once it
    has an admitted version (of format ``fmt``, when given), newest-updated first; ``text``
    searches the title and description."""
    admitted = admitted_versions().filter(dataset=OuterRef("pk"))
    if fmt:
        admitted = admitted.filter(format=fmt)
    qs = Dataset.objects.filter(Exists(admitted))
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(description__icontains=text))
    return qs.order_by("-updated_at", "-pk")


def catalogue_datasets(*, text: str = "", license: str = "", fmt: str = "") -> QuerySet[Dataset]:
    """The catalogue page: listed datasets, filtered by their licence too."""
    qs = listed_datasets(text=text, fmt=fmt)
    return qs.filter(license=license) if license else qs


def datasets_of(user: AnyUser) -> QuerySet[Dataset]:
    if not user.is_authenticated:
        return Dataset.objects.none()
    return Dataset.objects.filter(memberships__user_id=user.pk).order_by("-updated_at")


def dataset_for(user: AnyUser, dataset_id: int) -> Dataset | None:
    """The dataset if the user may see it: it has an admitted version, or they may see all."""
    if not 0 < dataset_id <= MAX_ID:
        return None
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        return None
    if can_see_unadmitted(user, dataset) or listed_datasets().filter(pk=dataset.pk).exists():
        return dataset
    return None


def versions_for(user: AnyUser, dataset: Dataset) -> QuerySet[DatasetVersion]:
    qs = dataset.versions.select_related("pin").order_by("-number")
    if can_see_unadmitted(user, dataset):
        return qs
    return qs.filter(status=VersionStatus.ADMITTED)


def version_for(user: AnyUser, version_id: int) -> DatasetVersion | None:
    """The version if the user may see it: it is admitted, or they may see unadmitted ones."""
    if not 0 < version_id <= MAX_ID:
        return None
    version = (
        DatasetVersion.objects.select_related("dataset", "pin", "uploaded_by")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        return None
    if version.status == VersionStatus.ADMITTED or can_see_unadmitted(user, version.dataset_id):
        return version
    return None

"""Web pages: the catalogue, dataset and version pages, uploads, and the owner's download."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.auth import AuthenticatedHttpRequest
from marketplace import selectors, services
from marketplace.downloads import download_check, stream_version
from marketplace.forms import DatasetUploadForm, VersionUploadForm
from marketplace.models import Dataset, DatasetVersion, Format, License, VersionStatus
from marketplace.uploads import upload_error

PIPELINE = [
    VersionStatus.UPLOADED,
    VersionStatus.PINNING,
    VersionStatus.PINNED,
    VersionStatus.CHECKING,
    VersionStatus.ADMITTED,
]


def catalogue(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    license = request.GET.get("license", "")
    fmt = request.GET.get("format", "")
    qs = selectors.catalogue_datasets(
        text=text,
        license=license if license in License.values else "",
        fmt=fmt if fmt in Format.values else "",
    )
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "marketplace/catalogue.html",
        {
            "page": page,
            "q": text,
            "license": license,
            "format": fmt,
            "licenses": License.choices,
            "formats": Format.choices,
            "query_string": params.urlencode(),
            "my_datasets": selectors.datasets_of(request.user)[:20],
        },
    )


def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    dataset = selectors.dataset_for(request.user, dataset_id)
    if dataset is None:
        raise Http404("No such dataset.")
    return render(
        request,
        "marketplace/dataset_detail.html",
        {
            "dataset": dataset,
            "versions": selectors.versions_for(request.user, dataset),
            "is_owner": selectors.is_contributor_of(request.user, dataset),
            "contributors": dataset.memberships.select_related("user"),
        },
    )


def _handle_upload(
    request: HttpRequest,
    form: VersionUploadForm,
    create: Callable[[Any], DatasetVersion],
) -> HttpResponse | None:
    refused = upload_error(request)
    if refused:
        form.add_error("file", refused)
        return None
    if not form.is_valid():
        return None
    try:
        version = create(form)
    except (services.UploadRejected, services.DerivationRejected) as exc:
        # A duplicate names no request field; it is about the file.
        form.add_service_error(exc.field or "file", exc.message)
        return None
    messages.success(request, "Upload received. Follow it through pinning below.")
    return redirect("marketplace:version", version_id=version.pk)


def _upload_page(
    request: AuthenticatedHttpRequest,
    form: VersionUploadForm,
    dataset: Dataset | None,
    create: Callable[[Any], DatasetVersion],
) -> HttpResponse:
    if request.method == "POST":
        done = _handle_upload(request, form, create)
        if done is not None:
            return done
    return render(
        request,
        "marketplace/upload.html",
        {"form": form, "dataset": dataset, "max_upload_bytes": settings.COOP_UPLOAD_MAX_BYTES},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def dataset_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DatasetUploadForm(request.POST or None, request.FILES or None)
    return _upload_page(
        request,
        form,
        None,
        lambda f: services.dataset_create(
            user=request.user,
            title=f.cleaned_data["title"],
            description=f.cleaned_data["description"],
            license=f.cleaned_data["license"],
            fmt=f.cleaned_data["format"],
            upload=f.cleaned_data["file"],
            parents=f.parent_specs,
        ),
    )


@login_required
def version_new(request: AuthenticatedHttpRequest, dataset_id: int) -> HttpResponse:
    dataset = get_object_or_404(Dataset, pk=dataset_id)
    if not selectors.is_contributor_of(request.user, dataset):
        raise Http404("No such dataset of yours.")
    form = VersionUploadForm(request.POST or None, request.FILES or None)
    return _upload_page(
        request,
        form,
        dataset,
        lambda f: services.version_create(
            user=request.user,
            dataset=dataset,
            fmt=f.cleaned_data["format"],
            upload=f.cleaned_data["file"],
            parents=f.parent_specs,
        ),
    )


def version_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.version_for(request.user, version_id)
    if version is None:
        raise Http404("No such version.")
    return render(
        request,
        "marketplace/version_detail.html",
        {
            "version": version,
            "dataset": version.dataset,
            "is_owner": selectors.is_contributor_of(request.user, version.dataset),
            "can_download": selectors.can_see_unadmitted(request.user, version.dataset),
            "pipeline": PIPELINE,
            "parents": version.parent_links.select_related("parent__dataset"),
        },
    )


def version_status(request: HttpRequest, version_id: int) -> JsonResponse:
    """Polled by the version page to move its status along without a reload."""
    version = selectors.version_for(request.user, version_id)
    if version is None:
        return JsonResponse({"detail": "No such version."}, status=404)
    pin = getattr(version, "pin", None)
    return JsonResponse(
        {
            "id": version.pk,
            "status": version.status,
            "status_label": version.get_status_display(),
            "reason": version.status_reason,
            "terminal": version.is_terminal,
            "cid": version.cid,
            "pin": None
            if pin is None
            else {"status": pin.status, "attempts": pin.attempts, "last_error": pin.last_error},
        }
    )


@login_required
@require_POST
def version_retry_pin(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    version = selectors.version_for(request.user, version_id)
    if version is None:
        raise Http404("No such version.")
    services.pin_requeue(user=request.user, version=version)
    messages.info(request, "Pinning queued again.")
    return redirect(reverse("marketplace:version", args=[version.pk]))


@login_required
def version_download(
    request: AuthenticatedHttpRequest, version_id: int
) -> HttpResponse | StreamingHttpResponse:
    """The contributors' and curators' own download (buyers use the API with a grant)."""
    version = selectors.version_for(request.user, version_id)
    if version is None or not selectors.can_see_unadmitted(request.user, version.dataset):
        raise Http404("No such version to download.")
    return stream_version(version, download_check(version, request.headers.get("Range")))

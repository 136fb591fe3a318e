"""REST endpoints: the catalogue, offers, purchases, grants and downloads.

Each view checks input and calls one selector or service. Domain refusals (a declined
payment, a refused download, a reused idempotency key) are raised by the services and mapped
once, in ``core.api.exception_handler``; every error body is ``{"detail": ...}``.
"""

from typing import Any

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.auth import acting_user
from core.api import FirstRendererNegotiation, Pagination, errors
from licensing import selectors, services
from licensing.api.caching import cached
from licensing.api.serializers import (
    CatalogueFilterSerializer,
    CatalogueItemSerializer,
    CataloguePageSerializer,
    DatasetDetailSerializer,
    GrantPageSerializer,
    GrantSerializer,
    OfferInputSerializer,
    OfferSerializer,
    PurchaseInputSerializer,
    PurchaseSerializer,
)
from licensing.croissant import croissant_document
from licensing.models import Purchase
from licensing.quality import quality_summaries
from marketplace.api.views import UPLOAD_PARSERS, dataset_upload, dataset_upload_schema
from marketplace.downloads import download_check, stream_version
from marketplace.models import Dataset
from marketplace.selectors import dataset_for, is_contributor_of, version_for

IDEMPOTENCY_KEY_MAX = 255


# The catalogue's answers carry an ``ETag``; sending it back in ``If-None-Match`` gets this.
NOT_MODIFIED = {
    304: OpenApiResponse(description="Not modified since the response with this `ETag`.")
}


def _page_param(request: Request) -> dict[str, Any]:
    data = CatalogueFilterSerializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class _WithoutFormatOverride:
    """DRF settings in which ``?format=`` does not pick a renderer."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name: str) -> Any:
        return getattr(api_settings, name)


class CatalogueNegotiation(DefaultContentNegotiation):
    # ``format`` is the catalogue's file-format filter, not DRF's renderer override.
    settings = _WithoutFormatOverride()  # type: ignore[assignment]


class DatasetsView(APIView):
    """``/api/v1/datasets/``: the catalogue (``GET``, here) and the upload (``POST``,
    marketplace's operation, called rather than inherited)."""

    parser_classes = UPLOAD_PARSERS
    content_negotiation_class = CatalogueNegotiation

    @extend_schema(
        operation_id="datasets_list",
        parameters=[CatalogueFilterSerializer],
        responses={200: CataloguePageSerializer, **NOT_MODIFIED, **errors(400, 401, 404)},
        description=(
            "Datasets with at least one admitted version, newest first. Each item carries the "
            "quality verdict of its newest admitted version and its active offers. `license` "
            "matches the dataset's licence or an offer's; `use`, `currency` and the price range "
            "must all hold for one offer."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        return cached(
            request, lambda: self._page(request), generation=selectors.catalogue_generation
        )

    def _page(self, request: Request) -> Response:
        params = _page_param(request)
        filters = selectors.CatalogueFilter(
            text=params.get("q", "").strip(),
            license=params.get("license", ""),
            fmt=params.get("format", ""),
            use=params.get("use", ""),
            currency=params.get("currency", ""),
            price_min=params.get("price_min"),
            price_max=params.get("price_max"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.catalogue(filters), request, view=self)
        datasets = selectors.with_latest(page or [])
        latest = [d.latest_admitted for d in datasets]  # type: ignore[attr-defined]
        context = {"quality": quality_summaries(latest)}
        data = CatalogueItemSerializer(datasets, many=True, context=context).data
        return paginator.get_paginated_response(data)

    @dataset_upload_schema
    def post(self, request: Request) -> Response:
        return dataset_upload(request)


def _catalogue_dataset(dataset_id: int) -> Dataset:
    dataset = selectors.catalogue_dataset(dataset_id)
    if dataset is None:
        raise NotFound("No such dataset in the catalogue.")
    return dataset


class DatasetDetailView(APIView):
    @extend_schema(
        operation_id="datasets_retrieve",
        responses={200: DatasetDetailSerializer, **NOT_MODIFIED, **errors(401, 404)},
    )
    def get(self, request: Request, dataset_id: int) -> HttpResponseBase:
        return cached(
            request,
            lambda: self._detail(dataset_id),
            generation=selectors.catalogue_generation,
        )

    def _detail(self, dataset_id: int) -> Response:
        dataset = _catalogue_dataset(dataset_id)
        context = {"quality": quality_summaries(dataset.admitted_versions)}  # type: ignore[attr-defined]
        return Response(DatasetDetailSerializer(dataset, context=context).data)


class JsonLdRenderer(renderers.JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class CroissantView(APIView):
    renderer_classes = [JsonLdRenderer, renderers.JSONRenderer]

    @extend_schema(
        operation_id="datasets_croissant",
        responses={
            (200, "application/ld+json"): OpenApiTypes.OBJECT,
            (200, "application/json"): OpenApiTypes.OBJECT,
            **NOT_MODIFIED,
            **errors(401, 404),
        },
        description="The dataset's MLCommons Croissant 1.0 JSON-LD (admitted versions only).",
    )
    def get(self, request: Request, dataset_id: int) -> HttpResponseBase:
        return cached(
            request,
            lambda: self._document(request, dataset_id),
            generation=selectors.catalogue_generation,
        )

    def _document(self, request: Request, dataset_id: int) -> Response:
        dataset = _catalogue_dataset(dataset_id)
        document = croissant_document(
            dataset=dataset,
            versions=dataset.admitted_versions,  # type: ignore[attr-defined]
            creators=[m.user.get_username() for m in dataset.memberships.all()],
            dataset_url=request.build_absolute_uri(
                reverse("marketplace:dataset", args=[dataset.pk])
            ),
            download_url=lambda v: request.build_absolute_uri(
                reverse("api-version-download", args=[v.pk])
            ),
        )
        return Response(document)


class OffersView(APIView):
    """A dataset's offers, for its contributors."""

    def _dataset(self, request: Request, dataset_id: int) -> Dataset:
        dataset = dataset_for(acting_user(request), dataset_id)
        if dataset is None:
            raise NotFound("No such dataset.")
        if not is_contributor_of(acting_user(request), dataset):
            raise PermissionDenied("Only the dataset's contributors can manage its offers.")
        return dataset

    @extend_schema(
        operation_id="datasets_offers_list",
        responses={200: OfferSerializer(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = self._dataset(request, dataset_id)
        return Response(OfferSerializer(selectors.dataset_offers(dataset), many=True).data)

    @extend_schema(
        operation_id="datasets_offers_create",
        request=OfferInputSerializer,
        responses={201: OfferSerializer, **errors(400, 401, 403, 404)},
        description=(
            "`duration_days: null` means perpetual access. `versions` pins the admitted "
            "versions the offer covers; leave it out to cover all admitted versions."
        ),
    )
    def post(self, request: Request, dataset_id: int) -> Response:
        dataset = self._dataset(request, dataset_id)
        data = OfferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        offer = services.offer_create(
            user=acting_user(request),
            dataset=dataset,
            license=v["license"],
            use=v["use"],
            price=v["price"],
            currency=v["currency"],
            duration_days=v["duration_days"],
            version_ids=v["versions"],
        )
        offer = selectors.dataset_offers(dataset).get(pk=offer.pk)
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=True,
    type={"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
    description="A unique key per purchase (e.g. a UUID); retries with it never charge twice.",
)


def _purchase_response(purchase_id: int, code: int) -> Response:
    purchase = (
        Purchase.objects.select_related("offer", "grant")
        .prefetch_related("grant__versions")
        .get(pk=purchase_id)
    )
    response = Response(PurchaseSerializer(purchase).data, status=code)
    if code == status.HTTP_200_OK:
        response["Idempotent-Replayed"] = "true"
    return response


class PurchasesView(APIView):
    @extend_schema(
        operation_id="purchases_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=PurchaseInputSerializer,
        responses={
            201: PurchaseSerializer,
            200: OpenApiResponse(PurchaseSerializer, description="A retry: the same purchase."),
            **errors(400, 401, 402, 403, 409),
        },
        description=(
            "Buy an offer with your cooperative credit. Repeating the request with the same "
            "`Idempotency-Key` returns the same purchase (200) and charges nothing; the same "
            "key with a different body is refused with 409. 402 means the balance is too low: "
            "nothing was charged or granted."
        ),
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ValidationError({"detail": "The Idempotency-Key header is required."})
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise ValidationError({"detail": "The Idempotency-Key header is too long (max 255)."})
        data = PurchaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = selectors.offer_for_purchase(data.validated_data["offer"])
        if offer is None:
            raise ValidationError({"offer": ["No such offer."]})
        outcome = services.purchase_create(
            buyer=acting_user(request),
            offer=offer,
            idempotency_key=key,
            fingerprint=services.request_fingerprint(dict(data.validated_data)),
        )
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return _purchase_response(outcome.purchase.pk, code)


class GrantsView(APIView):
    @extend_schema(
        operation_id="grants_list",
        parameters=[
            OpenApiParameter("page", int, description="Page number (from 1)."),
            OpenApiParameter("page_size", int, description="Items per page (1 to 100)."),
        ],
        responses={200: GrantPageSerializer, **errors(401, 404)},
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.grants_of(acting_user(request)), request, view=self
        )
        return paginator.get_paginated_response(GrantSerializer(page, many=True).data)


BINARY_TYPES = ("text/csv", "application/vnd.apache.parquet", "application/jsonl")


class VersionDownloadView(APIView):
    renderer_classes = [renderers.JSONRenderer]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="versions_download",
        parameters=[
            OpenApiParameter(
                "Range",
                str,
                OpenApiParameter.HEADER,
                description="One byte range, `bytes=start-end` (either end may be omitted).",
            )
        ],
        responses={
            **{(200, t): OpenApiTypes.BINARY for t in BINARY_TYPES},
            **{(206, t): OpenApiTypes.BINARY for t in BINARY_TYPES},
            **errors(400, 401, 403, 404, 409, 416),
        },
        description=(
            "Streams the version's bytes from IPFS, recomputing the CID on the way (a mismatch "
            "cuts the transfer short). `ETag` is the CID. Needs an active grant covering this "
            'version, or being its contributor or a curator; otherwise 403 with "no grant" or '
            '"grant expired".'
        ),
    )
    def get(self, request: Request, version_id: int) -> HttpResponseBase:
        version = version_for(acting_user(request), version_id)
        if version is None:
            raise NotFound("No such version.")
        access = services.download_access(user=acting_user(request), version=version)
        byte_range = download_check(version, request.headers.get("Range"))
        services.download_record(
            user=acting_user(request), version=version, access=access, byte_range=byte_range
        )
        return stream_version(version, byte_range)

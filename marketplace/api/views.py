"""REST endpoints to upload datasets and versions and read versions.

``POST /api/v1/datasets/`` shares its path with the catalogue's ``GET``, which licensing owns
(it shows offers): licensing's view routes the POST to ``dataset_upload`` here, so each
operation stays with the app whose rule it is and neither view inherits the other.
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, parsers, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import acting_user
from marketplace import selectors, services
from marketplace.api.serializers import (
    DatasetInputSerializer,
    DatasetSerializer,
    VersionInputSerializer,
    VersionSerializer,
)
from marketplace.models import Dataset, DatasetContributor
from marketplace.uploads import UploadTooLarge, upload_error


def _check_received(request: Request) -> None:
    """Refuse (413) a request whose file the upload handler refused while it arrived."""
    request.data  # noqa: B018 (parsing the body is what runs the upload handler)
    reason = upload_error(request._request)
    if reason:
        raise UploadTooLarge(reason)


def datasets_with_contributors(qs: QuerySet[Dataset]) -> QuerySet[Dataset]:
    return qs.prefetch_related(
        Prefetch("memberships", queryset=DatasetContributor.objects.select_related("user"))
    )


# Beyond the common 400/401/403/404 (see core.api.document_errors).
UPLOAD_ERRORS = {
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="These bytes are already a version."),
    413: OpenApiResponse(OpenApiTypes.OBJECT, description="The file is over the upload limit."),
}


class DatasetCreateResponse(serializers.Serializer):
    dataset = DatasetSerializer()
    version = VersionSerializer()


# What an upload endpoint parses (the upload handler streams the file while it arrives).
UPLOAD_PARSERS = [parsers.MultiPartParser, parsers.FormParser]

dataset_upload_schema = extend_schema(
    operation_id="datasets_create",
    request=DatasetInputSerializer,
    responses={201: DatasetCreateResponse, **UPLOAD_ERRORS},
    description=(
        "Upload a new dataset with its first version (multipart; the file streams to the "
        "staging disk and the IPFS node while it arrives). Parents, if any, must be admitted "
        "versions; their royalty weights add up to at most 1."
    ),
)


def dataset_upload(request: Request) -> Response:
    """The ``datasets_create`` operation, for the view that routes ``/api/v1/datasets/``."""
    _check_received(request)
    data = DatasetInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v: dict[str, Any] = data.validated_data
    version = services.dataset_create(
        user=acting_user(request),
        title=v["title"],
        description=v.get("description", ""),
        license=v["license"],
        fmt=v["format"],
        upload=v["file"],
        parents=v.get("parents", []),
    )
    dataset = datasets_with_contributors(Dataset.objects.filter(pk=version.dataset_id)).get()
    return Response(
        {
            "dataset": DatasetSerializer(dataset).data,
            "version": VersionSerializer(version).data,
        },
        status=status.HTTP_201_CREATED,
    )


class VersionCreateView(APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        operation_id="datasets_versions_create",
        request=VersionInputSerializer,
        responses={201: VersionSerializer, **UPLOAD_ERRORS},
    )
    def post(self, request: Request, dataset_id: int) -> Response:
        dataset = selectors.dataset_for(request.user, dataset_id)
        if dataset is None:
            raise NotFound("No such dataset.")
        _check_received(request)
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        version = services.version_create(
            user=acting_user(request),
            dataset=dataset,
            fmt=v["format"],
            upload=v["file"],
            license=v.get("license"),
            parents=v.get("parents", []),
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionDetailView(generics.GenericAPIView):
    serializer_class = VersionSerializer

    def get(self, request: Request, version_id: int) -> Response:
        version = selectors.version_for(request.user, version_id)
        if version is None:
            raise NotFound("No such version.")
        return Response(VersionSerializer(version).data)

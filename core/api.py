"""Cross-cutting REST API behaviour: pagination, the error format and its one mapping, the
schema's error documentation, and the content negotiation of endpoints that answer bytes.

Every API error is JSON of the form ``{"detail": "..."}`` (validation errors add ``"errors"``
with the per-field messages), so clients can always show ``detail`` to a person. Domain errors
(``core.errors.ApplicationError``) are turned into that JSON here and nowhere else.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import ApplicationError

# Ids arrive in URLs and bodies; anything past a 64-bit integer cannot name a row and would
# overflow the database driver, so it is simply "not found".
MAX_ID = 2**63 - 1


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def first_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = first_message(value)
            return message if field in ("non_field_errors", "detail") else f"{field}: {message}"
    if isinstance(errors, list) and errors:
        return first_message(errors[0])
    return str(errors)


def error_data(exc: ApplicationError) -> dict[str, Any]:
    """The JSON body of a domain error: ``detail``, ``errors`` when it names a field, and its
    ``extra`` keys."""
    data: dict[str, Any] = {"detail": exc.detail}
    if exc.field is not None:
        data["errors"] = {exc.field: list(exc.messages)}
    data.update(exc.extra)
    return data


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        set_rollback()  # as DRF does for its own errors, under ATOMIC_REQUESTS
        return Response(error_data(exc), status=exc.status, headers=exc.headers or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": first_message(data), "errors": data}
    elif not (isinstance(data, dict) and "detail" in data):
        response.data = {"detail": first_message(data)}
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for URLs no route matches (e.g. ``/api/v1/datasets/abc/``): JSON under ``/api/``,
    like every other API error, and Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)


class DetailSerializer(serializers.Serializer):
    """The shape of every API error."""

    detail = serializers.CharField()


def errors(*codes: int) -> dict[int, Any]:
    """Documented error responses, all of the ``{"detail": ...}`` shape."""
    return dict.fromkeys(codes, DetailSerializer)


class FirstRendererNegotiation(BaseContentNegotiation):
    """Use the view's first parser and renderer whatever the client's ``Accept`` (and
    ``?format=``) say: for endpoints that answer one kind of body (a download's bytes, a PROV
    document) and errors as JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


# Errors every API operation can answer with, in the exception handler's shape. An operation
# documents its other errors (402, 409, 413, 416, ...) itself with ``extend_schema``.
COMMON_ERRORS = {
    "400": "The request is invalid; `detail` says why and `errors` lists the fields.",
    "401": "No valid `Authorization: Token <key>` header or session.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object, or not visible to you.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["detail"],
}


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add ``COMMON_ERRORS`` to every operation that does
    not already document them, so clients (and schemathesis) know every error's shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            public = not operation.get("security") or {} in operation["security"]
            for code, description in COMMON_ERRORS.items():
                if code == "401" and public:
                    continue
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result

"""The web pages' one mapping of domain errors: an ``ApplicationError`` that a view lets through
becomes a page in the site's layout with its status and message (``templates/error.html``).

API views never reach it: DRF hands their errors to ``core.api.exception_handler`` first.
"""

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import ApplicationError


def error_page(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    status = int(exc.status)
    response = render(
        request,
        "error.html",
        {"status": status, "title": HTTPStatus(status).phrase, "message": exc.message},
        status=status,
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


class ApplicationErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApplicationError):
            return error_page(request, exception)
        return None

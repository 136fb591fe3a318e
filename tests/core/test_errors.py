"""The one error path: a domain error maps to the API's JSON and to a web page, each once."""

from http import HTTPStatus

from django.test import RequestFactory

from core.api import exception_handler
from core.errors import NON_FIELD, Conflict, Forbidden, Invalid
from core.web import ApplicationErrorMiddleware


class FieldError(Invalid):
    field_in_detail = True


def test_an_error_answers_its_status_and_detail():
    response = exception_handler(Conflict("Already there."), {})
    assert response is not None
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.data == {"detail": "Already there."}


def test_an_error_naming_a_field_lists_it_under_errors():
    response = exception_handler(Invalid("Give a title.", field="title"), {})
    assert response is not None
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.data == {"detail": "Give a title.", "errors": {"title": ["Give a title."]}}


def test_a_field_validation_error_reads_like_drfs_own():
    error = FieldError(messages=["Rule 1: bad", "Rule 2: worse"], field="rules")
    response = exception_handler(error, {})
    assert response is not None
    assert response.data == {
        "detail": "rules: Rule 1: bad",
        "errors": {"rules": ["Rule 1: bad", "Rule 2: worse"]},
    }
    whole = exception_handler(FieldError("Nothing to offer.", field=NON_FIELD), {})
    assert whole is not None
    assert whole.data == {
        "detail": "Nothing to offer.",
        "errors": {NON_FIELD: ["Nothing to offer."]},
    }


def test_extra_keys_and_headers_reach_the_response():
    error = Conflict("Duplicate.", extra={"existing_version": 7}, headers={"X-Why": "dup"})
    response = exception_handler(error, {})
    assert response is not None
    assert response.data == {"detail": "Duplicate.", "existing_version": 7}
    assert response["X-Why"] == "dup"


def test_forbidden_is_still_djangos_permission_denied():
    from django.core.exceptions import PermissionDenied

    assert isinstance(Forbidden("no"), PermissionDenied)


def test_a_web_page_shows_the_error_in_the_sites_layout(db):
    request = RequestFactory().get("/somewhere/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    middleware = ApplicationErrorMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(
        request, Forbidden("Only the dataset's contributors can retry pinning.")
    )
    assert response is not None
    assert response.status_code == HTTPStatus.FORBIDDEN
    page = response.content.decode()
    assert "<h1>Forbidden</h1>" in page
    assert "Only the dataset&#x27;s contributors can retry pinning." in page
    assert "Data Cooperative" in page  # base.html's layout


def test_other_exceptions_are_left_to_django():
    middleware = ApplicationErrorMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None

"""The one base class of every refusal a person should read: ``ApplicationError``.

A service refuses for a domain reason by raising a subclass of it, defined in the app that owns
the rule (``UploadRejected`` in marketplace, ``PaymentDeclined`` in licensing, ...), each a
subclass of one of the generic errors below, which name the HTTP status. The error carries
everything a response needs, so it is mapped to HTTP exactly twice: once for the API
(``core.api.exception_handler``: ``{"detail": ...}``, plus ``errors`` when the error names a
field, plus ``extra``) and once for the web pages (``core.web.ApplicationErrorMiddleware``: a
page in the site's layout). Views never build error responses by hand; a view with a form may
still catch an error to show its message on the field it names.
"""

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied

# The field of an error that concerns the request as a whole, as DRF names it.
NON_FIELD = "non_field_errors"


class ApplicationError(Exception):
    """A refusal with a message for the person who sent the request.

    - ``status``: the HTTP status it answers with (a class default; an instance may differ).
    - ``message``: what went wrong, in words for a person; ``messages`` when there are several
      (``message`` then joins them).
    - ``field``: the request field it is about, if any; the API then also answers
      ``errors: {field: messages}``.
    - ``extra``: more keys of the API's JSON answer (e.g. the version a duplicate upload
      already is).
    - ``headers``: response headers it needs (e.g. ``Content-Range`` on a 416).
    """

    status: int = HTTPStatus.BAD_REQUEST
    # The field an error of this class names unless told otherwise (None: no field).
    default_field: ClassVar[str | None] = None
    # Errors that stand for one request field's validation read "field: message" in the API's
    # ``detail``, as DRF's own serializer errors do; the others read the message alone.
    field_in_detail: ClassVar[bool] = False

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        messages: Sequence[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        self.messages = list(messages) if messages else [message]
        self.message = message or "; ".join(self.messages)
        super().__init__(self.message)
        self.field = field if field is not None else self.default_field
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        if status is not None:
            self.status = status

    @property
    def detail(self) -> str:
        """The API's ``detail``: the first message, after its field where the class says so."""
        first = self.messages[0]
        if self.field_in_detail and self.field and self.field != NON_FIELD:
            return f"{self.field}: {first}"
        return first


class Invalid(ApplicationError):
    """400: the request cannot be accepted as it is."""

    status = HTTPStatus.BAD_REQUEST


class PaymentRequired(ApplicationError):
    """402: the payment was refused; nothing was charged."""

    status = HTTPStatus.PAYMENT_REQUIRED


class Forbidden(ApplicationError, PermissionDenied):
    """403: the caller may not do this (the reason says why). Also Django's
    ``PermissionDenied``, so code that catches that (Django's own included) still does."""

    status = HTTPStatus.FORBIDDEN


class NotFound(ApplicationError):
    """404: nothing by that name, or nothing the caller may see."""

    status = HTTPStatus.NOT_FOUND


class Conflict(ApplicationError):
    """409: the request is valid but clashes with the state it would change."""

    status = HTTPStatus.CONFLICT

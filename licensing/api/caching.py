"""Rendered catalogue responses, cached and validated against the catalogue's fingerprint.

The catalogue list, detail and Croissant documents are the same for every authenticated caller
(only admitted versions are shown, whoever asks), so a rendered response can be reused for the
same URL, host, scheme and media type until anything in the catalogue changes. Each request
still authenticates and checks permissions (the views call ``cached`` from their handler), then
reads the fingerprint (one query, ``selectors.catalogue_fingerprint``) and serves the stored
bytes only when the fingerprint they were built under is still the current one.

The cache is Django's (``CACHES``): per-process memory by default, Redis when configured. The
fingerprint is read before the response is built, so a change racing with a build can only
leave an entry that the next request finds out of date, never a stale one that looks current.
Entries also expire after ``TTL_SECONDS``, which bounds staleness for the few edits no
fingerprint column sees: in the Django admin, renaming a user or editing a version's fields
in place (services never do either).
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework import renderers, status
from rest_framework.request import Request
from rest_framework.response import Response

# A backstop, not the invalidation: the fingerprint catches every change made through the
# services; this bounds how long an edit it cannot see (see the module docstring) can last.
TTL_SECONDS = 300
KEY_PREFIX = "catalogue:v1:"

Entry = tuple[str, bytes, str]  # (fingerprint, body, Content-Type)


def _cache_key(request: Request) -> str:
    # Pagination links and Croissant URLs are absolute, and the renderer (with its media type
    # parameters, e.g. ``indent``) shapes the body: all of it is part of the key.
    raw = "\n".join(
        [
            request.scheme or "",
            request.get_host(),
            request.get_full_path(),
            str(request.accepted_media_type),
            type(request.accepted_renderer).__name__,
        ]
    )
    return KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _etag(key: str, fingerprint: str) -> str:
    return '"' + hashlib.sha256(f"{key}\n{fingerprint}".encode()).hexdigest()[:32] + '"'


def _client_has(request: Request, etag: str) -> bool:
    # Only an exact tag: ``*`` would also match a dataset that is not in the catalogue.
    return etag in parse_etags(request.headers.get("If-None-Match", ""))


def _not_modified(etag: str) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


def cached(
    request: Request, build: Callable[[], Response], *, fingerprint: Callable[[], str]
) -> HttpResponseBase:
    """The response ``build`` would give, from the cache when the catalogue is unchanged.

    Only successful JSON responses are stored; the browsable API (which shows the caller's
    name) and errors are always built afresh.
    """
    if not isinstance(request.accepted_renderer, renderers.JSONRenderer):
        return build()
    current = fingerprint()
    key = _cache_key(request)
    etag = _etag(key, current)
    entry: Entry | None = cache.get(key)
    if entry is not None and entry[0] == current:
        if _client_has(request, etag):
            return _not_modified(etag)
        response = HttpResponse(entry[1], content_type=entry[2])
        response["ETag"] = etag
        return response
    built = build()
    if built.status_code != status.HTTP_200_OK:
        return built
    if _client_has(request, etag):
        return _not_modified(etag)
    built["ETag"] = etag

    def store(rendered: HttpResponseBase) -> None:
        entry = (current, rendered.content, rendered["Content-Type"])  # type: ignore[attr-defined]
        cache.set(key, entry, TTL_SECONDS)

    built.add_post_render_callback(store)
    return built

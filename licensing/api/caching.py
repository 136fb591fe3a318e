"""Rendered catalogue responses, cached and validated against the catalogue's generation.

The catalogue list, detail and Croissant documents are the same for every authenticated caller
(only admitted versions are shown, whoever asks), so a rendered response can be reused for the
same URL, host, scheme and media type until anything in the catalogue changes. Each request
still authenticates and checks permissions (the views call ``cached`` from their handler), then
reads the catalogue's generation (one primary-key read, ``selectors.catalogue_generation``) and
serves the stored bytes only when the generation they were built under is still the current one.

The generation is kept by database triggers on every table the catalogue shows
(``licensing.models.CatalogueGeneration``), so every write is seen, whatever makes it: the
services, the Django admin, a queryset ``update()``, raw SQL. When the generation row is
missing (a TRUNCATE removes it without firing a trigger), nothing is known, so responses are
built afresh and nothing is stored until a write brings the row back.

The cache is Django's (``CACHES``): per-process memory by default, Redis when configured. The
generation is read before the response is built, and a write's new generation becomes visible
together with the write, so a change racing with a build can only leave an entry that the next
request finds out of date, never a stale one that looks current.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework import renderers, status
from rest_framework.request import Request
from rest_framework.response import Response

# Only a memory bound: entries of URLs nobody asks for any more (or of old generations) leave
# the cache after this long. Freshness comes from the generation alone.
TTL_SECONDS = 300
# v2: entries carry an integer generation (v1 carried the fingerprint string).
KEY_PREFIX = "catalogue:v2:"

Entry = tuple[int, bytes, str]  # (generation, body, Content-Type)


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


def _etag(key: str, generation: int) -> str:
    return '"' + hashlib.sha256(f"{key}\n{generation}".encode()).hexdigest()[:32] + '"'


def _client_has(request: Request, etag: str) -> bool:
    # Only an exact tag: ``*`` would also match a dataset that is not in the catalogue.
    return etag in parse_etags(request.headers.get("If-None-Match", ""))


def _not_modified(etag: str) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


def cached(
    request: Request, build: Callable[[], Response], *, generation: Callable[[], int | None]
) -> HttpResponseBase:
    """The response ``build`` would give, from the cache when the catalogue is unchanged.

    Only successful JSON responses are stored; the browsable API (which shows the caller's
    name), errors, and everything while the generation is unknown are built afresh.
    """
    if not isinstance(request.accepted_renderer, renderers.JSONRenderer):
        return build()
    current = generation()
    if current is None:
        return build()
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

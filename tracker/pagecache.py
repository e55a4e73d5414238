"""Public pages and public API reads, rendered once per version of the record.

A public page or API answer is a function of the record, the code that
renders it, the reader's language, the URL and today's date ("overdue", the
status "as of today"). Rendering it costs 30-55 ms of CPU on a small server
(docs/performance.md); serving it again costs a few. So an anonymous read is
cached in the shared cache under a key made of:

- the **record version** (tracker/insights/version.py: a token replaced on
  every save, delete and many-to-many change of a `tracker` model, plus a
  one-query database fingerprint), so no answer outlives a change of the
  record: the next read renders it again;
- the **release** (settings.RELEASE, or a digest of the tracker package's
  code, templates and catalogues), so a deploy never serves the previous
  release's pages;
- the **language**, **today's date**, the scheme and host (the API's links
  are absolute), the **path** and the **query string** (parameters sorted);
  for the API also the view, its action and the media type.

Only requests that carry no session cookie and no partner key are cached
(`tracker.middleware.is_private_request`): what an editor or a partner sees
is never stored nor served to anyone else. Only 200 answers are stored; a
400 page or a 404 is rendered every time. Public pages with a query
parameter they do not know are not cached (pages are not cached per
meaningless parameter: the cache cannot be filled with junk keys that way).

The page frame holds a CSRF token (the language switcher's form). It is the
only per-reader part of a public page: the page is rendered with a random
placeholder in its place (the `csrf_placeholder` context processor), stored
with it, and each answer puts the reader's own token there (which also sets
the CSRF cookie, as rendering would have).

Pages answer conditional GETs: the ETag (weak) is a digest of the key and the
reader's CSRF secret (their cookie's, or the one the answer's cookie sets:
the token in the page derives from it), and
`If-None-Match` with it gives a 304 without a body. Pages are sent
`private, no-cache` (revalidated every time) and vary on Cookie and
Accept-Language; the API keeps its own ETag (a digest of the body) and
Cache-Control (tracker/api/conditional.py).

Entries are compressed (zlib, ~5x smaller), kept in the cache named
"pages" when PAGE_CACHE_REDIS_URL configures one (else the default cache),
and expire after PAGE_CACHE_SECONDS (default 600; 0 turns the cache off); a change of the
record orphans them at once (they are never served again) and they expire
later. When the cache is unreachable, pages are rendered as if nothing were
cached.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import zlib
from collections.abc import Callable
from functools import cache as memoize
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.connection import ConnectionProxy
from django.utils.http import parse_etags

from tracker import stats
from tracker.middleware import is_private_request

logger = logging.getLogger(__name__)

# The pages' own cache when PAGE_CACHE_REDIS_URL configures one, else the
# default cache. (The record token stays in the default cache.)
cache = ConnectionProxy(caches, "pages" if "pages" in settings.CACHES else "default")

PREFIX = "page:"
_PLACEHOLDER = "_page_cache_csrf_placeholder"
_VERSION = "_page_cache_record_version"
# Headers a view sets that are kept with a stored answer (middleware adds the rest).
_NOT_KEPT = frozenset({"content-length", "set-cookie"})
REFRESH_HEADER = "HTTP_X_PAGE_CACHE_REFRESH"
# Says whether an answer came from the cache ("hit") or was rendered and
# stored ("miss"): for operators and the scale-out test. Absent when the
# request was not cacheable.
STATUS_HEADER = "X-Page-Cache"


@memoize
def release() -> str:
    """settings.RELEASE, or a digest of what renders the pages and the API:
    the tracker package's Python code, templates, compiled catalogues and
    static files (pages name these by a hashed URL under the manifest
    storage: a stored page must not name a file the new release lacks),
    read once per process."""
    if settings.RELEASE:
        return settings.RELEASE
    digest = hashlib.sha256()
    base = Path(__file__).resolve().parent
    for pattern in ("**/*.py", "templates/**/*.html", "locale/*/LC_MESSAGES/*.mo", "static/**/*"):
        for path in sorted(p for p in base.glob(pattern) if p.is_file()):
            digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def csrf_placeholder(request: HttpRequest) -> dict:
    """Context processor: while a page is rendered for the cache, its CSRF
    token is a placeholder that each answer replaces with the reader's token
    (listed after Django's own csrf processor, so it wins then, and only then)."""
    placeholder = getattr(request, _PLACEHOLDER, None)
    return {"csrf_token": placeholder} if placeholder else {}


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def _record_version(request: HttpRequest) -> str:
    """Once per request (one query and one or two cache reads)."""
    if not hasattr(request, _VERSION):
        from tracker.insights.version import record_version

        setattr(request, _VERSION, record_version())
    return getattr(request, _VERSION)


def cache_key(request: HttpRequest, kind: str, extra: tuple = ()) -> str | None:
    """The key of this anonymous read, or None when it is not to be cached
    (cache turned off, a private request, or no record version)."""
    if not enabled() or request.method not in ("GET", "HEAD") or is_private_request(request):
        return None
    try:
        version = _record_version(request)
    except Exception:  # no cache: the page is still served, uncached
        logger.exception("page cache: no record version, serving uncached")
        return None
    query = sorted((name, tuple(values)) for name, values in request.GET.lists())
    parts = (
        release(),
        version,
        translation.get_language(),
        stats.today().isoformat(),
        request.scheme,
        request.get_host(),  # the API's next/previous links are absolute
        request.path,
        query,
        *extra,
    )
    return PREFIX + kind + ":" + hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def refresh_requested(request: HttpRequest) -> bool:
    """The benchmark's way to measure a miss on one URL: with
    PAGE_CACHE_REFRESH_HEADER on (bench/settings.py only), a request with
    `X-Page-Cache-Refresh: 1` renders and stores again instead of reading."""
    allowed = bool(getattr(settings, "PAGE_CACHE_REFRESH_HEADER", False))
    return allowed and request.META.get(REFRESH_HEADER) == "1"


def read(key: str) -> dict | None:
    try:
        entry = cache.get(key)
    except Exception:
        logger.exception("page cache: read failed")
        return None
    if entry is None:
        return None
    try:
        return {**entry, "content": zlib.decompress(entry["content"])}
    except (zlib.error, KeyError, TypeError):
        logger.warning("page cache: unreadable entry %s, rendering again", key)
        return None


def write(key: str, entry: dict) -> None:
    stored = {**entry, "content": zlib.compress(entry["content"], 1)}
    try:
        cache.set(key, stored, settings.PAGE_CACHE_SECONDS)
    except Exception:
        logger.exception("page cache: write failed")


def kept_headers(response: HttpResponseBase) -> dict:
    return {name: value for name, value in response.items() if name.lower() not in _NOT_KEPT}


# --- public pages ---------------------------------------------------------------------------


def etag(request: HttpRequest, key: str) -> str:
    """The key and the reader's CSRF secret: the one their cookie holds, or
    the one this answer's cookie sets (so that the first revalidation after
    the cookie is set already matches). Weak: each answer masks the token
    afresh, so two answers under one tag differ in bytes (RFC 9110 8.8.1)."""
    csrf = request.META.get("CSRF_COOKIE", "")
    return 'W/"' + hashlib.sha256(f"{key}\0{csrf}".encode()).hexdigest()[:32] + '"'


def _not_modified(request: HttpRequest, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110 13.1.2): W/ is ignored on both sides."""
    tags = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    return "*" in tags or etag.removeprefix("W/") in tags


def _page_response(request: HttpRequest, entry: dict, key: str, status: str) -> HttpResponseBase:
    if _not_modified(request, etag(request, key)):
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        content = entry["content"]
        placeholder = entry.get("placeholder", "").encode()
        if placeholder and placeholder in content:
            content = content.replace(placeholder, get_token(request).encode())
        response = HttpResponse(content, status=entry["status"])
        for name, value in entry["headers"].items():
            response[name] = value
    response["ETag"] = etag(request, key)
    response[STATUS_HEADER] = status
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def cached_page(known_params: Callable[[], frozenset[str]] | frozenset[str] | None = None):
    """Decorator for a public page view (after `public_view`): anonymous GETs
    are served from the cache when they can be (see the module's docstring).
    `known_params`: the query parameters the page reads (a set, or a function
    giving it); a request with any other parameter is rendered, not cached."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
            known = known_params() if callable(known_params) else known_params
            if known is not None and not set(request.GET) <= known:
                return view(request, *args, **kwargs)
            key = cache_key(request, "html")
            if key is None:
                return view(request, *args, **kwargs)
            entry = None if refresh_requested(request) else read(key)
            if entry is not None:
                return _page_response(request, entry, key, "hit")
            placeholder = "csrf-placeholder-" + secrets.token_hex(16)
            setattr(request, _PLACEHOLDER, placeholder)
            try:
                response = view(request, *args, **kwargs)
            finally:
                delattr(request, _PLACEHOLDER)
            if response.streaming:
                return response
            entry = {
                "placeholder": placeholder,
                "status": response.status_code,
                "headers": kept_headers(response),
                "content": response.content,
            }
            if response.status_code != 200:
                # A 400 page: not stored; the reader's token goes in all the same.
                marker = placeholder.encode()
                if marker in response.content:
                    response.content = response.content.replace(marker, get_token(request).encode())
                return response
            write(key, entry)
            return _page_response(request, entry, key, "miss")

        return wrapper

    return decorator

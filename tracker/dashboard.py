"""The dashboard (home page), cached and answered conditionally.

The figures take a few queries over every commitment and assessment (see
tracker/stats.py), so the rendered figures (the page's main content) are
cached in the shared cache under a key made of the record version
(tracker/insights/version.py: it changes on every write to the record),
the language and the date shown (the `as_of` parameter, or today's date,
on which "overdue" and the trend depend). A cached answer costs one
database query (the version's fingerprint) and two cache reads.

The ETag is the page cache's (tracker/pagecache.py): a weak digest of the
same key and the reader's CSRF secret (the page frame holds a CSRF token for
the language switcher), so a reader whose browser has the page gets a 304
without a body until something changes.
There is no Last-Modified: the version is not a time, and the page also
changes with the date and the language. The response is `private, no-cache`
(revalidated every time) and varies on Accept-Language and Cookie.

After every write the figures are computed again in the background (`warm`,
queued by tracker/insights/version.py once the write commits), so readers
normally find them cached.

The key also names the release (settings.RELEASE, or a digest of the tracker
package's code, templates and catalogues: tracker/pagecache.py), so the day's
cached figures of the previous release are never served after a deploy.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

from tracker import pagecache, stats
from tracker.insights.version import record_version
from tracker.pagecache import release
from tracker.views import BadRequest, _as_of, public_view

logger = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 3600
_STATE = "_dashboard_state"


def _state(request: HttpRequest) -> dict | None:
    """The parts of the cache key and ETag, once per request; None when the
    query string is invalid (the view answers 400) or the cache is down."""
    if not hasattr(request, _STATE):
        state = None
        try:
            form, as_of = _as_of(request)
        except BadRequest:
            form = as_of = None
        else:
            try:
                version = record_version()
            except Exception:  # no cache: the page is still served, uncached
                logger.exception("dashboard: no record version, serving uncached")
            else:
                state = _key_parts(version, as_of)
        if state is not None:
            state.update(form=form, as_of=as_of)
        setattr(request, _STATE, state)
    return getattr(request, _STATE)


def _key_parts(version: str, as_of: dt.date | None) -> dict:
    """The cache key of the figures in the active language."""
    day = as_of or stats.today()
    parts = (release(), version, translation.get_language(), bool(as_of), day.isoformat())
    return {"key": "dashboard:content:" + ":".join(map(str, parts))}


def warm() -> list[str]:
    """Render today's figures into the cache in every language, unless they are
    there already (the task queued after each write's commit, so that no reader
    pays for the first computation). Returns the keys written."""
    version = record_version()
    written = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            key = _key_parts(version, None)["key"]
            if cache.get(key) is None:
                cache.set(key, _content(None), CACHE_SECONDS)
                written.append(key)
    return written


def dashboard_etag(request: HttpRequest) -> str | None:
    state = _state(request)
    if state is None:
        return None
    # The page cache's ETag: weak, as the page's CSRF token is masked afresh
    # in each answer (RFC 9110 8.8.1).
    return pagecache.etag(request, state["key"])


def _content(as_of: dt.date | None) -> str:
    """The page's figures, rendered (the same for every reader of a language)."""
    context = {"as_of": as_of, "stats": stats.dashboard_stats(as_of), "today": stats.today()}
    return render_to_string("tracker/home_content.html", context)


def _cached_content(state: dict | None, as_of: dt.date | None) -> str:
    if state is None:
        return _content(as_of)
    try:
        content = cache.get(state["key"])
    except Exception:
        logger.exception("dashboard: cache read failed")
        return _content(as_of)
    if content is None:
        content = _content(as_of)
        try:
            cache.set(state["key"], content, CACHE_SECONDS)
        except Exception:
            logger.exception("dashboard: cache write failed")
    return content


@condition(etag_func=dashboard_etag)
@public_view
def home(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if state is None:
        form, as_of = _as_of(request)  # raises BadRequest (400) on a bad query string
    else:
        form, as_of = state["form"], state["as_of"]
    context = {"form": form, "as_of": as_of, "content": _cached_content(state, as_of)}
    response = render(request, "tracker/home.html", context)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    patch_cache_control(response, private=True, no_cache=True)
    return response

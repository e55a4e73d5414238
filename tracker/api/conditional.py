"""ETag, Last-Modified and 304 on conditional GET for every read, and the
cache of public reads.

The ETag is a hash of the response body, so it changes exactly when the
representation does. Last-Modified is the latest `updated_at` found in the
body (objects and nested objects): no extra query.

Anonymous JSON reads of the public resources are cached under the record
version (tracker/pagecache.py): `cached_read` serves a stored answer (body,
ETag, Last-Modified and the view's other headers) after authentication,
permissions, throttles and the query-parameter checks have run, and
`finalize_response` stores a fresh 200. A stored answer is the same bytes,
with the same ETag, as the one it replaces."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework.response import Response

from tracker import pagecache

COPIED_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary", pagecache.STATUS_HEADER)


def _latest_update(data: object, depth: int = 0) -> dt.datetime | None:
    if depth > 6:
        return None
    found: list[dt.datetime] = []
    if isinstance(data, dict):
        value = data.get("updated_at")
        if isinstance(value, str) and (parsed := parse_datetime(value)):
            found.append(parsed)
        items = data.values()
    elif isinstance(data, list):
        items = data
    else:
        return None
    for item in items:
        if isinstance(item, dict | list) and (nested := _latest_update(item, depth + 1)):
            found.append(nested)
    return max(found) if found else None


class CachedRead(HttpResponse):
    """A stored answer of `cached_read`."""


_STORE = "_api_read_cache_key"


class ConditionalGetMixin:
    cache_control = "public, max-age=60"

    def cached_read(self, request, handler, *args, **kwargs):
        """Answer an anonymous JSON read from the cache, or call `handler` and
        have `finalize_response` store its answer (tracker/pagecache.py)."""
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is None or renderer.format != "json":
            return handler(request, *args, **kwargs)
        view = (type(self).__module__, type(self).__qualname__, getattr(self, "action", None))
        key = pagecache.cache_key(request, "api", (*view, request.accepted_media_type))
        if key is None:
            return handler(request, *args, **kwargs)
        entry = None if pagecache.refresh_requested(request) else pagecache.read(key)
        if entry is not None:
            response = CachedRead(entry["content"], status=entry["status"])
            for name, value in entry["headers"].items():
                response[name] = value
            response[pagecache.STATUS_HEADER] = "hit"
            return response
        setattr(request, _STORE, key)
        return handler(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if isinstance(response, CachedRead):
            since = parse_http_date_safe(response.get("Last-Modified", ""))
            last_modified = dt.datetime.fromtimestamp(since, dt.UTC) if since is not None else None
            return self._conditional(request, response, last_modified)
        if not isinstance(response, Response):  # file downloads stream as they are
            return response
        response.render()
        response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response["Cache-Control"] = self.cache_control
        last_modified = _latest_update(getattr(response, "data", None))
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        key = getattr(request, _STORE, None)
        if key is not None:
            entry = {"status": 200, "headers": pagecache.kept_headers(response), "content": response.content}
            pagecache.write(key, entry)
            response[pagecache.STATUS_HEADER] = "miss"
        return self._conditional(request, response, last_modified)

    def _conditional(self, request, response, last_modified: dt.datetime | None):
        if self._not_modified(request, response["ETag"], last_modified):
            not_modified = HttpResponseNotModified()
            for header in COPIED_HEADERS:
                if header in response:
                    not_modified[header] = response[header]
            return not_modified
        return response

    @staticmethod
    def _not_modified(request, etag: str, last_modified: dt.datetime | None) -> bool:
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match:
            # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
            tags = parse_etags(if_none_match)
            return "*" in tags or etag in tags or f"W/{etag}" in tags
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        return bool(since and last_modified and int(last_modified.timestamp()) <= since)

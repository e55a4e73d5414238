"""ETag, Last-Modified and 304 on conditional GET for every read.

The ETag is a hash of the response body, so it changes exactly when the
representation does. Last-Modified is the latest `updated_at` found in the
body (objects and nested objects): no extra query."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.http import HttpResponseNotModified
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework.response import Response

COPIED_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary")


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


class ConditionalGetMixin:
    cache_control = "public, max-age=60"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if not isinstance(response, Response):  # file downloads stream as they are
            return response
        response.render()
        response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        response["Cache-Control"] = self.cache_control
        last_modified = _latest_update(getattr(response, "data", None))
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
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

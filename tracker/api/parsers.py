"""Request parsers of the API."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with a body nested deeper than Python's recursion
    limit ([[[[...]]]], a few hundred kilobytes) refused as a 400: json.loads
    raises RecursionError, which DRF does not catch, and the answer was a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The request body is nested too deeply.")) from exc

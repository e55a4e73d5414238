"""Request parsers of the API."""

from __future__ import annotations

import codecs

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json


class SafeJSONParser(JSONParser):
    """DRF's JSON parser (same decoding, same strictness about NaN and
    Infinity) with translated errors of its own: a body that is not JSON is
    "The request body is not valid JSON." (DRF says "JSON parse error - " and
    Python's message, in English only), and a body nested deeper than
    Python's recursion limit ([[[[...]]]], a few hundred kilobytes) is a 400:
    json.loads raises RecursionError, which DRF does not catch (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError as exc:
            raise ParseError(_("The request body is nested too deeply.")) from exc
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN refused
            raise ParseError(_("The request body is not valid JSON.")) from exc

"""The API's request parsers."""

from __future__ import annotations

import io

from rest_framework import exceptions
from rest_framework.parsers import BaseParser, JSONParser

from portal.errors import RequestTooLargeError

JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def json_type(value) -> str:
    """What a JSON value is, in words: "an array", "null"..."""
    return "null" if value is None else JSON_TYPES.get(type(value), "an object")


class JSONObjectParser(JSONParser):
    """Every API body is a JSON object: any other JSON value (an array, a string, null) is a 400
    `parse_error` saying what was sent, before a view reads a field of it."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(f"The request body must be a JSON object, not {json_type(data)}.")
        return data


class BulkJSONObjectParser(BaseParser):
    """A JSON object body of up to `max_bytes`, for endpoints that take bulk data (10,000 items at
    once). Not a JSONParser: DRF hands those the request body through Django, which holds every
    body to DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB); this one reads the stream with its own bound."""

    media_type = "application/json"
    max_bytes = 64 * 1024 * 1024

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        too_large = RequestTooLargeError(
            f"The request body is larger than {self.max_bytes // (1024 * 1024)} MB; "
            "send fewer items per request, or import a file."
        )
        if int(request.META.get("CONTENT_LENGTH") or 0) > self.max_bytes:
            raise too_large
        content = stream.read(self.max_bytes + 1)
        if len(content) > self.max_bytes:
            raise too_large
        return JSONObjectParser().parse(io.BytesIO(content), media_type, parser_context)

"""The API's request parsers."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

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

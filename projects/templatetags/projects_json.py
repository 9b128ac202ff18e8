"""Items, results and gold answers shown as the JSON they are imported and exported as."""

from __future__ import annotations

import json

from django import template

register = template.Library()


@register.filter
def as_json(value) -> str:
    """Indented JSON (null, true, "text"), not Python's repr (None, True, 'text'); the template
    escapes it like any other text."""
    return json.dumps(value, indent=2, ensure_ascii=False)

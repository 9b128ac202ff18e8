"""Question definitions and annotation results, validated on the server.

A project's questions are JSON dicts. `questions_validate` checks them and fills in defaults;
`result_validate` checks one annotator's answers against them and the item, and returns the
answers in canonical form (responses referred to by their stored index, not by where the
annotator saw them). Each kind is one definition reader plus one answer checker in `KINDS`.

Problems are reported in a DomainError's `fields`, keyed by where they are, e.g.
`questions[2].options` or `preference.strength`: the first problem of every question is reported.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.errors import DomainError
from portal.parsers import json_type

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FIELD_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ROLES = ("user", "assistant", "system", "tool")
SIDES = {"A": 0, "B": 1}  # pairwise choice -> display position
TIE = "tie"
STRENGTHS = {1: "slightly better", 2: "clearly better", 3: "much better"}
TEXT_MAX_LENGTH = 20000
TEXT_LIMIT = 100_000  # the longest text answer a project may allow (a rewrite of a long document)
REASON_MAX_LENGTH = 5000
COMMON_FIELDS = ("key", "kind", "prompt", "required", "help")

Question = dict[str, Any]


class _Invalid(Exception):
    """One problem at one place; gathered into a DomainError's fields."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _listing(values: list) -> str:
    return ", ".join(str(value) for value in values)


NUL_MESSAGE = "must not contain a NUL character (\\u0000)"


def _no_nul(text: str, path: str) -> str:
    """Text that can be stored: PostgreSQL keeps no NUL character in text or jsonb."""
    if "\x00" in text:
        raise _Invalid(path, NUL_MESSAGE)
    return text


def _reject_unknown(entry: dict, allowed: tuple[str, ...], path: str) -> None:
    unknown = [name for name in entry if name not in allowed]
    if unknown:
        raise _Invalid(f"{path}.{unknown[0]}", "unknown field")


# Reading definitions ----------------------------------------------------------------------------


def _read_bool(definition: dict, name: str, path: str, *, default: bool) -> bool:
    value = definition.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _Invalid(f"{path}.{name}", "must be true or false")
    return value


def _read_int(
    definition: dict, name: str, path: str, *, default: int | None, minimum: int, maximum: int | None = None
) -> int | None:
    value = definition.get(name)
    if value is None:
        return default
    if not _is_int(value) or value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise _Invalid(f"{path}.{name}", f"must be a whole number {bounds}")
    return value


def _read_text(definition: dict, name: str, path: str, *, required: bool = True) -> str | None:
    value = definition.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{path}.{name}", "must be a non-empty string")
    return _no_nul(value.strip(), f"{path}.{name}")


def _read_field(definition: dict, name: str, path: str, *, required: bool = True) -> str | None:
    value = definition.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not FIELD_PATTERN.fullmatch(value):
        raise _Invalid(f"{path}.{name}", "must name an item field (letters, digits and _)")
    return value


def _read_choices(definition: dict, name: str, path: str, *, minimum: int, noun: str) -> list[dict]:
    """A list of `{"value": str, "label": str}` with distinct values."""
    entries = definition.get(name)
    if not isinstance(entries, list):
        raise _Invalid(f"{path}.{name}", f"must be a list of {noun}s")
    if len(entries) < minimum:
        raise _Invalid(f"{path}.{name}", f"needs at least {minimum} {noun}{'s' if minimum > 1 else ''}")
    choices: list[dict] = []
    for index, entry in enumerate(entries):
        where = f"{path}.{name}[{index}]"
        if not isinstance(entry, dict):
            raise _Invalid(where, 'must be an object with a "value" and a "label"')
        _reject_unknown(entry, ("value", "label"), where)
        value = entry.get("value")
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(f"{where}.value", "must be a non-empty string")
        _no_nul(value, f"{where}.value")
        if any(choice["value"] == value for choice in choices):
            raise _Invalid(f"{where}.value", f"'{value}' is used twice")
        choices.append({"value": value, "label": _read_text(entry, "label", where)})
    return choices


def _read_scale(definition: dict, path: str) -> list[dict]:
    """A list of `{"value": int, "label": str}` with increasing values."""
    points = definition.get("scale")
    if not isinstance(points, list):
        raise _Invalid(f"{path}.scale", "must be a list of scale points")
    if len(points) < 2:
        raise _Invalid(f"{path}.scale", "needs at least 2 scale points")
    scale: list[dict] = []
    for index, point in enumerate(points):
        where = f"{path}.scale[{index}]"
        if not isinstance(point, dict):
            raise _Invalid(where, 'must be an object with a "value" and a "label"')
        _reject_unknown(point, ("value", "label"), where)
        value = point.get("value")
        if not _is_int(value):
            raise _Invalid(f"{where}.value", "must be a whole number")
        if scale and value <= scale[-1]["value"]:
            raise _Invalid(f"{where}.value", "must be greater than the previous point's value")
        scale.append({"value": value, "label": _read_text(point, "label", where)})
    return scale


def _read_dimensions(definition: dict, path: str) -> list[dict]:
    entries = definition.get("dimensions")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise _Invalid(f"{path}.dimensions", "must be a list of dimensions")
    dimensions: list[dict] = []
    for index, entry in enumerate(entries):
        where = f"{path}.dimensions[{index}]"
        if not isinstance(entry, dict):
            raise _Invalid(where, 'must be an object with a "key" and a "label"')
        _reject_unknown(entry, ("key", "label"), where)
        key = entry.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise _Invalid(f"{where}.key", "must start with a-z and use only a-z, 0-9 and _ (at most 40)")
        if any(dimension["key"] == key for dimension in dimensions):
            raise _Invalid(f"{where}.key", f"'{key}' is used twice")
        dimensions.append({"key": key, "label": _read_text(entry, "label", where)})
    return dimensions


def _read_reason_values(definition: dict, path: str, options: list[dict]) -> list[str]:
    values = definition.get("reason_required_for")
    if values is None:
        return []
    if not isinstance(values, list):
        raise _Invalid(f"{path}.reason_required_for", "must be a list of option values")
    known = [option["value"] for option in options]
    for index, value in enumerate(values):
        if value not in known:
            raise _Invalid(f"{path}.reason_required_for[{index}]", f"must be one of: {_listing(known)}")
    return [value for value in known if value in values]


def _single_choice_define(definition: dict, path: str, required: bool) -> dict:
    return {"options": _read_choices(definition, "options", path, minimum=2, noun="option")}


def _multi_choice_define(definition: dict, path: str, required: bool) -> dict:
    options = _read_choices(definition, "options", path, minimum=2, noun="option")
    minimum = _read_int(definition, "min", path, default=0, minimum=0)
    maximum = _read_int(definition, "max", path, default=None, minimum=1)
    if minimum > len(options):
        raise _Invalid(f"{path}.min", f"must be at most the number of options ({len(options)})")
    if maximum is not None and not minimum <= maximum <= len(options):
        raise _Invalid(f"{path}.max", f"must be between min and the number of options ({len(options)})")
    return {"options": options, "min": minimum, "max": maximum}


def _rating_define(definition: dict, path: str, required: bool) -> dict:
    return {"scale": _read_scale(definition, path)}


def _ranking_define(definition: dict, path: str, required: bool) -> dict:
    return {"allow_ties": _read_bool(definition, "allow_ties", path, default=False)}


def _pairwise_define(definition: dict, path: str, required: bool) -> dict:
    return {
        "allow_tie": _read_bool(definition, "allow_tie", path, default=True),
        "strength": _read_bool(definition, "strength", path, default=False),
        "dimensions": _read_dimensions(definition, path),
    }


def _text_define(definition: dict, path: str, required: bool) -> dict:
    min_length = _read_int(
        definition, "min_length", path, default=1 if required else 0, minimum=0, maximum=TEXT_LIMIT
    )
    max_length = _read_int(
        definition, "max_length", path, default=TEXT_MAX_LENGTH, minimum=1, maximum=TEXT_LIMIT
    )
    if max_length < min_length:
        raise _Invalid(f"{path}.max_length", "must not be less than min_length")
    return {
        "prefill_field": _read_field(definition, "prefill_field", path, required=False),
        "min_length": min_length,
        "max_length": max_length,
    }


def _spans_define(definition: dict, path: str, required: bool) -> dict:
    return {
        "field": _read_field(definition, "field", path),
        "labels": _read_choices(definition, "labels", path, minimum=1, noun="label"),
    }


def _per_turn_define(definition: dict, path: str, required: bool) -> dict:
    field = _read_field(definition, "field", path)
    role = definition.get("turn_role")
    if role is None:
        role = "assistant"
    if role not in ROLES:
        raise _Invalid(f"{path}.turn_role", f"must be one of: {_listing(ROLES)}")
    options = _read_choices(definition, "options", path, minimum=2, noun="option")
    return {
        "field": field,
        "turn_role": role,
        "options": options,
        "reason_required_for": _read_reason_values(definition, path, options),
    }


def _per_step_define(definition: dict, path: str, required: bool) -> dict:
    field = _read_field(definition, "field", path)
    options = _read_choices(definition, "options", path, minimum=2, noun="option")
    return {
        "field": field,
        "options": options,
        "reason_required_for": _read_reason_values(definition, path, options),
    }


# Checking answers -------------------------------------------------------------------------------


class _Item:
    """The item being annotated, and the order its responses were displayed in."""

    def __init__(self, payload: dict, response_order: list[int] | None):
        self.payload = payload
        self.response_order = response_order

    def display_order(self, path: str, *, exactly: int | None = None) -> list[int]:
        """`order[display_position] = canonical_index` for the item's responses."""
        responses = self.payload.get("responses")
        count = len(responses) if isinstance(responses, list) else 0
        if exactly is not None and count != exactly:
            raise _Invalid(path, f"the item must have exactly {exactly} responses (it has {count})")
        if count < 2:
            raise _Invalid(path, f"the item must have at least 2 responses (it has {count})")
        return self.response_order if self.response_order is not None else list(range(count))

    def text(self, field: str, path: str) -> str:
        value = self.payload.get(field)
        if not isinstance(value, str):
            raise _Invalid(path, f"the item's '{field}' field is not text")
        return value

    def sequence(self, field: str, path: str) -> list:
        value = self.payload.get(field)
        if not isinstance(value, list):
            raise _Invalid(path, f"the item's '{field}' field is not a list")
        return value


def _option_value(options: list[dict], value: Any, path: str) -> str:
    values = [option["value"] for option in options]
    if not isinstance(value, str) or value not in values:
        raise _Invalid(path, f"must be one of: {_listing(values)}")
    return value


def _single_choice_answer(question: Question, answer: Any, path: str, item: _Item) -> str:
    return _option_value(question["options"], answer, path)


def _multi_choice_answer(question: Question, answer: Any, path: str, item: _Item) -> list[str]:
    if not isinstance(answer, list):
        raise _Invalid(path, "must be a list of option values")
    chosen: set[str] = set()
    for index, value in enumerate(answer):
        _option_value(question["options"], value, f"{path}[{index}]")
        if value in chosen:
            raise _Invalid(f"{path}[{index}]", f"'{value}' is chosen twice")
        chosen.add(value)
    if len(chosen) < question["min"]:
        raise _Invalid(path, f"choose at least {question['min']}")
    if question["max"] is not None and len(chosen) > question["max"]:
        raise _Invalid(path, f"choose at most {question['max']}")
    return [option["value"] for option in question["options"] if option["value"] in chosen]


def _rating_answer(question: Question, answer: Any, path: str, item: _Item) -> int:
    values = [point["value"] for point in question["scale"]]
    if not _is_int(answer) or answer not in values:
        raise _Invalid(path, f"must be one of: {_listing(values)}")
    return answer


def _ranking_groups(question: Question, answer: Any, path: str) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The submitted ranking as `(path, [(path, display_position), ...])` groups, best first."""
    if not isinstance(answer, list) or not answer:
        raise _Invalid(path, "must be a list of groups of response positions, best first")
    if not any(isinstance(entry, list) for entry in answer):
        if question["allow_ties"]:
            raise _Invalid(path, "must be a list of groups, e.g. [[1], [0, 2]], when ties are allowed")
        return [(f"{path}[{index}]", [(f"{path}[{index}]", entry)]) for index, entry in enumerate(answer)]
    groups = []
    for index, entry in enumerate(answer):
        if not isinstance(entry, list) or not entry:
            raise _Invalid(f"{path}[{index}]", "must be a non-empty list of response positions")
        positions = [(f"{path}[{index}][{inner}]", position) for inner, position in enumerate(entry)]
        groups.append((f"{path}[{index}]", positions))
    return groups


def _ranking_answer(question: Question, answer: Any, path: str, item: _Item) -> list[list[int]]:
    order = item.display_order(path)
    ranked: set[int] = set()
    canonical: list[list[int]] = []
    for group_path, positions in _ranking_groups(question, answer, path):
        if len(positions) > 1 and not question["allow_ties"]:
            raise _Invalid(group_path, "ties are not allowed: rank every response on its own")
        group = []
        for position_path, position in positions:
            if not _is_int(position) or not 0 <= position < len(order):
                raise _Invalid(position_path, f"must be a response position from 0 to {len(order) - 1}")
            if position in ranked:
                raise _Invalid(position_path, f"response {position} is ranked twice")
            ranked.add(position)
            group.append(order[position])
        canonical.append(sorted(group))
    missing = [position for position in range(len(order)) if position not in ranked]
    if missing:
        raise _Invalid(path, f"every response must be ranked; missing: {_listing(missing)}")
    return canonical


def _pairwise_side(choice: Any, path: str, order: list[int], *, allow_tie: bool) -> int | None:
    """The canonical index of the chosen display side, or None for a tie."""
    if allow_tie and choice == TIE:
        return None
    if not isinstance(choice, str) or choice not in SIDES:
        raise _Invalid(path, "must be A, B or tie" if allow_tie else "must be A or B (no ties)")
    return order[SIDES[choice]]


def _pairwise_strength(question: Question, strength: Any, path: str, *, tie: bool) -> int | None:
    if not question["strength"]:
        if strength is not None:
            raise _Invalid(path, "this question does not ask for a strength")
        return None
    if tie:
        if strength is not None:
            raise _Invalid(path, "must be empty for a tie")
        return None
    if strength is None:
        raise _Invalid(path, "is required when one response is preferred")
    if not _is_int(strength) or strength not in STRENGTHS:
        raise _Invalid(path, "must be 1, 2 or 3")
    return strength


def _pairwise_dimensions(question: Question, given: Any, path: str, order: list[int]) -> dict:
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise _Invalid(path, "must be an object keyed by dimension")
    keys = [dimension["key"] for dimension in question["dimensions"]]
    unknown = [name for name in given if name not in keys]
    if unknown:
        raise _Invalid(f"{path}.{unknown[0]}", "unknown dimension")
    dimensions: dict[str, int | None] = {}
    for key in keys:
        if given.get(key) is None:
            if question["required"]:
                raise _Invalid(f"{path}.{key}", "an answer is required")
            continue
        dimensions[key] = _pairwise_side(given[key], f"{path}.{key}", order, allow_tie=True)
    return dimensions


def _pairwise_answer(question: Question, answer: Any, path: str, item: _Item) -> dict:
    order = item.display_order(path, exactly=2)
    if not isinstance(answer, dict):
        raise _Invalid(path, 'must be an object with a "choice"')
    _reject_unknown(answer, ("choice", "strength", "dimensions"), path)
    winner = _pairwise_side(answer.get("choice"), f"{path}.choice", order, allow_tie=question["allow_tie"])
    tie = answer.get("choice") == TIE
    return {
        "winner": winner,
        "strength": _pairwise_strength(question, answer.get("strength"), f"{path}.strength", tie=tie),
        "dimensions": _pairwise_dimensions(question, answer.get("dimensions"), f"{path}.dimensions", order),
    }


def _text_answer(question: Question, answer: Any, path: str, item: _Item) -> str:
    if not isinstance(answer, str):
        raise _Invalid(path, "must be text")
    if len(answer.strip()) < question["min_length"]:
        minimum = question["min_length"]
        raise _Invalid(
            path, "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
        )
    if len(answer) > question["max_length"]:
        raise _Invalid(path, f"must be at most {question['max_length']} characters")
    return _no_nul(answer, path)


def _spans_answer(question: Question, answer: Any, path: str, item: _Item) -> list[dict]:
    text = item.text(question["field"], path)
    if not isinstance(answer, list):
        raise _Invalid(path, "must be a list of spans")
    seen: dict[tuple, int] = {}
    for index, span in enumerate(answer):
        where = f"{path}[{index}]"
        if not isinstance(span, dict):
            raise _Invalid(where, 'must be an object with "start", "end" and "label"')
        _reject_unknown(span, ("start", "end", "label"), where)
        start, end = span.get("start"), span.get("end")
        if not _is_int(start) or not 0 <= start < len(text):
            raise _Invalid(f"{where}.start", f"must be a whole number from 0 to {len(text) - 1}")
        if not _is_int(end) or not start < end <= len(text):
            raise _Invalid(
                f"{where}.end", f"must be a whole number greater than start and at most {len(text)}"
            )
        label = _option_value(question["labels"], span.get("label"), f"{where}.label")
        if (start, end, label) in seen:
            raise _Invalid(where, f"duplicates span {seen[(start, end, label)]}")
        seen[(start, end, label)] = index
    return [{"start": start, "end": end, "label": label} for start, end, label in sorted(seen)]


def _judgments(
    question: Question, answer: Any, path: str, *, unit: str, count: int, judged: list[int], skipped: str
) -> list[dict]:
    """Per-turn and per-step answers: `{unit: index, "value": option, "reason": str}` entries."""
    if not isinstance(answer, list):
        raise _Invalid(path, f"must be a list of {unit} judgments")
    results: dict[int, dict] = {}
    for index, entry in enumerate(answer):
        where = f"{path}[{index}]"
        if not isinstance(entry, dict):
            raise _Invalid(where, f'must be an object with "{unit}" and "value"')
        _reject_unknown(entry, (unit, "value", "reason"), where)
        position = entry.get(unit)
        if not _is_int(position) or not 0 <= position < count:
            raise _Invalid(f"{where}.{unit}", f"must be a {unit} index from 0 to {count - 1}")
        if position not in judged:
            raise _Invalid(f"{where}.{unit}", f"{unit} {position} is not judged: {skipped}")
        if position in results:
            raise _Invalid(f"{where}.{unit}", f"{unit} {position} is judged twice")
        value = _option_value(question["options"], entry.get("value"), f"{where}.value")
        reason = entry.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > REASON_MAX_LENGTH):
            raise _Invalid(f"{where}.reason", f"must be text of at most {REASON_MAX_LENGTH} characters")
        if reason is not None:
            _no_nul(reason, f"{where}.reason")
        reason = (reason or "").strip() or None
        if reason is None and value in question["reason_required_for"]:
            raise _Invalid(f"{where}.reason", f"a reason is required for '{value}'")
        results[position] = {unit: position, "value": value, "reason": reason}
    missing = [position for position in judged if position not in results]
    if question["required"] and missing:
        # Numbered from 1 as the workbench shows them, with the indexes the answer uses.
        units = f"{unit}s" if len(missing) > 1 else unit
        numbers = _listing([position + 1 for position in missing])
        raise _Invalid(
            path, f"every {unit} must be judged; missing: {units} {numbers} (index {_listing(missing)})"
        )
    return [results[position] for position in sorted(results)]


def _per_turn_answer(question: Question, answer: Any, path: str, item: _Item) -> list[dict]:
    turns = item.sequence(question["field"], path)
    role = question["turn_role"]
    judged = [
        index for index, turn in enumerate(turns) if isinstance(turn, dict) and turn.get("role") == role
    ]
    return _judgments(
        question, answer, path, unit="turn", count=len(turns), judged=judged, skipped=f"only {role} turns are"
    )


def _per_step_answer(question: Question, answer: Any, path: str, item: _Item) -> list[dict]:
    steps = item.sequence(question["field"], path)
    return _judgments(
        question, answer, path, unit="step", count=len(steps), judged=list(range(len(steps))), skipped=""
    )


# The registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one kind of question is defined and answered."""

    fields: tuple[str, ...]  # definition fields beyond the common ones
    define: Callable[[dict, str, bool], dict]  # (definition, path, required) -> normalized kind fields
    answer: Callable[[Question, Any, str, _Item], Any]  # (question, answer, path, item) -> canonical


KINDS: dict[str, Kind] = {
    "single_choice": Kind(("options",), _single_choice_define, _single_choice_answer),
    "multi_choice": Kind(("options", "min", "max"), _multi_choice_define, _multi_choice_answer),
    "rating": Kind(("scale",), _rating_define, _rating_answer),
    "ranking": Kind(("allow_ties",), _ranking_define, _ranking_answer),
    "pairwise": Kind(("allow_tie", "strength", "dimensions"), _pairwise_define, _pairwise_answer),
    "text": Kind(("prefill_field", "min_length", "max_length"), _text_define, _text_answer),
    "spans": Kind(("field", "labels"), _spans_define, _spans_answer),
    "per_turn": Kind(
        ("field", "turn_role", "options", "reason_required_for"), _per_turn_define, _per_turn_answer
    ),
    "per_step": Kind(("field", "options", "reason_required_for"), _per_step_define, _per_step_answer),
}


# Public API -------------------------------------------------------------------------------------


def _question_define(definition: Any, path: str) -> Question:
    if not isinstance(definition, dict):
        raise _Invalid(path, "must be an object")
    key = definition.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise _Invalid(f"{path}.key", "must start with a-z and use only a-z, 0-9 and _ (at most 40)")
    kind = definition.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _Invalid(f"{path}.kind", f"must be one of: {_listing(list(KINDS))}")
    _reject_unknown(definition, COMMON_FIELDS + KINDS[kind].fields, path)
    required = _read_bool(definition, "required", path, default=True)
    return {
        "key": key,
        "kind": kind,
        "prompt": _read_text(definition, "prompt", path),
        "required": required,
        "help": _read_text(definition, "help", path, required=False),
        **KINDS[kind].define(definition, path, required),
    }


def questions_validate(questions: list) -> list[Question]:
    """Check question definitions; return normalized copies with every default filled in."""
    if not isinstance(questions, list) or not questions:
        raise DomainError(
            "A project needs a list of questions.",
            code="invalid_questions",
            fields={
                "questions": [
                    "needs at least 1 question" if questions == [] else "must be a list of questions"
                ]
            },
        )
    problems: dict[str, list[str]] = {}
    normalized: list[Question] = []
    used: dict[str, int] = {}
    for index, definition in enumerate(questions):
        path = f"questions[{index}]"
        try:
            question = _question_define(definition, path)
        except _Invalid as problem:
            problems.setdefault(problem.path, []).append(problem.message)
            continue
        if question["key"] in used:
            problems[f"{path}.key"] = [
                f"'{question['key']}' is already used by questions[{used[question['key']]}]"
            ]
        used.setdefault(question["key"], index)
        normalized.append(question)
    if problems:
        raise DomainError("Some questions are not valid.", code="invalid_questions", fields=problems)
    return normalized


def _response_order_check(item: dict, response_order: list[int] | None) -> list[int] | None:
    if response_order is None:
        return None
    responses = item.get("responses")
    count = len(responses) if isinstance(responses, list) else 0
    if (
        not isinstance(response_order, list)
        or not all(_is_int(index) for index in response_order)
        or sorted(response_order) != list(range(count))
    ):
        raise DomainError(
            "The response order does not fit the item.",
            code="invalid_response_order",
            fields={"response_order": [f"must be a permutation of 0..{count - 1}"]},
        )
    return list(response_order)


def result_validate(
    *, questions: list[Question], result: dict, item: dict, response_order: list[int] | None = None
) -> dict:
    """Check one annotation result against the questions and the item; return it in canonical form.

    `response_order[display_position] = canonical_index` says where the annotator saw each response;
    pairwise and ranking answers refer to display positions and come back as canonical indices.
    Every question's key is in the returned dict; unanswered optional questions are None.
    """
    questions = questions_validate(questions)
    if not isinstance(item, dict):
        raise DomainError(
            "The item is not an object.", code="invalid_item", fields={"item": ["must be an object"]}
        )
    target = _Item(item, _response_order_check(item, response_order))
    if not isinstance(result, dict):
        raise DomainError(
            "The result is not valid.", code="invalid_result", fields={"result": ["must be an object"]}
        )
    keys = [question["key"] for question in questions]
    problems: dict[str, list[str]] = {str(name): ["unknown question"] for name in result if name not in keys}
    canonical: dict[str, Any] = {}
    for question in questions:
        key = question["key"]
        answer = result.get(key)
        canonical[key] = None
        if answer is None:
            if question["required"]:
                problems[key] = ["an answer is required"]
            continue
        try:
            canonical[key] = KINDS[question["kind"]].answer(question, answer, key, target)
        except _Invalid as problem:
            problems.setdefault(problem.path, []).append(problem.message)
    if problems:
        raise DomainError("The result is not valid.", code="invalid_result", fields=problems)
    return canonical


def result_as_answer(
    questions: list[Question], result: dict | None, response_order: list[int] | None = None
) -> dict:
    """A canonical result written back as the answer that gives it: pairwise sides as "A", "B" or
    "tie" and rankings as response positions, both as displayed in `response_order` (imported
    order without one). `result_validate` of the answer gives the result again."""
    position = {canonical: shown for shown, canonical in enumerate(response_order or [])}

    def side(index):
        if index is None:
            return TIE
        return "AB"[position.get(index, index)]

    answer: dict[str, Any] = {}
    for question in questions:
        value = (result or {}).get(question["key"])
        if question["kind"] == "pairwise" and isinstance(value, dict):
            dimensions = value.get("dimensions") or {}
            value = {
                "choice": side(value.get("winner")),
                "strength": value.get("strength"),
                "dimensions": {key: side(chosen) for key, chosen in dimensions.items()},
            }
        elif question["kind"] == "ranking" and isinstance(value, list):
            value = [sorted(position.get(index, index) for index in group) for group in value]
        answer[question["key"]] = value
    return answer


# Kinds whose answer names responses by position: their responses are shown in a random order.
ORDERED_KINDS = frozenset({"pairwise", "ranking"})


def questions_shuffle_responses(questions: list[dict]) -> bool:
    """Whether a project with these questions shows each annotator its responses in a random order."""
    return any(question["kind"] in ORDERED_KINDS for question in questions)


def response_order_random(count: int, rng: random.Random | None = None) -> list[int]:
    """A random display order for `count` responses: `order[display_position] = canonical_index`."""
    if not _is_int(count) or count < 0:
        raise DomainError(
            "The number of responses is not valid.",
            code="invalid_response_count",
            fields={"count": ["must be a whole number of at least 0"]},
        )
    order = list(range(count))
    (rng if rng is not None else random.SystemRandom()).shuffle(order)
    return order


def payload_displayed(payload: dict, response_order: list[int] | None) -> dict:
    """An item's payload with its responses in display order (`order[position] = canonical index`)."""
    shown = dict(payload)
    if response_order and isinstance(shown.get("responses"), list):
        shown["responses"] = [shown["responses"][index] for index in response_order]
    return shown


MAX_DRAFT_CHARS = 200_000


# A NUL character as JSON writes it: \u0000 after an even number of backslashes (after an odd
# number it is the text "\u0000").
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def draft_check(draft) -> None:
    """Every autosaved draft (queue tasks, calibration items, qualification tests) is a JSON object
    (what the workbench restores), has one bound, and holds nothing the database cannot store."""
    if not isinstance(draft, dict):
        raise DomainError(
            "The draft is a JSON object.", fields={"draft": [f"An object, not {json_type(draft)}."]}
        )
    text = json.dumps(draft)
    if len(text) > MAX_DRAFT_CHARS:
        raise DomainError(
            "The draft is too large.", fields={"draft": [f"At most {MAX_DRAFT_CHARS} characters."]}
        )
    if "\\u0000" in text and _JSON_NUL.search(text):
        raise DomainError("The draft cannot be stored.", fields={"draft": [f"It {NUL_MESSAGE}."]})

"""Items and results as people read them: fields in order, responses lettered, each question's
answer in words. Canonical results are lettered in the item's imported order unless an order
(the one an annotator saw) is given."""

from __future__ import annotations

import json
from typing import Any

from projects.questions import STRENGTHS, TIE

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def response_letter(index: int, order: list[int] | None = None) -> str:
    """The letter of canonical response `index` where it was shown (`order[position] = index`)."""
    position = order.index(index) if order and index in order else index
    return LETTERS[position] if 0 <= position < len(LETTERS) else str(position + 1)


def _response_text(response: Any) -> str:
    if isinstance(response, dict):
        return str(response.get("text", ""))
    return str(response)


def item_display(payload: dict, item_fields: dict, order: list[int] | None = None) -> list[dict]:
    """The item's fields for a page: responses lettered (in `order` if given), turns and steps."""
    fields = []
    for name, kind in (item_fields or {}).items():
        value = payload.get(name)
        if value is None:
            continue
        entry: dict[str, Any] = {"name": name, "type": kind}
        if kind == "responses" and isinstance(value, list):
            positions = order if order and sorted(order) == list(range(len(value))) else range(len(value))
            entry["responses"] = [
                {"letter": response_letter(index, order), "text": _response_text(value[index])}
                for index in positions
            ]
        elif kind == "conversation" and isinstance(value, list):
            entry["turns"] = [
                {"number": n, "role": t.get("role", ""), "content": t.get("content", "")}
                for n, t in enumerate(value, start=1)
                if isinstance(t, dict)
            ]
        elif kind == "trace" and isinstance(value, list):
            entry["steps"] = [
                {"number": n, "text": json.dumps(step, indent=2, ensure_ascii=False)}
                for n, step in enumerate(value, start=1)
            ]
        else:
            entry["value"] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        fields.append(entry)
    others = {k: v for k, v in payload.items() if k not in (item_fields or {})}
    if others:
        fields.append(
            {
                "name": "other fields",
                "type": "json",
                "value": json.dumps(others, indent=2, ensure_ascii=False),
            }
        )
    return fields


def _label(options: list[dict], value: Any) -> str:
    for option in options or []:
        if option.get("value") == value:
            return option.get("label") or str(value)
    return str(value)


def _with_reason(text: str, reason: str | None) -> str:
    return f"{text} — {reason}" if reason else text


def _answer_lines(
    question: dict, answer: Any, payload: dict, order: list[int] | None
) -> tuple[list[str], str]:
    """(lines, block): short lines, and a block of free text shown as it was written."""
    kind = question.get("kind")
    if kind == "single_choice":
        return [_label(question.get("options"), answer)], ""
    if kind == "multi_choice":
        return [", ".join(_label(question.get("options"), v) for v in answer) or "(none chosen)"], ""
    if kind == "rating":
        return [f"{answer} — {_label(question.get('scale'), answer)}"], ""
    if kind == "ranking":
        return [
            f"{rank}. "
            + " = ".join(
                response_letter(i, order) for i in sorted(group, key=lambda i: response_letter(i, order))
            )
            for rank, group in enumerate(answer, start=1)
        ], ""
    if kind == "pairwise":
        winner = answer.get("winner")
        if winner is None:
            lines = ["Tie"]
        else:
            strength = STRENGTHS.get(answer.get("strength"))
            lines = [f"{response_letter(winner, order)} is better" + (f" ({strength})" if strength else "")]
        given = answer.get("dimensions") or {}
        for dimension in question.get("dimensions") or []:  # in the question's order
            if dimension["key"] in given:
                side = given[dimension["key"]]
                lines.append(f"{dimension['label']}: {TIE if side is None else response_letter(side, order)}")
        return lines, ""
    if kind == "text":
        return [], answer
    if kind == "spans":
        text = payload.get(question.get("field"), "")
        text = text if isinstance(text, str) else ""
        return [
            f"{_label(question.get('labels'), s['label'])}: “{text[s['start'] : s['end']]}” ({s['start']}–{s['end']})"
            for s in answer
        ] or ["(no spans)"], ""
    if kind == "per_turn":
        turns = payload.get(question.get("field")) or []
        lines = []
        for entry in answer:
            turn = turns[entry["turn"]] if entry["turn"] < len(turns) else {}
            role = turn.get("role", "") if isinstance(turn, dict) else ""
            text = f"Turn {entry['turn'] + 1} ({role}): {_label(question.get('options'), entry['value'])}"
            lines.append(_with_reason(text, entry.get("reason")))
        return lines or ["(no turns judged)"], ""
    if kind == "per_step":
        return [
            _with_reason(
                f"Step {e['step'] + 1}: {_label(question.get('options'), e['value'])}", e.get("reason")
            )
            for e in answer
        ] or ["(no steps judged)"], ""
    return [json.dumps(answer, ensure_ascii=False)], ""


def result_display(
    questions: list[dict], result: dict | None, payload: dict, order: list[int] | None = None
) -> list[dict]:
    """A canonical result, question by question, in words."""
    rows = []
    for question in questions:
        answer = (result or {}).get(question["key"])
        row = {
            "key": question["key"],
            "prompt": question.get("prompt", question["key"]),
            "lines": [],
            "block": "",
        }
        if answer is None:
            row["lines"] = ["(not answered)"]
        else:
            try:
                row["lines"], row["block"] = _answer_lines(question, answer, payload, order)
            except (AttributeError, IndexError, KeyError, TypeError, ValueError):
                row["lines"] = [json.dumps(answer, ensure_ascii=False)]
        rows.append(row)
    return rows

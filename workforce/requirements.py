"""What a project asks of the people staffed on it, in one normalised shape.

    {"expertise": [{"area": "medicine/cardiology", "min_level": 2}],
     "languages": [{"code": "en", "min_proficiency": 5}],
     "min_qualification_score": 0.8,
     "headcount": {"annotator": 5, "auditor": 1},
     "hours_per_week": 10,
     "timezone": "Europe/Berlin"}

Levels and proficiencies may be given by name ("practitioner", "C1", "native") or number. A bare
string stands for the lowest bar: `"medicine/cardiology"` any vetted level, `"de"` at least B2.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from portal.errors import DomainError
from portal.numbers import fraction_clean
from workforce.models import ExpertiseArea, Level, Proficiency

LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DEFAULT_PROFICIENCY = Proficiency.B2
DEFAULT_HOURS = 10
DEFAULT_HEADCOUNT = {"annotator": 5, "auditor": 1}
KEYS = ("expertise", "languages", "min_qualification_score", "headcount", "hours_per_week", "timezone")


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _choice(value: Any, choices: type, path: str, problems: dict) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value in choices.values:
        return value
    if isinstance(value, str):
        wanted = value.strip().lower().replace(" ", "_")
        for member in choices:
            if wanted in (member.name.lower(), member.label.split(" ")[0].lower()):
                return member.value
    names = ", ".join(member.name.lower() for member in choices)
    problems[path] = [f"must be one of: {names}"]
    return None


def _expertise(entries: Any, problems: dict) -> list[dict]:
    if not isinstance(entries, list):
        problems["requirements.expertise"] = ["must be a list"]
        return []
    wanted: list[dict] = []
    places: list[int] = []  # each wanted entry's index in `entries`, to name it in a problem
    for index, entry in enumerate(entries):
        path = f"requirements.expertise[{index}]"
        if isinstance(entry, str):
            entry = {"area": entry, "min_level": Level.GENERALIST}
        if not isinstance(entry, dict) or not isinstance(entry.get("area"), str):
            problems[path] = ['must be an area code or {"area": ..., "min_level": ...}']
            continue
        level = _choice(entry.get("min_level", Level.GENERALIST), Level, f"{path}.min_level", problems)
        wanted.append({"area": entry["area"].strip(), "min_level": level})
        places.append(index)
    known = set(
        ExpertiseArea.objects.filter(code__in=[w["area"] for w in wanted]).values_list("code", flat=True)
    )
    seen: set[str] = set()
    for index, entry in zip(places, wanted, strict=True):
        if entry["area"] not in known:
            problems[f"requirements.expertise[{index}].area"] = [
                f"'{entry['area']}' is not in the expertise taxonomy"
            ]
        elif entry["area"] in seen:
            problems[f"requirements.expertise[{index}].area"] = [f"'{entry['area']}' is listed twice"]
        seen.add(entry["area"])
    return wanted


def _languages(entries: Any, problems: dict) -> list[dict]:
    if not isinstance(entries, list):
        problems["requirements.languages"] = ["must be a list"]
        return []
    wanted: list[dict] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        path = f"requirements.languages[{index}]"
        if isinstance(entry, str):
            entry = {"code": entry, "min_proficiency": DEFAULT_PROFICIENCY}
        code = entry.get("code") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not LANGUAGE_PATTERN.fullmatch(code.strip()):
            problems[path] = [
                'must be a language tag such as "de" or {"code": "de", "min_proficiency": "C1"}'
            ]
            continue
        code = code.strip()
        if code in seen:
            problems[f"{path}.code"] = [f"'{code}' is listed twice"]
        seen.add(code)
        level = _choice(
            entry.get("min_proficiency", DEFAULT_PROFICIENCY),
            Proficiency,
            f"{path}.min_proficiency",
            problems,
        )
        wanted.append({"code": code, "min_proficiency": level})
    return wanted


def _whole(value: Any, path: str, low: int, high: int, problems: dict) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems[path] = [f"must be a whole number from {low} to {high}"]
        return low
    return value


def requirements_clean(value: Any) -> dict:
    """Validate a project's requirements; return them normalised with every default filled in."""
    if value is None:  # none given: every default (an empty list, false or "" is not an object)
        value = {}
    problems: dict[str, list[str]] = {}
    if not isinstance(value, dict):
        raise DomainError(
            "Requirements are an object.",
            code="invalid_requirements",
            fields={"requirements": ["must be an object"]},
        )
    for key in value:
        if key not in KEYS:
            problems[f"requirements.{key}"] = [f"unknown requirement; use: {', '.join(KEYS)}"]
    clean: dict[str, Any] = {
        "expertise": _expertise(value.get("expertise", []), problems),
        "languages": _languages(value.get("languages", []), problems),
        "min_qualification_score": None,
        "headcount": dict(DEFAULT_HEADCOUNT),
        "hours_per_week": _whole(
            value.get("hours_per_week", DEFAULT_HOURS), "requirements.hours_per_week", 1, 80, problems
        ),
        "timezone": "UTC",
    }
    if (score := value.get("min_qualification_score")) is not None:
        score, problem = fraction_clean(score)
        if problem:
            problems["requirements.min_qualification_score"] = [f"must be {problem}"]
        else:
            clean["min_qualification_score"] = float(score)
    headcount = value.get("headcount", {})
    if not isinstance(headcount, dict):
        problems["requirements.headcount"] = ['must be an object such as {"annotator": 5, "auditor": 1}']
    else:
        for role, count in headcount.items():
            if role not in DEFAULT_HEADCOUNT:
                problems[f"requirements.headcount.{role}"] = [
                    "is not a staffing role; use annotator or auditor"
                ]
                continue
            clean["headcount"][role] = _whole(count, f"requirements.headcount.{role}", 0, 1000, problems)
    zone = value.get("timezone", "UTC")
    if not isinstance(zone, str) or zone not in timezone_names():
        problems["requirements.timezone"] = ["must be an IANA time zone such as Europe/Berlin"]
    else:
        clean["timezone"] = zone
    if problems:
        raise DomainError("Some requirements are not valid.", code="invalid_requirements", fields=problems)
    return clean


def requirements_of(project) -> dict:
    """A stored project's requirements in normalised form (stored ones were cleaned on write)."""
    return requirements_clean(project.requirements)

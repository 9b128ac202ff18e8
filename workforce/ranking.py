"""Staffing by fit: who meets every hard requirement of a project, ranked by how well they fit.

The hard requirements are the WHERE clause of one SQL query (one join per required area and per
required language, each hitting a unique row), so no person who misses one ever reaches the list.
The query returns the few numbers the fit is made of; Python weighs them, which keeps the
explanation of every score next to its arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from workforce.models import AnnotatorProfile, Level, Proficiency

# How much each part of the fit weighs; parts that do not apply (no language asked) drop out.
WEIGHTS = {
    "expertise": 0.30,
    "qualification": 0.25,
    "quality": 0.20,
    "language": 0.15,
    "capacity": 0.15,
    "timezone": 0.15,
}
WORKDAY = (9, 17)  # local working hours assumed on both sides for the overlap


@dataclass
class Candidate:
    profile_id: int
    user_id: int
    email: str
    full_name: str
    timezone: str
    free_hours: int
    capacity_hours: int
    levels: dict[str, int] = field(default_factory=dict)  # required area -> vetted level
    scores: dict[str, float | None] = field(default_factory=dict)  # required area -> qualification score
    proficiencies: dict[str, int] = field(default_factory=dict)  # required language -> proficiency
    best_score: float | None = None
    quality: float | None = None  # mean quality on earlier and current projects (reviews)
    overlap_hours: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)
    fit: float = 0.0

    def reasons(self) -> list[str]:
        """Why the fit is what it is, one line per part."""
        lines = [
            f"{area}: {Level(level).label.lower()}"
            + (f", test {self.scores[area]:.0%}" if self.scores.get(area) is not None else "")
            for area, level in self.levels.items()
        ]
        if not self.levels:
            lines.append(
                f"best test score {self.best_score:.0%}" if self.best_score is not None else "no test passed"
            )
        lines += [f"{code}: {Proficiency(level).name}" for code, level in self.proficiencies.items()]
        if self.quality is not None:
            lines.append(f"quality {self.quality:.0%} on projects so far")
        lines.append(f"{self.free_hours} of {self.capacity_hours} h/week free")
        lines.append(f"{self.overlap_hours:g} h overlap with the client's working day")
        return lines


@lru_cache(maxsize=1024)
def _offset_hours(zone: str, hour_key: int) -> float:
    """The zone's UTC offset in hours at the given hour (cached per zone and hour)."""
    moment = datetime.fromtimestamp(hour_key * 3600, tz=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() / 3600


def overlap_hours(zone_a: str, zone_b: str, *, at: datetime | None = None) -> float:
    """Hours both sides' working days (9 to 17 local) share, on the UTC clock."""
    hour_key = int((at or timezone.now()).timestamp() // 3600)
    start, end = WORKDAY
    a = _offset_hours(zone_a, hour_key)
    b = _offset_hours(zone_b, hour_key)
    best = 0.0
    for shift in (-24, 0, 24):  # the windows may meet across midnight
        low = max(start - a, start - b + shift)
        high = min(end - a, end - b + shift)
        best = max(best, high - low)
    return best


def _query(
    requirements: dict, *, workspace_id: int, project_id: int, hours: int, profile_id: int | None
) -> tuple[str, list]:
    joins: list[str] = []
    columns: list[str] = []
    params: list = []
    minimum_score = requirements["min_qualification_score"]
    for index, wanted in enumerate(requirements["expertise"]):
        alias = f"e{index}"
        joins.append(
            f"JOIN workforce_profileexpertise {alias} ON {alias}.profile_id = p.id"
            f" AND {alias}.area_id = (SELECT id FROM workforce_expertisearea WHERE code = %s)"
            f" AND {alias}.level >= %s"
            + (f" AND {alias}.qualification_score >= %s" if minimum_score is not None else "")
        )
        params += [wanted["area"], wanted["min_level"]] + (
            [minimum_score] if minimum_score is not None else []
        )
        columns += [f"{alias}.level", f"{alias}.qualification_score"]
    for index, wanted in enumerate(requirements["languages"]):
        alias = f"l{index}"
        # "en" is met by "en" and by any regional "en-..."; the best of them counts.
        joins.append(
            f"JOIN LATERAL (SELECT max(proficiency) AS proficiency FROM workforce_profilelanguage"
            f" WHERE profile_id = p.id AND (code = %s OR code LIKE %s)) {alias} ON {alias}.proficiency >= %s"
        )
        params += [wanted["code"], wanted["code"] + "-%", wanted["min_proficiency"]]
        columns.append(f"{alias}.proficiency")
    best = "(SELECT max(qualification_score) FROM workforce_profileexpertise b WHERE b.profile_id = p.id AND b.level IS NOT NULL)"
    quality = (
        "(SELECT avg(q.quality_score) FROM workforce_commitment q"
        " WHERE q.profile_id = p.id AND q.quality_score IS NOT NULL)"
    )
    where = [
        "p.status = %s",
        "u.is_active",
        "p.weekly_capacity_hours - p.committed_hours >= %s",
        "NOT EXISTS (SELECT 1 FROM workforce_commitment c WHERE c.profile_id = p.id AND c.workspace_id = %s"
        " AND c.project_id = %s AND c.ended_at IS NULL)",
    ]
    where_params: list = [AnnotatorProfile.Status.ACTIVE, hours, workspace_id, project_id]
    if minimum_score is not None and not requirements["expertise"]:
        where.append(f"{best} >= %s")
        where_params.append(minimum_score)
    if profile_id is not None:
        where.append("p.id = %s")
        where_params.append(profile_id)
    sql = (
        "SELECT p.id, p.user_id, u.email, u.full_name, p.timezone, p.weekly_capacity_hours,"
        f" p.committed_hours, {best}, {quality}"
        + "".join(f", {column}" for column in columns)
        + " FROM workforce_annotatorprofile p JOIN tenants_user u ON u.id = p.user_id "
        + " ".join(joins)
        + " WHERE "
        + " AND ".join(where)
    )
    return sql, params + where_params


def _weigh(candidate: Candidate, requirements: dict, hours: int) -> None:
    parts: dict[str, float] = {}
    if requirements["expertise"]:
        parts["expertise"] = sum(candidate.levels.values()) / (
            len(candidate.levels) * Level.CREDENTIALED_EXPERT
        )
        scores = [score or 0.0 for score in candidate.scores.values()]
        parts["qualification"] = sum(scores) / len(scores)
    else:
        parts["qualification"] = candidate.best_score or 0.0
    if requirements["languages"]:
        parts["language"] = sum(
            (level - wanted["min_proficiency"] + 1) / (Proficiency.NATIVE - wanted["min_proficiency"] + 1)
            for wanted, level in zip(requirements["languages"], candidate.proficiencies.values(), strict=True)
        ) / len(requirements["languages"])
    if candidate.quality is not None:  # unknown quality neither helps nor hurts
        parts["quality"] = candidate.quality
    parts["capacity"] = (candidate.free_hours - hours) / candidate.capacity_hours
    parts["timezone"] = candidate.overlap_hours / (WORKDAY[1] - WORKDAY[0])
    total_weight = sum(WEIGHTS[name] for name in parts)
    candidate.parts = {name: round(value, 4) for name, value in parts.items()}
    candidate.fit = round(100 * sum(WEIGHTS[name] * value for name, value in parts.items()) / total_weight, 2)


def candidates_ranked(
    *,
    requirements: dict,
    workspace_id: int,
    project_id: int,
    hours: int | None = None,
    profile_id: int | None = None,
) -> list[Candidate]:
    """Everyone who meets every hard requirement of the project, best fit first.

    Hard: an active profile and account; every required area vetted at the minimum level (and the
    minimum qualification score); every required language at the minimum proficiency; free weekly
    hours for the project; not already on the project.
    """
    hours = requirements["hours_per_week"] if hours is None else hours
    sql, params = _query(
        requirements, workspace_id=workspace_id, project_id=project_id, hours=hours, profile_id=profile_id
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    areas = [wanted["area"] for wanted in requirements["expertise"]]
    languages = [wanted["code"] for wanted in requirements["languages"]]
    client_zone = requirements["timezone"]
    now = timezone.now()
    overlaps: dict[str, float] = {}
    candidates = []
    for row in rows:
        extra = row[9:]
        zone = row[4]
        if zone not in overlaps:
            overlaps[zone] = overlap_hours(zone, client_zone, at=now)
        candidate = Candidate(
            profile_id=row[0],
            user_id=row[1],
            email=row[2],
            full_name=row[3],
            timezone=zone,
            capacity_hours=row[5],
            free_hours=row[5] - row[6],
            best_score=float(row[7]) if row[7] is not None else None,
            quality=float(row[8]) if row[8] is not None else None,
            levels={area: extra[2 * i] for i, area in enumerate(areas)},
            scores={
                area: float(extra[2 * i + 1]) if extra[2 * i + 1] is not None else None
                for i, area in enumerate(areas)
            },
            proficiencies={code: extra[2 * len(areas) + i] for i, code in enumerate(languages)},
            overlap_hours=overlaps[zone],
        )
        _weigh(candidate, requirements, hours)
        candidates.append(candidate)
    candidates.sort(key=lambda c: (-c.fit, c.profile_id))
    return candidates

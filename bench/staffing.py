"""Staffing by fit: rank a pool of 10,000 profiles for a project.

Four projects: a narrow one (cardiology practitioner, English C1, score 0.7), a wide one (any
vetted generalist who reads English), one with no requirement but an hour a week (every active
profile with a free hour is a candidate) and one with two areas and two languages. Each ranking is timed end to end (`candidates_ranked`: the SQL that applies the hard
requirements, and the weighing and sorting in Python) and, as a baseline in the same run, the
bare SQL of the same query. Runs in a scratch database of its own on the embedded PostgreSQL
(or DATABASE_URL's server).
Usage: python bench/staffing.py  (make bench)
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

from bench.provision import scratch_database_url  # noqa: E402

PROFILES = int(os.environ.get("BENCH_PROFILES", "10000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "21"))
ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Manila",
    "Africa/Nairobi",
    "UTC",
]
PROJECTS = {
    "narrow": {
        "expertise": [{"area": "medicine/cardiology", "min_level": "practitioner"}],
        "languages": [{"code": "en", "min_proficiency": "C1"}],
        "min_qualification_score": 0.7,
        "timezone": "Europe/Berlin",
    },
    "wide": {
        "expertise": ["generalist"],
        "languages": ["en"],
        "hours_per_week": 2,
        "timezone": "America/New_York",
    },
    "anyone_active": {"hours_per_week": 1, "timezone": "UTC"},
    "two_areas_two_languages": {
        "expertise": ["software/python", {"area": "law/privacy", "min_level": "generalist"}],
        "languages": ["en", {"code": "de", "min_proficiency": "B2"}],
        "timezone": "Europe/Berlin",
    },
}


def _pool(count: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from tenants.models import User
    from workforce.models import AnnotatorProfile, ExpertiseArea, ProfileExpertise, ProfileLanguage

    rng = random.Random(7)
    areas = list(ExpertiseArea.objects.filter(parent__isnull=False))
    generalist = ExpertiseArea.objects.get(code="generalist")
    unusable = make_password(None)
    now = timezone.now()
    statuses = ["active"] * 7 + ["vetted", "screening", "applicant", "suspended"]
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(email=f"pool{n}@bench.test", full_name=f"Pool Person {n}", password=unusable)
            for n in range(count)
        )
        profiles = []
        for user in users:
            capacity = rng.choice([10, 20, 30, 40])
            profiles.append(
                AnnotatorProfile(
                    user=user,
                    status=rng.choice(statuses),
                    country="DE",
                    timezone=rng.choice(ZONES),
                    weekly_capacity_hours=capacity,
                    committed_hours=rng.randint(0, capacity),
                )
            )
        profiles = AnnotatorProfile.objects.bulk_create(profiles)
        expertise, languages = [], []
        for profile in profiles:
            for area in [generalist, *rng.sample(areas, rng.randint(1, 3))]:
                level = rng.choice([None, 1, 2, 2, 3])
                expertise.append(
                    ProfileExpertise(
                        profile=profile,
                        area=area,
                        claimed_level=level or 2,
                        level=level,
                        qualification_score=round(rng.uniform(0.5, 1.0), 4) if level else None,
                        vetted_at=now if level else None,
                    )
                )
            for code in {"en", *rng.sample(["de", "fr", "es", "hi", "en-GB", "pt-BR"], rng.randint(0, 2))}:
                languages.append(ProfileLanguage(profile=profile, code=code, proficiency=rng.randint(3, 7)))
        ProfileExpertise.objects.bulk_create(expertise, batch_size=5000)
        ProfileLanguage.objects.bulk_create(languages, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _timed(function, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    url, _ = scratch_database_url("bench_staffing")
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from workforce.ranking import _query, candidates_ranked
    from workforce.requirements import requirements_clean

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    _pool(PROFILES)
    print(f"pool: {PROFILES} profiles written in {time.perf_counter() - start:.1f} s")
    runs = []
    for name, raw in PROJECTS.items():
        requirements = requirements_clean(raw)
        rank = lambda requirements=requirements: candidates_ranked(  # noqa: E731
            requirements=requirements, workspace_id=1, project_id=1
        )
        sql, params = _query(
            requirements, workspace_id=1, project_id=1, hours=requirements["hours_per_week"], profile_id=None
        )

        def bare(sql=sql, params=params):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        candidates = len(rank())
        rank(), bare()  # warm caches and plans
        full, baseline = [], []
        for _ in range(REPEATS):  # interleaved, so both see the same machine
            full += _timed(rank, 1)
            baseline += _timed(bare, 1)
        run = {
            "project": name,
            "profiles": PROFILES,
            "candidates": candidates,
            "median_ms": round(statistics.median(full), 2),
            "p95_ms": round(sorted(full)[int(0.95 * (len(full) - 1))], 2),
            "sql_only_median_ms": round(statistics.median(baseline), 2),
        }
        run["ratio_to_sql"] = round(run["median_ms"] / run["sql_only_median_ms"], 2)
        runs.append(run)
        print(
            f"{name:>24}: {candidates:>5} candidates of {PROFILES}; rank median {run['median_ms']} ms "
            f"(p95 {run['p95_ms']} ms); the bare SQL {run['sql_only_median_ms']} ms ({run['ratio_to_sql']}x)"
        )
    worst = max(run["median_ms"] for run in runs)
    print(f"slowest median: {worst} ms (target: under 200 ms)")
    print(json.dumps({"bench": "staffing", "profiles": PROFILES, "median_ms": worst, "runs": runs}))


if __name__ == "__main__":
    main()

"""Fixtures for the expert pool: a qualification test, an applicant, and vetted active experts."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from tenants.models import User
from workforce.models import (
    AnnotatorProfile,
    ExpertiseArea,
    Level,
    Proficiency,
    ProfileExpertise,
    ProfileLanguage,
    QualificationTest,
)
from workforce.services.profiles import profile_apply
from workforce.services.qualifications import test_definition_clean

APPLICANT_PASSWORD = "a-Long-pass-2026"
_numbers = itertools.count(1)

CARDIOLOGY_QUESTIONS = [
    {
        "key": "verdict",
        "kind": "single_choice",
        "prompt": "Is the answer medically sound?",
        "options": [{"value": "sound", "label": "Sound"}, {"value": "unsound", "label": "Unsound"}],
    },
    {
        "key": "better",
        "kind": "pairwise",
        "prompt": "Which answer is better?",
        "allow_tie": False,
        "strength": False,
    },
]


def cardiology_items(count: int = 3) -> list[dict]:
    """Gold items: the first response is the sound one; answers are given in canonical order."""
    return [
        {
            "payload": {
                "prompt": f"Case {n}: chest pain on exertion.",
                "responses": [f"Refer for a stress test ({n}).", f"Prescribe antibiotics ({n})."],
            },
            "gold": {"verdict": "sound", "better": {"choice": "A"}},
        }
        for n in range(count)
    ]


def area(code: str) -> ExpertiseArea:
    return ExpertiseArea.objects.get(code=code)


def make_test(code: str = "medicine/cardiology", *, items: int = 3, **settings) -> QualificationTest:
    questions, clean_items = test_definition_clean(
        questions=CARDIOLOGY_QUESTIONS, items=cardiology_items(items)
    )
    return QualificationTest.objects.create(
        area=area(code),
        name=f"{area(code).name} screening",
        questions=questions,
        items=clean_items,
        **settings,
    )


def make_expert(
    *,
    status: str = AnnotatorProfile.Status.ACTIVE,
    expertise: dict[str, tuple[int, float | None]] | None = None,
    languages: dict[str, int] | None = None,
    capacity: int = 40,
    committed: int = 0,
    zone: str = "Europe/Berlin",
    email: str | None = None,
) -> AnnotatorProfile:
    """A profile straight into the pool. `expertise` maps area code -> (vetted level, score); a
    level of 0 leaves the area claimed but not vetted."""
    n = next(_numbers)
    user = User.objects.create_user(
        email or f"expert{n}@pool.test", "x-Pass-1234", full_name=f"Expert Person {n}"
    )
    profile = AnnotatorProfile.objects.create(
        user=user,
        status=status,
        country="DE",
        timezone=zone,
        weekly_capacity_hours=capacity,
        committed_hours=committed,
    )
    for code, (level, score) in (expertise or {"medicine/cardiology": (Level.PRACTITIONER, 0.9)}).items():
        ProfileExpertise.objects.create(
            profile=profile,
            area=area(code),
            claimed_level=max(level, Level.GENERALIST),
            level=level or None,
            qualification_score=Decimal(str(score)) if score is not None else None,
            vetted_at=timezone.now() if level else None,
        )
    for code, proficiency in (languages or {"en": Proficiency.C2}).items():
        ProfileLanguage.objects.create(profile=profile, code=code, proficiency=proficiency)
    return profile


@pytest.fixture
def cardiology_test(db) -> QualificationTest:
    return make_test()


@pytest.fixture
def applicant(db) -> AnnotatorProfile:
    return profile_apply(
        email="dr.heart@example.test",
        password=APPLICANT_PASSWORD,
        full_name="Dana Heart",
        country="de",
        timezone_name="Europe/Berlin",
        weekly_capacity_hours=20,
        languages=[
            {"code": "en", "proficiency": Proficiency.C2},
            {"code": "de", "proficiency": Proficiency.NATIVE},
        ],
        expertise=[
            {
                "area": "medicine/cardiology",
                "level": Level.CREDENTIALED_EXPERT,
                "credential": "Board-certified cardiologist",
            }
        ],
        summary="Ten years in a cardiology ward.",
    )


@pytest.fixture
def pool(db) -> dict[str, AnnotatorProfile]:
    """Profiles that each filter of pool search should find or pass over."""
    return {
        "cardio": make_expert(
            email="cardio@pool.test",
            expertise={"medicine/cardiology": (Level.CREDENTIALED_EXPERT, 0.95)},
            languages={"en": Proficiency.C2, "de": Proficiency.NATIVE},
            capacity=40,
            committed=10,
        ),
        "onco": make_expert(
            email="onco@pool.test",
            expertise={"medicine/oncology": (Level.PRACTITIONER, 0.85)},
            languages={"en-GB": Proficiency.C1},
            capacity=20,
            committed=15,
        ),
        "lawyer": make_expert(
            email="lawyer@pool.test",
            status=AnnotatorProfile.Status.VETTED,
            expertise={"law/contracts": (Level.PRACTITIONER, 0.9)},
            languages={"de": Proficiency.B2},
            capacity=30,
        ),
        "claimed": make_expert(  # claims cardiology, not vetted for it
            email="claimed@pool.test",
            status=AnnotatorProfile.Status.SCREENING,
            expertise={"medicine/cardiology": (0, None)},
            languages={"fr": Proficiency.NATIVE},
            capacity=10,
        ),
    }

"""Scoring answers against gold per question kind, and a project's requirements."""

from __future__ import annotations

import pytest

from portal.errors import DomainError
from projects.questions import questions_validate
from projects.scoring import answer_score, result_score
from workforce.requirements import requirements_clean


def _question(**definition):
    return questions_validate([{"key": "q", "prompt": "?", **definition}])[0]


CHOICES = [{"value": v, "label": v} for v in ("a", "b", "c", "d")]


@pytest.mark.parametrize(
    ("definition", "answer", "gold", "score"),
    [
        ({"kind": "single_choice", "options": CHOICES}, "a", "a", 1.0),
        ({"kind": "single_choice", "options": CHOICES}, "b", "a", 0.0),
        ({"kind": "multi_choice", "options": CHOICES}, ["a", "b"], ["a", "b"], 1.0),
        ({"kind": "multi_choice", "options": CHOICES}, ["a", "b"], ["b", "c"], 1 / 3),  # Jaccard
        ({"kind": "rating", "scale": [{"value": v, "label": str(v)} for v in range(1, 6)]}, 4, 5, 0.75),
        ({"kind": "rating", "scale": [{"value": v, "label": str(v)} for v in range(1, 6)]}, 1, 5, 0.0),
        ({"kind": "ranking"}, [[0], [1], [2]], [[0], [1], [2]], 1.0),
        ({"kind": "ranking"}, [[2], [1], [0]], [[0], [1], [2]], 0.0),  # reversed: tau = -1
        ({"kind": "ranking"}, [[1], [0], [2]], [[0], [1], [2]], (1 / 3 + 1) / 2),  # one swap of three
        (
            {"kind": "ranking", "allow_ties": True},
            [[0, 1], [2]],
            [[0], [1], [2]],
            (0.8164965809277261 + 1) / 2,
        ),
        (
            {"kind": "pairwise", "allow_tie": True},
            {"winner": 0, "strength": 1, "dimensions": {}},
            {"winner": 0, "strength": 3, "dimensions": {}},
            1.0,
        ),
        (
            {"kind": "pairwise", "allow_tie": True},
            {"winner": None, "strength": None, "dimensions": {}},
            {"winner": 1, "strength": 2, "dimensions": {}},
            0.0,
        ),
        (
            {"kind": "spans", "field": "text", "labels": [{"value": "x", "label": "x"}]},
            [{"start": 0, "end": 4, "label": "x"}],
            [{"start": 2, "end": 6, "label": "x"}],
            0.5,
        ),  # 2 of 4 + 4 characters
        (
            {
                "kind": "per_step",
                "field": "trace",
                "options": [{"value": "ok", "label": "ok"}, {"value": "bad", "label": "bad"}],
            },
            [{"step": 0, "value": "ok", "reason": None}, {"step": 1, "value": "ok", "reason": None}],
            [{"step": 0, "value": "ok", "reason": None}, {"step": 1, "value": "bad", "reason": "x"}],
            0.5,
        ),
        ({"kind": "text"}, "anything", "something", None),  # a person judges free text
        ({"kind": "single_choice", "options": CHOICES, "required": False}, None, "a", 0.0),
    ],
)
def test_answer_scores_per_kind(definition, answer, gold, score):
    result = answer_score(_question(**definition), answer, gold)
    assert result == (pytest.approx(score) if score is not None else None)


def test_pairwise_dimensions_count_like_the_choice():
    question = _question(
        kind="pairwise", dimensions=[{"key": "help", "label": "Help"}, {"key": "tone", "label": "Tone"}]
    )
    gold = {"winner": 0, "strength": None, "dimensions": {"help": 0, "tone": None}}
    answer = {"winner": 0, "strength": None, "dimensions": {"help": 1, "tone": None}}
    assert answer_score(question, answer, gold) == pytest.approx(2 / 3)


def test_result_score_averages_only_the_scorable_questions():
    questions = questions_validate(
        [
            {"key": "pick", "kind": "single_choice", "prompt": "?", "options": CHOICES},
            {"key": "why", "kind": "text", "prompt": "Why?"},
        ]
    )
    total, parts = result_score(questions, {"pick": "a", "why": "x"}, {"pick": "a", "why": "y"})
    assert (total, parts) == (1.0, {"pick": 1.0, "why": None})


def test_requirements_are_normalised(db):
    clean = requirements_clean(
        {
            "expertise": [
                "medicine/cardiology",
                {"area": "law/contracts", "min_level": "credentialed_expert"},
            ],
            "languages": ["de", {"code": "en-GB", "min_proficiency": "native"}],
            "min_qualification_score": "0.75",
            "headcount": {"auditor": 2},
        }
    )
    assert clean == {
        "expertise": [
            {"area": "medicine/cardiology", "min_level": 1},
            {"area": "law/contracts", "min_level": 3},
        ],
        "languages": [{"code": "de", "min_proficiency": 4}, {"code": "en-GB", "min_proficiency": 7}],
        "min_qualification_score": 0.75,
        "headcount": {"annotator": 5, "auditor": 2},
        "hours_per_week": 10,
        "timezone": "UTC",
    }
    assert requirements_clean(None)["expertise"] == []


def test_bad_requirements_name_each_problem(db):
    with pytest.raises(DomainError) as error:
        requirements_clean(
            {
                "expertise": ["medicine/astrology", {"area": "law/contracts", "min_level": "guru"}],
                "languages": ["English"],
                "min_qualification_score": 2,
                "headcount": {"annotator": -1, "boss": 1},
                "hours_per_week": 0,
                "timezone": "Mars/Base",
                "budget": 3,
            }
        )
    assert set(error.value.fields) == {
        "requirements.expertise[0].area",
        "requirements.expertise[1].min_level",
        "requirements.languages[0]",
        "requirements.min_qualification_score",
        "requirements.headcount.annotator",
        "requirements.headcount.boss",
        "requirements.hours_per_week",
        "requirements.timezone",
        "requirements.budget",
    }


@pytest.mark.parametrize("score", ["NaN", "sNaN", "-0.1", True])
def test_a_minimum_score_that_is_not_a_fraction_is_named(db, score):
    with pytest.raises(DomainError) as error:
        requirements_clean({"min_qualification_score": score})
    assert error.value.fields == {"requirements.min_qualification_score": ["must be a fraction from 0 to 1"]}


def test_the_admin_refuses_a_test_it_could_not_score(db, staff):
    from django.test import Client

    from workforce.models import ExpertiseArea, QualificationTest

    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    staff.is_superuser = True
    staff.save()
    area = ExpertiseArea.objects.get(code="law/contracts")
    form = {
        "area": area.pk,
        "name": "Contracts screening",
        "instructions": "",
        "questions": '[{"key": "why", "kind": "text", "prompt": "Why?"}]',
        "items": '[{"payload": {"prompt": "x"}, "gold": {"why": "because"}}]',
        "pass_mark": "0.8",
        "max_attempts": "3",
        "cooldown_hours": "24",
        "is_active": "on",
    }
    response = client.post("/admin/workforce/qualificationtest/add/", form)
    assert response.status_code == 200
    assert "not scorable by rule: why" in response.content.decode()
    form["questions"] = (
        '[{"key": "ok", "kind": "single_choice", "prompt": "OK?", "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]}]'
    )
    form["items"] = '[{"payload": {"prompt": "x"}, "gold": {"ok": "maybe"}}]'
    response = client.post("/admin/workforce/qualificationtest/add/", form)
    assert "items[0].gold.ok" in response.content.decode()
    assert not QualificationTest.objects.filter(area=area).exists()
    form["items"] = '[{"payload": {"prompt": "x"}, "gold": {"ok": "yes"}}]'
    assert client.post("/admin/workforce/qualificationtest/add/", form).status_code == 302
    assert QualificationTest.objects.get(area=area).items == [
        {"payload": {"prompt": "x"}, "gold": {"ok": "yes"}}
    ]


def test_an_unknown_area_is_named_by_its_own_place_in_the_list(db):
    """After an entry that is not an area at all, an unknown area is still reported at its own
    index, not at the index it would have among the valid entries."""
    with pytest.raises(DomainError) as error:
        requirements_clean({"expertise": [5, "medicine/astrology"]})
    assert error.value.fields == {
        "requirements.expertise[0]": ['must be an area code or {"area": ..., "min_level": ...}'],
        "requirements.expertise[1].area": ["'medicine/astrology' is not in the expertise taxonomy"],
    }

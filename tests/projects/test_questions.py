"""Question definitions and annotation results: validation, defaults and canonical form (no database)."""

from __future__ import annotations

import random

import pytest

from portal.errors import DomainError
from projects.questions import (
    KINDS,
    questions_validate,
    response_order_random,
    result_as_answer,
    result_validate,
)

OPTIONS = [
    {"value": "yes", "label": "Yes"},
    {"value": "no", "label": "No"},
    {"value": "unsure", "label": "Unsure"},
]
SCALE = [{"value": value, "label": f"Point {value}"} for value in (1, 2, 3, 4, 5)]
CONVERSATION = [
    {"role": "user", "content": "Hi, can you help me plan a trip?"},
    {"role": "assistant", "content": "Of course. Where to?"},
    {"role": "user", "content": "Lisbon, three days."},
    {"role": "assistant", "content": "Day 1: Alfama and the castle..."},
]
TRACE = [
    {"thought": "Search for the flight", "tool": "search", "args": {"q": "LIS flights"}},
    {"observation": "3 results"},
    {"answer": "Booked TP123"},
]
ITEM = {
    "prompt": "Explain recursion.",
    "responses": ["Recursion is when a function calls itself.", "It is a loop."],
    "response": "Paris is the capital of France.",
    "conversation": CONVERSATION,
    "trace": TRACE,
}
ITEM3 = {**ITEM, "responses": ["first", "second", "third"]}


def question(kind: str, key: str = "q", **extra) -> dict:
    return {"key": key, "kind": kind, "prompt": f"A {kind} question", **extra}


def definition_errors(questions) -> dict:
    with pytest.raises(DomainError) as caught:
        questions_validate(questions)
    assert caught.value.code == "invalid_questions"
    return caught.value.fields


def check(definition: dict, answer, item: dict = ITEM, response_order: list[int] | None = None):
    """The canonical answer to one question."""
    result = result_validate(
        questions=[definition], result={"q": answer}, item=item, response_order=response_order
    )
    return result["q"]


def answer_errors(
    definition: dict, answer, item: dict = ITEM, response_order: list[int] | None = None
) -> dict:
    with pytest.raises(DomainError) as caught:
        check(definition, answer, item, response_order)
    assert caught.value.code == "invalid_result"
    return caught.value.fields


# Definitions ------------------------------------------------------------------------------------


def test_registry_covers_every_kind():
    assert set(KINDS) == {
        "single_choice",
        "multi_choice",
        "rating",
        "ranking",
        "pairwise",
        "text",
        "spans",
        "per_turn",
        "per_step",
    }


def test_definitions_are_normalized_with_defaults():
    normalized = questions_validate(
        [
            question("single_choice", "a", options=OPTIONS),
            question("multi_choice", "b", options=OPTIONS),
            question("rating", "c", scale=SCALE),
            question("ranking", "d"),
            question("pairwise", "e"),
            question("text", "f"),
            question("text", "g", required=False),
            question("spans", "h", field="response", labels=[{"value": "x", "label": "X"}]),
            question("per_turn", "i", field="conversation", options=OPTIONS),
            question("per_step", "j", field="trace", options=OPTIONS),
        ]
    )
    assert normalized[0] == {
        "key": "a",
        "kind": "single_choice",
        "prompt": "A single_choice question",
        "required": True,
        "help": None,
        "options": OPTIONS,
    }
    assert (normalized[1]["min"], normalized[1]["max"]) == (0, None)
    assert normalized[2]["scale"] == SCALE
    assert normalized[3]["allow_ties"] is False
    assert {name: normalized[4][name] for name in ("allow_tie", "strength", "dimensions")} == {
        "allow_tie": True,
        "strength": False,
        "dimensions": [],
    }
    assert (normalized[5]["prefill_field"], normalized[5]["min_length"], normalized[5]["max_length"]) == (
        None,
        1,
        20000,
    )
    assert (normalized[6]["required"], normalized[6]["min_length"]) == (False, 0)
    assert normalized[7]["field"] == "response"
    assert (normalized[8]["turn_role"], normalized[8]["reason_required_for"]) == ("assistant", [])
    assert normalized[9]["reason_required_for"] == []


def test_normalizing_is_idempotent_and_copies():
    raw = [question("pairwise", strength=True, dimensions=[{"key": "honesty", "label": "  Honesty "}])]
    once = questions_validate(raw)
    assert once[0]["dimensions"] == [{"key": "honesty", "label": "Honesty"}]
    assert questions_validate(once) == once
    once[0]["dimensions"].append({"key": "x", "label": "X"})
    assert len(raw[0]["dimensions"]) == 1


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        (None, "must be a list of questions"),
        ([], "needs at least 1 question"),
        ({"q": {}}, "must be a list of questions"),
        ("questions", "must be a list of questions"),
    ],
)
def test_questions_must_be_a_non_empty_list(questions, message):
    assert definition_errors(questions) == {"questions": [message]}


@pytest.mark.parametrize(
    ("definition", "where", "message"),
    [
        ("text", "questions[1]", "must be an object"),
        ({"kind": "text", "prompt": "P"}, "questions[1].key", "must start with a-z"),
        (question("text", "Bad-Key"), "questions[1].key", "must start with a-z"),
        (question("text", "a" * 41), "questions[1].key", "must start with a-z"),
        (question("text", "abc\n"), "questions[1].key", "must start with a-z"),
        (question("text", "1abc"), "questions[1].key", "must start with a-z"),
        (question("essay"), "questions[1].kind", "must be one of: single_choice"),
        ({"key": "q", "kind": "text"}, "questions[1].prompt", "must be a non-empty string"),
        (question("text", prompt="   "), "questions[1].prompt", "must be a non-empty string"),
        (question("text", required="yes"), "questions[1].required", "must be true or false"),
        (question("text", help=3), "questions[1].help", "must be a non-empty string"),
        (question("pairwise", allow_ties=True), "questions[1].allow_ties", "unknown field"),
        (question("single_choice", options=OPTIONS[:1]), "questions[1].options", "needs at least 2 options"),
        (question("single_choice"), "questions[1].options", "must be a list of options"),
        (question("single_choice", options=[OPTIONS[0], OPTIONS[0]]), "questions[1].options[1].value",
         "'yes' is used twice"),
        (question("single_choice", options=[OPTIONS[0], {"value": "n"}]), "questions[1].options[1].label",
         "must be a non-empty string"),
        (question("single_choice", options=[OPTIONS[0], {"value": 2, "label": "Two"}]),
         "questions[1].options[1].value", "must be a non-empty string"),
        (question("single_choice", options=["yes", "no"]), "questions[1].options[0]", "must be an object"),
        (question("single_choice", options=[OPTIONS[0], {**OPTIONS[1], "colour": "red"}]),
         "questions[1].options[1].colour", "unknown field"),
        (question("multi_choice", options=OPTIONS, min=-1), "questions[1].min", "at least 0"),
        (question("multi_choice", options=OPTIONS, min=4), "questions[1].min", "number of options (3)"),
        (question("multi_choice", options=OPTIONS, min=2, max=1), "questions[1].max", "between min"),
        (question("multi_choice", options=OPTIONS, max=4), "questions[1].max", "between min"),
        (question("multi_choice", options=OPTIONS, max=True), "questions[1].max", "whole number"),
        (question("rating", scale=SCALE[:1]), "questions[1].scale", "needs at least 2 scale points"),
        (question("rating", scale=[SCALE[1], SCALE[0]]), "questions[1].scale[1].value", "greater than the previous"),
        (question("rating", scale=[SCALE[0], SCALE[0]]), "questions[1].scale[1].value", "greater than the previous"),
        (question("rating", scale=[{"value": 1.5, "label": "x"}, SCALE[2]]), "questions[1].scale[0].value",
         "whole number"),
        (question("rating", scale=[{"value": True, "label": "x"}, SCALE[2]]), "questions[1].scale[0].value",
         "whole number"),
        (question("ranking", allow_ties="no"), "questions[1].allow_ties", "must be true or false"),
        (question("pairwise", strength=1), "questions[1].strength", "must be true or false"),
        (question("pairwise", dimensions={"honesty": "Honesty"}), "questions[1].dimensions", "must be a list"),
        (question("pairwise", dimensions=[{"key": "h", "label": "H"}, {"key": "h", "label": "I"}]),
         "questions[1].dimensions[1].key", "'h' is used twice"),
        (question("pairwise", dimensions=[{"key": "Honesty", "label": "H"}]), "questions[1].dimensions[0].key",
         "must start with a-z"),
        (question("text", min_length=10, max_length=5), "questions[1].max_length", "not be less than min_length"),
        (question("text", max_length=0), "questions[1].max_length", "from 1 to 100000"),
        (question("text", max_length=10**9), "questions[1].max_length", "from 1 to 100000"),
        (question("text", min_length=10**6), "questions[1].min_length", "from 0 to 100000"),
        (question("text", prefill_field="the response"), "questions[1].prefill_field", "must name an item field"),
        (question("spans", labels=[{"value": "x", "label": "X"}]), "questions[1].field", "must name an item field"),
        (question("spans", field="response", labels=[]), "questions[1].labels", "needs at least 1 label"),
        (question("per_turn", field="conversation", options=OPTIONS, turn_role="bot"), "questions[1].turn_role",
         "must be one of: user, assistant, system, tool"),
        (question("per_turn", field="conversation", options=OPTIONS, reason_required_for=["maybe"]),
         "questions[1].reason_required_for[0]", "must be one of: yes, no, unsure"),
        (question("per_step", field="trace", options=OPTIONS, reason_required_for="no"),
         "questions[1].reason_required_for", "must be a list"),
        (question("per_step", field="trace"), "questions[1].options", "must be a list of options"),
    ],
)  # fmt: skip
def test_bad_definitions_are_rejected_where_they_are(definition, where, message):
    fields = definition_errors([question("text", "first"), definition])
    assert list(fields) == [where]
    assert len(fields[where]) == 1
    assert message in fields[where][0]


def test_duplicate_keys_are_rejected():
    fields = definition_errors(
        [question("text", "a"), question("text", "b"), question("rating", "a", scale=SCALE)]
    )
    assert fields == {"questions[2].key": ["'a' is already used by questions[0]"]}


def test_every_bad_question_is_reported_at_once():
    fields = definition_errors(
        [question("single_choice", "a", options=OPTIONS[:1]), question("text", "b"), question("nope", "c")]
    )
    assert fields == {
        "questions[0].options": ["needs at least 2 options"],
        "questions[2].kind": [
            "must be one of: single_choice, multi_choice, rating, ranking, pairwise, text, spans, per_turn, per_step"
        ],
    }


def test_reason_values_follow_option_order():
    [normalized] = questions_validate(
        [question("per_step", field="trace", options=OPTIONS, reason_required_for=["unsure", "no", "no"])]
    )
    assert normalized["reason_required_for"] == ["no", "unsure"]


# Results: the envelope --------------------------------------------------------------------------


def test_result_must_be_an_object():
    with pytest.raises(DomainError) as caught:
        result_validate(questions=[question("text")], result=["hello"], item=ITEM)
    assert (caught.value.code, caught.value.fields) == ("invalid_result", {"result": ["must be an object"]})


def test_unknown_keys_and_missing_required_answers_are_rejected():
    questions = [question("text", "a"), question("text", "b", required=False)]
    with pytest.raises(DomainError) as caught:
        result_validate(questions=questions, result={"b": "fine", "c": "?"}, item=ITEM)
    assert caught.value.code == "invalid_result"
    assert caught.value.fields == {"c": ["unknown question"], "a": ["an answer is required"]}


def test_required_answer_may_not_be_null():
    fields = answer_errors(question("single_choice", options=OPTIONS), None)
    assert fields == {"q": ["an answer is required"]}


def test_optional_answers_may_be_absent_or_null_and_come_back_as_none():
    questions = [question("text", "a"), question("rating", "b", scale=SCALE, required=False)]
    assert result_validate(questions=questions, result={"a": "hi"}, item=ITEM) == {"a": "hi", "b": None}
    assert result_validate(questions=questions, result={"a": "hi", "b": None}, item=ITEM) == {
        "a": "hi",
        "b": None,
    }


def test_every_bad_answer_is_reported_at_once():
    questions = [question("single_choice", "a", options=OPTIONS), question("rating", "b", scale=SCALE)]
    with pytest.raises(DomainError) as caught:
        result_validate(questions=questions, result={"a": "maybe", "b": 9}, item=ITEM)
    assert caught.value.fields == {
        "a": ["must be one of: yes, no, unsure"],
        "b": ["must be one of: 1, 2, 3, 4, 5"],
    }


def test_raw_definitions_are_normalized_before_checking():
    assert check({"key": "q", "kind": "text", "prompt": "Say something"}, "hello") == "hello"


def test_invalid_definitions_are_reported_when_checking_a_result():
    with pytest.raises(DomainError) as caught:
        result_validate(questions=[question("rating", scale=[])], result={"q": 1}, item=ITEM)
    assert caught.value.code == "invalid_questions"


def test_item_must_be_an_object():
    with pytest.raises(DomainError) as caught:
        result_validate(questions=[question("text")], result={"q": "x"}, item=["a"])
    assert (caught.value.code, caught.value.fields) == ("invalid_item", {"item": ["must be an object"]})


@pytest.mark.parametrize("order", [[0], [0, 0], [1, 2], [0, "1"], "01", [0, 1, 2]])
def test_response_order_must_be_a_permutation_of_the_responses(order):
    with pytest.raises(DomainError) as caught:
        result_validate(
            questions=[question("ranking")], result={"q": [0, 1]}, item=ITEM, response_order=order
        )
    assert caught.value.code == "invalid_response_order"
    assert caught.value.fields == {"response_order": ["must be a permutation of 0..1"]}


# single_choice, multi_choice, rating --------------------------------------------------------------


def test_single_choice():
    definition = question("single_choice", options=OPTIONS)
    assert check(definition, "no") == "no"
    assert answer_errors(definition, "No") == {"q": ["must be one of: yes, no, unsure"]}
    assert answer_errors(definition, ["no"]) == {"q": ["must be one of: yes, no, unsure"]}
    assert answer_errors(definition, 1) == {"q": ["must be one of: yes, no, unsure"]}


def test_multi_choice_comes_back_in_option_order():
    definition = question("multi_choice", options=OPTIONS)
    assert check(definition, ["unsure", "yes"]) == ["yes", "unsure"]
    assert check(definition, []) == []


def test_multi_choice_rejects_unknown_and_repeated_values():
    definition = question("multi_choice", options=OPTIONS)
    assert answer_errors(definition, "yes") == {"q": ["must be a list of option values"]}
    assert answer_errors(definition, ["yes", "maybe"]) == {"q[1]": ["must be one of: yes, no, unsure"]}
    assert answer_errors(definition, ["no", "no"]) == {"q[1]": ["'no' is chosen twice"]}


def test_multi_choice_min_and_max():
    definition = question("multi_choice", options=OPTIONS, min=1, max=2)
    assert check(definition, ["no"]) == ["no"]
    assert answer_errors(definition, []) == {"q": ["choose at least 1"]}
    assert answer_errors(definition, ["yes", "no", "unsure"]) == {"q": ["choose at most 2"]}


def test_rating_accepts_scale_values_only():
    definition = question("rating", scale=SCALE)
    assert check(definition, 4) == 4
    for bad in (0, 6, "4", 4.0, True, [4]):
        assert answer_errors(definition, bad) == {"q": ["must be one of: 1, 2, 3, 4, 5"]}, bad


def test_rating_scale_values_need_not_be_contiguous():
    definition = question("rating", scale=[{"value": -1, "label": "Worse"}, {"value": 10, "label": "Better"}])
    assert check(definition, -1) == -1
    assert answer_errors(definition, 0) == {"q": ["must be one of: -1, 10"]}


# ranking ----------------------------------------------------------------------------------------


def test_ranking_in_identity_order():
    definition = question("ranking")
    assert check(definition, [[2], [0], [1]], item=ITEM3) == [[2], [0], [1]]
    assert check(definition, [2, 0, 1], item=ITEM3) == [[2], [0], [1]]


def test_ranking_is_canonicalised_through_the_response_order():
    definition = question("ranking")
    # The annotator saw canonical 2 first, then 0, then 1, and ranked what they saw as 1st best.
    assert check(definition, [0, 1, 2], item=ITEM3, response_order=[2, 0, 1]) == [[2], [0], [1]]
    assert check(definition, [[1], [2], [0]], item=ITEM3, response_order=[2, 0, 1]) == [[0], [1], [2]]
    assert check(definition, [1, 0], response_order=[1, 0]) == [[0], [1]]


def test_ranking_with_ties_sorts_each_group_canonically():
    definition = question("ranking", allow_ties=True)
    assert check(definition, [[0, 2], [1]], item=ITEM3, response_order=[2, 1, 0]) == [[0, 2], [1]]
    assert check(definition, [[2, 1], [0]], item=ITEM3) == [[1, 2], [0]]
    assert check(definition, [[0, 1, 2]], item=ITEM3) == [[0, 1, 2]]


def test_ranking_ties_rules():
    assert answer_errors(question("ranking"), [[0, 2], [1]], item=ITEM3) == {
        "q[0]": ["ties are not allowed: rank every response on its own"]
    }
    assert answer_errors(question("ranking", allow_ties=True), [0, 2, 1], item=ITEM3) == {
        "q": ["must be a list of groups, e.g. [[1], [0, 2]], when ties are allowed"]
    }


def test_ranking_must_rank_every_displayed_response_once():
    definition = question("ranking")
    assert answer_errors(definition, [[0], [2]], item=ITEM3) == {
        "q": ["every response must be ranked; missing: 1"]
    }
    assert answer_errors(definition, [[0], [1], [0]], item=ITEM3) == {
        "q[2][0]": ["response 0 is ranked twice"]
    }
    assert answer_errors(definition, [0, 1, 1], item=ITEM3) == {"q[2]": ["response 1 is ranked twice"]}
    assert answer_errors(definition, [[0], [1], [3]], item=ITEM3) == {
        "q[2][0]": ["must be a response position from 0 to 2"]
    }
    assert answer_errors(definition, [0, True, 2], item=ITEM3) == {
        "q[1]": ["must be a response position from 0 to 2"]
    }
    assert answer_errors(definition, [[0], [], [1, 2]], item=ITEM3) == {
        "q[1]": ["must be a non-empty list of response positions"]
    }
    assert answer_errors(definition, [[0], 1, [2]], item=ITEM3) == {
        "q[1]": ["must be a non-empty list of response positions"]
    }
    assert answer_errors(definition, [], item=ITEM3) == {
        "q": ["must be a list of groups of response positions, best first"]
    }


def test_ranking_needs_an_item_with_responses():
    item = {"prompt": "x", "responses": ["only one"]}
    assert answer_errors(question("ranking"), [0], item=item) == {
        "q": ["the item must have at least 2 responses (it has 1)"]
    }
    assert answer_errors(question("ranking"), [0], item={"prompt": "x"}) == {
        "q": ["the item must have at least 2 responses (it has 0)"]
    }


# pairwise ---------------------------------------------------------------------------------------

DIMENSIONS = [{"key": "helpfulness", "label": "Helpfulness"}, {"key": "honesty", "label": "Honesty"}]


def pairwise(**extra) -> dict:
    return question("pairwise", "preference", **extra)


def preference(definition: dict, answer, response_order: list[int] | None = None):
    result = result_validate(
        questions=[definition], result={"preference": answer}, item=ITEM, response_order=response_order
    )
    return result["preference"]


def preference_errors(definition: dict, answer, item: dict = ITEM, response_order=None) -> dict:
    with pytest.raises(DomainError) as caught:
        result_validate(
            questions=[definition], result={"preference": answer}, item=item, response_order=response_order
        )
    assert caught.value.code == "invalid_result"
    return caught.value.fields


def test_pairwise_in_identity_order():
    assert preference(pairwise(), {"choice": "A"}) == {"winner": 0, "strength": None, "dimensions": {}}
    assert preference(pairwise(), {"choice": "B"}) == {"winner": 1, "strength": None, "dimensions": {}}
    assert preference(pairwise(), {"choice": "tie"}) == {"winner": None, "strength": None, "dimensions": {}}


def test_pairwise_is_canonicalised_through_the_response_order():
    definition = pairwise(strength=True, dimensions=DIMENSIONS)
    answer = {"choice": "A", "strength": 3, "dimensions": {"helpfulness": "B", "honesty": "tie"}}
    assert preference(definition, answer, response_order=[1, 0]) == {
        "winner": 1,
        "strength": 3,
        "dimensions": {"helpfulness": 0, "honesty": None},
    }
    assert preference(definition, answer, response_order=[0, 1]) == {
        "winner": 0,
        "strength": 3,
        "dimensions": {"helpfulness": 1, "honesty": None},
    }
    assert preference(pairwise(), {"choice": "B"}, response_order=[1, 0])["winner"] == 0


def test_pairwise_choice_and_tie_rules():
    assert preference_errors(pairwise(), {"choice": "C"}) == {"preference.choice": ["must be A, B or tie"]}
    assert preference_errors(pairwise(), {"choice": "a"}) == {"preference.choice": ["must be A, B or tie"]}
    assert preference_errors(pairwise(), {}) == {"preference.choice": ["must be A, B or tie"]}
    assert preference_errors(pairwise(allow_tie=False), {"choice": "tie"}) == {
        "preference.choice": ["must be A or B (no ties)"]
    }
    assert preference_errors(pairwise(), "A") == {"preference": ['must be an object with a "choice"']}
    assert preference_errors(pairwise(), {"choice": "A", "winner": 0}) == {
        "preference.winner": ["unknown field"]
    }


def test_pairwise_dimensions_allow_a_tie_even_when_the_overall_choice_does_not():
    definition = pairwise(allow_tie=False, dimensions=DIMENSIONS)
    answer = {"choice": "B", "dimensions": {"helpfulness": "tie", "honesty": "tie"}}
    assert preference(definition, answer) == {
        "winner": 1,
        "strength": None,
        "dimensions": {"helpfulness": None, "honesty": None},
    }


def test_pairwise_strength_rules():
    definition = pairwise(strength=True)
    assert preference(definition, {"choice": "B", "strength": 1})["strength"] == 1
    assert preference(definition, {"choice": "tie"})["strength"] is None
    assert preference(definition, {"choice": "tie", "strength": None})["strength"] is None
    for bad in (0, 4, "2", 2.0, True):
        assert preference_errors(definition, {"choice": "A", "strength": bad}) == {
            "preference.strength": ["must be 1, 2 or 3"]
        }, bad
    assert preference_errors(definition, {"choice": "A"}) == {
        "preference.strength": ["is required when one response is preferred"]
    }
    assert preference_errors(definition, {"choice": "tie", "strength": 2}) == {
        "preference.strength": ["must be empty for a tie"]
    }
    assert preference_errors(pairwise(), {"choice": "A", "strength": 2}) == {
        "preference.strength": ["this question does not ask for a strength"]
    }


def test_pairwise_dimension_rules():
    definition = pairwise(dimensions=DIMENSIONS)
    assert preference_errors(definition, {"choice": "A", "dimensions": {"helpfulness": "A"}}) == {
        "preference.dimensions.honesty": ["an answer is required"]
    }
    assert preference_errors(definition, {"choice": "A"}) == {
        "preference.dimensions.helpfulness": ["an answer is required"]
    }
    answer = {"choice": "A", "dimensions": {"helpfulness": "A", "honesty": "A", "safety": "B"}}
    assert preference_errors(definition, answer) == {"preference.dimensions.safety": ["unknown dimension"]}
    answer = {"choice": "A", "dimensions": {"helpfulness": "A", "honesty": "both"}}
    assert preference_errors(definition, answer) == {"preference.dimensions.honesty": ["must be A, B or tie"]}
    assert preference_errors(definition, {"choice": "A", "dimensions": ["A", "B"]}) == {
        "preference.dimensions": ["must be an object keyed by dimension"]
    }


def test_optional_pairwise_may_leave_dimensions_unanswered():
    definition = pairwise(required=False, dimensions=DIMENSIONS)
    assert preference(definition, {"choice": "A", "dimensions": {"honesty": "B"}}, response_order=[1, 0]) == {
        "winner": 1,
        "strength": None,
        "dimensions": {"honesty": 0},
    }
    assert result_validate(questions=[definition], result={}, item=ITEM) == {"preference": None}


def test_pairwise_needs_exactly_two_responses():
    assert preference_errors(pairwise(), {"choice": "A"}, item=ITEM3) == {
        "preference": ["the item must have exactly 2 responses (it has 3)"]
    }


# text -------------------------------------------------------------------------------------------


def test_text_is_returned_unchanged():
    assert check(question("text"), "  A better answer.\n") == "  A better answer.\n"


def test_text_length_rules():
    assert answer_errors(question("text"), "   \n") == {"q": ["must not be empty"]}
    assert answer_errors(question("text"), "") == {"q": ["must not be empty"]}
    assert answer_errors(question("text", min_length=5), "  abc   ") == {
        "q": ["must be at least 5 characters"]
    }
    assert check(question("text", min_length=5), "abcde") == "abcde"
    assert answer_errors(question("text", max_length=5), "abcdef") == {"q": ["must be at most 5 characters"]}
    assert check(question("text", max_length=5), "abcde") == "abcde"
    assert answer_errors(question("text"), 42) == {"q": ["must be text"]}
    assert answer_errors(question("text"), "x" * 20001) == {"q": ["must be at most 20000 characters"]}


def test_text_with_a_nul_character_is_rejected():
    assert answer_errors(question("text"), "a\x00b") == {"q": ["must not contain a NUL character (\\u0000)"]}
    assert check(question("text"), "a\\u0000b") == "a\\u0000b"  # the six characters are fine


def test_optional_text_may_be_empty():
    assert check(question("text", required=False), "") == ""


# spans ------------------------------------------------------------------------------------------

LABELS = [{"value": "unsupported", "label": "Unsupported"}, {"value": "incorrect", "label": "Incorrect"}]
SPANS = question("spans", field="response", labels=LABELS)  # over "Paris is the capital of France." (31)


def test_spans_come_back_sorted():
    answer = [
        {"start": 13, "end": 31, "label": "unsupported"},
        {"start": 0, "end": 5, "label": "incorrect"},
        {"start": 0, "end": 5, "label": "unsupported"},
        {"start": 0, "end": 2, "label": "unsupported"},
    ]
    assert check(SPANS, answer) == [
        {"start": 0, "end": 2, "label": "unsupported"},
        {"start": 0, "end": 5, "label": "incorrect"},
        {"start": 0, "end": 5, "label": "unsupported"},
        {"start": 13, "end": 31, "label": "unsupported"},
    ]


def test_required_spans_may_be_an_empty_list():
    assert check(SPANS, []) == []


@pytest.mark.parametrize(
    ("span", "where", "message"),
    [
        ({"start": -1, "end": 3, "label": "incorrect"}, "q[0].start", "must be a whole number from 0 to 30"),
        ({"start": 31, "end": 32, "label": "incorrect"}, "q[0].start", "must be a whole number from 0 to 30"),
        ({"start": "0", "end": 3, "label": "incorrect"}, "q[0].start", "must be a whole number from 0 to 30"),
        ({"start": False, "end": 3, "label": "incorrect"}, "q[0].start", "must be a whole number from 0 to 30"),
        ({"start": 0, "end": 32, "label": "incorrect"}, "q[0].end", "must be a whole number greater than start and at most 31"),
        ({"start": 5, "end": 5, "label": "incorrect"}, "q[0].end", "must be a whole number greater than start and at most 31"),
        ({"start": 5, "end": 2, "label": "incorrect"}, "q[0].end", "must be a whole number greater than start and at most 31"),
        ({"start": 0, "end": 3.0, "label": "incorrect"}, "q[0].end", "must be a whole number greater than start and at most 31"),
        ({"start": 0, "end": 3, "label": "wrong"}, "q[0].label", "must be one of: unsupported, incorrect"),
        ({"start": 0, "end": 3}, "q[0].label", "must be one of: unsupported, incorrect"),
        ({"start": 0, "end": 3, "label": "incorrect", "text": "Par"}, "q[0].text", "unknown field"),
        ([0, 3, "incorrect"], "q[0]", 'must be an object with "start", "end" and "label"'),
    ],
)  # fmt: skip
def test_bad_spans(span, where, message):
    assert answer_errors(SPANS, [span]) == {where: [message]}


def test_span_may_end_at_the_end_of_the_text():
    assert check(SPANS, [{"start": 30, "end": 31, "label": "incorrect"}]) == [
        {"start": 30, "end": 31, "label": "incorrect"}
    ]


def test_duplicate_spans_are_rejected():
    span = {"start": 0, "end": 5, "label": "incorrect"}
    assert answer_errors(SPANS, [span, {**span, "label": "unsupported"}, dict(span)]) == {
        "q[2]": ["duplicates span 0"]
    }


def test_spans_need_a_text_field_on_the_item():
    assert answer_errors(SPANS, [], item={"response": ["not", "text"]}) == {
        "q": ["the item's 'response' field is not text"]
    }
    assert answer_errors(SPANS, "0-5") == {"q": ["must be a list of spans"]}


# per_turn ---------------------------------------------------------------------------------------

TURN_OPTIONS = [{"value": "good", "label": "Good"}, {"value": "bad", "label": "Bad"}]
PER_TURN = question("per_turn", field="conversation", options=TURN_OPTIONS, reason_required_for=["bad"])


def test_per_turn_judges_assistant_turns_and_comes_back_sorted():
    answer = [
        {"turn": 3, "value": "bad", "reason": "  Skips the budget question. "},
        {"turn": 1, "value": "good"},
    ]
    assert check(PER_TURN, answer) == [
        {"turn": 1, "value": "good", "reason": None},
        {"turn": 3, "value": "bad", "reason": "Skips the budget question."},
    ]


def test_per_turn_rejects_turns_of_other_roles():
    answer = [{"turn": 0, "value": "good"}, {"turn": 1, "value": "good"}, {"turn": 3, "value": "good"}]
    assert answer_errors(PER_TURN, answer) == {
        "q[0].turn": ["turn 0 is not judged: only assistant turns are"]
    }


def test_per_turn_role_can_be_the_user():
    definition = {**PER_TURN, "turn_role": "user"}
    assert check(definition, [{"turn": 2, "value": "good"}, {"turn": 0, "value": "good"}]) == [
        {"turn": 0, "value": "good", "reason": None},
        {"turn": 2, "value": "good", "reason": None},
    ]
    assert answer_errors(definition, [{"turn": 0, "value": "good"}, {"turn": 1, "value": "good"}]) == {
        "q[1].turn": ["turn 1 is not judged: only user turns are"]
    }


def test_required_per_turn_judges_every_turn_exactly_once():
    assert answer_errors(PER_TURN, [{"turn": 1, "value": "good"}]) == {
        "q": ["every turn must be judged; missing: turn 4 (index 3)"]
    }
    answer = [{"turn": 1, "value": "good"}, {"turn": 3, "value": "good"}, {"turn": 1, "value": "good"}]
    assert answer_errors(PER_TURN, answer) == {"q[2].turn": ["turn 1 is judged twice"]}


def test_optional_per_turn_may_judge_some_turns():
    definition = {**PER_TURN, "required": False}
    assert check(definition, [{"turn": 3, "value": "good"}]) == [{"turn": 3, "value": "good", "reason": None}]
    assert check(definition, []) == []


def test_per_turn_reason_rules():
    assert answer_errors(PER_TURN, [{"turn": 1, "value": "good"}, {"turn": 3, "value": "bad"}]) == {
        "q[1].reason": ["a reason is required for 'bad'"]
    }
    assert answer_errors(
        PER_TURN, [{"turn": 1, "value": "good"}, {"turn": 3, "value": "bad", "reason": "  "}]
    ) == {"q[1].reason": ["a reason is required for 'bad'"]}
    assert answer_errors(
        PER_TURN, [{"turn": 1, "value": "good", "reason": 5}, {"turn": 3, "value": "good"}]
    ) == {"q[0].reason": ["must be text of at most 5000 characters"]}
    answer = [{"turn": 1, "value": "good", "reason": "Warm and concise."}, {"turn": 3, "value": "good"}]
    assert check(PER_TURN, answer)[0]["reason"] == "Warm and concise."


def test_a_judgment_reason_with_a_nul_character_is_rejected():
    answer = [{"turn": 1, "value": "good", "reason": "fine\x00"}, {"turn": 3, "value": "good"}]
    assert answer_errors(PER_TURN, answer) == {"q[0].reason": ["must not contain a NUL character (\\u0000)"]}


def test_definitions_with_a_nul_character_are_rejected():
    options = [{"value": "a\x00", "label": "A"}, {"value": "b", "label": "B\x00"}]
    assert definition_errors([question("single_choice", options=options)]) == {
        "questions[0].options[0].value": ["must not contain a NUL character (\\u0000)"]
    }
    assert definition_errors([{**question("text"), "prompt": "Why\x00?"}]) == {
        "questions[0].prompt": ["must not contain a NUL character (\\u0000)"]
    }


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        ({"turn": 4, "value": "good"}, "q[0].turn", "must be a turn index from 0 to 3"),
        ({"turn": -1, "value": "good"}, "q[0].turn", "must be a turn index from 0 to 3"),
        ({"turn": "1", "value": "good"}, "q[0].turn", "must be a turn index from 0 to 3"),
        ({"value": "good"}, "q[0].turn", "must be a turn index from 0 to 3"),
        ({"turn": 1, "value": "fine"}, "q[0].value", "must be one of: good, bad"),
        ({"turn": 1, "value": "good", "score": 3}, "q[0].score", "unknown field"),
        ({"step": 1, "value": "good"}, "q[0].step", "unknown field"),
        ("good", "q[0]", 'must be an object with "turn" and "value"'),
    ],
)
def test_bad_per_turn_entries(entry, where, message):
    assert answer_errors(PER_TURN, [entry]) == {where: [message]}


def test_per_turn_needs_a_list_field_on_the_item():
    assert answer_errors(PER_TURN, [], item={"conversation": "user: hi"}) == {
        "q": ["the item's 'conversation' field is not a list"]
    }
    assert answer_errors(PER_TURN, {"1": "good"}) == {"q": ["must be a list of turn judgments"]}


# per_step ---------------------------------------------------------------------------------------

STEP_OPTIONS = [{"value": "correct", "label": "Correct"}, {"value": "incorrect", "label": "Incorrect"}]
PER_STEP = question("per_step", field="trace", options=STEP_OPTIONS, reason_required_for=["incorrect"])


def test_per_step_judges_every_step():
    answer = [
        {"step": 2, "value": "correct"},
        {"step": 0, "value": "correct"},
        {"step": 1, "value": "incorrect", "reason": "Ignores that one result is a codeshare."},
    ]
    assert check(PER_STEP, answer) == [
        {"step": 0, "value": "correct", "reason": None},
        {"step": 1, "value": "incorrect", "reason": "Ignores that one result is a codeshare."},
        {"step": 2, "value": "correct", "reason": None},
    ]
    assert answer_errors(PER_STEP, answer[:2]) == {
        "q": ["every step must be judged; missing: step 2 (index 1)"]
    }
    # Numbered from 1 as the workbench shows the steps, with the indexes the answer uses.
    assert answer_errors(PER_STEP, answer[:1]) == {
        "q": ["every step must be judged; missing: steps 1, 2 (index 0, 1)"]
    }


def test_per_step_rules():
    complete = [
        {"step": 0, "value": "correct"},
        {"step": 1, "value": "correct"},
        {"step": 2, "value": "correct"},
    ]
    assert answer_errors(PER_STEP, [*complete, {"step": 3, "value": "correct"}]) == {
        "q[3].step": ["must be a step index from 0 to 2"]
    }
    assert answer_errors(PER_STEP, [*complete, {"step": 0, "value": "correct"}]) == {
        "q[3].step": ["step 0 is judged twice"]
    }
    assert answer_errors(PER_STEP, [*complete[:2], {"step": 2, "value": "incorrect"}]) == {
        "q[2].reason": ["a reason is required for 'incorrect'"]
    }
    assert answer_errors(PER_STEP, [{"turn": 0, "value": "correct"}]) == {"q[0].turn": ["unknown field"]}
    assert answer_errors(PER_STEP, [], item={"trace": {"steps": []}}) == {
        "q": ["the item's 'trace' field is not a list"]
    }


def test_optional_per_step_may_judge_some_steps():
    definition = {**PER_STEP, "required": False}
    assert check(definition, [{"step": 1, "value": "correct"}]) == [
        {"step": 1, "value": "correct", "reason": None}
    ]


# response_order_random --------------------------------------------------------------------------


def test_random_response_order_is_a_permutation():
    for count in (0, 1, 2, 7):
        assert sorted(response_order_random(count)) == list(range(count))


def test_random_response_order_uses_the_given_rng():
    expected = list(range(10))
    random.Random(42).shuffle(expected)
    assert response_order_random(10, random.Random(42)) == expected
    orders = {tuple(response_order_random(2, random.Random(seed))) for seed in range(50)}
    assert orders == {(0, 1), (1, 0)}


@pytest.mark.parametrize("count", [-1, 2.0, "2", True])
def test_random_response_order_rejects_bad_counts(count):
    with pytest.raises(DomainError) as caught:
        response_order_random(count)
    assert caught.value.code == "invalid_response_count"
    assert caught.value.fields == {"count": ["must be a whole number of at least 0"]}


# A stored result as the answer that gives it (what an edit starts from) ---------------------------


@pytest.mark.parametrize("response_order", [None, [0, 1], [1, 0]])
def test_a_stored_pairwise_result_reads_back_as_the_sides_shown(response_order):
    definition = questions_validate([pairwise(strength=True, dimensions=DIMENSIONS)])
    for choice, strength in (("A", 2), ("B", 1), ("tie", None)):
        for dimension in ("A", "B", "tie"):
            answer = {
                "choice": choice,
                "strength": strength,
                "dimensions": {"helpfulness": dimension, "honesty": "B"},
            }
            stored = preference(definition[0], answer, response_order=response_order)
            assert result_as_answer(definition, {"preference": stored}, response_order) == {
                "preference": answer
            }


@pytest.mark.parametrize("response_order", [None, [0, 1, 2], [2, 0, 1], [1, 2, 0]])
def test_a_stored_ranking_reads_back_as_the_positions_shown(response_order):
    definition = questions_validate(
        [question("ranking", allow_ties=True), question("single_choice", "verdict", options=OPTIONS)]
    )
    rng = random.Random(7)
    for _ in range(30):
        positions = [0, 1, 2]
        rng.shuffle(positions)
        cut = rng.randint(1, 2)
        answer = {"q": [sorted(positions[:cut]), sorted(positions[cut:])], "verdict": "no"}
        stored = result_validate(
            questions=definition, result=answer, item=ITEM3, response_order=response_order
        )
        assert result_as_answer(definition, stored, response_order) == answer

"""Task-type presets, item payload validation and the fields questions read (no database)."""

from __future__ import annotations

import pytest

from portal.errors import DomainError
from projects.presets import (
    FIELD_TYPES,
    PRESETS,
    Preset,
    item_fields_for_questions,
    item_validate,
    preset_get,
    questions_fit_item_fields,
)
from projects.questions import questions_validate, result_validate

TRACE = [
    {"thought": "Look up the order", "tool": "orders.get", "args": {"id": "A-17"}},
    {"observation": {"status": "shipped"}},
    {"answer": "Your order shipped yesterday."},
]
SAMPLE_ITEMS = {
    "pairwise_preference": {
        "prompt": "Explain TCP slow start.",
        "responses": ["First answer", {"text": "Second"}],
    },
    "ranking": {"prompt": "Name a prime.", "responses": ["2", "9", "7"]},
    "rubric_rating": {"prompt": "Summarise the memo.", "response": "The memo proposes a 4-day week."},
    "rewrite": {"prompt": "Write a haiku about rain.", "response": "Rain falls. It is wet."},
    "classification": {"text": "Third time my parcel is late. Unacceptable."},
    "factuality": {"prompt": "Capital of Australia?", "response": "Sydney is the capital of Australia."},
    "red_teaming": {"scenario": "Get step-by-step instructions to pick a lock."},
    "chat_evaluation": {
        "conversation": [
            {"role": "system", "content": "Be concise."},
            {"role": "user", "content": "What's 2+2?"},
            {"role": "assistant", "content": "4."},
        ]
    },
    "agent_trajectory": {"task": "Tell the customer where order A-17 is.", "trace": TRACE},
    "narrative_spans": {"text": "Once upon a time a fox lived by a river. One day the river rose."},
    "multimodal": {"image_url": "https://cdn.example.com/images/kitchen.jpg", "prompt": "How many chairs?"},
}


def item_errors(
    *, item_fields: dict, payload, task_type: str = "rubric_rating", code: str = "invalid_item"
) -> dict:
    with pytest.raises(DomainError) as caught:
        item_validate(item_fields=item_fields, payload=payload, task_type=task_type)
    assert caught.value.code == code
    return caught.value.fields


# Presets ----------------------------------------------------------------------------------------


def test_the_presets():
    assert set(PRESETS) == {
        "pairwise_preference",
        "ranking",
        "rubric_rating",
        "rewrite",
        "classification",
        "factuality",
        "red_teaming",
        "chat_evaluation",
        "agent_trajectory",
        "narrative_spans",
        "multimodal",
    }
    assert set(SAMPLE_ITEMS) == set(PRESETS)


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_preset_is_consistent(key):
    preset = PRESETS[key]
    assert isinstance(preset, Preset)
    assert preset.key == key
    assert preset.label and preset.description and preset.layout
    assert set(preset.item_fields.values()) <= set(FIELD_TYPES)
    assert questions_validate(preset.questions)
    assert questions_fit_item_fields(questions=preset.questions, item_fields=preset.item_fields)
    assert item_fields_for_questions(preset.questions) <= set(preset.item_fields)


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_every_preset_accepts_a_sample_item(key):
    payload = {**SAMPLE_ITEMS[key], "metadata": {"source": "batch-7"}}
    assert item_validate(item_fields=PRESETS[key].item_fields, payload=payload, task_type=key) is payload


def test_preset_item_fields_and_question_kinds():
    kinds = {key: [question["kind"] for question in preset.questions] for key, preset in PRESETS.items()}
    assert PRESETS["pairwise_preference"].item_fields == {"prompt": "text", "responses": "responses"}
    assert kinds["pairwise_preference"] == ["pairwise", "text"]
    assert kinds["ranking"][0] == "ranking"
    assert kinds["rubric_rating"][:5] == ["rating"] * 5
    assert [question["key"] for question in PRESETS["rubric_rating"].questions[:5]] == [
        "helpfulness",
        "correctness",
        "harmlessness",
        "tone",
        "policy_compliance",
    ]
    assert PRESETS["red_teaming"].item_fields == {"scenario": "text"}
    assert kinds["red_teaming"] == ["text", "text", "single_choice", "rating", "single_choice"]
    assert PRESETS["chat_evaluation"].item_fields == {"conversation": "conversation"}
    assert kinds["chat_evaluation"] == ["per_turn", "rating"]
    assert PRESETS["agent_trajectory"].item_fields == {"task": "text", "trace": "trace"}
    assert kinds["agent_trajectory"] == ["per_step", "single_choice"]
    assert PRESETS["multimodal"].item_fields == {"image_url": "url", "prompt": "text"}


def test_pairwise_preference_asks_strength_and_three_dimensions():
    [preference, rationale] = questions_validate(PRESETS["pairwise_preference"].questions)
    assert preference["strength"] is True
    assert [dimension["key"] for dimension in preference["dimensions"]] == [
        "helpfulness",
        "honesty",
        "harmlessness",
    ]
    assert (rationale["kind"], rationale["required"]) == ("text", False)


def test_rubric_scales_are_labelled_one_to_five():
    for question in PRESETS["rubric_rating"].questions[:5]:
        assert [point["value"] for point in question["scale"]] == [1, 2, 3, 4, 5]
        assert all(point["label"] for point in question["scale"])


def test_red_teaming_severity_is_one_to_four():
    severity = next(q for q in PRESETS["red_teaming"].questions if q["key"] == "severity")
    assert [point["value"] for point in severity["scale"]] == [1, 2, 3, 4]
    succeeded = next(q for q in PRESETS["red_teaming"].questions if q["key"] == "attack_succeeded")
    assert [option["value"] for option in succeeded["options"]] == ["yes", "no"]


def test_narrative_span_labels():
    [structure] = PRESETS["narrative_spans"].questions
    assert [label["value"] for label in structure["labels"]] == [
        "exposition",
        "rising_action",
        "climax",
        "falling_action",
        "resolution",
    ]


def test_a_pairwise_preference_result_end_to_end():
    questions = questions_validate(PRESETS["pairwise_preference"].questions)
    result = {
        "preference": {
            "choice": "A",
            "strength": 2,
            "dimensions": {"helpfulness": "A", "honesty": "tie", "harmlessness": "B"},
        },
        "rationale": "A explains the congestion window; B is vague.",
    }
    canonical = result_validate(
        questions=questions, result=result, item=SAMPLE_ITEMS["pairwise_preference"], response_order=[1, 0]
    )
    assert canonical == {
        "preference": {
            "winner": 1,
            "strength": 2,
            "dimensions": {"helpfulness": 1, "honesty": None, "harmlessness": 0},
        },
        "rationale": "A explains the congestion window; B is vague.",
    }


def test_agent_and_chat_results_end_to_end():
    steps = [{"step": index, "value": "correct"} for index in range(3)]
    canonical = result_validate(
        questions=PRESETS["agent_trajectory"].questions,
        result={"steps": steps, "task_success": "success"},
        item=SAMPLE_ITEMS["agent_trajectory"],
    )
    assert canonical["task_success"] == "success"
    assert [entry["step"] for entry in canonical["steps"]] == [0, 1, 2]
    canonical = result_validate(
        questions=PRESETS["chat_evaluation"].questions,
        result={"turns": [{"turn": 2, "value": "good"}], "overall": 5},
        item=SAMPLE_ITEMS["chat_evaluation"],
    )
    assert canonical == {"turns": [{"turn": 2, "value": "good", "reason": None}], "overall": 5}


def test_a_factuality_result_end_to_end():
    canonical = result_validate(
        questions=PRESETS["factuality"].questions,
        result={
            "claims": [{"start": 0, "end": 6, "label": "incorrect"}],
            "verdict": "major_errors",
            "correction": "Canberra is the capital of Australia.",
        },
        item=SAMPLE_ITEMS["factuality"],
    )
    assert canonical == {
        "claims": [{"start": 0, "end": 6, "label": "incorrect"}],
        "verdict": "major_errors",
        "correction": "Canberra is the capital of Australia.",
        "source": None,
    }


# preset_get -------------------------------------------------------------------------------------


def test_preset_get_returns_a_copy():
    preset = preset_get("rewrite")
    assert preset == PRESETS["rewrite"]
    preset.questions[0]["prompt"] = "Changed"
    preset.item_fields["extra"] = "text"
    assert PRESETS["rewrite"].questions[0]["prompt"] != "Changed"
    assert "extra" not in PRESETS["rewrite"].item_fields


@pytest.mark.parametrize("key", ["essay", "", "Ranking", None])
def test_unknown_task_type(key):
    with pytest.raises(DomainError) as caught:
        preset_get(key)
    assert caught.value.code == "unknown_task_type"
    assert list(caught.value.fields) == ["task_type"]
    assert caught.value.fields["task_type"][0].startswith("Choose one of: pairwise_preference, ranking,")


# item_validate ----------------------------------------------------------------------------------


def test_item_validate_keeps_extra_fields():
    payload = {"text": "Hello", "metadata": {"lang": "en"}, "id": 7}
    assert item_validate(item_fields={"text": "text"}, payload=payload, task_type="classification") == {
        "text": "Hello",
        "metadata": {"lang": "en"},
        "id": 7,
    }


def test_item_validate_rejects_an_unknown_task_type():
    with pytest.raises(DomainError) as caught:
        item_validate(item_fields={"text": "text"}, payload={"text": "x"}, task_type="essay")
    assert caught.value.code == "unknown_task_type"


def test_item_must_be_an_object_with_every_declared_field():
    assert item_errors(item_fields={"text": "text"}, payload=["Hello"]) == {"payload": ["must be an object"]}
    assert item_errors(item_fields={"prompt": "text", "response": "text"}, payload={"prompt": "Hi"}) == {
        "payload.response": ["is required"]
    }


def test_every_bad_field_is_reported_at_once():
    fields = item_errors(
        item_fields={"prompt": "text", "responses": "responses", "image_url": "url"},
        payload={"prompt": "", "responses": ["only one"]},
    )
    assert fields == {
        "payload.prompt": ["must be a non-empty string"],
        "payload.responses": ["needs at least 2 responses"],
        "payload.image_url": ["is required"],
    }


def test_unknown_field_types_are_a_configuration_error():
    fields = item_errors(item_fields={"clip": "video"}, payload={"clip": "x"}, code="invalid_item_fields")
    assert fields == {"item_fields.clip": ["unknown field type 'video'"]}


@pytest.mark.parametrize(
    ("field_type", "value", "message"),
    [
        ("text", "", "must be a non-empty string"),
        ("text", "  \n", "must be a non-empty string"),
        ("text", 5, "must be a non-empty string"),
        ("text", None, "must be a non-empty string"),
        ("responses", "a, b", "must be a list of responses"),
        ("responses", [], "needs at least 2 responses"),
        ("responses", ["only one"], "needs at least 2 responses"),
        ("responses", ["fine", ""], 'response 1 must be a non-empty string or an object with a non-empty "text"'),
        ("responses", [{"text": "ok"}, {"content": "no text"}], 'response 1 must be a non-empty string or an object with a non-empty "text"'),
        ("responses", [{"text": " "}, "ok"], 'response 0 must be a non-empty string or an object with a non-empty "text"'),
        ("responses", ["ok", 3], 'response 1 must be a non-empty string or an object with a non-empty "text"'),
        ("conversation", [], "must be a list of at least 1 turn"),
        ("conversation", "user: hi", "must be a list of at least 1 turn"),
        ("conversation", ["hi"], 'turn 0 must be an object with "role" and "content"'),
        ("conversation", [{"role": "user", "content": "hi"}, {"role": "bot", "content": "hey"}], "turn 1 needs a role among: user, assistant, system, tool"),
        ("conversation", [{"content": "hi"}], "turn 0 needs a role among: user, assistant, system, tool"),
        ("conversation", [{"role": "user", "content": None}], "turn 0 needs a string content"),
        ("conversation", [{"role": "user"}], "turn 0 needs a string content"),
        ("trace", [], "must be a list of at least 1 step"),
        ("trace", {"steps": []}, "must be a list of at least 1 step"),
        ("trace", [{"tool": "search"}, "observation"], "step 1 must be an object"),
        ("url", "ftp://example.com/a.png", "must be an http(s) URL"),
        ("url", "https://", "must be an http(s) URL"),
        ("url", "example.com/a.png", "must be an http(s) URL"),
        ("url", "https://example.com/a b.png", "must be an http(s) URL"),
        ("url", "javascript:alert(1)", "must be an http(s) URL"),
        ("url", "https://example.com/" + "a" * 2100, "must be an http(s) URL"),
        ("url", 42, "must be an http(s) URL"),
    ],
)  # fmt: skip
def test_bad_field_values(field_type, value, message):
    assert item_errors(item_fields={"field": field_type}, payload={"field": value}) == {
        "payload.field": [message]
    }


@pytest.mark.parametrize(
    ("field_type", "value"),
    [
        ("text", "Hello"),
        ("responses", ["a", "b", "c"]),
        ("responses", [{"text": "a", "model": "m1"}, "b"]),
        ("conversation", [{"role": "tool", "content": ""}]),
        ("trace", [{}]),
        ("url", "http://example.com"),
        ("url", "https://cdn.example.com/i/1.png?w=800#top"),
    ],
)
def test_good_field_values(field_type, value):
    payload = {"field": value}
    assert item_validate(item_fields={"field": field_type}, payload=payload, task_type="ranking") is payload


def test_pairwise_preference_items_have_exactly_two_responses():
    fields = {"prompt": "text", "responses": "responses"}
    three = {"prompt": "Hi", "responses": ["a", "b", "c"]}
    assert item_errors(item_fields=fields, payload=three, task_type="pairwise_preference") == {
        "payload.responses": ["needs exactly 2 responses"]
    }
    assert item_validate(item_fields=fields, payload=three, task_type="ranking") is three
    assert item_errors(item_fields=fields, payload={"prompt": "Hi", "responses": ["a"]}, task_type="pairwise_preference") == {
        "payload.responses": ["needs at least 2 responses"]
    }  # fmt: skip


# Fields read by questions -----------------------------------------------------------------------


def test_item_fields_for_each_preset():
    expected = {
        "pairwise_preference": {"responses"},
        "ranking": {"responses"},
        "rubric_rating": set(),
        "rewrite": {"response"},
        "classification": set(),
        "factuality": {"response"},
        "red_teaming": set(),
        "chat_evaluation": {"conversation"},
        "agent_trajectory": {"trace"},
        "narrative_spans": {"text"},
        "multimodal": set(),
    }
    assert {key: item_fields_for_questions(preset.questions) for key, preset in PRESETS.items()} == expected


def test_item_fields_for_custom_questions():
    questions = [
        {"key": "a", "kind": "pairwise", "prompt": "Better?"},
        {
            "key": "b",
            "kind": "spans",
            "prompt": "Mark",
            "field": "summary",
            "labels": [{"value": "x", "label": "X"}],
        },
        {"key": "c", "kind": "text", "prompt": "Fix", "prefill_field": "draft"},
        {"key": "d", "kind": "text", "prompt": "Notes"},
        {"key": "e", "kind": "per_step", "prompt": "OK?", "field": "steps", "options": []},
    ]
    assert item_fields_for_questions(questions) == {"responses", "summary", "draft", "steps"}


def test_questions_must_fit_the_item_fields():
    item_fields = {"prompt": "text", "response": "text"}
    questions = [
        {"key": "a", "kind": "ranking", "prompt": "Rank"},
        {"key": "b", "kind": "spans", "prompt": "Mark", "field": "summary", "labels": [{"value": "x", "label": "X"}]},
        {"key": "c", "kind": "per_turn", "prompt": "Turns", "field": "response",
         "options": [{"value": "ok", "label": "OK"}, {"value": "bad", "label": "Bad"}]},
        {"key": "d", "kind": "text", "prompt": "Fix", "prefill_field": "response"},
        {"key": "e", "kind": "text", "prompt": "Fix", "prefill_field": "draft"},
    ]  # fmt: skip
    with pytest.raises(DomainError) as caught:
        questions_fit_item_fields(questions=questions, item_fields=item_fields)
    assert caught.value.code == "invalid_questions"
    assert caught.value.fields == {
        "questions[0]": ["the items have no responses field 'responses'"],
        "questions[1].field": ["the items have no text field 'summary'"],
        "questions[2].field": ["the items have no conversation field 'response'"],
        "questions[4].prefill_field": ["the items have no text field 'draft'"],
    }

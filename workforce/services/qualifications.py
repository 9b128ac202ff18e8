"""Qualification tests: gold questions per expertise area, taken in the workbench, scored by rule.

Passing vets the person for the test's area: the expertise gets its level and the score, and a
profile still in screening becomes vetted.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.questions import (
    draft_check,
    payload_displayed,
    questions_validate,
    response_order_random,
    result_validate,
)
from projects.scoring import SCORERS, result_score
from tenants.models import User
from tenants.services.audit import audit_record
from workforce.models import AnnotatorProfile, ProfileExpertise, QualificationAttempt, QualificationTest
from workforce.services.profiles import vetted_level

Status = AnnotatorProfile.Status
MAY_TAKE_TESTS = {Status.SCREENING, Status.VETTED, Status.ACTIVE}


def test_definition_clean(*, questions: list, items: list) -> tuple[list, list]:
    """Check a test's questions and gold items; return them normalised (gold in canonical form)."""
    questions = questions_validate(questions)
    unscorable = [q["key"] for q in questions if SCORERS[q["kind"]] is None]
    if unscorable:
        raise DomainError(
            "A qualification test is scored automatically: free-text questions cannot be part of it.",
            code="invalid_test",
            fields={"questions": [f"not scorable by rule: {', '.join(unscorable)}"]},
        )
    if not isinstance(items, list) or not items:
        raise DomainError(
            "A test needs items.", code="invalid_test", fields={"items": ["needs at least 1 item"]}
        )
    problems: dict[str, list[str]] = {}
    clean = []
    for index, entry in enumerate(items):
        path = f"items[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("payload"), dict):
            problems[path] = ['must be {"payload": {...}, "gold": {...}}']
            continue
        try:
            gold = result_validate(questions=questions, result=entry.get("gold"), item=entry["payload"])
        except DomainError as error:
            for field, messages in error.fields.items():
                problems[f"{path}.gold.{field}"] = messages
            continue
        clean.append({"payload": entry["payload"], "gold": gold})
    if problems:
        raise DomainError("Some test items are not valid.", code="invalid_test", fields=problems)
    return questions, clean


def attempt_next_allowed_at(test: QualificationTest, attempts: list[QualificationAttempt]):
    """When the person may start another attempt (None: now), given their attempts, newest first."""
    finished = [a for a in attempts if a.status == QualificationAttempt.Status.SUBMITTED]
    if not finished:
        return None
    moment = finished[0].submitted_at + timedelta(hours=test.cooldown_hours)
    return moment if moment > timezone.now() else None


@transaction.atomic
def attempt_start(*, user: User, test_id: int) -> QualificationAttempt:
    """Start (or resume) an attempt at a test, within the attempt limit and after the cooldown."""
    profile = AnnotatorProfile.objects.select_for_update().filter(user=user).first()
    test = QualificationTest.objects.select_related("area").filter(pk=test_id, is_active=True).first()
    if profile is None or test is None:
        raise NotFoundError("No such test.")
    claim = ProfileExpertise.objects.filter(profile=profile, area=test.area).first()
    if claim is None:
        raise NotFoundError("No such test.")
    if profile.status not in MAY_TAKE_TESTS:
        raise ConflictError(
            f"Tests open once your application is in screening (it is {profile.get_status_display().lower()}).",
            code="not_screening",
        )
    attempts = list(QualificationAttempt.objects.filter(test=test, profile=profile).order_by("-number"))
    open_attempt = next((a for a in attempts if a.status == QualificationAttempt.Status.IN_PROGRESS), None)
    if open_attempt is not None:
        return open_attempt
    if any(a.passed for a in attempts):
        raise ConflictError(f"You have passed {test.name}.", code="already_passed")
    if len(attempts) >= test.max_attempts:
        raise ConflictError(
            f"You have used all {test.max_attempts} attempts at {test.name}.", code="no_attempts_left"
        )
    next_allowed = attempt_next_allowed_at(test, attempts)
    if next_allowed is not None:
        raise ConflictError(
            f"You can try {test.name} again from {next_allowed:%Y-%m-%d %H:%M} UTC.", code="cooldown"
        )
    rng = random.SystemRandom()
    orders = [
        response_order_random(len(entry["payload"]["responses"]), rng)
        if isinstance(entry["payload"].get("responses"), list)
        else None
        for entry in test.items
    ]
    attempt = QualificationAttempt.objects.create(
        test=test, profile=profile, number=len(attempts) + 1, response_orders=orders
    )
    audit_record(
        actor=user,
        action="qualification.started",
        target=user.email,
        data={"test": test.name, "attempt": attempt.number},
    )
    return attempt


def _attempt_of(user: User, attempt_id: int, *, lock: bool = False) -> QualificationAttempt:
    attempts = QualificationAttempt.objects.select_related("test__area", "profile")
    if lock:
        attempts = attempts.select_for_update(of=("self",))
    attempt = attempts.filter(pk=attempt_id, profile__user=user).first()
    if attempt is None:
        raise NotFoundError("No such attempt.")
    return attempt


def attempt_get(*, user: User, attempt_id: int) -> QualificationAttempt:
    return _attempt_of(user, attempt_id)


def attempt_task(attempt: QualificationAttempt) -> dict | None:
    """The next unanswered item, shaped like a queue task so the workbench can show it."""
    if attempt.status != QualificationAttempt.Status.IN_PROGRESS:
        return None
    items = attempt.test.items
    for index, entry in enumerate(items):
        if str(index) in attempt.answers:
            continue
        return {
            "assignment": {"id": index, "expires_at": None, "draft": attempt.drafts.get(str(index))},
            "item": {
                "id": index,
                "external_id": f"Question {index + 1} of {len(items)}",
                "payload": payload_displayed(entry["payload"], attempt.response_orders[index]),
            },
            "project": {
                "id": attempt.test_id,
                "name": attempt.test.name,
                "task_type": "qualification",
                "questions": attempt.test.questions,
            },
            "guideline_version": None,
        }
    return None


def _item_index(attempt: QualificationAttempt, index: int) -> int:
    if not 0 <= index < len(attempt.test.items):
        raise NotFoundError("No such question in this test.")
    if attempt.status != QualificationAttempt.Status.IN_PROGRESS:
        raise ConflictError("This attempt is finished.", code="attempt_finished")
    if str(index) in attempt.answers:
        raise ConflictError("This question is answered already.", code="already_answered")
    return index


@transaction.atomic
def attempt_draft_save(*, user: User, attempt_id: int, index: int, draft) -> None:
    draft_check(draft)
    attempt = _attempt_of(user, attempt_id, lock=True)
    _item_index(attempt, index)
    attempt.drafts[str(index)] = draft
    attempt.save(update_fields=["drafts"])


@transaction.atomic
def attempt_answer(*, user: User, attempt_id: int, index: int, result: dict) -> QualificationAttempt:
    """Record one answer (validated like any annotation); the last one scores the attempt."""
    attempt = _attempt_of(user, attempt_id, lock=True)
    _item_index(attempt, index)
    if attempt.profile.status not in MAY_TAKE_TESTS:
        raise ConflictError(
            f"Your profile is {attempt.profile.get_status_display().lower()}: tests are closed to you.",
            code="not_screening",
        )
    entry = attempt.test.items[index]
    canonical = result_validate(
        questions=attempt.test.questions,
        result=result,
        item=entry["payload"],
        response_order=attempt.response_orders[index],
    )
    attempt.answers[str(index)] = canonical
    attempt.drafts.pop(str(index), None)
    if len(attempt.answers) < len(attempt.test.items):
        attempt.save(update_fields=["answers", "drafts"])
        return attempt
    return _attempt_finish(user, attempt)


def _attempt_finish(user: User, attempt: QualificationAttempt) -> QualificationAttempt:
    test = attempt.test
    scores = {}
    for index, entry in enumerate(test.items):
        score, _ = result_score(test.questions, attempt.answers[str(index)], entry["gold"])
        scores[str(index)] = score
    total = Decimal(sum(scores.values()) / len(scores)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    attempt.item_scores = scores
    attempt.score = total
    attempt.passed = total >= test.pass_mark
    attempt.status = QualificationAttempt.Status.SUBMITTED
    attempt.submitted_at = timezone.now()
    attempt.save()
    profile = AnnotatorProfile.objects.select_for_update().get(pk=attempt.profile_id)
    audit_record(
        actor=user,
        action="qualification.passed" if attempt.passed else "qualification.failed",
        target=user.email,
        data={
            "test": test.name,
            "attempt": attempt.number,
            "score": str(total),
            "pass_mark": str(test.pass_mark),
        },
    )
    if not attempt.passed:
        return attempt
    expertise = ProfileExpertise.objects.select_for_update().get(profile=profile, area=test.area)
    expertise.level = vetted_level(expertise)
    expertise.qualification_score = max(total, expertise.qualification_score or Decimal(0))
    expertise.vetted_at = expertise.vetted_at or attempt.submitted_at
    expertise.save(update_fields=["level", "qualification_score", "vetted_at"])
    if profile.status == Status.SCREENING:
        profile.status = Status.VETTED
        profile.status_changed_at = attempt.submitted_at
        profile.save(update_fields=["status", "status_changed_at"])
        audit_record(
            actor=user,
            action="profile.status_changed",
            target=user.email,
            data={
                "profile_id": profile.pk,
                "from": Status.SCREENING,
                "to": Status.VETTED,
                "reason": f"passed {test.name}",
            },
        )
    return attempt

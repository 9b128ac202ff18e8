"""The expert pool's rules: applying, the lifecycle, qualification tests and staffing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.models import Staffing
from projects.services.projects import project_create, project_transition
from tenants.models import AuditLog, Membership, Role, User
from tests.workforce.conftest import APPLICANT_PASSWORD, make_expert, make_test
from workforce.models import (
    AnnotatorProfile,
    Commitment,
    Level,
    Proficiency,
    ProfileExpertise,
    QualificationAttempt,
)
from workforce.services.profiles import expertise_verify_credential, profile_apply, profile_transition
from workforce.services.qualifications import attempt_answer, attempt_start, attempt_task
from workforce.services.staffing import staffing_confirm, staffing_end

Status = AnnotatorProfile.Status


def test_an_application_with_bad_rows_names_each_and_writes_nothing(db):
    with pytest.raises(DomainError) as error:
        profile_apply(
            email="new@example.test",
            password="short",
            full_name="New Person",
            country="Germany",
            timezone_name="Mars/Olympus",
            weekly_capacity_hours=100,
            languages=[{"code": "English", "proficiency": 5}, {"code": "de", "proficiency": 9}],
            expertise=[{"area": "medicine/astrology", "level": 2}, {"area": "law/contracts", "level": 3}],
        )
    assert set(error.value.fields) == {
        "password",
        "country",
        "timezone",
        "weekly_capacity_hours",
        "languages[0].code",
        "languages[1].proficiency",
        "expertise[0].area",
        "expertise[1].credential",
    }
    assert not User.objects.filter(email="new@example.test").exists()
    assert not AnnotatorProfile.objects.exists()


def test_an_application_creates_the_account_and_an_applicant_profile(applicant):
    assert applicant.status == Status.APPLICANT
    assert applicant.user.check_password(APPLICANT_PASSWORD)
    assert applicant.country == "DE"
    claim = applicant.expertise.get()
    assert (claim.area.code, claim.claimed_level, claim.level) == (
        "medicine/cardiology",
        Level.CREDENTIALED_EXPERT,
        None,
    )
    assert dict(applicant.languages.values_list("code", "proficiency")) == {
        "en": Proficiency.C2,
        "de": Proficiency.NATIVE,
    }
    with pytest.raises(DomainError) as error:
        profile_apply(
            email="DR.HEART@example.test",
            password=APPLICANT_PASSWORD,
            full_name="Again",
            country="DE",
            timezone_name="UTC",
            weekly_capacity_hours=5,
            languages=[{"code": "en", "proficiency": 5}],
            expertise=[{"area": "generalist", "level": 1}],
        )
    assert "email" in error.value.fields


def test_only_listed_transitions_happen_each_with_a_reason_in_the_audit_log(applicant, staff):
    with pytest.raises(ConflictError) as error:
        profile_transition(actor=staff, profile_id=applicant.pk, status=Status.ACTIVE, reason="eager")
    assert error.value.code == "invalid_transition"
    with pytest.raises(DomainError) as error:
        profile_transition(actor=staff, profile_id=applicant.pk, status=Status.SCREENING, reason="  ")
    assert error.value.code == "reason_required"
    profile_transition(actor=staff, profile_id=applicant.pk, status=Status.SCREENING, reason="CV checks out")
    with pytest.raises(ConflictError) as error:  # vetting comes from passing a test
        profile_transition(actor=staff, profile_id=applicant.pk, status=Status.VETTED, reason="trust me")
    assert error.value.code == "not_qualified"
    profile_transition(actor=staff, profile_id=applicant.pk, status=Status.OFFBOARDED, reason="withdrew")
    with pytest.raises(ConflictError):
        profile_transition(actor=staff, profile_id=applicant.pk, status=Status.ACTIVE, reason="back")
    entries = AuditLog.objects.filter(
        action="profile.status_changed", data__profile_id=applicant.pk
    ).order_by("created_at")
    assert [(e.actor, e.data["from"], e.data["to"], e.data["reason"]) for e in entries] == [
        (staff, "applicant", "screening", "CV checks out"),
        (staff, "screening", "offboarded", "withdrew"),
    ]


def _answer_all(attempt, *, right: bool):
    """Answer every item, correctly or not, the way the workbench would (display positions)."""
    while (task := attempt_task(attempt)) is not None:
        index = task["item"]["id"]
        order = attempt.response_orders[index]
        sound_position = order.index(0)  # where the gold (canonical 0) response is shown
        choice = "AB"[sound_position] if right else "AB"[1 - sound_position]
        result = {"verdict": "sound" if right else "unsound", "better": {"choice": choice}}
        attempt = attempt_answer(user=attempt.profile.user, attempt_id=attempt.pk, index=index, result=result)
    return attempt


def test_passing_the_test_vets_the_expertise_and_the_profile(applicant, staff, cardiology_test):
    profile_transition(actor=staff, profile_id=applicant.pk, status=Status.SCREENING, reason="ok")
    attempt = _answer_all(attempt_start(user=applicant.user, test_id=cardiology_test.pk), right=True)
    assert (attempt.status, attempt.score, attempt.passed) == ("submitted", Decimal("1.0000"), True)
    applicant.refresh_from_db()
    assert applicant.status == Status.VETTED
    claim = applicant.expertise.get()
    # Claimed credentialed expert; until the credential is verified it counts as practitioner.
    assert (claim.level, claim.qualification_score) == (Level.PRACTITIONER, Decimal("1.0000"))
    expertise_verify_credential(actor=staff, expertise_id=claim.pk)
    claim.refresh_from_db()
    assert (claim.level, claim.credential_verified_by) == (Level.CREDENTIALED_EXPERT, staff)
    with pytest.raises(ConflictError) as error:
        attempt_start(user=applicant.user, test_id=cardiology_test.pk)
    assert error.value.code == "already_passed"


def test_failing_waits_out_the_cooldown_and_attempts_run_out(applicant, staff, db):
    test = make_test(max_attempts=2, cooldown_hours=0)
    profile_transition(actor=staff, profile_id=applicant.pk, status=Status.SCREENING, reason="ok")
    first = _answer_all(attempt_start(user=applicant.user, test_id=test.pk), right=False)
    assert (first.score, first.passed) == (Decimal("0.0000"), False)
    assert ProfileExpertise.objects.get(profile=applicant).level is None
    second = _answer_all(attempt_start(user=applicant.user, test_id=test.pk), right=False)
    assert second.number == 2
    with pytest.raises(ConflictError) as error:
        attempt_start(user=applicant.user, test_id=test.pk)
    assert error.value.code == "no_attempts_left"
    test.max_attempts, test.cooldown_hours = 5, 24
    test.save()
    with pytest.raises(ConflictError) as error:
        attempt_start(user=applicant.user, test_id=test.pk)
    assert error.value.code == "cooldown"
    assert AnnotatorProfile.objects.get(pk=applicant.pk).status == Status.SCREENING


def test_tests_wait_for_screening_and_answers_are_validated(applicant, staff, cardiology_test):
    with pytest.raises(ConflictError) as error:
        attempt_start(user=applicant.user, test_id=cardiology_test.pk)
    assert error.value.code == "not_screening"
    profile_transition(actor=staff, profile_id=applicant.pk, status=Status.SCREENING, reason="ok")
    attempt = attempt_start(user=applicant.user, test_id=cardiology_test.pk)
    assert attempt_start(user=applicant.user, test_id=cardiology_test.pk) == attempt  # resumes
    with pytest.raises(DomainError) as error:
        attempt_answer(user=applicant.user, attempt_id=attempt.pk, index=0, result={"verdict": "maybe"})
    assert set(error.value.fields) == {"verdict", "better"}
    assert QualificationAttempt.objects.get(pk=attempt.pk).answers == {}
    other = make_expert(status=Status.SCREENING)
    with pytest.raises(NotFoundError):
        attempt_answer(user=other.user, attempt_id=attempt.pk, index=0, result={})


# Staffing ---------------------------------------------------------------------------------------


@pytest.fixture
def cardiology_project(acme):
    connection.set_tenant(acme.workspace)
    project = project_create(
        actor=acme.users[Role.CLIENT_MANAGER],
        workspace=acme.workspace,
        name="Cardiology answers",
        task_type="pairwise_preference",
        requirements={
            "expertise": [{"area": "medicine/cardiology", "min_level": "practitioner"}],
            "languages": [{"code": "en", "min_proficiency": "C1"}],
            "headcount": {"annotator": 2, "auditor": 1},
            "hours_per_week": 10,
        },
    )
    connection.set_schema_to_public()
    return project


def test_confirming_creates_membership_staffing_and_commitment_in_one_step(acme, staff, cardiology_project):
    expert = make_expert(capacity=25)
    commitment = staffing_confirm(
        actor=staff,
        workspace=acme.workspace,
        project_id=cardiology_project.pk,
        profile_id=expert.pk,
        role="annotator",
    )
    assert (commitment.hours_per_week, commitment.project_name) == (10, "Cardiology answers")
    assert commitment.fit["reasons"]
    assert Membership.objects.get(user=expert.user, workspace=acme.workspace).role == Role.ANNOTATOR
    connection.set_tenant(acme.workspace)
    assert (
        Staffing.objects.filter(
            project_id=cardiology_project.pk, user_id=expert.user_id, removed_at=None
        ).count()
        == 1
    )
    connection.set_schema_to_public()
    expert.refresh_from_db()
    assert expert.free_hours == 15
    with pytest.raises(ConflictError) as error:  # already on the project: said so, as at once
        staffing_confirm(
            actor=staff,
            workspace=acme.workspace,
            project_id=cardiology_project.pk,
            profile_id=expert.pk,
            role="annotator",
        )
    assert error.value.code == "already_staffed"

    staffing_end(actor=staff, commitment_id=commitment.pk, reason="project wound down")
    expert.refresh_from_db()
    assert expert.free_hours == 25
    commitment.refresh_from_db()
    assert (commitment.ended_by, commitment.end_reason) == (staff, "project wound down")
    connection.set_tenant(acme.workspace)
    row = Staffing.objects.get(project_id=cardiology_project.pk, user_id=expert.user_id)
    assert row.removed_at is not None  # history stays
    connection.set_schema_to_public()


@pytest.mark.parametrize(
    ("profile", "why"),
    [
        ({"status": Status.VETTED}, "not active"),
        ({"expertise": {"medicine/cardiology": (Level.GENERALIST, 0.9)}}, "requirement"),
        ({"expertise": {"medicine/oncology": (Level.PRACTITIONER, 0.9)}}, "requirement"),
        ({"expertise": {"medicine/cardiology": (0, None)}}, "requirement"),  # claimed, not vetted
        ({"languages": {"en": Proficiency.B2}}, "requirement"),
        ({"capacity": 12, "committed": 5}, "7 h/week free"),
    ],
)
def test_confirming_someone_who_misses_a_hard_requirement_is_refused(
    acme, staff, cardiology_project, profile, why
):
    expert = make_expert(**profile)
    with pytest.raises(ConflictError) as error:
        staffing_confirm(
            actor=staff,
            workspace=acme.workspace,
            project_id=cardiology_project.pk,
            profile_id=expert.pk,
            role="annotator",
        )
    assert error.value.code == "not_a_candidate"
    assert why in error.value.message
    assert not Commitment.objects.exists()
    assert not Membership.objects.filter(user=expert.user).exists()


def test_headcount_and_role_are_held(acme, staff, cardiology_project):
    experts = [make_expert() for _ in range(3)]
    for expert in experts[:2]:
        staffing_confirm(
            actor=staff,
            workspace=acme.workspace,
            project_id=cardiology_project.pk,
            profile_id=expert.pk,
            role="annotator",
        )
    with pytest.raises(ConflictError) as error:
        staffing_confirm(
            actor=staff,
            workspace=acme.workspace,
            project_id=cardiology_project.pk,
            profile_id=experts[2].pk,
            role="annotator",
        )
    assert error.value.code == "headcount_full"
    with pytest.raises(ConflictError) as error:  # an annotator in acme cannot also audit there
        second = make_expert()
        Membership.objects.create(user=second.user, workspace=acme.workspace, role=Role.ANNOTATOR)
        staffing_confirm(
            actor=staff,
            workspace=acme.workspace,
            project_id=cardiology_project.pk,
            profile_id=second.pk,
            role="auditor",
        )
    assert error.value.code == "role_mismatch"
    assert Commitment.objects.filter(ended_at=None).count() == 2


def test_finishing_a_project_ends_its_commitments_and_gives_the_hours_back(acme, staff, cardiology_project):
    manager = acme.users[Role.CLIENT_MANAGER]
    connection.set_tenant(acme.workspace)
    other = project_create(
        actor=manager,
        workspace=acme.workspace,
        name="Other cardiology",
        task_type="pairwise_preference",
        requirements=cardiology_project.requirements,
    )
    connection.set_schema_to_public()
    expert = make_expert(capacity=25)
    finished, kept = (
        staffing_confirm(
            actor=staff,
            workspace=acme.workspace,
            project_id=project.pk,
            profile_id=expert.pk,
            role="annotator",
        )
        for project in (cardiology_project, other)
    )
    expert.refresh_from_db()
    assert expert.committed_hours == 20
    connection.set_tenant(acme.workspace)
    for status in ("active", "completed"):
        project_transition(actor=manager, workspace=acme.workspace, project=cardiology_project, status=status)
    expert.refresh_from_db()
    assert expert.committed_hours == 10  # the other project's hours stay taken
    finished.refresh_from_db()
    kept.refresh_from_db()
    assert (finished.end_reason, finished.ended_by, kept.ended_at) == ("project completed", manager, None)
    assert not Staffing.objects.filter(project=cardiology_project, removed_at=None).exists()
    assert Staffing.objects.filter(project=other, removed_at=None).count() == 1
    # Reopened, the project is staffed afresh: nothing comes back by itself.
    project_transition(actor=manager, workspace=acme.workspace, project=cardiology_project, status="active")
    expert.refresh_from_db()
    assert expert.committed_hours == 10
    connection.set_schema_to_public()
    assert AuditLog.objects.filter(action="staffing.ended", target=expert.user.email).count() == 1


def test_unstaffing_ends_the_persons_leases_and_their_items_go_back_to_the_queue(
    acme, staff, cardiology_project
):
    from projects.models import Assignment, Item
    from projects.services.imports import items_import
    from projects.services.queue import assignment_draft_save, assignment_submit, task_next
    from tests.projects.conftest import pairwise_items, pairwise_result

    expert = make_expert(capacity=25)
    commitment = staffing_confirm(
        actor=staff,
        workspace=acme.workspace,
        project_id=cardiology_project.pk,
        profile_id=expert.pk,
        role="annotator",
    )
    connection.set_tenant(acme.workspace)
    items_import(project=cardiology_project, records=pairwise_items(2))
    project_transition(
        actor=acme.users[Role.CLIENT_MANAGER],
        workspace=acme.workspace,
        project=cardiology_project,
        status="active",
    )
    cardiology_project.refresh_from_db()
    task = task_next(project=cardiology_project, annotator=expert.user)
    connection.set_schema_to_public()

    staffing_end(actor=staff, commitment_id=commitment.pk, reason="left the project")

    connection.set_tenant(acme.workspace)
    assert Assignment.objects.get(pk=task.assignment.pk).status == Assignment.Status.EXPIRED
    item = Item.objects.get(pk=task.item.pk)
    assert (item.assigned_count, item.is_open) == (0, True)
    with pytest.raises(ConflictError) as error:
        assignment_submit(annotator=expert.user, assignment_id=task.assignment.pk, result=pairwise_result())
    assert error.value.code == "lease_ended"
    with pytest.raises(ConflictError) as error:
        assignment_draft_save(annotator=expert.user, assignment_id=task.assignment.pk, draft={})
    assert error.value.code == "lease_ended"
    assert not cardiology_project.annotations.exists()
    connection.set_schema_to_public()


def test_suspending_ends_every_live_commitment(acme, staff, cardiology_project):
    expert = make_expert()
    staffing_confirm(
        actor=staff,
        workspace=acme.workspace,
        project_id=cardiology_project.pk,
        profile_id=expert.pk,
        role="annotator",
    )
    profile_transition(actor=staff, profile_id=expert.pk, status=Status.SUSPENDED, reason="quality review")
    expert.refresh_from_db()
    assert expert.committed_hours == 0
    assert Commitment.objects.get(profile=expert).end_reason == "profile suspended: quality review"
    connection.set_tenant(acme.workspace)
    assert not Staffing.objects.filter(user_id=expert.user_id, removed_at=None).exists()


def test_removing_a_staffed_expert_from_the_workspace_ends_their_commitments_there(
    acme, globex, staff, cardiology_project
):
    expert = make_expert(capacity=30)
    staffing_confirm(
        actor=staff,
        workspace=acme.workspace,
        project_id=cardiology_project.pk,
        profile_id=expert.pk,
        role="annotator",
    )
    elsewhere = Commitment.objects.create(  # a commitment in another workspace stays
        profile=expert,
        workspace=globex.workspace,
        project_id=1,
        project_name="Other",
        role="annotator",
        hours_per_week=5,
    )
    AnnotatorProfile.objects.filter(pk=expert.pk).update(committed_hours=15)
    membership = Membership.objects.get(user=expert.user, workspace=acme.workspace)
    response = acme.client(staff).post(f"/members/{membership.pk}/remove/")
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    expert.refresh_from_db()
    assert expert.committed_hours == 5
    ended = Commitment.objects.get(profile=expert, workspace=acme.workspace)
    assert (ended.ended_by, ended.end_reason) == (staff, "removed from the workspace")
    elsewhere.refresh_from_db()
    assert elsewhere.ended_at is None
    connection.set_tenant(acme.workspace)
    assert not Staffing.objects.filter(user_id=expert.user_id, removed_at=None).exists()

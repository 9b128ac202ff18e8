"""The expert pool: applying, the profile lifecycle, and verifying credentials."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.errors import ConflictError, DomainError, NotFoundError
from tenants.models import User
from tenants.services.audit import audit_record
from workforce.models import (
    AnnotatorProfile,
    ExpertiseArea,
    Level,
    Proficiency,
    ProfileExpertise,
    ProfileLanguage,
)
from workforce.requirements import LANGUAGE_PATTERN, timezone_names

Status = AnnotatorProfile.Status

TRANSITIONS: dict[str, set[str]] = {
    Status.APPLICANT: {Status.SCREENING, Status.OFFBOARDED},
    Status.SCREENING: {Status.VETTED, Status.OFFBOARDED},
    Status.VETTED: {Status.ACTIVE, Status.SUSPENDED, Status.OFFBOARDED},
    Status.ACTIVE: {Status.SUSPENDED, Status.OFFBOARDED},
    Status.SUSPENDED: {Status.ACTIVE, Status.OFFBOARDED},
    Status.OFFBOARDED: set(),
}
# Leaving the work ends every live commitment (the history stays).
ENDS_COMMITMENTS = {Status.SUSPENDED, Status.OFFBOARDED}
MAX_CLAIMS = 5


def _languages_clean(languages: list[dict], problems: dict) -> list[tuple[str, int]]:
    clean: dict[str, int] = {}
    known = len(problems)
    for index, entry in enumerate(languages):
        code = str(entry.get("code", "")).strip()
        if not LANGUAGE_PATTERN.fullmatch(code):
            problems[f"languages[{index}].code"] = ["must be a language tag such as en, de or pt-BR"]
            continue
        if code in clean:
            problems[f"languages[{index}].code"] = [f"'{code}' is listed twice"]
        proficiency = entry.get("proficiency")
        if proficiency not in Proficiency.values:
            problems[f"languages[{index}].proficiency"] = ["choose a level from A1 to C2, or native"]
            continue
        clean[code] = int(proficiency)
    if not clean and len(problems) == known:  # no row at all (a bad row says so already)
        problems["languages"] = ["name at least one language you work in"]
    return list(clean.items())


def _claims_clean(expertise: list[dict], problems: dict) -> list[tuple[ExpertiseArea, int, str]]:
    areas = {
        a.code: a for a in ExpertiseArea.objects.filter(code__in=[str(e.get("area")) for e in expertise])
    }
    clean: dict[str, tuple[ExpertiseArea, int, str]] = {}
    known = len(problems)
    if len(expertise) > MAX_CLAIMS:
        problems["expertise"] = [f"claim at most {MAX_CLAIMS} areas"]
    for index, entry in enumerate(expertise):
        area = areas.get(str(entry.get("area")))
        if area is None:
            problems[f"expertise[{index}].area"] = ["choose an area of the taxonomy"]
            continue
        if area.code in clean:
            problems[f"expertise[{index}].area"] = [f"'{area.code}' is listed twice"]
        level = entry.get("level")
        if level not in Level.values:
            problems[f"expertise[{index}].level"] = ["choose generalist, practitioner or credentialed expert"]
            continue
        credential = str(entry.get("credential") or "").strip()[:300]
        if level == Level.CREDENTIALED_EXPERT and not credential:
            problems[f"expertise[{index}].credential"] = ["a credentialed expert names the credential"]
        clean[area.code] = (area, int(level), credential)
    if not clean and len(problems) == known:  # no row at all (a bad row says so already)
        problems["expertise"] = ["claim at least one area (generalist is one)"]
    return list(clean.values())


@transaction.atomic
def profile_apply(
    *,
    user: User | None = None,
    email: str = "",
    password: str = "",
    full_name: str,
    country: str,
    timezone_name: str,
    weekly_capacity_hours: int,
    languages: list[dict],
    expertise: list[dict],
    summary: str = "",
) -> AnnotatorProfile:
    """A person applies to the pool: an applicant profile with what they claim, for their account
    (`user`, when they are signed in) or a new one (`email` and `password`)."""
    problems: dict[str, list[str]] = {}
    if user is not None:
        if AnnotatorProfile.objects.filter(user=user).exists():
            raise ConflictError("You have applied already.", code="already_applied")
    else:
        email = User.objects.normalize_email(email.strip()).lower()
        if User.objects.filter(email=email).exists():
            problems["email"] = ["an account with this email exists: sign in and apply from your home page"]
        try:
            validate_password(password)
        except ValidationError as error:
            problems["password"] = list(error.messages)
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        problems["country"] = ["use the two-letter country code, e.g. DE"]
    if timezone_name not in timezone_names():
        problems["timezone"] = ["choose an IANA time zone such as Europe/Berlin"]
    if not isinstance(weekly_capacity_hours, int) or not 1 <= weekly_capacity_hours <= 80:
        problems["weekly_capacity_hours"] = ["a whole number of hours from 1 to 80"]
    clean_languages = _languages_clean(languages, problems)
    claims = _claims_clean(expertise, problems)
    if problems:
        raise DomainError("The application is not complete.", code="invalid_application", fields=problems)
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name.strip()[:150])
    elif full_name.strip() and not user.full_name:
        user.full_name = full_name.strip()[:150]
        user.save(update_fields=["full_name"])
    profile = AnnotatorProfile.objects.create(
        user=user,
        country=country,
        timezone=timezone_name,
        weekly_capacity_hours=weekly_capacity_hours,
        summary=summary.strip()[:5000],
    )
    ProfileLanguage.objects.bulk_create(
        ProfileLanguage(profile=profile, code=code, proficiency=level) for code, level in clean_languages
    )
    ProfileExpertise.objects.bulk_create(
        ProfileExpertise(profile=profile, area=area, claimed_level=level, credential=credential)
        for area, level, credential in claims
    )
    audit_record(actor=user, action="profile.applied", target=user.email, data={"profile_id": profile.pk})
    return profile


def _locked_profile(profile_id: int) -> AnnotatorProfile:
    profile = (
        AnnotatorProfile.objects.select_for_update().select_related("user").filter(pk=profile_id).first()
    )
    if profile is None:
        raise NotFoundError("No such profile.")
    return profile


@transaction.atomic
def profile_transition(*, actor: User, profile_id: int, status: str, reason: str) -> AnnotatorProfile:
    """Move a profile along its lifecycle; only the transitions in TRANSITIONS, each with a reason."""
    from workforce.services.staffing import commitments_end_all

    profile = _locked_profile(profile_id)
    if status not in Status.values:
        raise DomainError(
            f"'{status}' is not a status.", code="invalid_status", fields={"status": ["unknown"]}
        )
    if status not in TRANSITIONS[profile.status]:
        allowed = ", ".join(sorted(TRANSITIONS[profile.status])) or "none"
        raise ConflictError(
            f"A {profile.get_status_display().lower()} profile cannot become {status} (allowed: {allowed}).",
            code="invalid_transition",
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why.", code="reason_required", fields={"reason": ["a reason is required"]})
    if status == Status.VETTED and not profile.expertise.filter(level__isnull=False).exists():
        raise ConflictError(
            "A profile is vetted by passing a qualification test first.", code="not_qualified"
        )
    previous = profile.status
    profile.status = status
    profile.status_changed_at = timezone.now()
    profile.save(update_fields=["status", "status_changed_at"])
    if status in ENDS_COMMITMENTS:
        commitments_end_all(actor=actor, profile=profile, reason=f"profile {status}: {reason}")
    audit_record(
        actor=actor,
        action="profile.status_changed",
        target=profile.user.email,
        data={"profile_id": profile.pk, "from": previous, "to": status, "reason": reason[:500]},
    )
    return profile


@transaction.atomic
def expertise_verify_credential(*, actor: User, expertise_id: int) -> ProfileExpertise:
    """Vendor staff checked the credential: the vetted level may now reach the claimed level."""
    expertise = (
        ProfileExpertise.objects.select_for_update()
        .select_related("profile__user", "area")
        .filter(pk=expertise_id)
        .first()
    )
    if expertise is None:
        raise NotFoundError("No such expertise.")
    if not expertise.credential:
        raise ConflictError("There is no credential to verify.", code="no_credential")
    expertise.credential_verified_by = actor
    expertise.credential_verified_at = timezone.now()
    if expertise.level is not None:
        expertise.level = expertise.claimed_level
    expertise.save(update_fields=["credential_verified_by", "credential_verified_at", "level"])
    audit_record(
        actor=actor,
        action="profile.credential_verified",
        target=expertise.profile.user.email,
        data={
            "profile_id": expertise.profile_id,
            "area": expertise.area.code,
            "credential": expertise.credential,
        },
    )
    return expertise


def vetted_level(expertise: ProfileExpertise) -> int:
    """The level an expertise counts at once vetted: the claim, capped until the credential is verified."""
    if expertise.credential_verified_at is not None:
        return expertise.claimed_level
    return min(expertise.claimed_level, Level.PRACTITIONER)

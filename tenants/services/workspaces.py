"""Workspace lifecycle: provision, suspend, reactivate."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection, transaction

from portal.errors import ConflictError, DomainError
from portal.middleware import workspace_routes_forget
from tenants.models import Domain, Role, User, Workspace
from tenants.services.audit import audit_record
from tenants.services.schema_template import schema_create_from_template, schema_template_current

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "admin",
        "public",
        "console",
        "static",
        "media",
        "mail",
        "smtp",
        "app",
        "portal",
        "status",
        "help",
        "support",
        "docs",
        "auth",
        "login",
        "billing",
        "vendor",
        "localhost",
        "test",
        "template",
    }
)


def workspace_slug_validate(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise DomainError(
            "A workspace slug is 3 to 30 characters: lowercase letters, digits and single "
            "hyphens, starting with a letter and not ending with a hyphen.",
            code="invalid_slug",
            fields={"slug": [f"'{slug}' is not a valid slug."]},
        )
    if slug in RESERVED_SLUGS:
        raise DomainError(
            f"'{slug}' is reserved.", code="reserved_slug", fields={"slug": [f"'{slug}' is reserved."]}
        )
    return slug


CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def workspace_currency_validate(currency: str) -> str:
    """A three-letter ISO 4217 code, stored in capitals ("usd" is USD)."""
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if not CURRENCY_PATTERN.match(code):
        raise DomainError(
            f"'{currency}' is not a currency code.",
            code="invalid_currency",
            fields={"currency": ["A three-letter ISO 4217 code, such as USD or EUR."]},
        )
    return code


def workspace_schema_name(slug: str) -> str:
    return "ws_" + slug.replace("-", "_")


def workspace_domain(slug: str) -> str:
    return f"{slug}.{settings.PORTAL_DOMAIN}"


def workspace_url(workspace: Workspace, path: str = "/") -> str:
    port = f":{settings.PORTAL_PORT}" if settings.PORTAL_PORT not in ("", "80", "443") else ""
    host = settings.PORTAL_DOMAIN if workspace.is_public else workspace_domain(workspace.slug)
    return f"{settings.PORTAL_SCHEME}://{host}{port}{path}"


def workspace_provision(
    *,
    actor: User | None,
    slug: str,
    name: str,
    manager_email: str | None = None,
    currency: str = "USD",
) -> Workspace:
    """Create a workspace: its row, schema, domain, and an invitation for its first manager."""
    from members.services import invitation_create, invitation_email_validate

    slug = workspace_slug_validate(slug)
    name = (name or "").strip()
    if not name:
        raise DomainError("A workspace needs a name.", fields={"name": ["This field is required."]})
    currency = workspace_currency_validate(currency)
    if manager_email:
        manager_email = invitation_email_validate(manager_email, field="manager_email")
    template = schema_template_current()  # may migrate a scratch schema once: outside the transaction
    with transaction.atomic():
        if Workspace.objects.filter(slug=slug).exists():
            raise ConflictError(
                f"A workspace '{slug}' already exists.",
                code="slug_taken",
                fields={"slug": [f"'{slug}' is taken."]},
            )
        workspace = Workspace.objects.create(
            schema_name=workspace_schema_name(slug), slug=slug, name=name, currency=currency
        )
        Domain.objects.create(domain=workspace_domain(slug), tenant=workspace, is_primary=True)
        schema_create_from_template(schema_name=workspace.schema_name, template=template)
        audit_record(actor=actor, action="workspace.provisioned", workspace=workspace, target=slug)
        if manager_email:
            connection.set_tenant(workspace)
            try:
                invitation_create(
                    actor=actor, workspace=workspace, email=manager_email, role=Role.CLIENT_MANAGER
                )
            finally:
                connection.set_schema_to_public()
    return workspace


@transaction.atomic
def workspace_suspend(*, actor: User, workspace: Workspace, reason: str = "") -> Workspace:
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    if workspace.is_suspended:
        raise ConflictError(f"{workspace.name} is already suspended.", code="already_suspended")
    workspace.status = Workspace.Status.SUSPENDED
    workspace.save(update_fields=["status"])
    workspace_routes_forget()
    transaction.on_commit(workspace_routes_forget)
    audit_record(
        actor=actor,
        action="workspace.suspended",
        workspace=workspace,
        target=workspace.slug,
        data={"reason": reason},
    )
    return workspace


@transaction.atomic
def workspace_reactivate(*, actor: User, workspace: Workspace) -> Workspace:
    workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    if not workspace.is_suspended:
        raise ConflictError(f"{workspace.name} is not suspended.", code="not_suspended")
    workspace.status = Workspace.Status.ACTIVE
    workspace.save(update_fields=["status"])
    workspace_routes_forget()
    transaction.on_commit(workspace_routes_forget)
    audit_record(actor=actor, action="workspace.reactivated", workspace=workspace, target=workspace.slug)
    return workspace


def workspace_ensure_public() -> Workspace:
    """The public tenant that serves PORTAL_DOMAIN (the public site and vendor console)."""
    public, _ = Workspace.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "Vendor portal", "slug": "public"},
    )
    Domain.objects.update_or_create(
        domain=settings.PORTAL_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    return public

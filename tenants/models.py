"""Public-schema models: workspaces, people, memberships, access tokens and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin

# How a workspace-schema table refers to a person. People live in the public schema; a database
# foreign key from every workspace's tables to the users table would add triggers to that one table
# per workspace (thousands of them, slowing every provisioning and every update of a user), so the
# reference is kept by the application instead: users are deactivated, never deleted.
PERSON = {"on_delete": models.DO_NOTHING, "db_constraint": False, "related_name": "+"}


class Role(models.TextChoices):
    CLIENT_MANAGER = "client_manager", "Client manager"
    CLIENT_VIEWER = "client_viewer", "Client viewer"
    ANNOTATOR = "annotator", "Annotator"
    AUDITOR = "auditor", "Auditor"


# Annotators and auditors come from the vendor's pool: the vendor staffs them into workspaces, and
# clients see them under pseudonyms. Client roles are the workspace's own people.
VENDOR_ROLES = frozenset({Role.ANNOTATOR, Role.AUDITOR})
CLIENT_ROLES = frozenset({Role.CLIENT_MANAGER, Role.CLIENT_VIEWER})


class Workspace(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=30, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(default=timezone.now)

    # Schemas are provisioned by tenants.services.provisioning, not by save().
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == settings.PUBLIC_SCHEMA_NAME

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED


class Domain(DomainMixin):
    pass


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Identity is global; what they may do in a workspace is their Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Vendor staff: console and admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="membership_user_workspace")
        ]
        ordering = ["workspace__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.role}"


class PersonalAccessToken(models.Model):
    """An API token for one user. Only its SHA-256 digest is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditLog(models.Model):
    """Sensitive actions, written in the same transaction as the action itself."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A person's trail in the console: entries naming their profile or targeting them.
            models.Index(fields=["target"], name="auditlog_target"),
            models.Index(KeyTransform("profile_id", "data"), name="auditlog_profile_id"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"


class SchemaTemplate(models.Model):
    """The DDL and migration records of a workspace schema, captured once per migration state."""

    state = models.CharField(max_length=64, unique=True)
    statements = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

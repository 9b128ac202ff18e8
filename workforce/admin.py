"""Admin for what the vendor maintains by hand: the expertise taxonomy and qualification tests.

Profiles change through the console (their lifecycle has rules and an audit trail), so the
admin shows them read-only.
"""

from django import forms
from django.contrib import admin

from portal.errors import DomainError
from workforce.models import AnnotatorProfile, ExpertiseArea, QualificationTest
from workforce.services.qualifications import test_definition_clean


@admin.register(ExpertiseArea)
class ExpertiseAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # profiles, tests and project requirements refer to areas by code


class QualificationTestForm(forms.ModelForm):
    class Meta:
        model = QualificationTest
        fields = [
            "area",
            "name",
            "instructions",
            "questions",
            "items",
            "pass_mark",
            "max_attempts",
            "cooldown_hours",
            "is_active",
        ]
        help_texts = {
            "questions": "Question definitions, as in a project (free text is not allowed: tests are scored by rule).",
            "items": 'A list of {"payload": {...item fields...}, "gold": {...the right answer...}}.',
        }

    def clean(self):
        cleaned = super().clean()
        if "questions" in cleaned and "items" in cleaned:
            try:
                cleaned["questions"], cleaned["items"] = test_definition_clean(
                    questions=cleaned["questions"], items=cleaned["items"]
                )
            except DomainError as error:
                for field, problems in (error.fields or {"questions": [error.message]}).items():
                    target = field.split("[")[0].split(".")[0]
                    for problem in problems:
                        self.add_error(
                            target if target in ("questions", "items") else None, f"{field}: {problem}"
                        )
        return cleaned


@admin.register(QualificationTest)
class QualificationTestAdmin(admin.ModelAdmin):
    form = QualificationTestForm
    list_display = ["name", "area", "pass_mark", "max_attempts", "cooldown_hours", "is_active"]
    list_filter = ["is_active"]


@admin.register(AnnotatorProfile)
class AnnotatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "country", "timezone", "weekly_capacity_hours", "committed_hours"]
    list_filter = ["status"]
    search_fields = ["user__email", "user__full_name"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

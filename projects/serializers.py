from rest_framework import serializers

from portal.parsers import json_type
from projects.models import Annotation, GuidelineVersion, ImportJob, Item, Project


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "description",
            "task_type",
            "questions",
            "item_fields",
            "overlap",
            "lease_seconds",
            "gold_rate",
            "audit_rate",
            "requirements",
            "priority",
            "allow_edits",
            "status",
            "created_at",
            "items_count",
            "annotations_count",
        ]
        read_only_fields = fields


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that is left out of a form body as it would be of a JSON one: unset, not false."""

    default_empty_html = serializers.empty


class TextField(serializers.CharField):
    """Text as sent: a number is refused like any other non-string, not turned into its digits."""

    default_error_messages = {"not_text": "A string, not {sent}."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text", sent=json_type(data))
        return super().to_internal_value(data)


class ProjectWriteSerializer(serializers.Serializer):
    """Shapes only; the service validates values and says which field is wrong."""

    name = TextField(required=False, allow_blank=True)
    description = TextField(required=False, allow_blank=True)
    task_type = TextField(required=False)
    questions = serializers.JSONField(required=False)
    overlap = serializers.JSONField(required=False)
    lease_seconds = serializers.JSONField(required=False)
    gold_rate = serializers.JSONField(required=False)
    audit_rate = serializers.JSONField(required=False)
    requirements = serializers.JSONField(required=False)
    priority = serializers.JSONField(required=False)
    allow_edits = OptionalBooleanField(required=False)


class GuidelineVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = GuidelineVersion
        fields = ["id", "number", "body", "changelog", "kind", "status", "created_at", "published_at"]
        read_only_fields = fields


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
            "external_id",
            "payload",
            "is_gold",
            "gold_answer",
            "assigned_count",
            "completed_count",
            "created_at",
        ]
        read_only_fields = fields


class ImportJobSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "filename",
            "format",
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "duplicate_count",
            "errors",
            "progress_percent",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class AnnotationSerializer(serializers.ModelSerializer):
    item_external_id = serializers.CharField(source="item.external_id", read_only=True)
    guideline_version = serializers.IntegerField(
        source="guideline_version.number", read_only=True, default=None
    )

    class Meta:
        model = Annotation
        fields = [
            "id",
            "item",
            "item_external_id",
            "result",
            "guideline_version",
            "time_spent_ms",
            "status",
            "needs_rereview",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

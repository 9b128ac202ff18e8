from django import forms

from projects.models import GuidelineVersion


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    task_type = forms.ChoiceField(choices=())
    overlap = forms.IntegerField(min_value=1, max_value=10, initial=1, help_text="Annotations per item.")
    lease_seconds = forms.IntegerField(min_value=60, max_value=86400, initial=1800, label="Lease (seconds)")
    gold_rate = forms.DecimalField(min_value=0, max_value=1, initial=0, decimal_places=3)
    audit_rate = forms.DecimalField(min_value=0, max_value=1, initial=0, decimal_places=3)
    priority = forms.IntegerField(min_value=-100, max_value=100, initial=0)
    expertise = forms.CharField(required=False, help_text="Comma-separated, e.g. medicine/cardiology")
    languages = forms.CharField(required=False, help_text="Comma-separated, e.g. en, de")
    allow_edits = forms.BooleanField(required=False, initial=True, label="Annotators may edit submitted work")
    questions = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "code"}),
        help_text="Leave empty to use the task type's preset questions.",
    )

    def __init__(self, *args, presets=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_type"].choices = [(p.key, p.label) for p in (presets or [])]
        if editing:
            del self.fields["task_type"]

    def settings(self) -> dict:
        data = dict(self.cleaned_data)
        tags = {
            key: [t.strip() for t in (data.pop(key) or "").split(",") if t.strip()]
            for key in ("expertise", "languages")
        }
        data["requirements"] = {key: value for key, value in tags.items() if value}
        if not data.get("questions"):
            data.pop("questions", None)
        return data


class GuidelineForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "class": "code"}), required=False)
    changelog = forms.CharField(max_length=2000, required=False, label="What changed")
    kind = forms.ChoiceField(choices=GuidelineVersion.Kind.choices)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="JSONL (one item per line) or CSV with an external_id column.")


class StaffForm(forms.Form):
    user_id = forms.IntegerField()
    role = forms.CharField()

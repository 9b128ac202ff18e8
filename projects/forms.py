import json
import re

from django import forms
from django.forms.fields import InvalidJSONInput

from portal.errors import DomainError
from portal.forms import form_add_domain_error
from projects.models import GuidelineVersion
from workforce.models import Level, Proficiency
from workforce.requirements import timezone_names


def _tags(text: str | None) -> list[str]:
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


def _bar(name: str, minimum: str, tag: str) -> dict:
    """`medicine/cardiology:practitioner` -> {"area": "medicine/cardiology", "min_level": "practitioner"}."""
    value, _, bar = tag.partition(":")
    return {name: value.strip(), minimum: bar.strip()} if bar.strip() else {name: value.strip()}


# A requirement the service refuses, by its path, and the form field it was typed in.
_REQUIREMENT_LIST = re.compile(r"requirements\.(expertise|languages)\[(\d+)\](?:\.(\w+))?")
_REQUIREMENT_FIELDS = {
    "requirements.min_qualification_score": "min_qualification_score",
    "requirements.headcount.annotator": "annotators_needed",
    "requirements.headcount.auditor": "auditors_needed",
    "requirements.hours_per_week": "hours_per_week",
    "requirements.timezone": "timezone",
}
# What the problem is about, in front of the service's "must be one of: ..."
_REQUIREMENT_PART = {"min_level": "the level ", "min_proficiency": "the minimum "}


def requirements_initial(requirements: dict) -> dict:
    """The form fields that show a project's normalised requirements."""
    return {
        "expertise": ", ".join(
            f"{e['area']}:{Level(e['min_level']).name.lower()}" for e in requirements["expertise"]
        ),
        "languages": ", ".join(
            f"{entry['code']}:{Proficiency(entry['min_proficiency']).name}"
            for entry in requirements["languages"]
        ),
        "min_qualification_score": requirements["min_qualification_score"],
        "annotators_needed": requirements["headcount"]["annotator"],
        "auditors_needed": requirements["headcount"]["auditor"],
        "hours_per_week": requirements["hours_per_week"],
        "timezone": requirements["timezone"],
    }


class QuestionsField(forms.JSONField):
    """JSON shown indented, one key a line, to edit by hand; nothing at all for the preset's questions."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        if value is None:
            return ""
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    task_type = forms.ChoiceField(choices=())
    overlap = forms.IntegerField(min_value=1, max_value=10, initial=1, help_text="Annotations per item.")
    lease_seconds = forms.IntegerField(min_value=60, max_value=86400, initial=1800, label="Lease (seconds)")
    gold_rate = forms.DecimalField(min_value=0, max_value=1, initial=0, decimal_places=3)
    audit_rate = forms.DecimalField(min_value=0, max_value=1, initial=0, decimal_places=3)
    priority = forms.IntegerField(min_value=-100, max_value=100, initial=0)
    expertise = forms.CharField(
        required=False,
        help_text="Comma-separated areas with an optional minimum level, "
        "e.g. medicine/cardiology:practitioner, law/contracts",
    )
    languages = forms.CharField(
        required=False, help_text="Comma-separated, with an optional minimum (default B2), e.g. en:C1, de"
    )
    min_qualification_score = forms.DecimalField(
        required=False, min_value=0, max_value=1, decimal_places=2, help_text="A fraction, e.g. 0.8."
    )
    annotators_needed = forms.IntegerField(min_value=0, max_value=1000, initial=5)
    auditors_needed = forms.IntegerField(min_value=0, max_value=1000, initial=1)
    hours_per_week = forms.IntegerField(
        min_value=1, max_value=80, initial=10, help_text="Each staffed person's weekly hours on this project."
    )
    timezone = forms.ChoiceField(choices=(), initial="UTC", help_text="Where your team works: for overlap.")
    allow_edits = forms.BooleanField(required=False, initial=True, label="Annotators may edit submitted work")
    questions = QuestionsField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "code"}),
        help_text="Leave empty to use the task type's preset questions.",
    )

    def __init__(self, *args, presets=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task_type"].choices = [(p.key, p.label) for p in (presets or [])]
        self.fields["timezone"].choices = [(name, name) for name in sorted(timezone_names())]
        if editing:
            del self.fields["task_type"]

    def settings(self) -> dict:
        data = dict(self.cleaned_data)
        data["requirements"] = {
            "expertise": [_bar("area", "min_level", tag) for tag in _tags(data.pop("expertise"))],
            "languages": [_bar("code", "min_proficiency", tag) for tag in _tags(data.pop("languages"))],
            "min_qualification_score": data.pop("min_qualification_score"),
            "headcount": {"annotator": data.pop("annotators_needed"), "auditor": data.pop("auditors_needed")},
            "hours_per_week": data.pop("hours_per_week"),
            "timezone": data.pop("timezone"),
        }
        if not data.get("questions"):
            data.pop("questions", None)
        return data

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's error on this form: a bad requirement under the box it was typed in,
        naming the entry as typed ("nonsense/area:guru: ..."), not as the API's path."""
        typed = {name: _tags(self.cleaned_data.get(name)) for name in ("expertise", "languages")}
        rest: dict[str, list[str]] = {}
        for path, problems in (error.fields or {}).items():
            entry = _REQUIREMENT_LIST.fullmatch(path)
            if entry:
                name, index, part = entry.group(1), int(entry.group(2)), entry.group(3)
                tag = typed[name][index] if index < len(typed[name]) else ""
                for problem in problems:
                    if name == "languages" and part is None:
                        problem = "not a language tag such as de or en-GB"
                    else:
                        problem = _REQUIREMENT_PART.get(part or "", "") + problem
                    self.add_error(name, f"{tag}: {problem}" if tag else problem)
            elif path in _REQUIREMENT_FIELDS and _REQUIREMENT_FIELDS[path] in self.fields:
                for problem in problems:
                    self.add_error(_REQUIREMENT_FIELDS[path], problem)
            else:
                rest[path] = problems
        if rest or not error.fields:
            form_add_domain_error(self, DomainError(error.message, code=error.code, fields=rest))


class GuidelineForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18, "class": "code"}), required=False)
    changelog = forms.CharField(max_length=2000, required=False, label="What changed")
    kind = forms.ChoiceField(choices=GuidelineVersion.Kind.choices)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="JSONL (one item per line) or CSV with an external_id column.")

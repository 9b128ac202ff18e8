"""Public-site pages for people of the pool: applying, their home, qualification tests."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from portal.errors import ConflictError, DomainError, NotFoundError
from projects.workbench import workbench_config, workbench_url
from workforce.models import ExpertiseArea, Level, Proficiency
from workforce.requirements import timezone_names
from workforce.selectors import expertise_areas, profile_of
from workforce.services.profiles import profile_apply
from workforce.services.qualifications import attempt_get, attempt_start

ROWS = 3  # language and expertise rows offered on the form


def _area_choices(areas: list[ExpertiseArea]) -> list:
    """The taxonomy as option groups: each domain, then its sub-areas."""
    names = {area.code: area.name for area in areas}
    domains_with_children = {area.code.split("/")[0] for area in areas if "/" in area.code}
    groups: dict[str, list[tuple[str, str]]] = {}
    for area in areas:
        domain = area.code.split("/")[0]
        general = area.code == domain and domain in domains_with_children
        groups.setdefault(names.get(domain, domain), []).append(
            (area.code, f"{area.name}, general" if general else area.name)
        )
    return [("", "—"), *groups.items()]


class ApplyForm(forms.Form):
    """Parses the application; `profile_apply` decides what is valid and its errors land here."""

    full_name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, strip=False, max_length=128)
    # Lengths and ranges are the service's to check, so that all its problems show at once.
    country = forms.CharField(max_length=60, widget=forms.TextInput(attrs={"maxlength": 2, "size": 3}))
    timezone = forms.ChoiceField(label="Time zone")
    weekly_capacity_hours = forms.IntegerField(label="Hours a week you can work")
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
        label="Your experience",
        help_text="What you have done in the areas you claim.",
    )

    def __init__(self, *args, areas: list[ExpertiseArea], signed_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:  # the application is for the account they are signed in with
            del self.fields["email"], self.fields["password"]
        self.fields["timezone"].choices = [("", "—")] + [(name, name) for name in sorted(timezone_names())]
        levels = [("", "—"), *Level.choices]
        for row in range(ROWS):
            self.fields[f"language_{row}_code"] = forms.CharField(
                required=False, max_length=12, label=f"Language {row + 1}"
            )
            self.fields[f"language_{row}_proficiency"] = forms.TypedChoiceField(
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "—"), *Proficiency.choices],
                label=f"Proficiency {row + 1}",
            )
            self.fields[f"expertise_{row}_area"] = forms.ChoiceField(
                required=False, choices=_area_choices(areas), label=f"Area {row + 1}"
            )
            self.fields[f"expertise_{row}_level"] = forms.TypedChoiceField(
                required=False, coerce=int, empty_value=None, choices=levels, label=f"Level {row + 1}"
            )
            self.fields[f"expertise_{row}_credential"] = forms.CharField(
                required=False, max_length=300, label=f"Credential {row + 1}"
            )
        self.group_errors: dict[str, list[str]] = {}
        self._rows: dict[str, list[int]] = {"languages": [], "expertise": []}

    def rows(self, prefix: str, names: tuple[str, ...]) -> list[list[forms.BoundField]]:
        return [[self[f"{prefix}_{row}_{name}"] for name in names] for row in range(ROWS)]

    def language_rows(self) -> list[list[forms.BoundField]]:
        return self.rows("language", ("code", "proficiency"))

    def expertise_rows(self) -> list[list[forms.BoundField]]:
        return self.rows("expertise", ("area", "level", "credential"))

    def _entries(self, group: str, prefix: str, names: tuple[str, ...]) -> list[dict]:
        """The rows the person filled in (any field), remembering which form row each one was."""
        entries = []
        self._rows[group] = []
        for row in range(ROWS):
            entry = {name: self.cleaned_data.get(f"{prefix}_{row}_{name}") for name in names}
            if any(value not in (None, "") for value in entry.values()):
                entries.append(entry)
                self._rows[group].append(row)
        return entries

    def application(self) -> dict:
        """The keyword arguments of `profile_apply`, from a valid form."""
        data = self.cleaned_data
        return {
            **({"email": data["email"], "password": data["password"]} if "email" in self.fields else {}),
            "full_name": data["full_name"],
            "country": data["country"],
            "timezone_name": data["timezone"],
            "weekly_capacity_hours": data["weekly_capacity_hours"],
            "summary": data["summary"],
            "languages": self._entries("languages", "language", ("code", "proficiency")),
            "expertise": self._entries("expertise", "expertise", ("area", "level", "credential")),
        }

    def add_domain_error(self, error: DomainError) -> None:
        """Put each of the service's problems on the field it names: `languages[1].code` is the
        code of the second language row the person filled in."""
        prefixes = {"languages": "language", "expertise": "expertise"}
        for path, problems in error.fields.items():
            group, _, rest = path.partition("[")
            name = path
            if group in prefixes and rest:
                index, _, field = rest.partition("].")
                rows = self._rows[group]
                name = f"{prefixes[group]}_{rows[int(index)]}_{field}" if int(index) < len(rows) else ""
            if name in self.fields:
                for problem in problems:
                    self.add_error(name, problem)
            elif path in prefixes:
                self.group_errors.setdefault(path, []).extend(problems)
            else:
                for problem in problems:
                    self.add_error(None, f"{path}: {problem}")
        if not error.fields:
            self.add_error(None, error.message)


class ApplyView(TemplateView):
    """The public application form of the expert pool: anonymous visitors open an account with it;
    signed-in people without a profile apply with the account they have."""

    template_name = "workforce/apply.html"

    def dispatch(self, request, *args, **kwargs):
        if profile_of(user=request.user) is not None:
            messages.info(request, "You have applied already: your home page shows where you stand.")
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None) -> ApplyForm:
        signed_in = self.request.user.is_authenticated
        initial = {"full_name": self.request.user.full_name} if signed_in else None
        return ApplyForm(data, areas=list(expertise_areas()), signed_in=signed_in, initial=initial)

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=kwargs.pop("form", None) or self._form(), **kwargs)

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            account = {"user": request.user} if request.user.is_authenticated else {}
            try:
                profile = profile_apply(**account, **form.application())
            except DomainError as error:
                form.add_domain_error(error)
            else:
                if not request.user.is_authenticated:
                    login(request, profile.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request, "Thank you for applying. We review every application and write to you."
                )
                return redirect("home")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AttemptStartView(LoginRequiredMixin, View):
    """Start (or resume) a qualification test, then work it in the workbench."""

    def post(self, request, test_id: int):
        try:
            attempt = attempt_start(user=request.user, test_id=test_id)
        except NotFoundError:
            raise Http404 from None
        except ConflictError as error:
            messages.error(request, error.message)
            return redirect("home")
        return redirect("qualification_attempt", attempt_id=attempt.pk)


def _item_fields(items: list[dict]) -> dict[str, str]:
    """How the workbench shows the test's item fields (a project declares them; a test's are read
    off its items)."""
    fields: dict[str, str] = {}
    for entry in items:
        for name, value in entry["payload"].items():
            if name in fields:
                continue
            if name in ("responses", "conversation", "trace") and isinstance(value, list):
                fields[name] = name
            elif isinstance(value, str):
                fields[name] = "text"
    return fields


class AttemptWorkbenchView(LoginRequiredMixin, TemplateView):
    """A qualification attempt in the workbench: its questions one by one, no skipping."""

    template_name = "workforce/attempt.html"

    def get_context_data(self, **kwargs):
        try:
            attempt = attempt_get(user=self.request.user, attempt_id=self.kwargs["attempt_id"])
        except NotFoundError:
            raise Http404 from None
        test = attempt.test
        config = workbench_config(
            project={
                "id": test.pk,
                "name": test.name,
                "task_type": "qualification",
                "status": attempt.status,
                "item_fields": _item_fields(test.items),
            },
            questions=test.questions,
            allow_skip=False,
            item_label="",
            back_label="Back to your home page",
            urls={
                "next": reverse("api_attempt_next", kwargs={"attempt_id": attempt.pk}),
                "submit": workbench_url("api_attempt_answer", "index", attempt_id=attempt.pk),
                "draft": workbench_url("api_attempt_draft", "index", attempt_id=attempt.pk),
                "skip": None,
                "acknowledge": None,
                "projects": reverse("home"),
            },
        )
        return super().get_context_data(attempt=attempt, test=test, config=config, **kwargs)

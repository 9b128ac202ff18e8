"""Pages for auditors (their home, blind audits, adjudication, reinstating paused annotators) and
for annotators (feedback on their audited work).

An auditor never sees who made what they judge: these pages render items, results and the
guideline version, never a person. Results are shown in the item's canonical order, responses
lettered A, B, ... as imported; an annotator's feedback letters them as that annotator saw them.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from portal.boundary import WorkspaceView
from portal.errors import ConflictError, DomainError, NotFoundError
from portal.forms import form_add_domain_error
from projects.models import Project
from projects.presentation import item_display, result_display
from projects.questions import result_as_answer
from projects.services.guidelines import guideline_render
from reviews import selectors_audits as selectors
from reviews.models import COMMENT_MAX_LENGTH, Audit
from reviews.services.adjudications import adjudication_resolve
from reviews.services.audits import annotation_revision, audit_blind_answer, audit_next, audit_submit
from reviews.services.policy import review_policy
from reviews.services.quality import quality_reinstate
from tenants.models import Role
from tenants.selectors import pseudonym

AUDITORS = frozenset({Role.AUDITOR})
ANNOTATORS = frozenset({Role.ANNOTATOR})
JSON_ROWS = 12


def _json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _json_object(raw: str, *, required: bool) -> dict | None:
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise forms.ValidationError("Write the answer as a JSON object keyed by question.")
        return None
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise forms.ValidationError(f"Not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise forms.ValidationError('A JSON object keyed by question, e.g. {"preference": {...}}.')
    return value


def _prefixed(error: DomainError, prefix: str, renames: dict[str, str] | None = None) -> DomainError:
    """The service's error with its question paths moved under one form field."""
    fields = {}
    for name, problems in (error.fields or {}).items():
        if renames and name in renames:
            fields[renames[name]] = problems
        elif name.startswith(f"{prefix}.") or name == prefix:
            fields[name] = problems
        else:
            fields[f"{prefix}.{name}"] = problems
    return DomainError(error.message, code=error.code, fields=fields)


# Forms ------------------------------------------------------------------------------------------


class BlindAnswerForm(forms.Form):
    result = forms.CharField(
        label="Your answer (JSON)",
        widget=forms.Textarea(attrs={"rows": JSON_ROWS, "class": "code", "spellcheck": "false"}),
    )

    def clean_result(self):
        return _json_object(self.cleaned_data.get("result", ""), required=True)


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(choices=Audit.Verdict.choices, widget=forms.RadioSelect)
    error_categories = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Error categories"
    )
    corrected_result = forms.CharField(
        required=False,
        label="Corrected result (JSON, optional)",
        widget=forms.Textarea(attrs={"rows": JSON_ROWS, "class": "code", "spellcheck": "false"}),
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment",
    )
    revision = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, categories: list[str], original: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.original = original
        self.fields["error_categories"].choices = [(c, c.replace("_", " ")) for c in categories]
        if not self.is_bound:
            self.initial.setdefault("corrected_result", _json_text(original))

    def clean_corrected_result(self):
        corrected = _json_object(self.cleaned_data.get("corrected_result", ""), required=False)
        return None if corrected == self.original else corrected  # unchanged: nothing corrected


class AdjudicationForm(forms.Form):
    WRITE = "write"

    pick = forms.ChoiceField(widget=forms.RadioSelect, label="Final answer")
    result = forms.CharField(
        required=False,
        label="Or write it (JSON)",
        widget=forms.Textarea(attrs={"rows": JSON_ROWS, "class": "code", "spellcheck": "false"}),
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment",
    )

    def __init__(self, *args, answers: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pick"].choices = [(str(a.pk), f"Answer {n}") for n, a in enumerate(answers, start=1)] + [
            (self.WRITE, "None of them: I write the answer")
        ]

    def clean(self):
        data = super().clean()
        if data.get("pick") == self.WRITE:
            try:
                data["result"] = _json_object(data.get("result", ""), required=True)
            except forms.ValidationError as error:
                self.add_error("result", error)
        else:
            data["result"] = None
        return data


class ReinstateForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason")


# Auditors ---------------------------------------------------------------------------------------


class AuditorHomeView(WorkspaceView, TemplateView):
    roles = AUDITORS
    template_name = "reviews/auditor_home.html"

    def get_context_data(self, **kwargs):
        rows = selectors.auditor_overview(user=self.request.user, workspace=self.workspace)
        return super().get_context_data(rows=rows, **kwargs)


class AuditorProjectMixin(WorkspaceView):
    def get_project(self) -> Project:
        try:
            return selectors.auditor_project_get(user=self.request.user, project_id=self.kwargs["project_id"])
        except NotFoundError:
            raise Http404 from None


def _claim_and_go(request, project: Project, *, blind: bool):
    """Claim the project's next audit for the auditor and open it, or say there is none."""
    try:
        audit = audit_next(auditor=request.user, project=project)
    except NotFoundError:  # no longer staffed on the project
        raise Http404 from None
    if audit is None:
        messages.info(request, f"Nothing to audit in {project.name} right now.")
        return redirect("auditor_home")
    url = reverse("audit_detail", kwargs={"audit_id": audit.pk})
    return redirect(f"{url}?mode=blind" if blind else url)


class AuditNextView(AuditorProjectMixin):
    roles = AUDITORS

    def post(self, request, project_id: int):
        return _claim_and_go(request, self.get_project(), blind=request.POST.get("blind") == "1")


class AuditView(WorkspaceView, TemplateView):
    """One claimed audit: the item, the annotation's result (after the auditor's own answer in
    blind mode), the guideline it was made under, and the verdict form."""

    roles = AUDITORS
    template_name = "reviews/audit.html"

    def get_audit(self) -> Audit:
        try:
            return selectors.audit_claimed_get(auditor=self.request.user, audit_id=self.kwargs["audit_id"])
        except NotFoundError:
            raise Http404 from None

    def blind_mode(self) -> bool:
        return (self.request.GET.get("mode") or self.request.POST.get("mode")) == "blind"

    def get_context_data(self, **kwargs):
        audit = kwargs.pop("audit", None) or self.get_audit()
        project, annotation = audit.project, audit.annotation
        item, questions = annotation.item, project.questions
        original = result_as_answer(questions, annotation.result)
        reveal = audit.blind_result is not None or not self.blind_mode()
        version = annotation.guideline_version
        verdict_form = kwargs.pop("verdict_form", None) or VerdictForm(
            categories=review_policy(project).error_categories,
            original=original,
            initial={"revision": annotation_revision(annotation)},
        )
        blind_form = kwargs.pop("blind_form", None) or BlindAnswerForm(
            initial={"result": _json_text({q["key"]: None for q in questions})}
        )
        return super().get_context_data(
            audit=audit,
            project=project,
            item=item,
            fields=item_display(item.payload, project.item_fields),
            reveal=reveal,
            blind=self.blind_mode(),
            result_rows=result_display(questions, annotation.result, item.payload) if reveal else None,
            blind_rows=result_display(questions, audit.blind_result, item.payload)
            if audit.blind_result is not None
            else None,
            reference_rows=result_display(questions, item.gold_answer, item.payload)
            if reveal and item.is_gold and item.gold_answer
            else None,
            guideline=version,
            guideline_html=guideline_render(version.body) if version else "",
            questions=questions,
            verdict_form=verdict_form,
            blind_form=blind_form,
            **kwargs,
        )

    def post(self, request, audit_id: int):
        audit = self.get_audit()
        project = audit.project
        form = VerdictForm(
            request.POST,
            categories=review_policy(project).error_categories,
            original=result_as_answer(project.questions, audit.annotation.result),
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                audit_submit(
                    auditor=request.user,
                    workspace=self.workspace,
                    audit_id=audit.pk,
                    verdict=data["verdict"],
                    error_categories=data["error_categories"],
                    corrected_result=data["corrected_result"],
                    comment=data["comment"],
                    revision=data["revision"],
                )
            except DomainError as error:
                if error.code == "annotation_changed":
                    # To be judged again as it is now: a fresh form, its correction prefilled anew.
                    messages.warning(request, error.message)
                    return self.render_to_response(self.get_context_data(), status=409)
                form_add_domain_error(form, error)
            else:
                messages.success(request, f"Verdict on item {audit.annotation.item.external_id} saved.")
                return _claim_and_go(request, project, blind=self.blind_mode())
        return self.render_to_response(self.get_context_data(audit=audit, verdict_form=form), status=400)


class AuditBlindView(AuditView):
    """The auditor's own answer, before the annotation is revealed."""

    http_method_names = ["post"]

    def blind_mode(self) -> bool:
        return True

    def post(self, request, audit_id: int):
        audit = self.get_audit()
        form = BlindAnswerForm(request.POST)
        if form.is_valid():
            try:
                audit_blind_answer(
                    auditor=request.user, audit_id=audit.pk, result=form.cleaned_data["result"]
                )
            except ConflictError as error:
                messages.info(request, error.message)
            except DomainError as error:
                form_add_domain_error(form, _prefixed(error, "result"))
                return self.render_to_response(
                    self.get_context_data(audit=audit, blind_form=form), status=400
                )
            return redirect(reverse("audit_detail", kwargs={"audit_id": audit.pk}) + "?mode=blind")
        return self.render_to_response(self.get_context_data(audit=audit, blind_form=form), status=400)


class AdjudicationListView(AuditorProjectMixin, TemplateView):
    roles = AUDITORS
    template_name = "reviews/adjudication_list.html"

    def get_context_data(self, **kwargs):
        project = self.get_project()
        return super().get_context_data(
            project=project,
            adjudications=selectors.adjudications_open(user=self.request.user, project=project),
            **kwargs,
        )


class AdjudicationView(WorkspaceView, TemplateView):
    """An open adjudication: the item and every live answer, numbered, with no identity."""

    roles = AUDITORS
    template_name = "reviews/adjudication.html"

    def get_adjudication(self):
        try:
            return selectors.adjudication_open_get(
                user=self.request.user, adjudication_id=self.kwargs["adjudication_id"]
            )
        except NotFoundError:
            raise Http404 from None

    def get_context_data(self, **kwargs):
        adjudication = kwargs.pop("adjudication", None) or self.get_adjudication()
        project, item = adjudication.project, adjudication.item
        answers = selectors.adjudication_answers(adjudication=adjudication)
        form = kwargs.pop("form", None) or AdjudicationForm(
            answers=answers,
            initial={
                "result": _json_text(
                    result_as_answer(project.questions, answers[0].result if answers else None)
                )
            },
        )
        return super().get_context_data(
            adjudication=adjudication,
            project=project,
            item=item,
            fields=item_display(item.payload, project.item_fields),
            answers=[
                {"number": n, "id": a.pk, "rows": result_display(project.questions, a.result, item.payload)}
                for n, a in enumerate(answers, start=1)
            ],
            form=form,
            **kwargs,
        )

    def post(self, request, adjudication_id: int):
        adjudication = self.get_adjudication()
        answers = selectors.adjudication_answers(adjudication=adjudication)
        form = AdjudicationForm(request.POST, answers=answers)
        if form.is_valid():
            data = form.cleaned_data
            written = data["pick"] == AdjudicationForm.WRITE
            try:
                adjudication_resolve(
                    auditor=request.user,
                    workspace=self.workspace,
                    adjudication_id=adjudication.pk,
                    annotation_id=None if written else int(data["pick"]),
                    result=data["result"] if written else None,
                    comment=data["comment"],
                )
            except DomainError as error:
                form_add_domain_error(form, _prefixed(error, "result", {"annotation_id": "pick"}))
            else:
                messages.success(request, f"Item {adjudication.item.external_id} is adjudicated.")
                return redirect("adjudication_list", project_id=adjudication.project_id)
        return self.render_to_response(
            self.get_context_data(adjudication=adjudication, form=form), status=400
        )


class AnnotatorReinstateView(AuditorProjectMixin):
    roles = AUDITORS

    def post(self, request, project_id: int, quality_id: int):
        project = self.get_project()
        try:
            row = selectors.quality_paused_get(user=request.user, project=project, quality_id=quality_id)
        except NotFoundError:
            raise Http404 from None
        name = pseudonym(workspace_id=self.workspace.pk, user_id=row.annotator_id)
        form = ReinstateForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Give a reason to reinstate {name}.")
            return redirect("auditor_home")
        try:
            quality_reinstate(
                actor=request.user,
                workspace=self.workspace,
                project=project,
                annotator_id=row.annotator_id,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{name} may work on {project.name} again.")
        return redirect("auditor_home")


# Annotators -------------------------------------------------------------------------------------


class FeedbackView(WorkspaceView, TemplateView):
    """The annotator's own audited work in this workspace, and where they are paused."""

    roles = ANNOTATORS
    template_name = "reviews/feedback.html"
    PAGE = 50

    def get_context_data(self, **kwargs):
        try:
            before = max(0, int(self.request.GET.get("before") or 0))
        except ValueError:
            before = 0
        audits = selectors.feedback_audits(annotator=self.request.user, before_id=before, limit=self.PAGE)
        return super().get_context_data(
            entries=[feedback_entry(audit) for audit in audits],
            pauses=selectors.feedback_pauses(annotator=self.request.user),
            next_before=audits[-1].pk if len(audits) == self.PAGE else None,
            **kwargs,
        )


def feedback_entry(audit: Audit) -> dict:
    """One audited annotation as its annotator sees it: lettered in the order they were shown."""
    annotation, project = audit.annotation, audit.project
    item, questions = annotation.item, project.questions
    order = annotation.assignment.response_order
    return {
        "audit": audit,
        "project": project,
        "item": item,
        "verdict": audit.get_verdict_display(),
        "own_rows": result_display(questions, annotation.result, item.payload, order),
        # A gold item's correction is its known answer, which others are still tested on.
        "corrected_rows": result_display(questions, audit.corrected_result, item.payload, order)
        if audit.corrected_result is not None and not item.is_gold
        else None,
    }

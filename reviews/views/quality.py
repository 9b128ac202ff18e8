"""The quality page of a project: agreement trends (server-rendered SVG), the latest figures,
audits, error categories, position bias, the pseudonymous annotator table, and the review
policy (client managers change it here)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import formats, timezone

from portal.boundary import MANAGERS
from portal.errors import DomainError
from portal.forms import form_add_domain_error
from portal.tasks import task_enqueue_on_commit
from projects.views import ProjectMixin, ProjectPage
from reviews.selectors_quality import quality_overview, review_policy_figures
from reviews.services.policy import review_policy_update
from reviews.tasks import agreement_refresh
from tenants.models import Role

QUALITY_READERS = frozenset({Role.CLIENT_MANAGER, Role.CLIENT_VIEWER, Role.AUDITOR})
REFRESHERS = frozenset({Role.CLIENT_MANAGER, Role.AUDITOR})

# The chart's geometry, in SVG user units (the CSS scales it to the page's width).
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 12, 30
# Krippendorff's rules of thumb: 0.8 reliable, 0.667 the lowest for tentative conclusions.
REFERENCES = ((0.8, "0.8 reliable"), (0.667, "0.667 tentative"))


def _number(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _interval(low: float | None, high: float | None, show=_number) -> str:
    return "" if low is None or high is None else f"[{show(low)}, {show(high)}]"


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y H:i")


def alpha_chart(series: list[dict]) -> dict:
    """The coordinates of an alpha trend: one point per snapshot, oldest on the left, the 95%
    interval as a band (one polygon per run of snapshots that have one), and the y grid."""
    values = [v for s in series for v in (s["alpha"], s["alpha_low"], s["alpha_high"]) if v is not None]
    floor = min([0.0, *values])
    bottom = -1.0 if floor < -0.8 else -(int(-floor * 5 + 0.999999) / 5)  # down to a multiple of 0.2
    span = 1.0 - bottom
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(index: int) -> float:
        return LEFT + (plot_width / 2 if len(series) == 1 else index * plot_width / (len(series) - 1))

    def y_of(value: float) -> float:
        return TOP + (1.0 - value) / span * plot_height

    def at(x: float, y: float) -> str:
        return f"{x:.1f},{y:.1f}"

    markers, bands, run_top, run_bottom = [], [], [], []
    for index, snapshot in enumerate(series):
        x = x_of(index)
        low, high = snapshot["alpha_low"], snapshot["alpha_high"]
        if low is not None and high is not None:
            run_top.append(at(x, y_of(high)))
            run_bottom.append(at(x, y_of(low)))
        elif run_top:
            bands.append(" ".join(run_top + run_bottom[::-1]))
            run_top, run_bottom = [], []
        if snapshot["alpha"] is not None:
            interval = _interval(low, high)
            markers.append(
                {
                    "x": f"{x:.1f}",
                    "y": f"{y_of(snapshot['alpha']):.1f}",
                    "title": f"{_when(snapshot['computed_at'])}: alpha {_number(snapshot['alpha'])}"
                    + (f" {interval}" if interval else ""),
                }
            )
    if run_top:
        bands.append(" ".join(run_top + run_bottom[::-1]))
    steps = round(span / 0.2)
    ticks = [
        {"y": f"{y_of(bottom + n * 0.2):.1f}", "label": f"{bottom + n * 0.2:.1f}"} for n in range(steps + 1)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": f"{HEIGHT - BOTTOM:.1f}",
        "label_y": HEIGHT - 8,
        "label_x": LEFT - 6,
        "points": " ".join(f"{m['x']},{m['y']}" for m in markers),
        "markers": markers,
        "bands": bands,
        "ticks": ticks,
        "references": [
            {"y": f"{y_of(value):.1f}", "label": label} for value, label in REFERENCES if value >= bottom
        ],
        "first": _when(series[0]["computed_at"]),
        "last": _when(series[-1]["computed_at"]),
    }


def _figures(latest: dict) -> list[tuple[str, str, str]]:
    """The latest snapshot's figures as (name, value, interval) rows."""
    return [
        (
            "Krippendorff's alpha",
            _number(latest["alpha"]),
            _interval(latest["alpha_low"], latest["alpha_high"]),
        ),
        (
            "Fleiss' kappa",
            _number(latest["fleiss_kappa"]),
            _interval(latest["fleiss_low"], latest["fleiss_high"]),
        ),
        (
            "Mean pairwise Cohen's kappa",
            _number(latest["cohen_kappa_mean"]),
            _interval(latest["cohen_low"], latest["cohen_high"]),
        ),
        (
            "Percent agreement",
            _percent(latest["percent_agreement"]),
            _interval(latest["percent_low"], latest["percent_high"], _percent),
        ),
    ]


def _bias_rows(bias: dict | None) -> dict | None:
    if bias is None:
        return None

    def row(entry: dict) -> dict:
        return {**entry, "share_shown": _percent(entry["share"]), "p_shown": f"{entry['p_value']:.3g}"}

    return {"project": row(bias["project"]), "annotators": [row(e) for e in bias["annotators"]]}


class PolicyForm(forms.Form):
    """Parses the review settings; `review_policy_update` decides what is valid."""

    error_categories = forms.CharField(
        max_length=2000,
        help_text="Comma-separated; auditors pick from these when an annotation has problems.",
    )
    new_annotator_audits = forms.IntegerField(
        label="Audits of each new annotator", help_text="Every annotator's first N annotations are audited."
    )
    low_quality_audit_rate = forms.DecimalField(
        label="Audit rate under the quality threshold", help_text="A fraction from 0 to 1."
    )
    quality_threshold = forms.DecimalField(
        help_text="Annotators whose quality falls under this fraction are paused on the project."
    )
    disagreement_threshold = forms.DecimalField(
        help_text="Items whose annotations agree less than this go to adjudication."
    )
    disagreement_by_kind = forms.CharField(
        required=False,
        label="Disagreement threshold per question kind",
        help_text="Overrides of the one above, e.g. rating:0.8, pairwise:0.5.",
    )
    calibration_pass_mark = forms.DecimalField(
        help_text="The score an annotator needs in a calibration round (from the next round on)."
    )

    def clean_disagreement_by_kind(self) -> dict:
        thresholds = {}
        for entry in filter(
            None, (part.strip() for part in self.cleaned_data["disagreement_by_kind"].split(","))
        ):
            kind, _, value = entry.partition(":")
            if not value.strip():
                raise forms.ValidationError(f"'{entry}' is not kind:fraction, e.g. rating:0.8.")
            thresholds[kind.strip()] = value.strip()
        return thresholds

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data["error_categories"] = [c.strip() for c in data["error_categories"].split(",") if c.strip()]
        return data


def _policy_initial(figures: dict) -> dict:
    return {
        **{key: Decimal(str(value)) if isinstance(value, float) else value for key, value in figures.items()},
        "error_categories": ", ".join(figures["error_categories"]),
        "disagreement_by_kind": ", ".join(
            f"{kind}:{value:g}" for kind, value in figures["disagreement_by_kind"].items()
        ),
    }


class QualityView(ProjectPage):
    roles = {"GET": QUALITY_READERS, "POST": MANAGERS}
    template_name = "reviews/quality.html"

    def _role_is(self, roles: frozenset) -> bool:
        return self.request.user.is_staff or (self.membership is not None and self.membership.role in roles)

    def get_context_data(self, **kwargs):
        project = self.get_project()
        overview = quality_overview(project=project, workspace=self.workspace)
        policy = review_policy_figures(project=project)
        questions = [
            {
                **question,
                "chart": alpha_chart(question["series"]),
                "figures": _figures(question["latest"]),
                "measured_at": _when(question["latest"]["computed_at"]),
                "bias": _bias_rows(question["position_bias"]),
                "table": [
                    {
                        "when": _when(s["computed_at"]),
                        "alpha": _number(s["alpha"]),
                        "interval": _interval(s["alpha_low"], s["alpha_high"]),
                        "percent": _percent(s["percent_agreement"]),
                        "items": s["items"],
                    }
                    for s in reversed(question["series"])
                ],
            }
            for question in overview["questions"]
        ]
        audits = overview["audits"]
        annotators = [
            {
                **row,
                "audit_pass_rate_shown": _percent(row["audit_pass_rate"]),
                "gold_accuracy_shown": _percent(row["gold_accuracy"]),
                "score_shown": _percent(row["score"]),
                "agreement_shown": [_percent(row["agreement"].get(q["key"])) for q in questions],
            }
            for row in overview["annotators"]
        ]
        form = kwargs.pop("form", None)
        can_edit_policy = self._role_is(MANAGERS)
        if form is None and can_edit_policy:
            form = PolicyForm(initial=_policy_initial(policy))
        return super().get_context_data(
            project=project,
            questions=questions,
            audits={**audits, "pass_rate_shown": _percent(audits["pass_rate"])},
            error_categories=overview["error_categories"],
            errors_named=sum(row["count"] for row in overview["error_categories"]),
            annotators=annotators,
            policy=policy,
            policy_shown={
                "low_quality_audit_rate": _percent(policy["low_quality_audit_rate"]),
                "quality_threshold": _percent(policy["quality_threshold"]),
                "disagreement_threshold": _percent(policy["disagreement_threshold"]),
                "calibration_pass_mark": _percent(policy["calibration_pass_mark"]),
            },
            form=form,
            can_edit_policy=can_edit_policy,
            can_refresh=self._role_is(REFRESHERS),
            **kwargs,
        )

    def post(self, request, project_id: int):
        project = self.get_project()
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                review_policy_update(
                    actor=request.user, workspace=self.workspace, project=project, changes=form.changes()
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, "Review settings saved.")
                return redirect("project_quality", project_id=project.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class QualityRefreshView(ProjectMixin):
    """Measure agreement now, in the background, instead of waiting for the hourly refresh."""

    roles = REFRESHERS

    def post(self, request, project_id: int):
        project = self.get_project()
        task_enqueue_on_commit(agreement_refresh, project.pk)
        messages.info(
            request,
            "Agreement is being measured again in the background; reload this page in a minute "
            "to see the new figures.",
        )
        return redirect("project_quality", project_id=project.pk)

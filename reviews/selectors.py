"""Reads of quality data. Each owns its query shape."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from reviews.models import AnnotatorQuality, CalibrationParticipant, CalibrationRound


def staffing_gates() -> dict:
    """Expressions to annotate a `Staffing` query with: is the annotator paused on the project,
    and do they owe an open calibration round. The queue reads both with the staffing row."""
    return {
        "paused": Exists(
            AnnotatorQuality.objects.filter(
                project_id=OuterRef("project_id"),
                annotator_id=OuterRef("user_id"),
                status=AnnotatorQuality.Status.PAUSED,
            )
        ),
        "calibrating": Exists(
            CalibrationParticipant.objects.filter(
                round__project_id=OuterRef("project_id"),
                round__status=CalibrationRound.Status.OPEN,
                annotator_id=OuterRef("user_id"),
            ).exclude(status=CalibrationParticipant.Status.PASSED)
        ),
    }

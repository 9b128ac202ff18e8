"""JSON endpoints for people of the pool: qualification attempts worked in the workbench.

They answer like the annotation queue (`projects/api.py`), so `static/projects/workbench.js` works
an attempt the way it works a project: `next/` gives the next question, `answers/<index>/` records
one, `draft/<index>/` keeps a draft. Someone else's attempt is a 404, like a missing one.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.api import result_from
from workforce.models import QualificationAttempt
from workforce.services.qualifications import attempt_answer, attempt_draft_save, attempt_get, attempt_task


def attempt_outcome(attempt: QualificationAttempt) -> str:
    """What a finished attempt says to the person who took it."""
    test = attempt.test
    score, mark = f"{attempt.score:.0%}", f"{test.pass_mark:.0%}"
    if attempt.passed:
        return f"You passed {test.name} with {score} (pass mark {mark}): you are vetted for {test.area.name}."
    return (
        f"You scored {score} on {test.name} (pass mark {mark}): not passed this time. "
        "Your home page shows when you can try again."
    )


class AttemptNextApi(APIView):
    def post(self, request, attempt_id: int):
        attempt = attempt_get(user=request.user, attempt_id=attempt_id)
        task = attempt_task(attempt)
        if task is not None:
            return Response(task)
        return Response(
            {
                "assignment": None,
                "item": None,
                "finished": True,
                "score": float(attempt.score),
                "passed": attempt.passed,
                "message": attempt_outcome(attempt),
            }
        )


class AttemptAnswerApi(APIView):
    def post(self, request, attempt_id: int, index: int):
        result = result_from(request)
        attempt = attempt_answer(user=request.user, attempt_id=attempt_id, index=index, result=result)
        finished = attempt.status == QualificationAttempt.Status.SUBMITTED
        body = {"index": index, "answered": len(attempt.answers), "finished": finished}
        if finished:
            body.update(score=float(attempt.score), passed=attempt.passed, message=attempt_outcome(attempt))
        return Response(body, status=status.HTTP_201_CREATED)


class AttemptDraftApi(APIView):
    def put(self, request, attempt_id: int, index: int):
        attempt_draft_save(
            user=request.user, attempt_id=attempt_id, index=index, draft=request.data.get("draft")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

"""How close an answer is to a known (gold) answer, per question kind, as a fraction from 0 to 1.

Both answers are in the canonical form `result_validate` returns. Free text has no automatic score
(`None`): a person judges it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scipy.stats import kendalltau

from projects.questions import Question


def _exact(question: Question, answer: Any, gold: Any) -> float:
    return 1.0 if answer == gold else 0.0


def _jaccard(question: Question, answer: list, gold: list) -> float:
    chosen, wanted = set(answer), set(gold)
    if not chosen and not wanted:
        return 1.0
    return len(chosen & wanted) / len(chosen | wanted)


def _distance(question: Question, answer: int, gold: int) -> float:
    values = [point["value"] for point in question["scale"]]
    spread = max(values) - min(values)
    return 1.0 - abs(answer - gold) / spread if spread else _exact(question, answer, gold)


def _ranks(groups: list[list[int]]) -> dict[int, int]:
    return {response: rank for rank, group in enumerate(groups) for response in group}


def _rank_correlation(question: Question, answer: list[list[int]], gold: list[list[int]]) -> float:
    """Kendall's tau-b between the two rankings (ties allowed), mapped from [-1, 1] to [0, 1]."""
    mine, theirs = _ranks(answer), _ranks(gold)
    responses = sorted(theirs)
    if answer == gold:
        return 1.0
    tau = kendalltau([mine[r] for r in responses], [theirs[r] for r in responses]).statistic
    if tau != tau:  # NaN: one side ranks everything equal
        return 0.0
    return (float(tau) + 1.0) / 2.0


def _pairwise(question: Question, answer: dict, gold: dict) -> float:
    """The overall choice decides; each dimension that agrees counts as much as the choice."""
    scores = [1.0 if answer["winner"] == gold["winner"] else 0.0]
    for key, wanted in (gold.get("dimensions") or {}).items():
        scores.append(1.0 if (answer.get("dimensions") or {}).get(key) == wanted else 0.0)
    return sum(scores) / len(scores)


def _span_overlap(question: Question, answer: list[dict], gold: list[dict]) -> float:
    """Character-level F1 of the labelled characters (label and position must both agree)."""

    def marks(spans: list[dict]) -> set[tuple[int, str]]:
        return {(offset, span["label"]) for span in spans for offset in range(span["start"], span["end"])}

    mine, wanted = marks(answer), marks(gold)
    if not mine and not wanted:
        return 1.0
    return 2 * len(mine & wanted) / (len(mine) + len(wanted))


def _judgments(question: Question, answer: list[dict], gold: list[dict]) -> float:
    unit = "turn" if gold and "turn" in gold[0] else "step"
    mine = {entry[unit]: entry["value"] for entry in answer}
    if not gold:
        return 1.0 if not mine else 0.0
    return sum(1.0 for entry in gold if mine.get(entry[unit]) == entry["value"]) / len(gold)


SCORERS: dict[str, Callable[[Question, Any, Any], float] | None] = {
    "single_choice": _exact,
    "multi_choice": _jaccard,
    "rating": _distance,
    "ranking": _rank_correlation,
    "pairwise": _pairwise,
    "text": None,
    "spans": _span_overlap,
    "per_turn": _judgments,
    "per_step": _judgments,
}


def answer_score(question: Question, answer: Any, gold: Any) -> float | None:
    """How well one answer matches the gold answer; None when the kind cannot be scored by rule."""
    scorer = SCORERS[question["kind"]]
    if scorer is None:
        return None
    if gold is None:
        return 1.0 if answer is None else 0.0
    if answer is None:
        return 0.0
    return scorer(question, answer, gold)


def result_score(questions: list[Question], result: dict, gold: dict) -> tuple[float | None, dict]:
    """The mean score over the scorable questions, and each question's score."""
    scores = {q["key"]: answer_score(q, result.get(q["key"]), gold.get(q["key"])) for q in questions}
    scored = [value for value in scores.values() if value is not None]
    return (sum(scored) / len(scored) if scored else None), scores

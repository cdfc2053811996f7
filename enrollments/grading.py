"""Validating and grading knowledge-check answers against an attempt's snapshot: pure functions, no I/O.

Everything here reads the frozen `Attempt.snapshot` only, never the live course, so an attempt is
validated, scored and reviewed against exactly the questions and choices the person was shown.
`services.attempt_submit` grades with these functions and `selectors.attempt_review` replays them for
the result page, so the score on the page and the stored score come from the same code.

Snapshot format (version 1), written by `services.attempt_start`::

    {
      "version": 1,
      "course": {"id": 7, "title": "Greeting guests"},
      "pass_mark_percent": 80,
      "questions": [
        {"id": 31, "kind": "single", "title": "", "prompt": "…", "explanation": "…", "text_format": "plain",
         "standards": [{"id": 3, "code": "S1", "title": "Greet within 10 seconds"}],
         "choices": [{"id": 90, "text": "…", "credit_percent": 100, "feedback": "…"}, …]},
        …
      ]
    }

`text_format` is "html" when the question's texts are sanitized HTML (imported [html]/[markdown]
GIFT); snapshots written before it existed lack it and are plain text.

The lists are in the order the attempt shows them: questions and choices are shuffled once, when
the attempt starts (services.attempt_snapshot_shuffle), so every reload shows the same order.

Responses (what `Attempt.responses` stores once submitted): question id (str) → chosen choice ids
(ints, in the order the choices were shown).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Kinds answered with exactly one choice (radio buttons); multiple choice takes one or more. The same
# rule authoring uses to decide how many choices may be correct.
from courses.services import SINGLE_ANSWER_KINDS

SNAPSHOT_VERSION = 1

NON_FIELD = "__all__"
MESSAGE_MISSING = "Choose an answer to this question."
MESSAGE_MISSING_SEVERAL = "Choose at least one answer to this question."
MESSAGE_FOREIGN_CHOICE = "That answer is not one of this question's choices."
MESSAGE_NOT_ONE = "Choose exactly one answer to this question."
MESSAGE_UNKNOWN_QUESTION = "Answers were sent for questions that are not part of this knowledge check."


class ResponsesInvalid(Exception):
    """The answers do not fit the snapshot; nothing was recorded.

    `errors` maps a question id (str) or NON_FIELD to a message a person can act on.
    """

    def __init__(self, errors: dict[str, str], *, snapshot: dict[str, Any] | None = None) -> None:
        self.errors = errors
        self.snapshot = snapshot
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


@dataclass(frozen=True)
class Grade:
    score_percent: int
    passed: bool
    question_scores: dict[str, int]


def is_single_answer(kind: str) -> bool:
    return kind in SINGLE_ANSWER_KINDS


def _as_list(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, (list, tuple, set, frozenset)):
        values = list(raw)
    else:
        values = [raw]
    return [value for value in values if str(value).strip() != ""]


def _as_choice_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdecimal() and len(text) < 19 else None


def responses_validate(*, snapshot: Mapping[str, Any], responses: Mapping[Any, Any]) -> dict[str, list[int]]:
    """The answers as question id → chosen choice ids, or ResponsesInvalid listing every problem.

    Rules: every question of the snapshot is answered; every id is a choice of *that* question in the
    snapshot (another question's choice, an unknown id or a non-number is refused); single-answer
    kinds get exactly one choice; no answers for questions outside the snapshot.
    """
    errors: dict[str, str] = {}
    questions = snapshot["questions"]
    known = {str(question["id"]) for question in questions}
    given = {str(key): value for key, value in responses.items()}
    if set(given) - known:
        errors[NON_FIELD] = MESSAGE_UNKNOWN_QUESTION
    answers: dict[str, list[int]] = {}
    for question in questions:
        key = str(question["id"])
        values = _as_list(given.get(key))
        single = is_single_answer(question["kind"])
        if not values:
            errors[key] = MESSAGE_MISSING if single else MESSAGE_MISSING_SEVERAL
            continue
        choice_order = [choice["id"] for choice in question["choices"]]
        chosen = [_as_choice_id(value) for value in values]
        if any(choice_id is None or choice_id not in choice_order for choice_id in chosen):
            errors[key] = MESSAGE_FOREIGN_CHOICE
            continue
        if single and len(chosen) != 1:
            errors[key] = MESSAGE_NOT_ONE
            continue
        picked = set(chosen)
        answers[key] = [choice_id for choice_id in choice_order if choice_id in picked]
    if errors:
        raise ResponsesInvalid(errors, snapshot=dict(snapshot))
    return answers


def question_score(question: Mapping[str, Any], chosen: Iterable[int]) -> int:
    """Sum of the chosen choices' credits, clamped to 0..100 (wrong ticks cost, never below zero)."""
    picked = set(chosen)
    total = sum(choice["credit_percent"] for choice in question["choices"] if choice["id"] in picked)
    return max(0, min(100, total))


def attempt_grade(*, snapshot: Mapping[str, Any], answers: Mapping[str, Iterable[int]]) -> Grade:
    """Score = the mean of the question scores, rounded half up to a whole percent; passed = score ≥ pass mark.

    Integer arithmetic, so 82.5 is 83 on every machine (Python's round() would give 82).
    """
    questions = snapshot["questions"]
    scores = {str(q["id"]): question_score(q, answers.get(str(q["id"]), ())) for q in questions}
    count = len(scores)
    score = (2 * sum(scores.values()) + count) // (2 * count) if count else 0
    return Grade(score_percent=score, passed=score >= snapshot["pass_mark_percent"], question_scores=scores)

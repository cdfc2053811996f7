"""Validation and grading against a snapshot: pure functions, no database."""

from __future__ import annotations

import pytest

from enrollments.grading import (
    MESSAGE_FOREIGN_CHOICE,
    MESSAGE_MISSING,
    MESSAGE_NOT_ONE,
    MESSAGE_UNKNOWN_QUESTION,
    NON_FIELD,
    ResponsesInvalid,
    attempt_grade,
    question_score,
    responses_validate,
)


def _snapshot(pass_mark: int = 80) -> dict:
    return {
        "version": 1,
        "course": {"id": 1, "title": "Greeting guests"},
        "pass_mark_percent": pass_mark,
        "questions": [
            {
                "id": 10, "kind": "single", "title": "", "prompt": "Who greets?", "explanation": "",
                "standards": [],
                "choices": [
                    {"id": 100, "text": "Everyone", "credit_percent": 100, "feedback": ""},
                    {"id": 101, "text": "Nobody", "credit_percent": 0, "feedback": ""},
                ],
            },
            {
                "id": 20, "kind": "multiple", "title": "", "prompt": "Which are good?", "explanation": "",
                "standards": [],
                "choices": [
                    {"id": 200, "text": "Smile", "credit_percent": 50, "feedback": ""},
                    {"id": 201, "text": "Eye contact", "credit_percent": 50, "feedback": ""},
                    {"id": 202, "text": "Ignore", "credit_percent": -50, "feedback": ""},
                ],
            },
        ],
    }


def test_valid_answers_come_back_as_ints_in_choice_order():
    answers = responses_validate(snapshot=_snapshot(), responses={"10": ["100"], "20": ["201", "200", "201"]})

    assert answers == {"10": [100], "20": [200, 201]}


@pytest.mark.parametrize(
    "responses, key, message",
    [
        ({"10": ["100"]}, "20", "Choose at least one answer to this question."),
        ({"10": [], "20": ["200"]}, "10", MESSAGE_MISSING),
        ({"10": ["200"], "20": ["200"]}, "10", MESSAGE_FOREIGN_CHOICE),  # another question's choice
        ({"10": ["999"], "20": ["200"]}, "10", MESSAGE_FOREIGN_CHOICE),  # unknown id
        ({"10": ["abc"], "20": ["200"]}, "10", MESSAGE_FOREIGN_CHOICE),  # not a number
        ({"10": ["100", "101"], "20": ["200"]}, "10", MESSAGE_NOT_ONE),  # two radios
        ({"10": ["100"], "20": ["200"], "99": ["100"]}, NON_FIELD, MESSAGE_UNKNOWN_QUESTION),
    ],
)
def test_invalid_answers_are_refused_with_a_message_per_question(responses, key, message):
    with pytest.raises(ResponsesInvalid) as refused:
        responses_validate(snapshot=_snapshot(), responses=responses)

    assert refused.value.errors[key] == message


def test_question_score_sums_credits_and_clamps_to_0_100():
    question = _snapshot()["questions"][1]

    assert question_score(question, [200, 201]) == 100
    assert question_score(question, [200]) == 50
    assert question_score(question, [200, 202]) == 0
    assert question_score(question, [202]) == 0  # never below zero


def test_attempt_score_is_the_mean_rounded_half_up_and_passed_at_the_pass_mark():
    # 100 and 50 → 75 exactly; pass mark 75 passes, 76 does not.
    assert attempt_grade(snapshot=_snapshot(75), answers={"10": [100], "20": [200]}).passed is True
    assert attempt_grade(snapshot=_snapshot(76), answers={"10": [100], "20": [200]}).passed is False
    # 100 and 65 → 82.5 → 83 (Python's round() would say 82).
    snapshot = _snapshot()
    snapshot["questions"][1]["choices"][0]["credit_percent"] = 65
    assert attempt_grade(snapshot=snapshot, answers={"10": [100], "20": [200]}).score_percent == 83

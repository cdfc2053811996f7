from __future__ import annotations

import pytest

from courses.selectors import CoverageCell


@pytest.mark.parametrize(
    ("lessons", "questions", "strength"),
    [
        (0, 0, "none"),
        (1, 0, "light"),
        (0, 2, "light"),
        (2, 1, "medium"),
        (3, 2, "medium"),
        (3, 3, "strong"),
        (9, 9, "strong"),
    ],
)
def test_coverage_cell_strength_counts_lessons_and_questions_together(
    lessons, questions, strength
):
    assert CoverageCell(lessons, questions).strength == strength

"""The memory model per person and standard (followups.memory): pure functions over FSRS, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import fsrs.card
import pytest

from followups.memory import (
    AGAIN,
    EASY,
    GOOD,
    HARD,
    Memory,
    next_refresher_at,
    rating_for_answers,
    recall,
    recall_falls_below,
    review,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN_GAP, MAX_GAP = timedelta(days=3), timedelta(days=60)


def day(days: float) -> datetime:
    return T0 + timedelta(days=days)


def history(*ratings: int, every: float = 2) -> Memory:
    """A memory seeded at T0 by the first rating, then reviewed every `every` days."""
    memory = None
    for i, rating in enumerate(ratings):
        memory = review(memory, rating, day(i * every))
    return memory


def due(*memories: Memory, now: datetime) -> datetime:
    return next_refresher_at(memories, target=0.9, now=now, min_gap=MIN_GAP, max_gap=MAX_GAP)


# --- rating_for_answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "total", "rating"),
    [(1, 1, GOOD), (3, 3, GOOD), (0, 1, AGAIN), (2, 3, HARD), (1, 2, HARD), (1, 3, AGAIN), (0, 3, AGAIN)],
)
def test_rating_for_answers(correct, total, rating):
    assert rating_for_answers(correct, total) == rating


def test_rating_for_no_answers_is_refused():
    with pytest.raises(ValueError):
        rating_for_answers(0, 0)


# --- review -----------------------------------------------------------------------------------------


def test_first_review_starts_from_fsrs_initial_stability_and_counts():
    again, hard, good, easy = (review(None, rating, T0) for rating in (AGAIN, HARD, GOOD, EASY))
    assert again.stability < hard.stability < good.stability < easy.stability
    assert good.stability == pytest.approx(2.3065)  # FSRS-6's default initial stability for Good
    assert (good.last_review, good.reviews) == (T0, 1)
    later = review(good, GOOD, day(2))
    assert (later.last_review, later.reviews) == (day(2), 2)


def test_review_does_not_sleep(monkeypatch):
    """fsrs.Card() without an id makes one from the clock and sleeps 1 ms; review gives it a fixed id."""

    def refuse(seconds):
        raise AssertionError("fsrs.Card slept")

    monkeypatch.setattr(fsrs.card.time, "sleep", refuse)
    review(review(None, GOOD, T0), GOOD, day(2))


def test_remembering_after_a_longer_gap_strengthens_more():
    """The spacing effect: a successful review at lower recall raises stability more."""
    seeded = review(None, GOOD, T0)
    assert review(seeded, GOOD, day(4)).stability > review(seeded, GOOD, day(1)).stability


# --- recall ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stability", [0.5, 2.3065, 11.0, 97.3, 400.0])
def test_recall_at_the_stability_is_ninety_percent(stability):
    memory = Memory(stability=stability, difficulty=5.0, last_review=T0)
    assert recall(memory, T0) == pytest.approx(1.0)
    assert recall(memory, T0 + timedelta(days=stability)) == pytest.approx(0.9)


def test_recall_decreases_and_is_one_before_the_review():
    memory = history(GOOD, GOOD)
    values = [recall(memory, day(2 + d)) for d in (0, 1, 5, 20, 100)]
    assert values == sorted(values, reverse=True)
    assert len(set(values)) == len(values)
    assert recall(memory, day(1)) == pytest.approx(1.0)  # asked about a moment before the last review


@pytest.mark.parametrize("target", [0.95, 0.9, 0.8, 0.7])
def test_recall_falls_below_solves_the_forgetting_curve(target):
    memory = history(GOOD, HARD, GOOD)
    moment = recall_falls_below(memory, target)
    assert moment > memory.last_review
    assert recall(memory, moment) == pytest.approx(target)
    assert recall_falls_below(memory, 0.9) == memory.last_review + timedelta(days=memory.stability)


# --- when the next refresher comes ------------------------------------------------------------------


def test_a_weak_standard_comes_back_sooner_than_a_strong_one():
    strong = history(GOOD, GOOD, GOOD)
    weak = history(HARD, HARD, HARD)
    now = strong.last_review
    assert recall_falls_below(weak, 0.9) < recall_falls_below(strong, 0.9)
    assert due(weak, now=now) < due(strong, now=now)
    # The weakest standard sets the date of a person's refresher.
    assert due(strong, weak, now=now) == due(weak, now=now)


def test_a_wrong_answer_brings_the_standard_back_sooner():
    before = history(GOOD, GOOD)
    now = day(14)
    right = review(before, rating_for_answers(1, 1), now)
    wrong = review(before, rating_for_answers(0, 1), now)
    partly = review(before, rating_for_answers(2, 3), now)
    assert wrong.stability < partly.stability < right.stability
    assert recall_falls_below(wrong, 0.9) < recall_falls_below(partly, 0.9) < recall_falls_below(right, 0.9)
    assert due(wrong, now=now) <= due(partly, now=now) < due(right, now=now)


def test_next_refresher_is_exactly_when_recall_falls_below_the_target_within_the_gaps():
    memory = history(GOOD, GOOD)  # stability about 11 days, reviewed at day 2
    now = memory.last_review
    moment = recall_falls_below(memory, 0.9)
    assert now + MIN_GAP < moment < now + MAX_GAP
    assert due(memory, now=now) == moment


def test_next_refresher_is_not_sooner_than_the_minimum_gap():
    forgotten = history(GOOD, AGAIN)  # already below the target, or about to be
    now = forgotten.last_review
    assert recall_falls_below(forgotten, 0.9) < now + MIN_GAP
    assert due(forgotten, now=now) == now + MIN_GAP
    long_ago = history(GOOD)  # its moment is in the past
    assert due(long_ago, now=day(30)) == day(30) + MIN_GAP


def test_next_refresher_is_not_later_than_the_maximum_gap():
    strong = Memory(stability=500.0, difficulty=3.0, last_review=T0)
    assert due(strong, now=T0) == T0 + MAX_GAP
    assert due(now=T0) == T0 + MAX_GAP  # no memory yet: the longest wait


def test_a_higher_target_brings_the_refresher_sooner():
    memory = history(GOOD, GOOD)
    now = memory.last_review
    gaps = {"now": now, "min_gap": timedelta(0), "max_gap": timedelta(days=365)}
    assert next_refresher_at([memory], target=0.95, **gaps) < next_refresher_at([memory], target=0.9, **gaps)
    assert next_refresher_at([memory], target=0.9, **gaps) < next_refresher_at([memory], target=0.8, **gaps)

"""What a person remembers of each standard: the FSRS memory model over their answers and observations.

Pure functions, no database: the follow-up services store a `Memory` per person and standard, the
benchmark (`bench/refresher_simulation.py`) simulates learners with the same functions, so what the
simulation shows is what the product does.

A standard's memory is one FSRS "card": every quiz answer about the standard, and every manager
observation of it, is a review. Learning and relearning steps are off: reviews here are days apart,
never minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import fsrs

SCHEDULER = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
# The FSRS-6 forgetting curve R(t) = (1 + FACTOR * t / S) ** DECAY, from the scheduler's parameters.
DECAY = -SCHEDULER.parameters[20]
FACTOR = 0.9 ** (1 / DECAY) - 1

CARD_ID = 1  # the card's id plays no part in the model

AGAIN, HARD, GOOD, EASY = (int(r) for r in (fsrs.Rating.Again, fsrs.Rating.Hard, fsrs.Rating.Good, fsrs.Rating.Easy))


@dataclass(frozen=True)
class Memory:
    """One person's memory of one standard after their latest review."""

    stability: float  # days until recall falls to 90%
    difficulty: float
    last_review: datetime
    reviews: int = 1


def review(memory: Memory | None, rating: int, at: datetime) -> Memory:
    """The memory after a review rated 1 (forgot) to 4 (easy) at `at`."""
    # A fixed card id: without one, fsrs.Card() makes an id from the clock and sleeps 1 ms to keep it unique.
    if memory is None:
        card = fsrs.Card(card_id=CARD_ID, due=at)
    else:
        card = fsrs.Card(
            card_id=CARD_ID,
            state=fsrs.State.Review,
            stability=memory.stability,
            difficulty=memory.difficulty,
            last_review=memory.last_review,
            due=memory.last_review,
        )
    card, _log = SCHEDULER.review_card(card, fsrs.Rating(rating), at)
    return Memory(
        stability=card.stability,
        difficulty=card.difficulty,
        last_review=at,
        reviews=(memory.reviews if memory else 0) + 1,
    )


def rating_for_answers(correct: int, total: int) -> int:
    """A review's rating from the answers about one standard: all right is Good, most is Hard, else Again."""
    if total <= 0:
        raise ValueError("A review needs at least one answer.")
    if correct == total:
        return GOOD
    return HARD if correct * 2 >= total else AGAIN


def recall(memory: Memory, at: datetime) -> float:
    """The predicted probability of recalling the standard at `at` (FSRS-6 forgetting curve)."""
    elapsed_days = max((at - memory.last_review).total_seconds() / 86400, 0.0)
    return (1 + FACTOR * elapsed_days / memory.stability) ** DECAY


def recall_falls_below(memory: Memory, target: float) -> datetime:
    """When the predicted recall reaches `target` (the forgetting curve solved for time)."""
    days = memory.stability / FACTOR * (target ** (1 / DECAY) - 1)
    return memory.last_review + timedelta(days=days)


def next_refresher_at(
    memories: Iterable[Memory], *, target: float, now: datetime, min_gap: timedelta, max_gap: timedelta
) -> datetime:
    """When the next refresher is due: as soon as the weakest standard's recall falls below `target`,
    but never sooner than `min_gap` nor later than `max_gap` from `now`."""
    moments = [recall_falls_below(memory, target) for memory in memories]
    earliest = min(moments, default=now + max_gap)
    return min(max(earliest, now + min_gap), now + max_gap)

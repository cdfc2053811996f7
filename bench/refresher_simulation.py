"""Do adaptive refreshers keep people above the target recall with fewer refreshers than a fixed ladder?

A simulation over the FSRS memory model (issue 11, item 6). It prints figures; it is not a test.

The world. Each simulated learner has completed a program teaching 4 to 6 standards. Their TRUE memory
of each standard is an FSRS memory whose clock runs at its own speed: the learner × standard
multiplier m (log-normal: a per-learner factor times a per-standard factor) stretches the forgetting
curve, so the true recall t days after a review is R = (1 + FACTOR * t / (m * S)) ** DECAY, where S
is the stability FSRS gives the true history of successes and failures (`followups.memory.review` on
a clock t / m). m = 0.3 forgets three times faster than FSRS's default learner, m = 3 three times
slower. Each question is answered right with probability equal to the true recall of its standard
at that moment, from a seeded generator per learner (the same draws for every policy). What the
learner does in a session changes their true memory: per standard, right on every question is a
successful review (Good), at least half right is Hard, less is a lapse (Again; the feedback shown
at once re-teaches it). That rule is fixed here, whatever the product's `rating_for_answers` does.

Day 0. Each standard's lesson was done 0.5 to 7 days before completion (the true memory's first
review, Good); the completion's knowledge check asks 3 questions per standard, answered from the true
recall at that moment, and is the true memory's second review.

The product. Its scheduler sees only the answers, through `followups.memory`: day 0 seeds each
standard from the knowledge check's answers (one first review, as the follow-up engine does; the
"lesson seed" variant also counts the lesson, at the time it was done, as a review before it), every
refresher reviews the standards it asked about. A refresher asks one question per standard, weakest first by the
scheduler's estimated recall, 3 to 5 questions (with 6 standards the strongest one waits); questions
come from a pool of 4 per standard and never repeat the previous refresher's question of that
standard (memory is per standard, so which question it is changes nothing else here).

The policies. Both send the same refreshers with the same mechanics; only the timing differs.
- ladder: refreshers at 2, 7, 30 and 90 days after completion.
- adaptive: a fixed refresher at +2 days; then `followups.memory.next_refresher_at`: when the
  scheduler's predicted recall of the weakest standard falls below the target, no sooner than the
  minimum gap and no later than the maximum gap; optionally at most `budget` refreshers in all.

The measure (the same for every policy, from the TRUE model): for each learner, each of the 180 days
after completion (sampled at midday, t = d + 0.5) and each standard, whether the true recall is at or
above 0.9. "Standard-days ≥ 0.9" is the share of those (learner, day, standard) triples; "weakest ≥
0.9" is the stricter share of person-days on which every standard of the person is at or above it.

    .venv/bin/python bench/refresher_simulation.py [--learners 1000] [--days 180] [--seed 11] [--quick]
        [--learner-sigma 0.5] [--standard-sigma 0.4] [--median-multiplier 1]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from followups import memory  # noqa: E402

MEASURED_RECALL = 0.9  # the target: what "at or above the target" is measured against
CHECK_QUESTIONS = 3  # knowledge-check questions per standard at completion
POOL = 4  # questions per standard a refresher draws from
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5
LADDER = (2, 7, 30, 90)
FIRST_REFRESHER = 2  # days after completion, in both policies
LEARNER_SIGMA = 0.5  # spread of ln(m) between learners
STANDARD_SIGMA = 0.4  # spread of ln(m) between the standards of one learner
STUDIED_DAYS_BEFORE = (0.5, 7.0)  # a standard's lesson was done this many days before the completion's check
T0 = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Policy:
    name: str
    ladder: tuple[float, ...] | None = None  # fixed days, or None for adaptive
    target: float = 0.9
    min_gap: float = 3
    max_gap: float = 60
    budget: int | None = None  # most refreshers in all (adaptive)
    seed_with_lesson: bool = False  # the estimate counts the lesson as a first review before the check

    def describe(self) -> str:
        if self.ladder:
            return "ladder " + "/".join(f"{day:g}" for day in self.ladder)
        budget = f", at most {self.budget}" if self.budget else ""
        seed = ", lesson seed" if self.seed_with_lesson else ""
        return f"adaptive: +2, then target {self.target:g}, gaps {self.min_gap:g}–{self.max_gap:g} d{budget}{seed}"


@dataclass(frozen=True)
class Learner:
    multipliers: tuple[float, ...]  # per standard: how much slower than FSRS's default learner they forget
    studied: tuple[float, ...]  # per standard: days before completion its lesson was done
    seed: int  # the answers' draws


def make_learners(
    count: int, seed: int, learner_sigma: float = LEARNER_SIGMA, standard_sigma: float = STANDARD_SIGMA,
    median: float = 1.0,
) -> list[Learner]:
    rng = random.Random(seed)
    learners = []
    for _ in range(count):
        standards = rng.randint(4, 6)
        person = math.log(median) + rng.gauss(0, learner_sigma)
        multipliers = tuple(math.exp(person + rng.gauss(0, standard_sigma)) for _ in range(standards))
        studied = tuple(rng.uniform(*STUDIED_DAYS_BEFORE) for _ in range(standards))
        learners.append(Learner(multipliers, studied, seed=rng.getrandbits(64)))
    return learners


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def true_rating(right: int, total: int) -> int:
    """What a session did to the true memory (fixed here, independent of the product's rating rule)."""
    if right == total:
        return memory.GOOD
    return memory.HARD if 2 * right >= total else memory.AGAIN


@dataclass
class Outcome:
    refreshers: int
    questions: int
    standard_days_at_target: int
    standard_days: int
    person_days_at_target: int
    recall_sum: float


def simulate(learner: Learner, policy: Policy, days: int) -> Outcome:
    rng = random.Random(learner.seed)
    n = len(learner.multipliers)
    # The true memory runs on the learner's clock (t / m); `segments` keeps, per standard, the real
    # time of each true review and the true stability in real days, for the measurement.
    true: list[memory.Memory] = []
    estimate: list[memory.Memory] = []
    segments: list[list[tuple[float, float]]] = []
    for s, m in enumerate(learner.multipliers):
        studied = -learner.studied[s]
        lesson = memory.review(None, memory.GOOD, at(studied / m))  # the lesson: first exposure
        check_recall = memory.recall(lesson, at(0))
        right = sum(rng.random() < check_recall for _ in range(CHECK_QUESTIONS))
        true.append(memory.review(lesson, true_rating(right, CHECK_QUESTIONS), at(0)))
        rating = memory.rating_for_answers(right, CHECK_QUESTIONS)
        if policy.seed_with_lesson:
            estimate.append(memory.review(memory.review(None, memory.GOOD, at(studied)), rating, at(0)))
        else:
            estimate.append(memory.review(None, rating, at(0)))
        segments.append([(0.0, m * true[s].stability)])
    last_question = [-1] * n
    refreshers = questions = 0
    t = float(FIRST_REFRESHER)
    while t < days and (policy.budget is None or refreshers < policy.budget):
        now = at(t)
        refreshers += 1
        order = sorted(range(n), key=lambda s: memory.recall(estimate[s], now))
        count = min(MAX_QUESTIONS, max(MIN_QUESTIONS, n))
        asked = [order[i % n] for i in range(count)]
        right = [0] * n
        total = [0] * n
        for s in asked:
            pool = [q for q in range(POOL) if q != last_question[s]]
            last_question[s] = rng.choice(pool)
            m = learner.multipliers[s]
            true_recall = memory.recall(true[s], at(t / m))
            right[s] += rng.random() < true_recall
            total[s] += 1
        questions += count
        for s in set(asked):
            m = learner.multipliers[s]
            true[s] = memory.review(true[s], true_rating(right[s], total[s]), at(t / m))
            estimate[s] = memory.review(estimate[s], memory.rating_for_answers(right[s], total[s]), now)
            segments[s].append((t, m * true[s].stability))
        if policy.ladder:
            later = [day for day in policy.ladder if day > t]
            t = later[0] if later else math.inf
        else:
            due = memory.next_refresher_at(
                estimate, target=policy.target, now=now,
                min_gap=timedelta(days=policy.min_gap), max_gap=timedelta(days=policy.max_gap),
            )
            t = (due - T0).total_seconds() / 86400
    return measure(segments, days, refreshers, questions)


THRESHOLD_FACTOR = MEASURED_RECALL ** (1 / memory.DECAY) - 1  # recall ≥ 0.9 ⇔ elapsed ≤ S * this / FACTOR


def measure(segments: list[list[tuple[float, float]]], days: int, refreshers: int, questions: int) -> Outcome:
    n = len(segments)
    above = [[False] * days for _ in range(n)]
    recall_sum = 0.0
    for s, history in enumerate(segments):
        row = above[s]
        for i, (start, stability) in enumerate(history):
            end = history[i + 1][0] if i + 1 < len(history) else math.inf
            first = max(0, math.ceil(start - 0.5))
            last = days if end == math.inf else min(days, math.ceil(end - 0.5))  # samples d + 0.5 in [start, end)
            reach = stability * THRESHOLD_FACTOR / memory.FACTOR
            for d in range(first, last):
                elapsed = d + 0.5 - start
                recall_sum += (1 + memory.FACTOR * elapsed / stability) ** memory.DECAY
                row[d] = elapsed <= reach
    standard_days_at_target = sum(sum(row) for row in above)
    person_days_at_target = sum(all(above[s][d] for s in range(n)) for d in range(days))
    return Outcome(refreshers, questions, standard_days_at_target, n * days, person_days_at_target, recall_sum)


@dataclass
class Summary:
    policy: Policy
    mean: float
    p50: float
    p90: float
    questions: float
    standard_share: float
    weakest_share: float
    mean_recall: float


def percentile(values: list[int], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def run(policy: Policy, learners: list[Learner], days: int) -> Summary:
    outcomes = [simulate(learner, policy, days) for learner in learners]
    sent = [o.refreshers for o in outcomes]
    standard_days = sum(o.standard_days for o in outcomes)
    return Summary(
        policy=policy,
        mean=statistics.fmean(sent),
        p50=percentile(sent, 0.5),
        p90=percentile(sent, 0.9),
        questions=statistics.fmean(o.questions for o in outcomes),
        standard_share=sum(o.standard_days_at_target for o in outcomes) / standard_days,
        weakest_share=sum(o.person_days_at_target for o in outcomes) / (len(outcomes) * days),
        mean_recall=sum(o.recall_sum for o in outcomes) / standard_days,
    )


def verdict(summary: Summary, ladder: Summary) -> str:
    change = summary.mean / ladder.mean - 1
    points = 100 * (summary.standard_share - ladder.standard_share)
    met = "MET" if points >= 0 and change <= -0.3 else "not met"
    return f"refreshers {change:+.0%}, share {points:+.1f} pp: {met}"


def table(rows: list[Summary], ladder: Summary) -> None:
    print(
        f"| {'policy':<58} | sent mean | p50 | p90 | questions | standard-days ≥ 0.9 | weakest ≥ 0.9 "
        f"| mean recall | vs ladder 2/7/30/90 (goal: refreshers ≤ −30%, share ≥ +0) |"
    )
    print(f"|{'-' * 60}|---|---|---|---|---|---|---|---|")
    for row in rows:
        versus = "—" if row is ladder else verdict(row, ladder)
        print(
            f"| {row.policy.describe():<58} | {row.mean:.2f} | {row.p50:g} | {row.p90:g} | {row.questions:.1f} "
            f"| {row.standard_share:.1%} | {row.weakest_share:.1%} | {row.mean_recall:.3f} | {versus} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="only the ladder and the default adaptive policy")
    parser.add_argument("--learner-sigma", type=float, default=LEARNER_SIGMA, help="spread of ln(m) between people")
    parser.add_argument("--standard-sigma", type=float, default=STANDARD_SIGMA, help="… between one's standards")
    parser.add_argument("--median-multiplier", type=float, default=1.0, help="median m (1: FSRS's default learner)")
    args = parser.parse_args()

    started = time.perf_counter()
    learners = make_learners(
        args.learners, args.seed, args.learner_sigma, args.standard_sigma, args.median_multiplier
    )
    multipliers = sorted(m for learner in learners for m in learner.multipliers)
    print(
        f"{args.learners} learners, {sum(len(x.multipliers) for x in learners)} learner-standards, "
        f"{args.days} days, seed {args.seed}; forgetting multiplier m p10/p50/p90 = "
        f"{percentile(multipliers, 0.1):.2f}/{percentile(multipliers, 0.5):.2f}/{percentile(multipliers, 0.9):.2f}"
    )
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")

    ladder = Policy("ladder", ladder=LADDER)
    default = Policy("adaptive")  # the product's defaults: target 0.9, gaps 3–60 days, no cap
    policies = [ladder, default]
    if not args.quick:
        policies += [
            Policy("plan", ladder=(2, 30, 90)),  # the default plan's refresher steps, kept fixed
            Policy("3-step ladder", ladder=(2, 14, 60)),
            replace(default, max_gap=120),
            replace(default, seed_with_lesson=True),
            replace(default, target=0.8),
            replace(default, min_gap=7),
            replace(default, min_gap=14),
            replace(default, min_gap=21),
            replace(default, min_gap=30),
            replace(default, budget=3),  # capped at the default plan's number of refresher steps
            replace(default, min_gap=30, budget=3),
            replace(default, min_gap=30, budget=4),
        ]
    rows = [run(policy, learners, args.days) for policy in policies]
    print()
    table(rows, rows[0])
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

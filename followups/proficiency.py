"""Proficiency per person and standard: the recall the memory model predicts today, what managers saw, the trend.

Selectors (read only) and the sections they feed on enrollments' pages (registered in
`FollowupsConfig.ready()` through `enrollments.extensions`): a person's page shows each standard of
theirs and their follow-ups; the team dashboard shows, per standard, how the people in the viewer's
scope are doing, marks a standard where the team's mean recall is below the organization's target,
and lists the weakest people. Managers see their teams, admins everyone. A constant number of
queries whatever the number of people.

Trend: the latest rating of a standard against the one before it (knowledge checks, refreshers and
observations are all rated 1–4), so "slipping" means the last review went worse than the previous.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from enrollments.extensions import Section, register_section
from followups import coach_selectors, memory
from followups.models import FollowUpStatus, MemoryState, Review, ReviewSource
from followups.services import followup_settings_for
from organizations.models import Membership, Role, ServiceStandard, Team

LAST_RATINGS = 5  # ratings shown per standard on a person's page
OUTLOOK_DAYS = 30  # a person's page also shows recall this far ahead: right after any review recall is 100%
PERSON_REVIEWS_LIMIT = 500  # the most recent reviews a person's page reads
WEAKEST_PEOPLE = 10
PERSON_FOLLOWUPS_LIMIT = 50


def _trend(latest: int | None, previous: int | None) -> str:
    if latest is None or previous is None:
        return "new"
    if latest > previous:
        return "up"
    return "down" if latest < previous else "steady"


TREND_LABELS = {"up": "Improving", "down": "Slipping", "steady": "Steady", "new": "First rating"}


@dataclass(frozen=True)
class StandardProficiency:
    """One person's standing on one standard."""

    standard: ServiceStandard
    recall: float
    outlook: float  # the recall predicted OUTLOOK_DAYS from now without another review
    target: float
    observation: Review | None  # the latest observation of it
    ratings: list[Review]  # the last LAST_RATINGS reviews, oldest first

    @property
    def below_target(self) -> bool:
        return self.recall < self.target

    @property
    def trend(self) -> str:
        latest = self.ratings[-1].rating if self.ratings else None
        previous = self.ratings[-2].rating if len(self.ratings) > 1 else None
        return _trend(latest, previous)

    @property
    def trend_label(self) -> str:
        return TREND_LABELS[self.trend]


@dataclass(frozen=True)
class PersonProficiency:
    person: Membership
    target: float
    standards: list[StandardProficiency]

    @property
    def weak(self) -> list[StandardProficiency]:
        return [row for row in self.standards if row.below_target]


def person_proficiency(*, viewer: Membership, person: Membership, now: datetime) -> PersonProficiency | None:
    """The person's proficiency per standard they have been reviewed on, in three queries.

    The caller has checked that the viewer may see the person (enrollments' person page); this only
    refuses another organization's.
    """
    if person.organization_id != viewer.organization_id:
        return None
    target = followup_settings_for(viewer.organization_id).target_recall
    states = list(
        MemoryState.objects.of_organization(viewer.organization_id)
        .filter(membership=person, standard__is_active=True)
        .select_related("standard")
        .order_by("standard__order", "standard__code", "standard_id")
    )
    reviews = list(
        Review.objects.of_organization(viewer.organization_id)
        .filter(membership=person, standard__is_active=True)
        .order_by("-reviewed_at", "-pk")[:PERSON_REVIEWS_LIMIT]
    )
    by_standard: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_standard[review.standard_id].append(review)
    rows = []
    for state in states:
        newest_first = by_standard.get(state.standard_id, [])
        observation = next((r for r in newest_first if r.source == ReviewSource.OBSERVATION), None)
        remembered = _memory(state.stability, state.difficulty, state.last_review)
        rows.append(
            StandardProficiency(
                standard=state.standard,
                recall=memory.recall(remembered, now),
                outlook=memory.recall(remembered, now + timedelta(days=OUTLOOK_DAYS)),
                target=target,
                observation=observation,
                ratings=list(reversed(newest_first[:LAST_RATINGS])),
            )
        )
    return PersonProficiency(person=person, target=target, standards=rows)


def _memory(stability: float, difficulty: float, last_review: datetime) -> memory.Memory:
    return memory.Memory(stability=stability, difficulty=difficulty, last_review=last_review)


# --- The team --------------------------------------------------------------------------------------


@dataclass
class StandardSummary:
    """How the people in scope do on one standard."""

    standard: ServiceStandard
    target: float
    recalls: list[float] = field(default_factory=list)
    observed: list[int] = field(default_factory=list)  # each person's latest observation rating
    improving: int = 0
    slipping: int = 0

    @property
    def people(self) -> int:
        return len(self.recalls)

    @property
    def mean_recall(self) -> float:
        return sum(self.recalls) / len(self.recalls)

    @property
    def below_target(self) -> int:
        return sum(recall < self.target for recall in self.recalls)

    @property
    def weak(self) -> bool:
        """The team is weak here: its mean recall is below the organization's target."""
        return self.mean_recall < self.target

    @property
    def mean_observed(self) -> float | None:
        return sum(self.observed) / len(self.observed) if self.observed else None


@dataclass(frozen=True)
class WeakPerson:
    """A person below target, with the standard they recall least."""

    membership_id: int
    name: str
    team: str
    standard: ServiceStandard
    recall: float
    observed: int | None
    trend: str

    @property
    def trend_label(self) -> str:
        return TREND_LABELS[self.trend]


@dataclass(frozen=True)
class TeamProficiency:
    target: float
    standards: list[StandardSummary]
    weakest: list[WeakPerson]
    people_below: int  # how many people are below target on at least one standard

    @property
    def weak(self) -> list[StandardSummary]:
        return [summary for summary in self.standards if summary.weak]


def _rating_of(reviews, *, offset: int = 0, source: str | None = None) -> Subquery:
    rows = reviews.filter(source=source) if source else reviews
    return Subquery(rows.order_by("-reviewed_at", "-pk").values("rating")[offset : offset + 1])


def team_proficiency(*, membership: Membership, teams: list[Team], now: datetime) -> TeamProficiency:
    """Per standard, the people in the actor's scope (their teams; everyone for an admin), in two queries.

    One row per person and standard, with the latest observation and the last two ratings as
    correlated subqueries answered from the `review_trend` index; recall is computed here.
    """
    organization_id = membership.organization_id
    target = followup_settings_for(organization_id).target_recall
    states = MemoryState.objects.of_organization(organization_id).filter(
        membership__is_active=True, membership__user__is_active=True, standard__is_active=True
    )
    if membership.role != Role.ADMIN:
        states = states.filter(membership__team__in=[team.pk for team in teams])
    reviews = Review.objects.filter(membership_id=OuterRef("membership_id"), standard_id=OuterRef("standard_id"))
    rows = (
        states.select_related("standard", "membership__user", "membership__team")
        .only(
            "membership", "standard", "stability", "difficulty", "last_review", "standard__code", "standard__title",
            "standard__order", "membership__user__name", "membership__user__email", "membership__team__name",
            "membership__team", "membership__user",
        )
        .annotate(
            observed=_rating_of(reviews, source=ReviewSource.OBSERVATION),
            latest=_rating_of(reviews),
            previous=_rating_of(reviews, offset=1),
        )
        .order_by()
    )
    summaries: dict[int, StandardSummary] = {}
    weakest_of: dict[int, WeakPerson] = {}
    for row in rows:
        standard, person = row.standard, row.membership
        recall = memory.recall(_memory(row.stability, row.difficulty, row.last_review), now)
        summary = summaries.setdefault(standard.pk, StandardSummary(standard=standard, target=target))
        summary.recalls.append(recall)
        if row.observed is not None:
            summary.observed.append(row.observed)
        trend = _trend(row.latest, row.previous)
        summary.improving += trend == "up"
        summary.slipping += trend == "down"
        if recall < target and (person.pk not in weakest_of or recall < weakest_of[person.pk].recall):
            weakest_of[person.pk] = WeakPerson(
                membership_id=person.pk, name=person.user.display_name, team=person.team.name if person.team else "",
                standard=standard, recall=recall, observed=row.observed, trend=trend,
            )
    ordered = sorted(summaries.values(), key=lambda s: (s.standard.order, s.standard.code, s.standard.pk))
    weakest = sorted(weakest_of.values(), key=lambda person: (person.recall, person.name, person.membership_id))
    return TeamProficiency(
        target=target, standards=ordered, weakest=weakest[:WEAKEST_PEOPLE], people_below=len(weakest_of)
    )


# --- Sections on enrollments' pages -------------------------------------------------------------------


def person_proficiency_section(*, viewer: Membership, person: Membership, now: datetime) -> Section | None:
    found = person_proficiency(viewer=viewer, person=person, now=now)
    if found is None:
        return None
    return Section("followups/_person_proficiency.html", {"proficiency": found, "now": now})


def person_followups_section(*, viewer: Membership, person: Membership, now: datetime) -> Section | None:
    """The person's follow-ups, for the manager looking at them (practice replies, observations to do)."""
    if person.pk == viewer.pk:
        return None
    rows = list(
        coach_selectors.coached_followups(membership=viewer)
        .filter(membership=person)
        .exclude(status=FollowUpStatus.CANCELLED)
        .select_related("enrollment__program", "standard")
        .defer("snapshot", "responses")
        .order_by("-due_at", "-pk")[:PERSON_FOLLOWUPS_LIMIT]
    )
    if not rows:
        return None
    return Section("followups/_person_followups.html", {"followups": rows, "person": person, "now": now})


def dashboard_work_section(*, membership: Membership, teams: list[Team], now: datetime) -> Section | None:
    """What follow-up work waits for the manager: a link to their list when there is some."""
    counts = coach_selectors.team_work_count(membership=membership, now=now)
    return Section("followups/_dashboard_work.html", {"counts": counts})


def dashboard_proficiency_section(*, membership: Membership, teams: list[Team], now: datetime) -> Section | None:
    return Section("followups/_team_proficiency.html", {"proficiency": team_proficiency(
        membership=membership, teams=teams, now=now
    )})


def register_proficiency_sections() -> None:
    register_section("person", "followups-1-proficiency", person_proficiency_section)
    register_section("person", "followups-2-followups", person_followups_section)
    register_section("dashboard", "followups-1-work", dashboard_work_section)
    register_section("dashboard", "followups-2-proficiency", dashboard_proficiency_section)

"""config/prepared.py: a queryset compiled once per process gives what the plain queryset gives."""

from __future__ import annotations

import pytest
from django.db.models import Count, Exists, OuterRef

from config.prepared import prepared
from courses.models import Lesson
from enrollments.models import LessonCompletion
from organizations.models import Membership, Role
from tests import factories


def _fields(obj, names):
    return tuple(getattr(obj, name) for name in names)


@pytest.fixture
def built():
    """How many times each prepared function was built (compiled) in this test."""
    return []


def test_model_rows_with_related_objects_deferred_fields_and_annotations(acme, globex, carol, alice, built):
    # given: carol also works for Globex, in a team
    team = factories.TeamFactory(organization=globex, name="Night shift")
    factories.member(globex, Role.MANAGER, user=carol.user, team=team)

    @prepared
    def memberships(*, user_id: int):
        built.append(user_id)
        return (
            Membership.objects.filter(user_id=user_id, is_active=True)
            .select_related("user", "organization", "team")
            .defer("organization__vision")
            .annotate(colleagues=Count("organization__memberships"))
            .order_by("joined_at", "id")
        )

    # when
    first = memberships(user_id=carol.user_id)
    second = memberships(user_id=alice.user_id)
    plain = list(memberships.queryset(user_id=carol.user_id))

    # then: the same rows, objects, related objects and annotations as the plain queryset
    assert [m.pk for m in first] == [m.pk for m in plain] and len(first) == 2
    for mine, theirs in zip(first, plain, strict=True):
        assert _fields(mine, ("role", "organization_id", "team_id", "colleagues")) == _fields(
            theirs, ("role", "organization_id", "team_id", "colleagues")
        )
        assert mine.user.email == theirs.user.email and mine.organization.name == theirs.organization.name
        assert (mine.team and mine.team.name) == (theirs.team and theirs.team.name)
        assert "vision" in mine.organization.get_deferred_fields()
    assert [m.pk for m in second] == [alice.pk]
    assert len(built) == 2  # once compiled (sentinels), once for the plain queryset above; never per call


def test_values_rows_with_subqueries_and_converters(acme, carol, django_assert_num_queries):
    course = factories.published_course(acme, lessons=3, questions=1)
    lessons = list(Lesson.objects.filter(course=course))
    progress = factories.CourseProgressFactory(membership=carol, course=course)
    LessonCompletion.objects.create(progress=progress, lesson=lessons[1])

    @prepared
    def outline(*, membership_id: int, course_id: int):
        done = LessonCompletion.objects.filter(lesson=OuterRef("pk"), progress__membership_id=membership_id)
        return Lesson.objects.filter(course_id=course_id).annotate(done=Exists(done)).values_list("pk", "title", "done")

    with django_assert_num_queries(1):
        rows = outline(membership_id=carol.pk, course_id=course.pk)

    assert rows == list(outline.queryset(membership_id=carol.pk, course_id=course.pk))
    assert [done for _, _, done in rows] == [False, True, False]
    assert outline(membership_id=carol.pk + 1000, course_id=course.pk) == [
        (lesson.pk, lesson.title, False) for lesson in lessons
    ]


def test_refuses_what_it_cannot_prepare(carol):
    @prepared
    def ignores_its_argument(*, user_id: int):
        return Membership.objects.filter(is_active=True)

    @prepared
    def prefetches(*, user_id: int):
        return Membership.objects.filter(user_id=user_id).prefetch_related("managed_teams")

    @prepared
    def by_user(*, user_id: int):
        return Membership.objects.filter(user_id=user_id)

    with pytest.raises(ValueError, match="user_id"):
        ignores_its_argument(user_id=carol.user_id)
    with pytest.raises(ValueError, match="prefetch_related"):
        prefetches(user_id=carol.user_id)
    with pytest.raises(TypeError):
        by_user(user_id=str(carol.user_id))
    with pytest.raises(TypeError):
        by_user(user_id=None)

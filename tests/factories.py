"""factory_boy factories for every model the tests build. One place, shared by all test modules."""

from __future__ import annotations

import factory
from django.utils import timezone

from courses.models import Choice, Course, CourseStatus, Lesson, Program, ProgramCourse, Question, QuestionKind
from organizations.models import Invitation, Membership, Organization, Role, ServiceStandard, Team, User

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    time_zone = "Europe/Paris"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    vision = "Every guest leaves happier than they arrived."
    customer_promise = "We greet you, we listen, and we own your problem until it is solved."
    time_zone = "Europe/Paris"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.EMPLOYEE


class ServiceStandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceStandard

    organization = factory.SubFactory(OrganizationFactory)
    # Not "S<n>": tests write codes such as "S1" by hand, and a generated code that happened to be
    # the same (depending on how many standards earlier tests made) broke them in some run orders.
    code = factory.Sequence(lambda n: f"F{n + 1}")
    title = factory.Sequence(lambda n: f"Standard {n}")
    description = "An observable behavior."
    behaviors = factory.LazyFunction(lambda: ["Makes eye contact", "Smiles"])
    order = factory.Sequence(lambda n: n)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    name = factory.Faker("name")
    role = Role.EMPLOYEE


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "What good service looks like here."
    status = CourseStatus.DRAFT


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body_markdown = "Greet every customer **within ten seconds**."
    body_html = "<p>Greet every customer <strong>within ten seconds</strong>.</p>"


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    course = factory.SubFactory(CourseFactory)
    order = factory.Sequence(lambda n: n)
    kind = QuestionKind.SINGLE
    prompt = factory.Sequence(lambda n: f"Question {n}?")


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Answer {n}")
    credit_percent = 0


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Program {n}")


class ProgramCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramCourse

    program = factory.SubFactory(ProgramFactory)
    course = factory.SubFactory(CourseFactory)
    order = factory.Sequence(lambda n: n)


def member(organization: Organization, role: str = Role.EMPLOYEE, **fields) -> Membership:
    """A new person with a membership of `role` in `organization`."""
    return MembershipFactory(organization=organization, role=role, **fields)


def now():
    return timezone.now()


# --- Enrollments: progress, completions, certificates (appended by the course-player work) -------


class CourseProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enrollments.CourseProgress"

    membership = factory.SubFactory(MembershipFactory)
    course = factory.SubFactory(CourseFactory, organization=factory.SelfAttribute("..membership.organization"))


class LessonCompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enrollments.LessonCompletion"

    progress = factory.SubFactory(CourseProgressFactory)
    lesson = factory.SubFactory(LessonFactory, course=factory.SelfAttribute("..progress.course"))


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enrollments.Certificate"

    progress = factory.SubFactory(CourseProgressFactory)
    recipient_name = factory.LazyAttribute(lambda o: o.progress.membership.user.display_name)
    course_title = factory.LazyAttribute(lambda o: o.progress.course.title)
    organization_name = factory.LazyAttribute(lambda o: o.progress.membership.organization.name)
    time_zone = factory.LazyAttribute(lambda o: o.progress.membership.organization.time_zone)


def published_course(
    organization: Organization,
    *,
    lessons: int = 3,
    questions: int = 2,
    standards: list[ServiceStandard] | None = None,
    **fields,
) -> Course:
    """A published course with `lessons` lessons and `questions` single-choice questions, each with
    one right choice (credit 100, listed first) and one wrong one, all tagged with `standards`
    (one new standard of the organization by default).
    """
    standards = standards if standards is not None else [ServiceStandardFactory(organization=organization)]
    course = CourseFactory(organization=organization, status=CourseStatus.PUBLISHED, **fields)
    for index in range(lessons):
        lesson = LessonFactory(course=course, order=index)
        lesson.standards.set(standards)
    for index in range(questions):
        question = QuestionFactory(course=course, order=index, explanation=f"Why question {index} matters.")
        question.standards.set(standards)
        ChoiceFactory(question=question, order=0, credit_percent=100, feedback="Yes: that meets the standard.")
        ChoiceFactory(question=question, order=1, credit_percent=0, feedback="No: the guest waits.")
    return course

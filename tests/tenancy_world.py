"""Shared ground of the tenancy tests (tests/test_tenancy.py, tests/test_canary.py).

Everything here is discovered rather than listed, so that a new app, model, view or URL argument is
covered the day it is added, or makes a test fail until it is:

- the project's apps are the installed apps whose code lives in this repository;
- the organization-owned models are those with a foreign-key path to `Organization`;
- the URL patterns are walked from the resolver and kept when their view belongs to a project app.

Two organizations get the same world of objects (every kind a URL can name), each with its own
persona per role. Their primary keys live in disjoint ranges, one per model and organization, so an
integer seen in a page or a form says which model and which organization it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings
from django.db import connection, models
from django.db.models import F
from django.urls import URLPattern, URLResolver, get_resolver

from organizations.models import Organization, Role, ServiceStandardRevision
from tests import factories

# --- Discovery ------------------------------------------------------------------------------------


def project_app_configs() -> list[AppConfig]:
    """The installed apps whose code lives in this repository (not Django's, not allauth's)."""
    root = Path(settings.BASE_DIR).resolve()
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(root) and ".venv" not in path.parts and "site-packages" not in path.parts:
            found.append(config)
    return found


def project_models() -> list[type[models.Model]]:
    """Concrete models of the project's apps, without the automatic many-to-many tables."""
    return [
        model
        for config in project_app_configs()
        for model in config.get_models()
        if not model._meta.auto_created and not model._meta.abstract and not model._meta.proxy
    ]


def organization_path(model: type[models.Model], _seen: frozenset = frozenset()) -> str | None:
    """The lookup from a row of `model` to its organization ("course__organization"), or None.

    Direct foreign keys to Organization win; otherwise the first required (non-null) foreign key to a
    model that is itself owned. Nullable links (an invitation's team) do not make a row owned.
    """
    if model is Organization or model in _seen:
        return None
    forward = [f for f in model._meta.get_fields() if f.many_to_one or f.one_to_one]
    forward = [f for f in forward if f.concrete and not f.auto_created]
    for fk in forward:
        if fk.related_model is Organization:
            return fk.name
    for fk in forward:
        if fk.null or fk.related_model is None:
            continue
        parent = organization_path(fk.related_model, _seen | {model})
        if parent:
            return f"{fk.name}__{parent}"
    return None


def organization_owned_models() -> dict[type[models.Model], str]:
    """Every project model owned by an organization → its path to the organization."""
    owned = {}
    for model in project_models():
        path = organization_path(model)
        if path:
            owned[model] = path
    return owned


@dataclass(frozen=True)
class AppPattern:
    """A URL pattern whose view belongs to a project app, with every keyword argument of its route."""

    name: str | None
    route: str
    kwargs: frozenset[str]
    module: str


def _pattern_kwargs(pattern) -> set[str]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return set(converters)
    return set(pattern.regex.groupindex)


def _walk(patterns, namespace: str | None, prefix: str, inherited: frozenset[str]) -> Iterator[AppPattern]:
    app_modules = tuple(f"{config.name}." for config in project_app_configs())
    for entry in patterns:
        own = frozenset(_pattern_kwargs(entry.pattern))
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, ns, route, inherited | own)
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            module = getattr(callback, "__module__", "") or ""
            if not module.startswith(app_modules):
                continue
            name = (f"{namespace}:{entry.name}" if namespace else entry.name) if entry.name else None
            yield AppPattern(name=name, route=route, kwargs=inherited | own, module=module)


def app_patterns() -> list[AppPattern]:
    """Every URL pattern served by a view of a project app, found from the URL resolver."""
    return list(_walk(get_resolver().url_patterns, None, "", frozenset()))


# --- Two organizations with disjoint primary keys -------------------------------------------------

ORGANIZATION_OFFSETS = {"acme": 1_000_000, "globex": 5_000_000}
MODEL_STRIDE = 10_000


def _sequenced_models() -> list[type[models.Model]]:
    return sorted(project_models(), key=lambda m: m._meta.label)


def _start_id_ranges(org_key: str) -> None:
    """Point every project table's id sequence at this organization's range for that model."""
    with connection.cursor() as cursor:
        for index, model in enumerate(_sequenced_models()):
            start = ORGANIZATION_OFFSETS[org_key] + index * MODEL_STRIDE
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)",
                [model._meta.db_table, model._meta.pk.column, start],
            )


def model_of_id(value: int) -> tuple[str, type[models.Model]] | None:
    """Which organization's range and which model an integer falls in, if any."""
    for org_key, offset in ORGANIZATION_OFFSETS.items():
        index, rest = divmod(value - offset, MODEL_STRIDE)
        models_ = _sequenced_models()
        if 0 <= index < len(models_) and 0 <= rest < MODEL_STRIDE and value >= offset:
            return org_key, models_[index]
    return None


# The personas of each organization. "author" is a manager an admin allowed to author courses.
PERSONAS = {
    "admin": {"role": Role.ADMIN},
    "manager": {"role": Role.MANAGER},
    "employee": {"role": Role.EMPLOYEE},
    "author": {"role": Role.MANAGER, "can_author": True},
}


@dataclass
class World:
    """One organization with a persona per role and an object of every kind a URL or a form can name."""

    key: str
    organization: Organization
    people: dict[str, object]
    url_kwargs: dict[str, object]
    # Other values for some URL arguments (a draft course with its lesson and untagged question), so
    # that pages showing other states of an object are swept too.
    url_variants: list[dict[str, object]] = field(default_factory=list)
    objects: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)

    def first(self, model: type[models.Model]) -> models.Model | None:
        rows = self.objects.get(model) or []
        return rows[0] if rows else None

    def all_url_kwargs(self) -> list[dict[str, object]]:
        """The URL arguments, then each variant laid over them."""
        return [self.url_kwargs] + [{**self.url_kwargs, **variant} for variant in self.url_variants]

    def client(self, persona: str):
        from tests.conftest import client_for

        return client_for(self.people[persona])


def build_world(key: str) -> World:
    """An organization with people, standards, a team, an invitation, courses, a program and a learner's
    progress, attempt and certificate. Ids come from the organization's own ranges."""
    from enrollments.services import attempt_start, attempt_submit, lesson_complete
    from organizations.models import ImportJob, ImportJobKind

    _start_id_ranges(key)
    organization = factories.OrganizationFactory(name=f"{key.title()} Inc", slug=key)
    people = {
        persona: factories.member(organization, user__email=f"{persona}@{key}.test", **fields)
        for persona, fields in PERSONAS.items()
    }
    employee, manager = people["employee"], people["manager"]
    standard = factories.ServiceStandardFactory(organization=organization)
    retired = factories.ServiceStandardFactory(organization=organization, is_active=False)
    # A standard edited once: version 2, with the revision that records the edit.
    ServiceStandardRevision.objects.create(
        standard=standard, version=2, edited_by=people["admin"].user, changes={"title": ["Before", standard.title]}
    )
    type(standard).objects.filter(pk=standard.pk).update(version=2)
    team = factories.TeamFactory(organization=organization)
    team.managers.add(manager, people["author"])
    employee.team = team
    employee.save(update_fields=["team"])
    invitation = factories.InvitationFactory(organization=organization, team=team, invited_by=people["admin"].user)
    course = factories.published_course(organization, lessons=2, questions=1, standards=[standard])
    cover = _cover_image(key)
    type(course).objects.filter(pk=course.pk).update(cover_image=f"course-covers/{cover}")
    draft = factories.CourseFactory(organization=organization, created_by=people["author"].user)
    draft_lesson = factories.LessonFactory(course=draft)
    draft_lesson.standards.add(retired)
    draft_question = factories.QuestionFactory(course=draft)
    factories.ChoiceFactory(question=draft_question, credit_percent=100)
    program = factories.ProgramFactory(organization=organization, description="Where every newcomer starts.")
    factories.ProgramCourseFactory(program=program, course=course)
    lessons = list(course.lessons.order_by("order", "pk"))
    question = course.questions.get()
    right = question.choices.get(credit_percent=100)
    attempt = attempt_start(membership=employee, course=course)
    attempt_submit(attempt_id=attempt.pk, membership=employee, responses={str(question.pk): [str(right.pk)]})
    for lesson in lessons:
        lesson_complete(membership=employee, lesson=lesson)
    certificate = employee.course_progress.get(course=course).certificate
    # Everyone has a knowledge check open (the employee a retry), so its form shows however a check starts.
    for membership in people.values():
        attempt_start(membership=membership, course=course)
    # A background question import of the draft, started by the author.
    job = ImportJob.objects.create(
        organization=organization, created_by=people["author"], kind=ImportJobKind.QUESTIONS, total=1,
        payload={"course_id": draft.pk, "format": "gift", "text": "Q {=a ~b}"},
    )  # fmt: skip

    # A team assignment of the program, made by the team's manager.
    from enrollments.services import assignment_create

    assignment = assignment_create(
        actor=manager, program=program, audience="team", team=team, due_days=30
    ).assignment

    notices = _notices(organization, people)
    followups = _followups(people, program, standard)

    world = World(
        key=key,
        organization=organization,
        people=people,
        url_kwargs={
            "standard_id": standard.pk,
            "team_id": team.pk,
            "membership_id": employee.pk,
            "invitation_id": invitation.pk,
            "course_id": course.pk,
            "lesson_id": lessons[0].pk,
            "question_id": question.pk,
            "program_id": program.pk,
            "attempt_id": attempt.pk,
            "job_id": job.pk,
            "assignment_id": assignment.pk,
            "message_id": notices["employee"].pk,
            "followup_id": followups["practice"].pk,
            "token": invitation.token,
            "code": certificate.code,
            "path": cover,  # a course cover's file under /media/course-covers/
        },
    )
    world.url_variants = [
        {"course_id": draft.pk, "lesson_id": draft_lesson.pk, "question_id": draft_question.pk},
        # Every other follow-up, so each kind's page (and the observation checklist's form) is swept too.
        *({"followup_id": followup.pk} for kind, followup in followups.items() if kind != "practice"),
    ]
    for model, path in organization_owned_models().items():
        world.objects[model] = list(model._default_manager.filter(**{f"{path}_id": organization.pk}).order_by("pk"))
    for model in tenant_models():
        world.objects[model] = list(model._default_manager.filter(tenant_id=organization.pk).order_by("pk"))
    world.objects[Organization] = [organization]
    return world


def _followups(people: dict[str, object], program, standard) -> dict[str, object]:
    """The employee's follow-ups of the program (one of each kind, the practice reflected on and answered,
    the observation done) and their memory of the standard, as the engine would have written them."""
    from datetime import timedelta

    from django.utils import timezone

    from enrollments.models import Enrollment
    from followups.models import FollowUp, FollowUpStatus, MemoryState, Review, ReviewSource, StepKind

    employee, manager = people["employee"], people["manager"]
    enrollment = Enrollment.objects.get(membership=employee, program=program)
    now = timezone.now()
    made = {}
    for kind in (StepKind.REFRESHER, StepKind.PRACTICE, StepKind.OBSERVATION, StepKind.MESSAGE):
        made[kind] = FollowUp.objects.create(
            enrollment=enrollment, membership=employee, key=f"world:{kind}", kind=kind, due_at=now - timedelta(hours=1),
            standard=standard if kind == StepKind.PRACTICE else None,
            prompt="Greet the next guest by name." if kind in (StepKind.PRACTICE, StepKind.MESSAGE) else "",
        )
    FollowUp.objects.filter(pk=made[StepKind.PRACTICE].pk).update(
        reflection="It went well.", reply="Keep it up.", replied_by=manager, replied_at=now
    )
    FollowUp.objects.filter(pk=made[StepKind.OBSERVATION].pk).update(
        status=FollowUpStatus.DONE, done_at=now, observer=manager, notes="Warm and quick."
    )
    MemoryState.objects.create(membership=employee, standard=standard, stability=5.0, difficulty=5.0, last_review=now)
    Review.objects.create(
        membership=employee, standard=standard, followup=made[StepKind.OBSERVATION], source=ReviewSource.OBSERVATION,
        rating=3, reviewed_at=now, notes="Smiled first.",
    )
    # An observation still to do: its manager's checklist is a form.
    made["observation-due"] = FollowUp.objects.create(
        enrollment=enrollment, membership=employee, key="world:observation-due", kind=StepKind.OBSERVATION,
        due_at=now - timedelta(hours=1),
    )
    return made


def _notices(organization: Organization, people: dict[str, object]) -> dict[str, object]:
    """Messages of the delivery ledger for the organization's people (categories of `notice_categories`).

    Everyone has an in-app notice; the employee's news was not emailed (they turned it off) and a
    reminder of theirs failed, so the delivery log shows a skip reason and an error too.
    """
    from django.urls import reverse

    from notifications.models import OPTED_OUT_REASON, Message, MessageStatus
    from notifications.services import Draft, email_opt_out_set, messages_enqueue

    home = reverse("enrollments:home")
    drafts = [
        Draft(
            dedup_key=f"{organization.slug}-{persona}-news", category="sample-news", to_email=membership.user.email,
            recipient_id=membership.user_id, tenant_id=organization.pk, subject=f"News for the {persona}",
            body_text="A new course is out.", url=home,
        )
        for persona, membership in people.items()
    ]
    employee = people["employee"]
    drafts.append(
        Draft(
            dedup_key=f"{organization.slug}-employee-reminder", category="sample-reminder",
            to_email=employee.user.email, recipient_id=employee.user_id, tenant_id=organization.pk,
            subject="Your training is due", body_text="Due soon.", url=home,
        )
    )
    messages_enqueue(drafts=drafts)
    email_opt_out_set(user_id=employee.user_id, category="sample-news", enabled=False)
    mine = Message.objects.filter(tenant_id=organization.pk)
    mine.filter(dedup_key=f"{organization.slug}-employee-news").update(
        status=MessageStatus.SKIPPED, skip_reason=OPTED_OUT_REASON
    )
    mine.filter(dedup_key=f"{organization.slug}-employee-reminder").update(
        status=MessageStatus.FAILED, attempts=1, error="550 No such mailbox"
    )
    mine.filter(dedup_key=f"{organization.slug}-admin-news").update(status=MessageStatus.SENT, sent_at=F("created_at"))
    return {persona: mine.get(dedup_key=f"{organization.slug}-{persona}-news") for persona in people}


def tenant_models() -> list[type[models.Model]]:
    """Project models that belong to an organization through an opaque `tenant_id` (the notifications
    ledger, which cannot import organizations): no foreign key, so `organization_path` does not see them."""
    return [model for model in project_models() if any(f.name == "tenant_id" for f in model._meta.concrete_fields)]


def _cover_image(key: str) -> str:
    """A real PNG under MEDIA_ROOT/course-covers/, named for the organization: the media URL serves it."""
    import io
    from pathlib import Path

    from django.conf import settings
    from PIL import Image

    name = f"{key}-cover.png"
    folder = Path(settings.MEDIA_ROOT) / "course-covers"
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 90, 90)).save(buffer, "PNG")
    (folder / name).write_bytes(buffer.getvalue())
    return name


def build_worlds() -> tuple[World, World]:
    """Acme (whose people act) and Globex (whose objects they must never reach)."""
    return build_world("acme"), build_world("globex")


# --- What the database holds ------------------------------------------------------------------------


def _all_tables() -> list[str]:
    tables = set()
    for model in project_models():
        tables.add(model._meta.db_table)
        for m2m in model._meta.local_many_to_many:
            tables.add(m2m.remote_field.through._meta.db_table)
    return sorted(tables)


def row_counts() -> dict[str, int]:
    """Rows per project table (and many-to-many table), in one query."""
    tables = _all_tables()
    sql = " UNION ALL ".join(f"SELECT %s, count(*) FROM \"{table}\"" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return dict(cursor.fetchall())


def _digest_sql(label: str, table: str, queryset) -> tuple[str, list]:
    """SQL for one (label, md5 of the rows whose id the queryset selects) row."""
    inner, params = queryset.values("pk").query.sql_with_params()
    sql = (
        f"SELECT %s, md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) "  # noqa: S608
        f'FROM "{table}" t WHERE t.id IN ({inner})'
    )
    return sql, [label, *params]


def organization_fingerprint(organization: Organization) -> dict[str, str]:
    """A digest of every row the organization owns (its ledger messages and its members' users too), by table.

    Nothing another organization's people do may change it. One query.
    """
    owned = organization_owned_models()
    parts = []
    for model, path in owned.items():
        rows = model._default_manager.filter(**{f"{path}_id": organization.pk})
        parts.append(_digest_sql(model._meta.label, model._meta.db_table, rows))
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            links = through.objects.filter(**{f"{m2m.m2m_field_name()}__{path}_id": organization.pk})
            parts.append(_digest_sql(through._meta.db_table, through._meta.db_table, links))
    for model in tenant_models():
        rows = model._default_manager.filter(tenant_id=organization.pk)
        parts.append(_digest_sql(model._meta.label, model._meta.db_table, rows))
    parts.append(
        _digest_sql("Organization", Organization._meta.db_table, Organization.objects.filter(pk=organization.pk))
    )
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    users = user_model.objects.filter(memberships__organization=organization)
    parts.append(_digest_sql(user_model._meta.label, user_model._meta.db_table, users))
    sql = " UNION ALL ".join(f"({part})" for part, _ in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _, params in parts for param in params])
        return dict(cursor.fetchall())


def cross_organization_references() -> list[str]:
    """Rows that point at a row of another organization: a foreign id written where it must not be.

    Checks every foreign key and many-to-many link between two organization-owned models, in one query.
    """
    owned = organization_owned_models()
    found = []
    for model, path in owned.items():
        for fk in model._meta.get_fields():
            if not (fk.many_to_one or fk.one_to_one) or not fk.concrete or fk.auto_created:
                continue
            target_path = owned.get(fk.related_model)
            if fk.related_model is Organization or target_path is None:
                continue
            found.append(
                model._default_manager.filter(**{f"{fk.name}__isnull": False})
                .exclude(**{f"{fk.name}__{target_path}_id": models.F(f"{path}_id")})
                .values_list(models.Value(f"{model._meta.label}.{fk.name}"), "pk")
            )
        for m2m in model._meta.local_many_to_many:
            target_path = owned.get(m2m.related_model)
            if target_path is None:
                continue
            through = m2m.remote_field.through
            source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
            found.append(
                through.objects.exclude(**{f"{target}__{target_path}_id": models.F(f"{source}__{path}_id")})
                .values_list(models.Value(through._meta.db_table), "pk")
            )
    if not found:
        return []
    first, *rest = [queryset.order_by() for queryset in found]
    return [f"{label}#{pk}" for label, pk in first.union(*rest, all=True)]

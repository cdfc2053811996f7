"""Training content, every piece of it tied to the organization's service standards."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from organizations.models import OrganizationScopedQuerySet


class CourseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class CourseQuerySet(OrganizationScopedQuerySet):
    def published(self) -> CourseQuerySet:
        return self.filter(status=CourseStatus.PUBLISHED)


class Course(models.Model):
    """Lessons plus a knowledge check. Learners see only published courses."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="courses")
    title = models.CharField(max_length=160)
    summary = models.TextField(blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=16, choices=CourseStatus.choices, default=CourseStatus.DRAFT)
    cover_image = models.ImageField(upload_to="course-covers/", blank=True)
    pass_mark_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Off: a failed attempt's result shows what was wrong and the feedback, not the right answers,
    # until the person passes (so a retry is not a copy of the answer key). On: always shown.
    always_show_answers = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.title


class LessonQuerySet(OrganizationScopedQuerySet):
    organization_path = "course__organization"


class Lesson(models.Model):
    """One ordered page of a course. `body_html` is the sanitized rendering of `body_markdown`."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=160)
    body_markdown = models.TextField(blank=True)
    # Rendered and sanitized once when saved (courses.content.render_lesson_body), never per view.
    body_html = models.TextField(blank=True, editable=False)
    video_url = models.URLField(blank=True, help_text="YouTube or Vimeo address; shown as a privacy-enhanced player.")
    practice_prompt = models.TextField("try this at work", blank=True)
    standards = models.ManyToManyField("organizations.ServiceStandard", related_name="lessons", blank=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["course", "order"])]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    TRUE_FALSE = "true_false", "True / false"
    SCENARIO = "scenario", "Scenario"


class QuestionSource(models.TextChoices):
    AUTHORED = "authored", "Written here"
    GIFT = "gift", "GIFT import"
    AIKEN = "aiken", "Aiken import"


class QuestionTextFormat(models.TextChoices):
    PLAIN = "plain", "Plain text"
    # Imported [html]/[markdown] GIFT: prompt, explanation, choices and feedback are HTML sanitized
    # with nh3 when saved (courses.content), shown as stored.
    HTML = "html", "HTML"


class QuestionQuerySet(OrganizationScopedQuerySet):
    organization_path = "course__organization"


class Question(models.Model):
    """A knowledge-check question. A scenario question's prompt is a customer situation."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    title = models.CharField(max_length=160, blank=True)
    prompt = models.TextField()
    explanation = models.TextField(blank=True, help_text="Shown after the answer, whatever was chosen.")
    standards = models.ManyToManyField("organizations.ServiceStandard", related_name="questions", blank=True)
    source = models.CharField(max_length=16, choices=QuestionSource.choices, default=QuestionSource.AUTHORED)
    # The question-bank category a GIFT file put it in ($CATEGORY), kept so authors can sort imports.
    category = models.TextField(blank=True)
    text_format = models.CharField(max_length=8, choices=QuestionTextFormat.choices, default=QuestionTextFormat.PLAIN)
    created_at = models.DateTimeField(default=timezone.now)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["course", "order"])]

    def __str__(self) -> str:
        return self.title or self.prompt[:60]

    @property
    def allows_several_answers(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE


class ChoiceQuerySet(OrganizationScopedQuerySet):
    organization_path = "question__course__organization"


class Choice(models.Model):
    """An answer option. `credit_percent` is the share of the question's point it earns (-100..100).

    Single-answer kinds give 100 to the right choice; multiple choice spreads 100 over the right
    ones and takes points for wrong ones; GIFT weights (=%50%) set partial credit directly.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(default=0)
    text = models.TextField()
    credit_percent = models.SmallIntegerField(
        default=0, validators=[MinValueValidator(-100), MaxValueValidator(100)]
    )
    feedback = models.TextField(blank=True, help_text="Why this response does or does not meet the standard.")

    objects = ChoiceQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_correct(self) -> bool:
        return self.credit_percent > 0


class Program(models.Model):
    """An ordered set of courses (a learning path). Assignments and follow-up plans attach to it."""

    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="programs")
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    courses = models.ManyToManyField(Course, through="ProgramCourse", related_name="programs")
    # Recertification: a completion is valid this many days, then the person takes the program again.
    valid_for_days = models.PositiveIntegerField("valid for (days)", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ProgramCourseQuerySet(OrganizationScopedQuerySet):
    organization_path = "program__organization"


class ProgramCourse(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="program_courses")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveIntegerField(default=0)

    objects = ProgramCourseQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "course"], name="program_course_unique"),
        ]

    def __str__(self) -> str:
        return f"Course {self.course_id} in program {self.program_id} (#{self.order})"

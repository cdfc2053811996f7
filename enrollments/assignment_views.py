"""Assignment pages for managers and admins: the list, a new assignment, one assignment and its cancelling.

Thin views: admins and managers only (anyone else gets a 404), reads through the scoped
`enrollments.assignment_selectors`, writes through `enrollments.services` (never here). An assignment
a member may not see, of another organization or another manager's team, is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from enrollments import assignment_selectors as selectors
from enrollments import services
from enrollments.forms import AssignmentForm
from organizations.models import Role
from organizations.tenancy import member_required

NOT_FOUND = "No such page in this organization."
PER_PAGE = 25


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD"])
def assignment_list(request: HttpRequest) -> HttpResponse:
    assignments = selectors.assignment_list_for(membership=request.membership, now=timezone.now())
    page = Paginator(assignments, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "enrollments/assignments/assignment_list.html", {"page": page})


def _preselected(request: HttpRequest, form: AssignmentForm) -> dict[str, object]:
    """`?program=<id>` / `?team=<id>`: preselected only when among the member's own choices."""
    initial: dict[str, object] = {}
    for name in ("program", "team"):
        value = request.GET.get(name, "")
        if value.isdigit() and form.fields[name].queryset.filter(pk=int(value)).exists():
            initial[name] = int(value)
    if "team" in initial:
        initial["audience"] = "team"
    return initial


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD", "POST"])
def assignment_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = AssignmentForm(membership=request.membership)
        form.initial.update({"audience": "team", **_preselected(request, form)})
        return render(request, "enrollments/assignments/assignment_form.html", {"form": form})
    form = AssignmentForm(request.POST, membership=request.membership)
    if form.is_valid():
        try:
            outcome = services.assignment_create(actor=request.membership, **form.service_arguments())
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if outcome.job is not None:
                return redirect("organizations:import_job", job_id=outcome.job.pk)
            if outcome.repeated:
                messages.info(request, "This assignment had just been made; here it is.")
            else:
                count = outcome.enrolled
                messages.success(request, f"{count} {'person' if count == 1 else 'people'} enrolled.")
            return redirect("enrollments:assignment_detail", assignment_id=outcome.assignment.pk)
    return render(request, "enrollments/assignments/assignment_form.html", {"form": form}, status=400)


def _assignment_or_404(request: HttpRequest, assignment_id: int):
    assignment = selectors.assignment_for(membership=request.membership, assignment_id=assignment_id)
    if assignment is None:
        raise Http404(NOT_FOUND)
    return assignment


@member_required(Role.ADMIN, Role.MANAGER)
def assignment_detail(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, assignment_id)  # before the method: another's id is a 404
    if request.method not in ("GET", "HEAD"):
        return redirect("enrollments:assignment_detail", assignment_id=assignment.pk)
    now = timezone.now()
    page = Paginator(
        selectors.assignment_people(membership=request.membership, assignment=assignment), PER_PAGE
    ).get_page(request.GET.get("page"))
    rows = [selectors.person_state(enrollment, now=now) for enrollment in page.object_list]
    return render(
        request,
        "enrollments/assignments/assignment_detail.html",
        {"assignment": assignment, "page": page, "rows": rows},
    )


@member_required(Role.ADMIN, Role.MANAGER)
def assignment_cancel(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """GET: what cancelling does, and a button to confirm (POST). POST: cancel, back to the assignment."""
    assignment = _assignment_or_404(request, assignment_id)
    if request.method != "POST":
        return render(request, "enrollments/assignments/assignment_cancel.html", {"assignment": assignment})
    if assignment.is_cancelled:
        messages.info(request, "This assignment was already cancelled.")
    else:
        cancelled = services.assignment_cancel(actor=request.membership, assignment=assignment)
        messages.success(
            request,
            f"Assignment cancelled: {cancelled} enrollment{'' if cancelled == 1 else 's'} of people who had not "
            "started stopped; people who started keep their progress.",
        )
    return redirect("enrollments:assignment_detail", assignment_id=assignment.pk)

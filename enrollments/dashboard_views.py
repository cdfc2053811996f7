"""The manager's dashboard, a person's page and the CSV export: managers for their teams, admins for all.

Thin views: the filters are checked by a form against what the actor may see, the reads come from
`enrollments.dashboard_selectors`. With htmx (a request carrying `HX-Request`), the dashboard answers
only its results, which the page swaps in place; without JavaScript the same URL renders the page.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from enrollments import dashboard_selectors as selectors
from enrollments import extensions
from enrollments.csv_export import csv_text
from enrollments.forms import DashboardFilterForm
from enrollments.recertification_selectors import completions_expiring_for
from enrollments.services.recertification import RECERTIFY_WITHIN_DAYS
from organizations.models import Role
from organizations.tenancy import member_required

PER_PAGE = 25
CSV_HEADER = ["Name", "Email", "Team", "Status", "Assigned", "In progress", "Completed", "Overdue", "Last activity"]


def _filters(request: HttpRequest) -> tuple[DashboardFilterForm, selectors.Filters, list]:
    teams = selectors.teams_in_scope(membership=request.membership)
    programs = selectors.programs_of(membership=request.membership)
    form = DashboardFilterForm(request.GET or None, teams=teams, programs=programs, statuses=selectors.STATUSES)
    if form.is_bound:
        form.is_valid()
    team, program, status = form.chosen()
    return form, selectors.Filters(team=team, program=program, status=status), teams


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form, filters, teams = _filters(request)
    rows = selectors.people_table(membership=request.membership, teams=teams, filters=filters, now=now)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    rows_shown = list(page.object_list)
    last = selectors.last_activity_of(membership_ids=[row.pk for row in rows_shown]) if rows_shown else {}
    people = [
        {"row": row, "status": selectors.STATUSES.get(selectors.person_status(row) or ""), "last": last.get(row.pk)}
        for row in rows_shown
    ]
    context = {
        "form": form,
        "page": page,
        "people": people,
        "summary": selectors.dashboard_for(membership=request.membership, teams=teams, filters=filters, now=now),
        "expiring": completions_expiring_for(membership=request.membership, now=now),
        "expiring_days": RECERTIFY_WITHIN_DAYS,
        "expiring_limit": 10,
        "query": request.GET.urlencode(),
        "filtered": "&".join(f"{key}={value}" for key, value in request.GET.items() if key != "page" and value),
        "sections": extensions.sections("dashboard", membership=request.membership, teams=teams, now=now),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "enrollments/dashboard/_results.html", context)
    return render(request, "enrollments/dashboard/dashboard.html", context)


@member_required(Role.ADMIN, Role.MANAGER)
def person(request: HttpRequest, membership_id: int) -> HttpResponse:
    teams = selectors.teams_in_scope(membership=request.membership)
    found = selectors.person_for(
        membership=request.membership, person_id=membership_id, teams=teams, now=timezone.now()
    )
    if found is None:
        raise Http404("No such person in your teams.")
    sections = extensions.sections("person", viewer=request.membership, person=found.person, now=timezone.now())
    context = {"person_page": found, "person": found.person, "sections": sections}
    return render(request, "enrollments/dashboard/person.html", context)


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD"])
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """The people table with the page's filters, every page of it, as CSV (see enrollments/csv_export.py)."""
    now = timezone.now()
    _, filters, teams = _filters(request)
    rows = list(selectors.people_table(membership=request.membership, teams=teams, filters=filters, now=now))
    last = selectors.last_activity_of(membership_ids=[row.pk for row in rows]) if rows else {}
    body = csv_text(
        header=CSV_HEADER,
        rows=(
            [
                row.user.name,
                row.user.email,
                row.team.name if row.team else "",
                selectors.STATUSES.get(selectors.person_status(row) or "", ""),
                row.assigned,
                row.in_progress,
                row.completed,
                row.overdue,
                last[row.pk].isoformat(timespec="minutes") if row.pk in last else "",
            ]
            for row in rows
        ),
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="training-{now:%Y-%m-%d}.csv"'
    return response

"""The employee's follow-ups: the list, one follow-up, and refreshers (signed in, or by the email's link)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from enrollments import grading
from enrollments.forms import KnowledgeCheckForm, responses_from_post
from enrollments.selectors import attempt_review
from followups import selectors, services
from followups.models import FollowUp, FollowUpStatus, StepKind
from organizations.tenancy import member_required

NOT_FOUND = "No such follow-up."


@member_required()
@require_http_methods(["GET", "HEAD"])
def followup_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.followups_of(membership=request.membership)
    return render(request, "followups/followup_list.html", {"followups": rows, "now": timezone.now()})


@member_required()
def followup_detail(request: HttpRequest, followup_id: int) -> HttpResponse:
    """One of the person's follow-ups; a refresher and a practice task go to their own pages."""
    followup = selectors.followup_of(membership=request.membership, followup_id=followup_id)
    if followup is None:  # before the method check: another's follow-up is "not found" whatever the method
        raise Http404(NOT_FOUND)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if followup.kind == StepKind.REFRESHER:
        return redirect("followups:refresher", followup_id=followup.pk)
    if followup.kind == StepKind.PRACTICE:
        return redirect("followups:practice", followup_id=followup.pk)
    return render(request, "followups/followup_detail.html", {"followup": followup})


@member_required()
@require_http_methods(["GET", "HEAD", "POST"])
def refresher(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = selectors.followup_of(membership=request.membership, followup_id=followup_id)
    if followup is None:
        raise Http404(NOT_FOUND)
    if followup.kind != StepKind.REFRESHER:
        return redirect("followups:detail", followup_id=followup.pk)
    return _refresher_page(request, followup, post_to=request.path)


@require_http_methods(["GET", "HEAD", "POST"])
def refresher_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """The refresher a link in an email opens, on a phone, without signing in: the token is the permission.

    It opens that refresher only, for 7 days, and is spent once the refresher is answered; anything
    else still needs sign-in (this page links nowhere else but to sign-in).
    """
    found = selectors.refresher_for_token(token, now=timezone.now())
    if found.followup is None:
        raise Http404("This refresher link is not valid.")
    if found.problem == "answered":  # spent: it shows what was answered, never takes answers again
        return _result_page(request, found.followup, by_link=True)
    if found.problem:
        return render(
            request, "followups/refresher_link_problem.html", {"problem": found.problem, "followup": found.followup},
            status=410 if found.problem in ("expired", "cancelled") else 200,
        )
    return _refresher_page(request, found.followup, post_to=request.path, by_link=True)


def _refresher_page(request: HttpRequest, followup: FollowUp, *, post_to: str, by_link: bool = False) -> HttpResponse:
    if followup.status == FollowUpStatus.DONE:
        return _result_page(request, followup, by_link=by_link)
    if followup.status == FollowUpStatus.CANCELLED:
        raise Http404(NOT_FOUND)
    services.refresher_open(followup=followup)
    if not followup.snapshot["questions"]:
        return render(request, "followups/refresher_link_problem.html", {"problem": "empty", "followup": followup})
    form = KnowledgeCheckForm(snapshot=followup.snapshot)
    status = 200
    if request.method == "POST":
        form = KnowledgeCheckForm(request.POST, snapshot=followup.snapshot)
        try:
            result = services.refresher_answer(followup=followup, responses=responses_from_post(request.POST))
        except grading.ResponsesInvalid as invalid:
            form.show_service_errors(invalid.errors)
            status = 400
        except ValidationError:  # answered meanwhile (a double submit): show what was recorded
            followup.refresh_from_db()
            return _result_page(request, followup, by_link=by_link)
        else:
            return _result_page(request, result.followup, by_link=by_link, next_refresher=result.next_refresher)
    context = {"followup": followup, "form": form, "items": form.items(), "post_to": post_to, "by_link": by_link}
    return render(request, "followups/refresher.html", context, status=status)


def _result_page(
    request: HttpRequest, followup: FollowUp, *, by_link: bool, next_refresher: FollowUp | None = None
) -> HttpResponse:
    if next_refresher is None:
        next_refresher = (
            FollowUp.objects.filter(
                enrollment_id=followup.enrollment_id, kind=StepKind.REFRESHER, status=FollowUpStatus.PENDING
            )
            .order_by("due_at")
            .first()
        )
    context = {
        "followup": followup,
        "reviews": attempt_review(attempt=followup),
        "next_refresher": next_refresher,
        "by_link": by_link,
    }
    return render(request, "followups/refresher_result.html", context)

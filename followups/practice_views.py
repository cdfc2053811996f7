"""Practice at work: the person's task and reflection; the manager's follow-up work and replies.

`practice` is the person's own page (the prompt, its standard, a short reflection, the manager's
reply). `team_followups` is a manager's list of what waits for them (reflections to answer,
observations due) and `coach_followup` one follow-up of a person they coach: a reflection with a reply
form, or what a refresher or message was. Anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from followups import coach_selectors, selectors, services
from followups.coach_forms import ReflectionForm, ReplyForm
from followups.models import FollowUpStatus, StepKind
from organizations.models import Role
from organizations.tenancy import member_required

NOT_FOUND = "No such follow-up."


@member_required()
@require_http_methods(["GET", "HEAD", "POST"])
def practice(request: HttpRequest, followup_id: int) -> HttpResponse:
    """The person's practice task. Posting the same reflection twice saves it once (an update, then a redirect)."""
    followup = selectors.followup_of(membership=request.membership, followup_id=followup_id)
    if followup is None:
        raise Http404(NOT_FOUND)
    if followup.kind != StepKind.PRACTICE:
        return redirect("followups:detail", followup_id=followup.pk)
    form = ReflectionForm(initial={"reflection": followup.reflection})
    status = 200
    if request.method == "POST" and followup.status != FollowUpStatus.CANCELLED:
        form = ReflectionForm(request.POST)
        if form.is_valid():
            try:
                services.practice_reflect(
                    followup=followup, actor=request.membership, reflection=form.cleaned_data["reflection"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your reflection is saved. Your manager can read it and reply.")
                return redirect("followups:practice", followup_id=followup.pk)
        status = 400
    return render(request, "followups/practice.html", {"followup": followup, "form": form}, status=status)


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD"])
def team_followups(request: HttpRequest) -> HttpResponse:
    work = coach_selectors.team_work_for(membership=request.membership, now=timezone.now())
    return render(request, "followups/practice_team.html", {"work": work})


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD", "POST"])
def coach_followup(request: HttpRequest, followup_id: int) -> HttpResponse:
    """A follow-up of a person the actor coaches; an observation goes to its checklist."""
    followup = coach_selectors.coached_followup(membership=request.membership, followup_id=followup_id)
    if followup is None:
        raise Http404(NOT_FOUND)
    if followup.kind == StepKind.OBSERVATION:
        return redirect("followups:observation", followup_id=followup.pk)
    form = ReplyForm(initial={"reply": followup.reply}) if followup.reflection else None
    status = 200
    if request.method == "POST":
        if followup.kind != StepKind.PRACTICE:
            raise Http404(NOT_FOUND)
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.practice_reply(followup=followup, actor=request.membership, reply=form.cleaned_data["reply"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                name = followup.membership.user.display_name
                messages.success(request, f"Your reply is saved. {name} sees it with their practice task.")
                return redirect("followups:team")
        status = 400
    return render(request, "followups/practice_reply.html", {"followup": followup, "form": form}, status=status)

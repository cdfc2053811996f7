"""Organization pages: home, settings, standards, teams, members, invitations, switcher.

Views stay thin: `member_required` says who may come, selectors fetch (scoped to the acting
membership, 404 otherwise), forms validate, one service writes. A ValidationError raised by a
service (a rule checked under lock, such as "keep one active admin") is shown on the form.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from notifications import categories as notification_categories
from notifications.models import MessageStatus
from organizations import selectors, services
from organizations.adapters import forget_invitation, invitation_unusable_response, remember_invitation
from organizations.forms import (
    DeliveryLogFilterForm,
    InvitationForm,
    InvitationImportForm,
    MembershipForm,
    OrganizationSettingsForm,
    ServiceStandardForm,
    SwitchOrganizationForm,
    TeamForm,
    TeamMemberForm,
)
from organizations.models import ImportJobKind, ImportJobStatus, Role, Team
from organizations.tenancy import member_required, set_current_organization


def _to_home() -> HttpResponse:
    """Each person's landing page (settings.LOGIN_REDIRECT_URL), which a higher app serves."""
    return redirect(settings.LOGIN_REDIRECT_URL)


@member_required()
def promise(request: HttpRequest) -> HttpResponse:
    """Our promise: the organization's vision, the experience it promises and its service standards."""
    membership = request.membership
    standards = list(selectors.standards_for_home(membership=membership))
    return render(
        request,
        "organizations/promise.html",
        {"organization": membership.organization, "standards": standards},
    )


def no_organization(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.membership is not None:
        return _to_home()
    return render(request, "organizations/no_organization.html")


# --- Organization settings ----------------------------------------------------------------------


@member_required(Role.ADMIN)
def organization_settings(request: HttpRequest) -> HttpResponse:
    organization = selectors.organization_for_settings(membership=request.membership)
    if request.method == "POST":
        form = OrganizationSettingsForm(request.POST)
        if form.is_valid():
            try:
                revision = services.organization_update(
                    organization=organization, actor=request.membership, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if revision is None:
                    messages.info(request, "Nothing changed in the organization settings.")
                else:
                    messages.success(
                        request, "Organization settings saved. The previous values are kept in the history."
                    )
                return redirect("organizations:settings")
    else:
        form = OrganizationSettingsForm(initial=OrganizationSettingsForm.initial_for(organization))
    return render(request, "organizations/settings.html", {"form": form, "organization": organization})


@member_required(Role.ADMIN)
def organization_history(request: HttpRequest) -> HttpResponse:
    revisions = selectors.organization_history(membership=request.membership)
    return render(request, "organizations/organization_history.html", {"revisions": revisions})


# --- Service standards --------------------------------------------------------------------------


@member_required(Role.ADMIN)
def standard_list(request: HttpRequest) -> HttpResponse:
    standards = list(selectors.standards_for_admin(membership=request.membership))
    return render(request, "organizations/standard_list.html", {"standards": standards})


@member_required(Role.ADMIN)
def standard_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    form = ServiceStandardForm(request.POST or None, organization_id=membership.organization_id)
    if request.method == "POST" and form.is_valid():
        try:
            standard = services.standard_create(actor=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Standard {standard.code} created.")
            return redirect("organizations:standard_list")
    return render(request, "organizations/standard_form.html", {"form": form, "standard": None})


@member_required(Role.ADMIN)
def standard_edit(request: HttpRequest, standard_id: int) -> HttpResponse:
    membership = request.membership
    standard = selectors.standard_get(membership=membership, standard_id=standard_id)
    if request.method == "POST":
        form = ServiceStandardForm(request.POST, organization_id=membership.organization_id, standard=standard)
        if form.is_valid():
            try:
                revision = services.standard_update(standard=standard, actor=membership, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if revision is None:
                    messages.info(request, f"Nothing changed in {standard.code}.")
                else:
                    messages.success(request, f"{standard.code} saved as version {revision.version}.")
                return redirect("organizations:standard_list")
    else:
        form = ServiceStandardForm(
            initial=ServiceStandardForm.initial_for(standard),
            organization_id=membership.organization_id,
            standard=standard,
        )
    return render(request, "organizations/standard_form.html", {"form": form, "standard": standard})


@member_required(Role.ADMIN)
def standard_history(request: HttpRequest, standard_id: int) -> HttpResponse:
    membership = request.membership
    standard = selectors.standard_get(membership=membership, standard_id=standard_id)
    revisions = selectors.standard_history(membership=membership, standard=standard)
    return render(request, "organizations/standard_history.html", {"standard": standard, "revisions": revisions})


@member_required(Role.ADMIN)
def standard_set_active(request: HttpRequest, standard_id: int) -> HttpResponse:
    """POST is_active=1 or 0: the target state, so a repeated submit changes nothing."""
    standard = selectors.standard_get(membership=request.membership, standard_id=standard_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    is_active = request.POST.get("is_active") == "1"
    revision = services.standard_update(standard=standard, actor=request.membership, is_active=is_active)
    if revision is not None:
        state = "active again" if is_active else "inactive: it no longer shows to learners"
        messages.success(request, f"{standard.code} is {state}.")
    return redirect("organizations:standard_list")


# --- Teams --------------------------------------------------------------------------------------


@member_required(Role.ADMIN)
def team_list(request: HttpRequest) -> HttpResponse:
    teams = list(selectors.teams_for_admin(membership=request.membership))
    return render(request, "organizations/team_list.html", {"teams": teams})


@member_required(Role.ADMIN)
def team_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    form = TeamForm(
        request.POST or None,
        organization_id=membership.organization_id,
        manager_choices=selectors.team_manager_choices(membership=membership),
    )
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("organizations:team_list")
    return render(request, "organizations/team_form.html", {"form": form, "team": None})


@member_required(Role.ADMIN)
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = request.membership
    team = selectors.team_get(membership=membership, team_id=team_id)
    form = TeamForm(
        request.POST or None,
        initial=TeamForm.initial_for(team),
        organization_id=membership.organization_id,
        manager_choices=selectors.team_manager_choices(membership=membership),
        team=team,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, actor=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect("organizations:team_list")
    return _team_page(request, team, form=form)


def _team_page(
    request: HttpRequest, team: Team, *, form: TeamForm, member_form: TeamMemberForm | None = None
) -> HttpResponse:
    """The team page: its settings form, its members, and the form to add someone."""
    membership = request.membership
    context = {
        "form": form,
        "team": team,
        "members": list(selectors.team_members(membership=membership, team=team)),
        "member_form": member_form
        or TeamMemberForm(member_choices=selectors.team_member_choices(membership=membership, team=team)),
    }
    return render(request, "organizations/team_form.html", context)


@member_required(Role.ADMIN)
def team_member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    membership = request.membership
    team = selectors.team_get(membership=membership, team_id=team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = TeamMemberForm(
        request.POST, member_choices=selectors.team_member_choices(membership=membership, team=team)
    )
    if form.is_valid():
        person = form.cleaned_data["membership"]
        try:
            services.team_member_add(actor=membership, team=team, membership=person)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{person.user.display_name} is now in “{team.name}”.")
            return redirect(reverse("organizations:team_edit", kwargs={"team_id": team.pk}) + "#members")
    team_form = TeamForm(
        initial=TeamForm.initial_for(team),
        organization_id=membership.organization_id,
        manager_choices=selectors.team_manager_choices(membership=membership),
        team=team,
    )
    return _team_page(request, team, form=team_form, member_form=form)


@member_required(Role.ADMIN)
def team_member_remove(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    membership = request.membership
    team = selectors.team_get(membership=membership, team_id=team_id)
    person = selectors.membership_get(membership=membership, membership_id=membership_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.team_member_remove(actor=membership, team=team, membership=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{person.user.display_name} is no longer in “{team.name}” (and has no team now).")
    return redirect(reverse("organizations:team_edit", kwargs={"team_id": team.pk}) + "#members")


@member_required(Role.ADMIN)
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    team = selectors.team_get(membership=request.membership, team_id=team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    name = team.name
    services.team_delete(team=team, actor=request.membership)
    messages.success(request, f"Team “{name}” deleted. Its members are now without a team.")
    return redirect("organizations:team_list")


# --- People -------------------------------------------------------------------------------------


MEMBERS_PER_PAGE = 50


@member_required(Role.ADMIN, Role.MANAGER)
def member_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    page = Paginator(selectors.members_visible_to(membership=membership), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "organizations/member_list.html",
        {"members": page.object_list, "page": page, "is_admin": membership.is_admin},
    )


@member_required(Role.ADMIN)
def member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    acting = request.membership
    person = selectors.membership_get(membership=acting, membership_id=membership_id)
    form = MembershipForm(
        request.POST or None,
        initial=MembershipForm.initial_for(person),
        team_choices=selectors.team_choices(membership=acting),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(membership=person, actor=acting, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{person.user.display_name} saved.")
            return redirect("organizations:member_list")
    return render(request, "organizations/member_form.html", {"form": form, "person": person})


# --- Organization switcher ----------------------------------------------------------------------


@member_required()
def switch(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SwitchOrganizationForm(request.POST)
        if not form.is_valid():
            raise Http404("No such organization.")
        target = selectors.membership_for_switch(
            user=request.user, organization_id=form.cleaned_data["organization"]
        )
        set_current_organization(request, target.organization_id)
        messages.success(request, f"You are now working in {target.organization.name}.")
        return _to_home()
    memberships = list(selectors.memberships_for_switcher(user=request.user))
    return render(
        request,
        "organizations/switch.html",
        {"memberships": memberships, "current_organization_id": request.membership.organization_id},
    )


# --- Invitations --------------------------------------------------------------------------------
#
# Admins invite anyone with any role and import CSV files. Managers invite employees into the teams
# they manage, and see, resend and revoke only those invitations (selectors scope it; anything else
# is a 404 like another organization's invitation).

INVITATIONS_PER_PAGE = 50


@member_required(Role.ADMIN, Role.MANAGER)
def invitation_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    status = request.GET.get("status", "")
    if status not in selectors.INVITATION_STATUSES:
        status = ""
    paginator = Paginator(
        selectors.invitations_visible_to(membership=membership, status=status or None), INVITATIONS_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/invitation_list.html",
        {
            "page": page,
            "invitations": list(page.object_list),
            "status": status,
            "counts": selectors.invitation_status_counts(membership=membership),
            "is_admin": membership.is_admin,
        },
    )


@member_required(Role.ADMIN, Role.MANAGER)
def invitation_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    form = InvitationForm(
        request.POST or None,
        initial={"time_zone": membership.organization.time_zone},
        team_choices=selectors.invitation_team_choices(membership=membership),
        managers_only=not membership.is_admin,
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(actor=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{invitation.email} is invited to {membership.organization.name}. "
                f"The link is valid until {timezone.localtime(invitation.expires_at):%d %b %Y}.",
            )
            return redirect("organizations:invitation_list")
    return render(request, "organizations/invitation_form.html", {"form": form})


@member_required(Role.ADMIN, Role.MANAGER)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get(membership=request.membership, invitation_id=invitation_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.invitation_revoke(invitation=invitation, actor=request.membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation of {invitation.email} is revoked; its link no longer works.")
    return redirect("organizations:invitation_list")


@member_required(Role.ADMIN, Role.MANAGER)
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get(membership=request.membership, invitation_id=invitation_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.invitation_resend(invitation=invitation, actor=request.membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"A new invitation is on its way to {invitation.email}; the previous link no longer works."
        )
    return redirect("organizations:invitation_list")


@member_required(Role.ADMIN)
def invitation_import(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    result = None
    form = InvitationImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        result = services.invitations_import_csv(actor=membership, data=form.cleaned_data["file"])
        if result.job is not None:
            return redirect("organizations:import_job", job_id=result.job.pk)
        if result.ok:
            form = InvitationImportForm()
    return render(
        request,
        "organizations/invitation_import.html",
        {"form": form, "result": result, "header": services.CSV_IMPORT_HEADER},
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation email. Public: the token is the invitee's credential.

    `services.invitation_open` decides; this renders its outcome. Signed out: the token goes into
    the session and the person signs up (or signs in, if they already have an account) with the
    invited address. Signed in with that address: they join at once.
    """
    opening = services.invitation_open(token=token, user=request.user)
    invitation = opening.invitation
    if opening.outcome == "unknown":
        return invitation_unusable_response(request, "unknown", status=404)
    if opening.outcome == "unusable":
        return invitation_unusable_response(request, opening.reason)
    if opening.outcome in ("sign_in", "sign_up"):
        remember_invitation(request, token)
        if opening.outcome == "sign_up":
            return redirect("account_signup")
        messages.info(request, f"You already have an account: sign in as {invitation.email} to join "
                               f"{invitation.organization.name}.")
        return redirect_to_login(request.get_full_path())
    if opening.outcome == "wrong_user":
        return render(
            request, "organizations/invitation_wrong_user.html", {"invitation": invitation}, status=403
        )
    forget_invitation(request)
    set_current_organization(request, invitation.organization_id)
    if opening.outcome == "joined":
        messages.success(request, f"Welcome to {invitation.organization.name}!")
    else:
        messages.info(request, f"You are already a member of {invitation.organization.name}.")
    return _to_home()


def _job_status_label(job) -> str:
    if job.kind == ImportJobKind.ASSIGNMENT and job.status == ImportJobStatus.RUNNING:
        return "Enrolling"
    return job.get_status_display()


@member_required()
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A background import's progress: a page with a progress bar, or its figures as JSON for the
    page's script (static/js/import-progress.js) to update the bar without reloading."""
    job = selectors.import_job_get(membership=request.membership, job_id=job_id)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": job.status,
                "status_label": _job_status_label(job),
                "done": job.done,
                "total": job.total,
                "percent": job.percent,
                "finished": job.is_finished,
            }
        )
    # Where the finished page links back to (an assignment's page): a path of this site only.
    return_url = job.return_url or ""
    if not (return_url.startswith("/") and url_has_allowed_host_and_scheme(return_url, allowed_hosts=None)):
        return_url = ""
    return render(
        request,
        "organizations/import_job.html",
        {"job": job, "return_url": return_url, "status_label": _job_status_label(job)},
    )


# --- Delivery log -------------------------------------------------------------------------------

DELIVERY_LOG_PER_PAGE = 50


@member_required(Role.ADMIN)
def delivery_log(request: HttpRequest) -> HttpResponse:
    """Every message the product sent (or will send) to the organization's people, and what became of it.

    Filters are a plain GET form, so they work without scripts and a filtered page can be bookmarked.
    """
    form = DeliveryLogFilterForm(
        request.GET or None, categories=notification_categories.all_categories(), statuses=MessageStatus.choices
    )
    chosen = form.chosen()
    page = Paginator(
        selectors.delivery_log(
            membership=request.membership, person=chosen["q"], category=chosen["category"], status=chosen["status"]
        ),
        DELIVERY_LOG_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/delivery_log.html",
        {
            "form": form,
            "page": page,
            "rows": selectors.with_delivery_labels(list(page.object_list)),
            "filtered": any(chosen.values()),
        },
    )

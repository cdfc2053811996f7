"""Organization pages: home, settings, standards, teams, members, invitations, switcher.

Views stay thin: `member_required` says who may come, selectors fetch (scoped to the acting
membership, 404 otherwise), forms validate, one service writes. A ValidationError raised by a
service (a rule checked under lock, such as "keep one active admin") is shown on the form.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from organizations import selectors, services
from organizations.forms import (
    MembershipForm,
    OrganizationSettingsForm,
    ServiceStandardForm,
    SwitchOrganizationForm,
    TeamForm,
)
from organizations.models import Role
from organizations.tenancy import member_required, set_current_organization


@member_required()
def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    standards = list(selectors.standards_for_home(membership=membership))
    return render(
        request,
        "organizations/home.html",
        {"organization": membership.organization, "standards": standards},
    )


def no_organization(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.membership is not None:
        return redirect("organizations:home")
    return render(request, "organizations/no_organization.html")


# --- Organization settings ----------------------------------------------------------------------


@member_required(Role.ADMIN)
def organization_settings(request: HttpRequest) -> HttpResponse:
    organization = selectors.organization_for_settings(membership=request.membership)
    if request.method == "POST":
        form = OrganizationSettingsForm(request.POST)
        if form.is_valid():
            services.organization_update(organization=organization, **form.cleaned_data)
            messages.success(request, "Organization settings saved.")
            return redirect("organizations:settings")
    else:
        form = OrganizationSettingsForm(initial=OrganizationSettingsForm.initial_for(organization))
    return render(request, "organizations/settings.html", {"form": form, "organization": organization})


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
            standard = services.standard_create(
                organization=membership.organization, actor=request.user, **form.cleaned_data
            )
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
                revision = services.standard_update(standard=standard, actor=request.user, **form.cleaned_data)
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
    revision = services.standard_update(standard=standard, actor=request.user, is_active=is_active)
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
            team = services.team_create(organization=membership.organization, **form.cleaned_data)
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
            services.team_update(team=team, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect("organizations:team_list")
    return render(request, "organizations/team_form.html", {"form": form, "team": team})


@member_required(Role.ADMIN)
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    team = selectors.team_get(membership=request.membership, team_id=team_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    name = team.name
    services.team_delete(team=team)
    messages.success(request, f"Team “{name}” deleted. Its members are now without a team.")
    return redirect("organizations:team_list")


# --- People -------------------------------------------------------------------------------------


@member_required(Role.ADMIN, Role.MANAGER)
def member_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    members = list(selectors.members_visible_to(membership=membership))
    return render(
        request,
        "organizations/member_list.html",
        {"members": members, "is_admin": membership.is_admin},
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
            services.membership_update(membership=person, **form.cleaned_data)
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
        return redirect("organizations:home")
    memberships = list(selectors.memberships_for_switcher(user=request.user))
    return render(
        request,
        "organizations/switch.html",
        {"memberships": memberships, "current_organization_id": request.membership.organization_id},
    )

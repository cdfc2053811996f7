"""Organization pages: home, settings, standards, teams, members, invitations, switcher."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from organizations import selectors
from organizations.tenancy import member_required


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

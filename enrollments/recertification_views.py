"""Recertification pages for managers and admins: who expires soon.

Thin: admins and managers only (anyone else gets a 404), reads through the scoped
`enrollments.recertification_selectors`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from enrollments import recertification_selectors as selectors
from enrollments.services.recertification import RECERTIFY_WITHIN_DAYS
from organizations.models import Role
from organizations.tenancy import member_required


@member_required(Role.ADMIN, Role.MANAGER)
@require_http_methods(["GET", "HEAD"])
def expiring(request: HttpRequest) -> HttpResponse:
    rows = selectors.completions_expiring_for(membership=request.membership, now=timezone.now())
    return render(
        request,
        "enrollments/recertification/expiring.html",
        {"expiring": rows, "expiring_days": RECERTIFY_WITHIN_DAYS, "expiring_heading_id": "expiring-heading"},
    )

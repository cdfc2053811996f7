"""Pages of the delivery ledger that belong to the person, not to an organization.

The signed-in person's notices, their email preferences and the one-click unsubscribe. These are
the person's own pages whichever organization sent the messages, so they need a signed-in person
(`login_required`), not a membership: this app does not import organizations.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications import categories, selectors, services
from notifications.forms import EmailPreferencesForm

NOTICES_PER_PAGE = 20


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    """The person's notices, newest first, unread ones marked."""
    page = Paginator(selectors.notices_for(user_id=request.user.pk), NOTICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    notices = selectors.with_category_labels(list(page.object_list))
    return render(request, "notifications/notice_list.html", {"page": page, "notices": notices})


def _site_path(url: str) -> str | None:
    """The url if it is a path on this site ("/learn/..."), else None: a notice never sends anyone elsewhere."""
    if not url.startswith("/") or url.startswith(("//", "/\\")):
        return None
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=set()) else None


@login_required
def notice_open(request: HttpRequest, message_id: int) -> HttpResponse:
    """Follow a notice: mark it read, then go to its item (a path on this site) or back to the list.

    A plain link (GET), so a notice opens like any link (in a new tab too); marking read twice
    changes nothing. Another person's notice is a 404 before anything else.
    """
    notice = selectors.notice_get(user_id=request.user.pk, message_id=message_id)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if notice.read_at is None:
        services.messages_mark_read(user_id=request.user.pk, ids=[notice.pk])
        selectors.unread_count_forget(user_id=request.user.pk)
    return redirect(_site_path(notice.url) or "notifications:list")


@login_required
@require_POST
def notice_mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark every visible notice of the person read (a second submission finds nothing left to mark)."""
    marked = services.messages_mark_read(user_id=request.user.pk)
    selectors.unread_count_forget(user_id=request.user.pk)
    if marked:
        messages.success(request, f"{marked} notification{'' if marked == 1 else 's'} marked as read.")
    else:
        messages.info(request, "All your notifications were already read.")
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which kinds of email the person gets: optional ones switch on and off; mandatory ones are listed."""
    optional, mandatory = selectors.email_choices(user_id=request.user.pk)
    # Bound on every POST, even an empty one: with every box unticked nothing else may be posted.
    form = EmailPreferencesForm(
        request.POST if request.method == "POST" else None,
        optional=[choice.category for choice in optional],
        initial={"email": [choice.category.name for choice in optional if choice.enabled]},
    )
    if request.method == "POST" and form.is_valid():
        enabled = form.enabled()
        with transaction.atomic():
            for choice in optional:
                services.email_opt_out_set(
                    user_id=request.user.pk, category=choice.category.name, enabled=choice.category.name in enabled
                )
        messages.success(request, "Your email preferences are saved.")
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "optional": optional, "mandatory": mandatory},
    )


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a session or a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe from one optional category; the signed token is the permission.

    GET only asks (link scanners in mail filters follow links; they must not unsubscribe anyone);
    POST, from the mail client's one-click button or from this page's button, turns the email off.
    """
    decoded = services.unsubscribe_token_read(token)
    if decoded is None:
        raise Http404("This unsubscribe link is not valid.")
    user_id, name = decoded
    try:
        category = categories.get(name)
    except LookupError:
        raise Http404("This unsubscribe link is not valid.") from None
    if not category.optional:
        raise Http404("This kind of email cannot be turned off.")
    done = request.method == "POST"
    if done:
        services.email_opt_out_set(user_id=user_id, category=category.name, enabled=False)
    return render(request, "notifications/unsubscribe.html", {"category": category, "done": done})

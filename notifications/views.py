"""Pages of the delivery ledger that belong to the person, not to an organization."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications import categories, services


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

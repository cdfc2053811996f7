"""Branded error pages whatever DEBUG says.

With DEBUG off, Django renders templates/404.html and templates/500.html itself. With DEBUG on it
shows its technical pages instead, so a developer (and a browser test against `make run`) would
never see what a person sees. `BrandedNotFoundMiddleware` renders the product's 404 page in both
modes: for an Http404 raised by a view (an unknown certificate code, another organization's object)
and for an address no URL pattern matches. Server errors keep Django's handling: the branded
500.html in production, the traceback page in development.

`RequestTooLargeMiddleware` answers a request whose form data is over Django's limits
(DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS/FILES) with a branded 413 page. Left to
Django, the CSRF check would raise on reading the form, the answer would be a bare 400 sent without
reading the body, and a browser still uploading a long pasted text sees the connection reset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

security_log = logging.getLogger("django.security.RequestTooLarge")

# A refused body is read and discarded up to this size, so that the client, which sends the whole
# body before it reads an answer, gets the 413 page instead of a reset connection. Beyond it, the
# connection is closed: reading an arbitrarily large upload is what the limit protects against.
DRAIN_AT_MOST = 64 * 1024 * 1024


def not_found_response(request: HttpRequest) -> HttpResponseNotFound:
    """templates/404.html in the product's layout, with the person's menu (request context)."""
    return HttpResponseNotFound(loader.render_to_string("404.html", {"request_path": request.path}, request))


class BrandedNotFoundMiddleware:
    """Answer every 404 that comes from an Http404 or an unmatched URL with the branded page.

    Last in MIDDLEWARE, so the acting membership and the user are known when the page renders. A
    view that returns a 404 response of its own (not by raising) keeps its response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No URL pattern matched: the resolver's 404 never reaches process_exception.
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return not_found_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return not_found_response(request)
        return None


def _drain(request: HttpRequest) -> bool:
    """Read and discard what is left of the request body; False if it was longer than DRAIN_AT_MOST."""
    stream, read = getattr(request, "_stream", None), 0
    if stream is None:
        return True
    while read <= DRAIN_AT_MOST:
        chunk = stream.read(64 * 1024)
        if not chunk:
            return True
        read += len(chunk)
    return False


class RequestTooLargeMiddleware:
    """Answer form data over Django's limits with the branded 413 page, having read the body.

    Placed after the tenancy middleware (the page shows the person's menu) and before any view or
    process_view hook reads the form: it reads `request.POST` itself, under the same limits, so the
    refusal is its own to answer. Nothing was written: no view ran.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH"):
            try:
                request.POST  # noqa: B018  (parsing is the point: it raises over the limits)
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as error:
                security_log.warning("Refused %s %s: %s", request.method, request.path, error)
                return too_large_response(request, drained=_drain(request))
        return self.get_response(request)


def too_large_response(request: HttpRequest, *, drained: bool = True) -> HttpResponse:
    """templates/413.html: what the limit is and what to do instead."""
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    # The refusal comes before URL resolution and CSRF: a cross-site form can post to "//evil.example/",
    # which as a link would lead off the site. Only a path on this site is offered back.
    back_to = request.path if url_has_allowed_host_and_scheme(request.path, allowed_hosts=None) else "/"
    response = HttpResponse(
        loader.render_to_string("413.html", {"limit_mb": limit_mb, "back_to": back_to}, request), status=413
    )
    if not drained:
        response["Connection"] = "close"
    return response

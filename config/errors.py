"""Branded error pages whatever DEBUG says.

With DEBUG off, Django renders templates/404.html and templates/500.html itself. With DEBUG on it
shows its technical pages instead, so a developer (and a browser test against `make run`) would
never see what a person sees. `BrandedNotFoundMiddleware` renders the product's 404 page in both
modes: for an Http404 raised by a view (an unknown certificate code, another organization's object)
and for an address no URL pattern matches. Server errors keep Django's handling: the branded
500.html in production, the traceback page in development.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.template import loader


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

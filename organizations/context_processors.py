from django.http import HttpRequest


def current_membership(request: HttpRequest) -> dict:
    """Expose the acting membership (resolved by the middleware, no query here) to templates."""
    return {"membership": getattr(request, "membership", None)}

"""Template helpers for showing course content; pure functions, never a query."""

from __future__ import annotations

from django import template

from courses.content import video_embed_url

register = template.Library()


@register.filter
def video_embed(url: str) -> str:
    """The privacy-enhanced player URL of an allowlisted video address, or "" (show nothing)."""
    return video_embed_url(url) or ""

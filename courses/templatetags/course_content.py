"""Template helpers for showing course content; pure functions, never a query."""

from __future__ import annotations

from html import unescape

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from courses.content import video_embed_url
from courses.question_formats import HTML

register = template.Library()


@register.filter
def video_embed(url: str) -> str:
    """The privacy-enhanced player URL of an allowlisted video address, or "" (show nothing)."""
    return video_embed_url(url) or ""


@register.filter(needs_autoescape=True)
def question_text(value: str, text_format: str, autoescape: bool = True) -> str:
    """A question's prompt, choice, feedback or explanation as HTML.

    HTML questions (imported from [html]/[markdown] GIFT) hold text sanitized with nh3 when it was
    saved, shown as stored like a lesson body; plain text is escaped, its line breaks kept.
    """
    if text_format == HTML:
        return mark_safe(value)  # noqa: S308 - sanitized by courses.content when saved
    return linebreaksbr(value, autoescape=autoescape)


@register.filter
def question_summary(value: str, text_format: str) -> str:
    """A question's text as plain words for a one-line summary (tags of HTML text removed)."""
    if text_format == HTML:
        return unescape(strip_tags(value))
    return value

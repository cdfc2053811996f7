"""Template filters of the coaching pages: recall as a percentage, ratings in words."""

from __future__ import annotations

from django import template

from followups.coach_forms import RATING_LABELS

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.834 → "83%" (rounded down, so 89.6% never reads as the 90% target)."""
    if value is None:
        return "—"
    return f"{int(value * 100)}%"


@register.filter
def percent_number(value: float | None) -> int:
    """0.834 → 83, for an SVG bar's width in a 0–100 box."""
    return 0 if value is None else max(0, min(100, int(value * 100)))


@register.filter
def rating_label(value: int | None) -> str:
    """3 → "3 Usually" (an observation's scale; a quiz's rating reads the same way)."""
    if value is None:
        return "—"
    return f"{value} {RATING_LABELS.get(int(value), '')}".strip()


@register.filter
def mean_rating(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"

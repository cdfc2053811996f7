"""Template helpers for emails; pure functions, never a query."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# After a URL's separators, and inside runs longer than this many letters and digits (tokens, keys).
_SEPARATORS = re.compile(r"([/:?&=.\-_~])")
_LONG_RUN = re.compile(r"([^/:?&=.\-_~]{16})(?=[^/:?&=.\-_~])")


@register.filter
def breakable(url: str) -> SafeString:
    """The URL as escaped text with <wbr> break opportunities, for the "copy this link" line.

    A confirmation key or an invitation token is one long word: without them a phone's mail client
    widens the whole message to fit it, and the reader scrolls sideways.
    """
    text = escape(url)
    # Work on the escaped text, but never split an entity such as &amp;.
    parts = re.split(r"(&[a-z#0-9]+;)", text)
    out = []
    for part in parts:
        if part.startswith("&") and part.endswith(";"):
            out.append(part)
            continue
        part = _LONG_RUN.sub(r"\1<wbr>", part)
        out.append(_SEPARATORS.sub(r"\1<wbr>", part))
    return mark_safe("".join(out))  # noqa: S308 (every piece was escaped above)

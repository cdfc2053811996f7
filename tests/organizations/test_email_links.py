"""The "copy this link" line of an email breaks on a phone instead of widening the message."""

from __future__ import annotations

import re

from django.utils.html import escape

from organizations.templatetags.email_links import breakable

KEY_URL = "https://servicecraft.example/accounts/confirm-email/MQ:1xXKKk:B7fim3vYEACVZWIyxOXnoWz3nwBXwBjWLGMH0BacC9o/"


def test_a_long_key_gets_break_opportunities_and_reads_the_same():
    html = breakable(KEY_URL)

    assert html.replace("<wbr>", "") == KEY_URL
    assert max(len(piece) for piece in html.split("<wbr>")) <= 16


def test_the_text_is_escaped_and_entities_stay_whole():
    url = 'https://example.test/?a=1&b="<x>"'

    html = breakable(url)

    assert html.replace("<wbr>", "") == escape(url)
    assert "&amp;" in html and "&quot;" in html and "<x>" not in html
    assert not re.search(r"&[a-z#0-9]*<wbr>[a-z#0-9]*;", html)

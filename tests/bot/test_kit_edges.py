"""The escaping and limits module at its edges: exactly at a limit, one past it, and what each cut says.

The property tests (test_hostile_text, test_limits) show that every message stays valid; these pin the
exact behaviour at the boundaries, which a property test rarely lands on.
"""

from __future__ import annotations

import pytest

from bot.blocks.kit import (
    BUTTON_TEXT,
    CONFIRM_BUTTON,
    CONFIRM_TEXT,
    CONFIRM_TITLE,
    SECTION_TEXT,
    button,
    confirm,
    context,
    fit_lines,
    plain,
)
from bot.formatting import channel, clip, escape_mrkdwn, mention, money


def test_fit_lines_keeps_text_at_the_limit_and_counts_the_lines_it_leaves_out() -> None:
    exact = "x" * SECTION_TEXT
    assert fit_lines(exact) == exact
    lines = [f"line {n:03d} " + "y" * 90 for n in range(40)]  # 99 characters each, 40 of them
    fitted = fit_lines("\n".join(lines))
    kept = fitted.split("\n")[:-1]
    assert kept == lines[: len(kept)] and fitted.endswith(f"\n…and {len(lines) - len(kept)} more")
    assert len(fitted) <= SECTION_TEXT and len(kept) == (SECTION_TEXT - 40) // 100  # whole lines, room for the note


def test_fit_lines_cuts_one_overlong_line_to_the_limit() -> None:
    cut = fit_lines("a b " * 1000)
    assert len(cut) == SECTION_TEXT and cut.endswith("…")


def test_fit_lines_splits_on_newlines_only() -> None:
    words = " ".join(["word"] * 700)  # 3,499 characters, spaces but no newline: one line
    assert fit_lines(words).endswith("…") and "\n" not in fit_lines(words)


@pytest.mark.parametrize("limit", [BUTTON_TEXT, CONFIRM_TITLE, SECTION_TEXT])
def test_plain_text_is_kept_at_its_limit_and_cut_with_an_ellipsis_past_it(limit: int) -> None:
    assert plain("p" * limit, limit) == {"type": "plain_text", "text": "p" * limit}
    past = plain("p" * (limit + 1), limit)["text"]
    assert len(past) == limit and past == "p" * (limit - 1) + "…"


def test_a_button_and_its_confirmation_keep_to_slacks_limits() -> None:
    long = "L" * 500
    element = button("act", long, "v")
    assert (element["type"], element["text"]["type"], len(element["text"]["text"])) == ("button", "plain_text", 75)
    assert "style" not in element and button("act", "Go", "v", style="danger")["style"] == "danger"
    dialog = confirm(long, long, long, long)
    sizes = {part: len(dialog[part]["text"]) for part in ("title", "text", "confirm", "deny")}
    assert sizes == {"title": CONFIRM_TITLE, "text": CONFIRM_TEXT, "confirm": CONFIRM_BUTTON, "deny": CONFIRM_BUTTON}


def test_a_context_block_has_at_most_ten_elements() -> None:
    assert len(context(*[str(n) for n in range(12)])["elements"]) == 10


def test_clip_keeps_text_at_the_limit_and_ends_a_cut_on_a_word_with_an_ellipsis() -> None:
    assert clip("abcde", 5) == "abcde"
    assert clip("abcdef", 5) == "abcd…"
    assert clip("ab   cdef", 5) == "ab…"  # no space left dangling before the ellipsis
    assert clip("  abcdef", 5) == "  ab…"  # leading spaces are the text's own


def test_outside_text_becomes_one_inert_line() -> None:
    assert escape_mrkdwn("a\nb\rc\td") == "a b c d"
    assert escape_mrkdwn("x\u202ey\u200bz") == "xyz"  # bidirectional override and zero-width space removed
    assert escape_mrkdwn("*bold* _it_ ~s~ `c`") == "∗bold∗ ˍitˍ ∼s∼ ˋcˋ"
    assert escape_mrkdwn("A & B <!channel> >") == "A &amp; B &lt;!channel&gt; &gt;"


def test_an_exact_bank_amount_keeps_the_callers_sign() -> None:
    assert money(-6, "EUR", "en_BE", exact="0.055") == money(-6, "EUR", "en_BE", exact="-0.055")
    assert money(-6, "EUR", "en_BE", exact="0.055").startswith("-")
    assert not money(0, "EUR", "en_BE", exact="-0.004").startswith("-")  # zero is not negative
    assert "0,0551" in money(6, "EUR", "en_BE", exact="0.0551")  # every decimal the bank sent


def test_someone_unknown_and_a_missing_channel_are_named_plainly() -> None:
    assert mention(None) == "someone" and mention("<!here>") == "&lt;!here&gt;"
    assert channel(None) == "?" and channel("#finance") == "#finance" and channel("C0FINANCE1") == "<#C0FINANCE1>"


def test_fit_lines_fills_right_up_to_the_room_it_keeps_for_the_note() -> None:
    """40 lines of 73 characters and their newlines take exactly the 2,960 characters left beside the
    40 kept for "…and N more": all 40 fit, the 41st does not."""
    lines = ["z" * 73] * 40 + ["w" * 100]
    fitted = fit_lines("\n".join(lines))
    assert fitted == "\n".join(lines[:40]) + "\n…and 1 more"


def test_a_date_is_shown_in_each_readers_zone_with_a_utc_fallback() -> None:
    from datetime import UTC, datetime

    from bot.formatting import slack_date

    moment = datetime(2026, 11, 2, 9, 5, tzinfo=UTC)
    assert (
        slack_date(moment) == f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|02 Nov 2026 09:05 UTC>"
    )

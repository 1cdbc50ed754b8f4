"""How money, IBANs and times read in Slack messages."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from money import from_minor_units

DEFAULT_LOCALE = "en_BE"
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")  # a public or private channel's id (not a DM's)
EXACT_AMOUNT = re.compile(r"-?\d{1,20}(\.\d{1,12})?")


def money(minor: int | None, currency: str, locale: str = DEFAULT_LOCALE, *, exact: str | None = None) -> str:
    """Integer minor units as the locale writes the amount; exact, never through float.

    `exact`: the bank's own amount when it has more decimals than the currency (shown with all of them).
    """
    if minor is None:
        return "n/a"
    # The currency code comes from the bank or an invoice: babel prints an unknown code as given.
    if exact is not None and EXACT_AMOUNT.fullmatch(exact):
        value = Decimal(exact).copy_abs() if minor >= 0 else -Decimal(exact).copy_abs()  # the caller's sign
        return escape_mrkdwn(format_currency(value, currency, locale=locale, decimal_quantization=False))
    return escape_mrkdwn(format_currency(from_minor_units(minor, currency), currency, locale=locale))


def iban(reference: str) -> str:
    """An IBAN in groups of four; anything that is not a valid IBAN is shown as given."""
    try:
        return IBAN(reference).formatted
    except SchwiftyException:
        return escape_mrkdwn(reference)


def slack_date(moment: datetime, fallback_format: str = "%d %b %Y %H:%M UTC") -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment.strftime(fallback_format)}>"


OUTSIDE_TEXT_LIMIT = 300  # SEPA allows 140 for remittance and 70 for names: more is noise, or an attack


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Invisible characters that reorder or hide text (bidirectional overrides and isolates, marks), and the
# control characters: a stranger could make "€ 10" read as "01 €" or hide words.
INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
# A formatting character where Slack would read it as markup (not between two letters or digits, as in
# INV_2026_01) becomes its lookalike: *bold*, _italic_, ~strike~ and `code` from outside stay plain text.
MARKUP = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
LOOKALIKE = {"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"}


def escape_mrkdwn(text: str, limit: int = OUTSIDE_TEXT_LIMIT) -> str:
    """Outside text made inert for Slack: one line, no invisible controls, no markup, `&<>` escaped as
    Slack's docs ask; clipped first, so no entity is cut."""
    text = INVISIBLE.sub("", clip(" ".join(text.split("\n")).replace("\r", " ").replace("\t", " "), limit))
    text = MARKUP.sub(lambda m: LOOKALIKE[m.group()], text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def mention(user_id: str | None) -> str:
    """The app's own mention of a Slack user; anything that is not a user id is shown as escaped text."""
    if user_id and USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape_mrkdwn(user_id or "someone")


def channel(reference: str | None) -> str:
    """A stored channel id as Slack's channel mention (shows its current name); a name as plain text."""
    if reference and CHANNEL_ID.match(reference):
        return f"<#{reference}>"
    return escape_mrkdwn(reference or "?")


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 payment', '2 payments'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"

"""What a payment form may hold, checked before anything reaches Ponto. Pure: no I/O.

Ponto passes a payment to the bank as a SEPA credit transfer: the creditor's name (60 characters) and
the communication (140) must use the characters banks accept (ponto-connect-api.md §4.7), the IBAN
must be valid and in the SEPA zone, the amount more than zero. A Belgian structured communication
(OGM/VCS) is sent as its 12 digits with the type `structured` (UNCONFIRMED: Ponto's format for it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iso11649
from stdnum.be import ogm_vcs

from invoices.model import parse_amount
from money import to_minor_units

NAME_LIMIT = 60
REMITTANCE_LIMIT = 140
END_TO_END_LIMIT = 35
SEPA_CHARACTERS = "letters without accents, digits, spaces and / - ? : ( ) . , ' +"
_SEPA_TEXT = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_OGM_SHAPE = re.compile(r"^\s*(?:[+*]{3})?\s*(\d{3})\s*[/\-. ]?\s*(\d{4})\s*[/\-. ]?\s*(\d{5})\s*(?:[+*]{3})?\s*$")


def sepa_text(text: str, limit: int) -> str:
    """Text as banks take it: accents dropped (é -> e), & as +, anything else as a space, cut to `limit`."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", "+").replace("ß", "ss"))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = re.sub(r"\s+", " ", _NOT_SEPA.sub(" ", ascii_only)).strip()
    return cleaned[:limit].rstrip()


def text_problem(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"Is {len(text)} characters long; the bank takes at most {limit}."
    if not _SEPA_TEXT.fullmatch(text):
        bad = "".join(dict.fromkeys(_NOT_SEPA.findall(text)))[:10]
        return f"Banks refuse {bad!r} here: use {SEPA_CHARACTERS}."
    return None


@dataclass(frozen=True)
class Communication:
    text: str
    structured: bool  # a Belgian structured communication, as 12 digits

    @property
    def shown(self) -> str:
        """As people write it: +++123/4567/89012+++ for a structured one."""
        if not self.structured:
            return self.text
        d = self.text
        return f"+++{d[:3]}/{d[3:7]}/{d[7:]}+++"


def communication_for(reference: str | None, number: str) -> Communication:
    """What to send with an invoice's payment: its structured communication or RF reference when it has
    one, its payment reference as text otherwise, else "Invoice <number>"."""
    if reference:
        digits = re.sub(r"\D", "", reference)
        if _OGM_SHAPE.match(reference) and ogm_vcs.is_valid(digits):
            return Communication(digits, True)
        compact = iso11649.compact(reference)
        if compact.startswith("RF") and iso11649.is_valid(compact):
            return Communication(compact, False)
        cleaned = sepa_text(reference, REMITTANCE_LIMIT)
        if cleaned:
            return Communication(cleaned, False)
    return Communication(sepa_text(f"Invoice {number}", REMITTANCE_LIMIT), False)


def parse_communication(text: str) -> tuple[Communication | None, str | None]:
    """What a person typed: a structured communication (check digits verified) or free text."""
    value = text.strip()
    if not value:
        return None, "Give the communication the supplier asked for (or the invoice number)."
    shape = _OGM_SHAPE.match(value)
    if shape:
        digits = "".join(shape.groups())
        if not ogm_vcs.is_valid(digits):
            return None, "This structured communication's check digits are wrong: copy it again from the invoice."
        return Communication(digits, True), None
    problem = text_problem(value, REMITTANCE_LIMIT)
    return (None, problem) if problem else (Communication(value, False), None)


def check_iban(text: str) -> tuple[str | None, str | None]:
    """The IBAN in its compact form, or why it cannot be paid to."""
    try:
        iban = IBAN(text)
    except SchwiftyException as exc:
        return None, f"This is not a valid IBAN ({exc}). Check it against the invoice."
    if not iban.in_sepa_zone:
        return None, f"Ponto pays SEPA credit transfers; {iban.country_code} accounts are outside the SEPA zone."
    return str(iban.compact), None


def check_bic(text: str) -> tuple[str | None, str | None]:
    if not text.strip():
        return None, None
    try:
        return str(BIC(text).compact), None
    except SchwiftyException as exc:
        return None, f"This is not a valid BIC ({exc}). Leave it empty if the invoice does not give one."


def parse_amount_minor(text: str, currency: str) -> tuple[int | None, str | None]:
    try:
        value = parse_amount(text)
        minor = to_minor_units(value, currency)
    except (ValueError, ArithmeticError) as exc:
        return None, f"Write the amount as 1234.56 ({exc})."
    if minor <= 0:
        return None, "The amount must be more than zero."
    return minor, None


def execution_date(text: str, today: date) -> tuple[date | None, str | None]:
    """The requested execution date (ISO, as Slack's date picker gives it), not before today."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, "Choose the date the bank should pay."
    if day < today:
        return None, f"This date is in the past; choose {today.isoformat()} or later."
    return day, None


@dataclass(frozen=True)
class AccountChoice:
    """A connected account the payment may leave from."""

    id: int
    name: str
    iban: str
    currency: str
    payments_enabled: bool | None  # None: not known yet (Ponto decides)
    bulk_payments_enabled: bool | None


@dataclass(frozen=True)
class PaymentForm:
    """A checked form: everything a payment needs, money in minor units."""

    creditor_name: str
    iban: str
    bic: str | None
    amount: int
    communication: Communication
    execution_date: date
    account_id: int


def account_problem(account: AccountChoice | None, currency: str, *, bulk: bool = False) -> str | None:
    if account is None:
        return "Choose the account to pay from."
    if account.payments_enabled is False or bulk and account.bulk_payments_enabled is False:
        what = "bulk payments" if bulk else "payments"
        return f"{account.name}'s bank does not allow {what} through Ponto: choose another account."
    if account.currency != currency:
        return f"{account.name} holds {account.currency}, and this is paid in {currency}: choose a {currency} account."
    return None


def check_form(
    values: dict[str, str],
    *,
    currency: str,
    today: date,
    accounts: dict[int, AccountChoice],
) -> tuple[PaymentForm | None, dict[str, str]]:
    """The form's values by field (creditor, iban, bic, amount, communication, date, account): the
    checked form, or what is wrong in each field."""
    errors: dict[str, str] = {}
    name = values.get("creditor", "").strip()
    if not name:
        errors["creditor"] = "Give the supplier's name as the bank should show it."
    elif problem := text_problem(name, NAME_LIMIT):
        errors["creditor"] = problem
    iban, problem = check_iban(values.get("iban", ""))
    if problem:
        errors["iban"] = problem
    bic, problem = check_bic(values.get("bic", ""))
    if problem:
        errors["bic"] = problem
    amount, problem = parse_amount_minor(values.get("amount", ""), currency)
    if problem:
        errors["amount"] = problem
    communication, problem = parse_communication(values.get("communication", ""))
    if problem:
        errors["communication"] = problem
    day, problem = execution_date(values.get("date", ""), today)
    if problem:
        errors["date"] = problem
    account_id = int(values["account"]) if values.get("account", "").isdigit() else None
    account = accounts.get(account_id) if account_id is not None else None
    if problem := account_problem(account, currency):
        errors["account"] = problem
    if errors:
        return None, errors
    assert iban and amount and communication and day and account
    return PaymentForm(name, iban, bic, amount, communication, day, account.id), {}

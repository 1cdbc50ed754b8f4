"""A company's volume, generated: open invoices and the bank lines that pay them (or not), seeded and
repeatable, for the benchmarks and the comparison of the indexed matcher with the pairwise one.

The lines mix what the evaluation set holds by hand: structured and RF references, invoice numbers in
noisy text, known IBANs with an exact amount, bank fees, partial payments, several invoices in one
transfer, names alone, credit notes, reversals and lines that pay nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum import iso11649
from stdnum.be import ogm_vcs

from matching import BankLine, OpenItem, normalize_reference

WORDS = (
    "Atelier Brouwerij Bakkerij Garage Drukkerij Schrijnwerk Boulangerie Transport Immo Bureau Studio "
    "Verlichting Peinture Menuiserie Tuinen Dakwerken Elektro Sanitair Optique Pharma Consult Logistics "
    "Vlaanderen Wallonie Brabant Kempen Ardennes Meuse Schelde Noord Zuid Centrum Europe Delta Alfa Nova"
).split()
SURNAMES = (
    "Peeters Janssens Maes Jacobs Mertens Willems Claes Goossens Wouters Dubois Lambert Dupont Martin "
    "Simon Laurent Leclercq Hermans Michiels Desmet Vermeulen Lemmens Renard Fontaine Declercq Smets"
).split()
FORMS = ("NV", "BV", "SRL", "SA", "BVBA", "CV", "VOF", "")
NOISE = (
    "salary november",
    "loon oktober",
    "huur kantoor",
    "loyer bureau",
    "terugbetaling onkosten",
    "card payment 4421",
    "cash deposit",
    "interest",
)


def belgian_iban(n: int) -> str:
    """A valid Belgian IBAN for account number n (national and IBAN check digits computed)."""
    first = f"{539 + n % 400:03d}{n % 10_000_000:07d}"
    national = int(first) % 97 or 97
    bban = f"{first}{national:02d}"
    check = 98 - int(f"{bban}111400") % 97  # B=11, E=14, then "00"
    return f"BE{check:02d}{bban}"


def ogm(n: int) -> str:
    base = f"{n % 10**10:010d}"
    return base + ogm_vcs.calc_check_digits(base)


def rf(n: int) -> str:
    """An RF creditor reference (ISO 11649: the check digits of body + 'RF00', letters as numbers)."""
    body = f"INV{n:08d}"
    digits = "".join(str(int(c, 36)) for c in body + "RF00")
    reference = f"RF{98 - int(digits) % 97:02d}{body}"
    assert iso11649.is_valid(reference)
    return reference


def show_ogm(digits: str) -> str:
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


@dataclass(frozen=True)
class Party:
    name: str
    ibans: tuple[str, ...]


@dataclass(frozen=True)
class Volume:
    invoices: list[OpenItem]
    lines: list[BankLine]
    parties: list[Party]


SYLLABLES = "van de ker mans ber gen lin ders hof wel stra ton vil mon dri cla ro sel ter ma lo bru gge nae ert".split()


def surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 4))).capitalize()


def party_names(rng: random.Random, count: int) -> list[str]:
    """Distinct company names of the shapes Belgian ones take (a few are close to each other, as in life)."""
    names: set[str] = set()
    while len(names) < count:
        shape = rng.random()
        if shape < 0.5:
            name = f"{rng.choice(WORDS)} {surname(rng)} {rng.choice(FORMS)}"
        elif shape < 0.8:
            name = f"{surname(rng)} {rng.choice(WORDS)} {rng.choice(FORMS)}"
        elif shape < 0.95:
            name = f"{surname(rng)} & {surname(rng)} {rng.choice(FORMS)}"
        else:
            name = f"{rng.choice(SURNAMES)} {rng.choice(FORMS)}"
        names.add(name.strip())
    return sorted(names)


def generate(invoices: int, lines: int, *, seed: int = 2026, parties: int | None = None) -> Volume:
    rng = random.Random(seed)
    party_count = parties or max(10, invoices // 20)
    people = [
        Party(name, tuple(belgian_iban(seed * 7919 + i * 3 + k) for k in range(1 + (rng.random() < 0.2))))
        for i, name in enumerate(party_names(rng, party_count))
    ]
    start = date(2026, 1, 1)
    items: list[OpenItem] = []
    owner: dict[str, Party] = {}
    for n in range(invoices):
        party = rng.choice(people)
        issued = start + timedelta(days=rng.randrange(300))
        style = rng.random()
        number = (
            f"INV-2026-{n + 1:05d}" if style < 0.5 else f"F{26_000_000 + n:08d}" if style < 0.8 else f"2026/{n + 1:06d}"
        )
        kind = rng.random()
        reference = ogm(seed * 1_000_003 + n) if kind < 0.45 else rf(n) if kind < 0.55 else None
        cents = rng.choice([rng.randrange(5_000, 200_000), rng.randrange(100_000, 2_000_000), 121_000, 60_500])
        credit = rng.random() < 0.03
        items.append(
            OpenItem(
                number=number,
                residual=-cents if credit else cents,
                currency="EUR" if rng.random() < 0.97 else "USD",
                party=party.name,
                reference=normalize_reference(reference),
                party_ibans=frozenset(party.ibans) if rng.random() < 0.6 else frozenset(),
                issue_date=issued,
                due_date=issued + timedelta(days=30),
            )
        )
        owner[number] = party
    bank_lines = [_line(rng, k, items, owner, people) for k in range(lines)]
    return Volume(items, bank_lines, people)


def _line(rng: random.Random, k: int, items: list[OpenItem], owner: dict[str, Party], people: list[Party]) -> BankLine:
    item = rng.choice(items)
    party = owner[item.number]
    when = (item.issue_date or date(2026, 1, 1)) + timedelta(days=rng.randrange(-5, 60))
    amount = item.residual
    name: str | None = party.name if rng.random() < 0.9 else party.name.upper().replace(" ", "")
    iban: str | None = rng.choice(party.ibans)
    kind = rng.random()
    if kind < 0.25 and item.reference:
        text = show_ogm(item.reference) if item.reference.isdigit() else item.reference
    elif kind < 0.45:
        text = rng.choice(
            [f"factuur {item.number}", f"Facture n° {item.number} merci", f"inv {item.number.replace('-', '')} ok"]
        )
    elif kind < 0.55:
        text = f"betaling {rng.choice(['oktober', 'novembre', 'diverse'])}"  # the party and the amount only
    elif kind < 0.62:
        fee = rng.choice([150, abs(item.residual) * 8 // 1000])  # a fixed bank fee, or a share of a big amount
        fee *= rng.choice([1, -1])  # deducted, or added on top (rounded up, a payer's own fee)
        amount = item.residual - (fee if item.residual > 0 else -fee)
        text = f"{item.number} minus kosten"
    elif kind < 0.70:
        amount = item.residual // 2 or item.residual  # partial
        text = f"voorschot {item.number}"
    elif kind < 0.78:
        same = [i for i in rng.sample(items, min(len(items), 40)) if owner[i.number] is party and i is not item][:2]
        amount = item.residual + sum(i.residual for i in same)
        text = " + ".join(i.number for i in [item, *same])
    elif kind < 0.83:
        text = f"RETOUR {item.number} MS03"
        amount = -item.residual
    elif kind < 0.88:
        iban = None
        text = f"payment {rng.randrange(1000, 99999)}"
    else:
        stranger = rng.choice(people)
        name, iban = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}", belgian_iban(10_000_000 + k)
        if stranger is party:
            name = None
        amount = rng.choice([-1, 1]) * rng.randrange(1_000, 500_000)
        text = rng.choice(NOISE)
    return BankLine(
        id=f"line-{k}",
        amount=amount,
        currency=item.currency,
        counterpart_name=name,
        counterpart_iban=iban,
        remittance=text,
        execution_date=when,
    )


def invoices_csv(items: list[OpenItem]) -> str:
    """The open items as an invoice CSV with the documented columns (credit notes by kind)."""
    rows = ["number;customer;customer_iban;amount;currency;issue_date;due_date;payment_reference;kind"]
    for item in items:
        cents = abs(item.residual)
        iban = min(item.party_ibans) if item.party_ibans else ""
        kind = "sales" if item.residual > 0 else "sales_credit_note"
        rows.append(
            f"{item.number};{item.party};{iban};{cents // 100},{cents % 100:02d};{item.currency};"
            f"{item.issue_date};{item.due_date};{item.reference or ''};{kind}"
        )
    return "\n".join(rows) + "\n"


def ponto_attributes(line: BankLine, *, today: date) -> dict[str, object]:
    """A generated line as the Ponto stand-in takes it (its dates moved to end at `today`)."""
    when = min(line.execution_date or today, today).isoformat() + "T00:00:00.000Z"
    cents = abs(line.amount)
    return {
        "amount": f"{'-' if line.amount < 0 else ''}{cents // 100}.{cents % 100:02d}",
        "currency": line.currency,
        "counterpartName": line.counterpart_name,
        "counterpartReference": line.counterpart_iban,
        "remittanceInformation": line.remittance,
        "remittanceInformationType": "unstructured",
        "executionDate": when,
        "valueDate": when,
    }

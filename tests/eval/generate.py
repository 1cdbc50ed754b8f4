"""Writes the matching evaluation set (tests/data/eval/): open invoices, bank lines, expected decisions.

Each bank line is written from one of the hard cases of ../shared/docs/reconciliation.md (§3, §5.3)
and labelled by that case, not by running the matcher: `expected` is what a careful bookkeeper
would let a bot do (auto / ask / none) and `truth` the invoices the money really belongs to.
Run `python -m tests.eval.generate` to write the files again; the output is deterministic.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sandbox.ponto_data import belgian_bban, iban

OUT = Path(__file__).resolve().parent.parent / "data" / "eval"
BANKS = ("096", "001", "310", "363", "735", "068", "143", "750", "630", "103")
FORMS = ("NV", "BV", "SA", "SRL", "BVBA", "CommV", "VZW", "")
WORDS = (
    "Brouwerij",
    "Atelier",
    "Bakkerij",
    "Imprimerie",
    "Transport",
    "Studio",
    "Garage",
    "Drukkerij",
    "Logistics",
    "Bureau",
    "Zuivel",
    "Houthandel",
    "Elektro",
    "Catering",
    "Metaalbouw",
    "Textiel",
)
PLACES = (
    "Gent",
    "Lede",
    "Namur",
    "Hasselt",
    "Brugge",
    "Leuven",
    "Liège",
    "Aalst",
    "Mechelen",
    "Ieper",
    "Wavre",
    "Kortrijk",
    "Mons",
    "Genk",
    "Tienen",
    "Dinant",
)


def ogm(n: int) -> str:
    base = n % 10**10
    digits = f"{base:010d}{(base % 97) or 97:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def rf(body: str) -> str:
    from stdnum.iso7064 import mod_97_10

    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def ogm_forms(value: str, rng: random.Random) -> str:
    d = value.strip("+")
    digits = d.replace("/", "")
    return rng.choice(
        [
            value,
            value.replace("+", "*"),
            digits,
            f"{d[:3]} {d[4:8]} {d[9:]}",
            f"{d[:3]}-{d[4:8]}-{d[9:]}",
            f"+++ {d[:3]} / {d[4:8]} / {d[9:]} +++",
            f"VCS {d}",
        ]
    )


class Book:
    def __init__(self, seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.customers: list[dict[str, Any]] = []
        self.invoices: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.expected: list[dict[str, Any]] = []
        self.sequence = 0

    def customer(self, index: int) -> dict[str, Any]:
        while len(self.customers) <= index:
            n = len(self.customers)
            name = f"{WORDS[n % len(WORDS)]} {PLACES[(n * 7) % len(PLACES)]} {FORMS[n % len(FORMS)]}".strip()
            account = iban("BE", belgian_bban(BANKS[n % len(BANKS)], f"{1000000 + n * 7919:07d}"))
            self.customers.append({"name": name, "iban": account, "partner_ogm": ogm(4_000_000_000 + n * 101)})
        return self.customers[index]

    def invoice(
        self,
        customer: int,
        amount: int,
        *,
        kind: str = "sales",
        number: str | None = None,
        reference: str | None = "ogm",
        issued: date | None = None,
    ) -> dict[str, Any]:
        self.sequence += 1
        c = self.customer(customer)
        issued = issued or date(2026, 9, 1) + timedelta(days=self.sequence % 50)
        ref = {
            "ogm": ogm(5_000_000_000 + self.sequence * 37),
            "rf": rf(f"INV{self.sequence:05d}"),
            "partner": c["partner_ogm"],
            None: None,
        }.get(reference, reference)
        inv = {
            "number": number or f"INV-2026-{self.sequence:04d}",
            "kind": kind,
            "customer": c["name"],
            "customer_iban": c["iban"] if kind != "purchase" or self.rng.random() < 2 else None,
            "amount": f"{amount / 100:.2f}",
            "currency": "EUR",
            "issue_date": issued.isoformat(),
            "due_date": (issued + timedelta(days=30)).isoformat(),
            "payment_reference": ref,
        }
        self.invoices.append(inv)
        return inv

    def line(
        self,
        case: str,
        amount: int,
        text: str,
        *,
        customer: int | None = None,
        name: str | None = None,
        iban_: str | None = None,
        expected: str,
        truth: list[str],
        structured: bool = False,
        when: date = date(2026, 11, 2),
    ) -> None:
        tx_id = f"tx-{len(self.lines) + 1:03d}"
        c = self.customer(customer) if customer is not None else {}
        self.lines.append(
            {
                "id": tx_id,
                "amount": f"{amount / 100:.2f}",
                "currency": "EUR",
                "counterpartName": name if name is not None else c.get("name"),
                "counterpartReference": iban_ if iban_ is not None else c.get("iban"),
                "remittanceInformation": text,
                "remittanceInformationType": "structured" if structured else "unstructured",
                "executionDate": when.isoformat(),
                "valueDate": when.isoformat(),
            }
        )
        self.expected.append({"transaction": tx_id, "case": case, "expected": expected, "truth": truth})


def cents(rng: random.Random, low: int = 5_000, high: int = 900_000) -> int:
    return rng.randrange(low, high)


def build() -> Book:  # noqa: C901 - one place that lists every case
    b = Book()
    rng = b.rng
    # 1. Structured communication in every written form, exact amount.
    for n in range(30):
        inv = b.invoice(n % 20, cents(rng))
        b.line(
            "ogm",
            round(float(inv["amount"]) * 100),
            ogm_forms(inv["payment_reference"], rng),
            customer=n % 20,
            expected="auto",
            truth=[inv["number"]],
            structured=n % 3 == 0,
        )
    # 2. RF creditor references.
    for n in range(8):
        inv = b.invoice(20 + n % 5, cents(rng), reference="rf")
        ref = inv["payment_reference"]
        text = rng.choice([ref, f"{ref[:4]} {ref[4:8]} {ref[8:]}", f"Payment {ref.lower()}"])
        b.line(
            "rf", round(float(inv["amount"]) * 100), text, customer=20 + n % 5, expected="auto", truth=[inv["number"]]
        )
    # 3. Invoice numbers written with noise; payer names that do not match the customer.
    styles = [
        lambda n: f"Facture {n}",
        lambda n: f"FACTUUR NR {n.replace('-', '/')}",
        lambda n: f"inv {n[4:]}",
        lambda n: f"/INV/{n}/{n}, 30.10.2026",
        lambda n: f"{n.replace('INV-', '')[2:].replace('-', '')}",
        lambda n: f"betaling {n.lower()} bedankt",
        lambda n: f"{n.replace('INV-2026-', '26/')}",
    ]
    for n in range(28):
        inv = b.invoice(25 + n % 10, cents(rng), reference=None)
        number = inv["number"]
        text = styles[n % len(styles)](number)
        payer = {"name": "DEUTSCHE POST AGABT. GENERAL LEDGER", "iban_": "DE89370400440532013000"} if n % 9 == 4 else {}
        b.line(
            "invoice_number",
            round(float(inv["amount"]) * 100),
            text,
            customer=25 + n % 10,
            **payer,
            expected="auto",
            truth=[number],
        )
    # 4. One transfer, several invoices named ('+suffix' lists and full numbers).
    for n in range(8):
        invs = [b.invoice(35 + n, cents(rng, 5_000, 200_000), reference=None) for _ in range(2 + n % 3)]
        numbers = [i["number"] for i in invs]
        first = numbers[0]
        text = first + "".join("+" + x.split("-")[-1] for x in numbers[1:]) if n % 2 else " ".join(numbers)
        total = sum(round(float(i["amount"]) * 100) for i in invs)
        b.line("several_invoices", total, text, customer=35 + n, expected="auto", truth=numbers)
    # 5. Known customer account, no reference, the only open invoice with that amount.
    for n in range(16):
        inv = b.invoice(45 + n, cents(rng), reference=None)
        b.invoice(45 + n, cents(rng), reference=None)  # another open invoice of the same customer
        b.line(
            "known_account_unique_amount",
            round(
                float(inv["amount"]) * 100,
            ),
            rng.choice(["", "Betaling", "virement", "MULTI-INVOICES"]),
            customer=45 + n,
            expected="auto",
            truth=[inv["number"]],
        )
    # 6. Known account, no reference, exactly one combination of its invoices adds up.
    for n in range(5):
        invs = [b.invoice(61 + n, v, reference=None) for v in (12_345 + n, 67_890 + 3 * n, 250_000 + 7 * n)]
        pair = invs[:2]
        b.line(
            "known_account_subset",
            sum(round(float(i["amount"]) * 100) for i in pair),
            "MULTI-INVOICES",
            customer=61 + n,
            expected="auto",
            truth=[i["number"] for i in pair],
        )
    # 7. Partial payments with the reference: asked, never guessed.
    for n in range(8):
        inv = b.invoice(66 + n, cents(rng, 100_000, 900_000))
        paid = round(float(inv["amount"]) * 100) // 2
        b.line("partial", paid, inv["payment_reference"], customer=66 + n, expected="ask", truth=[inv["number"]])
    # 8. Overpayments with the reference.
    for n in range(4):
        inv = b.invoice(74 + n, cents(rng))
        b.line(
            "overpaid",
            round(float(inv["amount"]) * 100) + 10_000,
            f"Factuur {inv['number']}",
            customer=74 + n,
            expected="ask",
            truth=[inv["number"]],
        )
    # 9. The same amount owed by several customers, no reference, unknown account.
    for n in range(8):
        amount = 121_000 + n
        invs = [b.invoice(78 + k, amount, reference=None) for k in range(3)]
        right = invs[n % 3]
        name = b.customer(78 + n % 3)["name"]
        b.line(
            "same_amount_several_customers",
            amount,
            "Betaling factuur",
            name=name,
            iban_=iban("BE", belgian_bban("001", f"{2000000 + n:07d}")),
            expected="ask",
            truth=[right["number"]],
        )
    # 10. Bank fees deducted, invoice number in the text.
    for n in range(6):
        inv = b.invoice(82 + n, cents(rng, 50_000, 900_000), reference=None)
        b.line(
            "fees_deducted",
            round(float(inv["amount"]) * 100) - 150,
            f"INVOICE {inv['number']} less fees",
            customer=82 + n,
            expected="auto",
            truth=[inv["number"]],
        )
    # 11. Refunds of credit notes (outgoing).
    for n in range(4):
        inv = b.invoice(88 + n, cents(rng), kind="sales_credit_note", number=f"CN-2026-{n + 1:03d}")
        b.line(
            "refund_credit_note",
            -round(float(inv["amount"]) * 100),
            f"Terugbetaling creditnota {inv['number']}" if n % 2 else inv["payment_reference"],
            customer=88 + n,
            expected="auto",
            truth=[inv["number"]],
        )
    # 12. Supplier payments with the supplier's structured communication.
    for n in range(12):
        inv = b.invoice(92 + n % 6, cents(rng), kind="purchase", number=f"SUP-{7000 + n}")
        b.line(
            "supplier_payment",
            -round(float(inv["amount"]) * 100),
            ogm_forms(inv["payment_reference"], rng),
            customer=92 + n % 6,
            expected="auto",
            truth=[inv["number"]],
            structured=True,
        )
    # 13. Reversals and returns.
    for n in range(4):
        inv = b.invoice(98 + n, cents(rng))
        b.line(
            "reversal",
            -round(float(inv["amount"]) * 100),
            rng.choice(
                [
                    f"RETOUR {inv['payment_reference']} AC04",
                    "/RTRN/MS03/ terugstorting",
                    "Storno betaling",
                    "Remboursement - reversal",
                ]
            ),
            customer=98 + n,
            expected="none",
            truth=[],
        )
    # 14. Lines that pay no invoice.
    for n, (amount, text, who) in enumerate(
        [
            (-315_000, "Salaris oktober", "J. Peeters"),
            (-1_250, "Kosten rekeningbeheer", "KBC"),
            (-4_990, "Bancontact AD Delhaize Gent", "Delhaize"),
            (-120_000, "Huur november", "Immo Lys"),
            (250_000_00, "Kapitaalverhoging", "Holding X"),
            (-8_900, "Abonnement", "Proximus"),
            (3_874, "Interest", "KBC"),
            (-60_000, "C/C", "M. Janssens"),
            (-500_000, "C/C", "L. Maes"),
            (77_777, "Gift", "Unknown Person"),
        ]
    ):
        b.line(
            "not_an_invoice",
            amount,
            text,
            name=who,
            iban_=iban("BE", belgian_bban("310", f"{3000000 + n:07d}")),
            expected="none",
            truth=[],
        )
    # 15. A customer OGM shared by all its invoices: party evidence only.
    for n in range(5):
        invs = [b.invoice(102 + n, cents(rng), reference="partner") for _ in range(2)]
        b.line(
            "partner_ogm",
            round(float(invs[1]["amount"]) * 100),
            invs[1]["payment_reference"],
            customer=102 + n,
            expected="ask",
            truth=[invs[1]["number"]],
        )
    # 16. OGM-shaped number with a wrong check digit, no other evidence.
    for n in range(3):
        inv = b.invoice(107 + n, cents(rng))
        broken = inv["payment_reference"][:-4] + ("1" if inv["payment_reference"][-4] != "1" else "2") + "+++"
        b.line(
            "invalid_ogm",
            round(float(inv["amount"]) * 100),
            broken,
            iban_=iban("BE", belgian_bban("143", f"{4000000 + n:07d}")),
            name="Someone Else",
            expected="ask",
            truth=[inv["number"]],
        )
    # 17. Invoice number named, amount far off: asked.
    for n in range(4):
        inv = b.invoice(110 + n, cents(rng, 200_000, 900_000), reference=None)
        b.line(
            "number_wrong_amount",
            round(float(inv["amount"]) * 100) // 3,
            f"factuur {inv['number']}",
            customer=110 + n,
            expected="ask",
            truth=[inv["number"]],
        )
    # Background: open invoices nobody pays this month (they make the haystack).
    for n in range(30):
        b.invoice(114 + n % 12, cents(rng), reference=rng.choice(["ogm", None, "rf"]))
    return b


def main() -> None:
    book = build()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "invoices.json").write_text(json.dumps({"invoices": book.invoices}, indent=1, ensure_ascii=False) + "\n")
    (OUT / "transactions.json").write_text(json.dumps(book.lines, indent=1, ensure_ascii=False) + "\n")
    (OUT / "expected.json").write_text(json.dumps(book.expected, indent=1) + "\n")
    print(f"{len(book.invoices)} invoices, {len(book.lines)} transactions written to {OUT}")


if __name__ == "__main__":
    main()

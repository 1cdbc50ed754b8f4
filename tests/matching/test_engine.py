"""Decisions on small hand-made cases: the rules of the engine, one by one."""

from __future__ import annotations

from datetime import date

import pytest

from matching import BankLine, Matcher, OpenItem, match
from matching.engine import _subset_sum

ACME_IBAN = "BE71096123456769"


def item(
    number: str,
    residual: int,
    party: str = "Acme NV",
    reference: str | None = None,
    ibans: tuple[str, ...] = (ACME_IBAN,),
) -> OpenItem:
    return OpenItem(number, residual, "EUR", party, reference, frozenset(ibans), date(2026, 10, 1), date(2026, 10, 31))


def line(amount: int, text: str = "", iban: str | None = ACME_IBAN, name: str | None = "ACME N.V.") -> BankLine:
    return BankLine("t1", amount, "EUR", name, iban, text, None, date(2026, 11, 2))


def test_unique_reference_and_exact_amount_is_auto() -> None:
    (d,) = match(
        [line(10_000, "+++010/8068/17183+++")], [item("A", 10_000, reference="010806817183"), item("B", 10_000)]
    )
    assert (d.decision, d.invoices) == ("auto", ["A"])


def test_amount_alone_is_never_enough_when_several_invoices_have_it() -> None:
    (d,) = match([line(10_000, iban=None, name=None)], [item("A", 10_000), item("B", 10_000, party="Other")])
    assert d.decision == "ask" and set(d.candidates) == {"A", "B"}


def test_known_account_with_one_exact_invoice_is_auto_but_two_are_asked() -> None:
    (single,) = match([line(10_000)], [item("A", 10_000), item("B", 20_000)])
    assert (single.decision, single.invoices) == ("auto", ["A"])
    (double,) = match([line(10_000)], [item("A", 10_000), item("B", 10_000)])
    assert double.decision == "ask"


def test_partial_and_over_payments_are_asked_even_with_the_reference() -> None:
    items = [item("A", 10_000, reference="010806817183")]
    (partial,) = match([line(4_000, "+++010/8068/17183+++")], items)
    (over,) = match([line(14_000, "+++010/8068/17183+++")], items)
    assert (partial.decision, partial.candidates) == ("ask", ["A"]) and "partial payment" in partial.reasons
    assert over.decision == "ask" and "more than the amount due" in over.reasons


def test_several_named_invoices_that_add_up_are_settled_together() -> None:
    items = [item("2026-01-00267", 1_000), item("2026-01-00268", 2_000), item("2026-01-00269", 4_000)]
    (d,) = match([line(3_000, "2026-01-00267+00268", iban=None)], items)
    assert (d.decision, sorted(d.invoices)) == ("auto", ["2026-01-00267", "2026-01-00268"])
    assert d.allocations == {"2026-01-00267": 1_000, "2026-01-00268": 2_000}


def test_a_bank_fee_is_tolerated_with_a_hard_identifier() -> None:
    (d,) = match([line(99_850, "Factuur INV-2026-0042", iban=None)], [item("INV-2026-0042", 100_000)])
    assert d.decision == "auto" and d.allocations == {"INV-2026-0042": 100_000}


def test_the_sign_picks_the_side() -> None:
    supplier = item("SUP-1", -5_000, party="Proximus", reference="730115040982", ibans=())
    (d,) = match([line(-5_000, "+++730/1150/40982+++", iban=None, name="PROXIMUS")], [supplier, item("A", 5_000)])
    assert (d.decision, d.invoices) == ("auto", ["SUP-1"])
    (incoming,) = match([line(5_000, "+++730/1150/40982+++", iban=None)], [supplier])
    assert incoming.decision == "none"


def test_a_reversal_is_not_matched() -> None:
    (d,) = match([line(-10_000, "/RTRN/MS03/ terugstorting")], [item("CN-1", -10_000)])
    assert d.decision == "none" and "reversal" in d.reasons[0]


def test_learned_links_make_the_party_certain() -> None:
    items = [item("A", 10_000, ibans=()), item("B", 30_000, ibans=())]
    (unknown,) = match([line(10_000, iban="BE62510007547061", name="Payer")], items)
    (learned,) = match(
        [line(10_000, iban="BE62510007547061", name="Payer")], items, links={"BE62 5100 0754 7061": "Acme NV"}
    )
    assert unknown.decision == "ask" and (learned.decision, learned.invoices) == ("auto", ["A"])


def test_a_sender_known_by_name_only_whose_invoices_add_up_is_asked_with_exactly_those() -> None:
    items = [item(n, amount, ibans=()) for n, amount in (("A", 12_040), ("B", 8_035), ("C", 5_510))]
    (d,) = match([line(20_075, "Betaling facturen", iban="BE02096512345640")], items)
    assert (d.decision, d.candidates, d.together) == ("ask", ["A", "B"], True)
    assert not d.invoices and not d.allocations  # never automatic on a name alone


def test_reasons_are_plain_words_without_points() -> None:
    (d,) = match([line(10_000, "+++010/8068/17183+++")], [item("A", 10_000, reference="010806817183")])
    assert "structured reference matches" in d.reasons and "same amount" in d.reasons
    assert not any("(+" in reason or "(-" in reason for reason in d.reasons)


def test_one_invoices_number_with_another_invoices_payer_is_asked_not_guessed() -> None:
    """The number points at A, the payer's known account at B, same amount: the lead is not enough (MARGIN)."""
    other_iban = "BE62510007547061"
    items = [
        item("2026-0451", 10_000, party="Acme NV"),
        item("2026-0452", 10_000, party="Brico BV", ibans=(other_iban,)),
    ]
    (d,) = match([line(10_000, "invoice 2026-0451", iban=other_iban, name=None)], items)
    assert d.decision == "ask" and set(d.candidates) >= {"2026-0451", "2026-0452"}


def test_allocated_money_shrinks_the_residual_on_its_side_and_covered_items_drop_out() -> None:
    matcher = Matcher([item("A", 10_000), item("CN", -5_000)])
    matcher.allocate("A", 4_000)
    matcher.allocate("CN", 2_000)  # a credit note: money going out shrinks it towards zero too
    assert [i.residual for i in matcher.items] == [6_000, -3_000]
    matcher.allocate("A", 5_999)
    assert matcher.items[0].residual == 1  # one cent is still open
    matcher.allocate("A", 1)
    matcher.allocate("CN", 3_500)  # more than is left: settled, never the other side
    assert [i.residual for i in matcher.items] == [0, 0]
    decision = matcher.decide(line(10_000, "A"))
    assert decision.decision == "none" and decision.reasons == ["no open invoice on this side in this currency"]


def test_allocation_skips_a_settled_item_of_the_same_number() -> None:
    matcher = Matcher([item("2026-1", 0), item("2026-1", 7_000)])  # e.g. a sales and a purchase document
    matcher.allocate("2026-1", 3_000)
    assert [i.residual for i in matcher.items] == [0, 4_000]


def test_a_name_only_subset_is_not_asked_when_the_text_carries_a_reference() -> None:
    items = [item(n, amount, ibans=()) for n, amount in (("A", 12_040), ("B", 8_035), ("C", 5_510))]
    for text in ("+++090/9337/55493+++", "RF18 5390 0754 7034"):  # a valid OGM, a valid RF: no together-question
        (d,) = match([line(20_075, text, iban="BE02096512345640")], items)
        assert not d.together, text


def test_a_name_only_subset_is_not_asked_when_one_invoice_has_the_amount() -> None:
    items = [item(n, amount, ibans=()) for n, amount in (("A", 12_040), ("B", 8_035), ("D", 20_075))]
    (d,) = match([line(20_075, "Betaling", iban="BE02096512345640")], items)
    assert not d.together and d.candidates[0] == "D"


@pytest.mark.parametrize(
    ("values", "target", "found"),
    [
        ([5, 3, 2], 5, "many"),  # {5} and {3, 2}
        ([9, 4, 3], 7, [1, 2]),  # 9 is over the target and must not stop the search
        ([4, 3], 6, None),
        ([2, 2, 3], 4, [0, 1]),
        ([2, 2, 2], 4, "many"),
        ([1, 1, 1, 5], 3, [0, 1, 2]),
        ([3, 1, 2], 3, "many"),  # a sum over the target must not stop the later, smaller sums
        ([1, 1, 2], 3, "many"),  # "many" carries on into the sums built on it
    ],
)
def test_subset_sum_finds_the_one_subset_or_says_many_or_none(values: list[int], target: int, found: object) -> None:
    assert _subset_sum(values, target) == found


def test_a_known_name_with_a_far_off_amount_is_left_alone() -> None:
    (d,) = match([line(99_999, "", iban=None, name="Acme NV")], [item("A", 10_000)])
    assert d.decision == "none"  # some evidence (the name), but not enough to ask anybody


def test_a_known_name_with_nearly_the_amount_is_asked_about() -> None:
    """25 points (the name) are exactly enough to be offered; 2.5 % off is more than fees, less than 3 %."""
    (d,) = match([line(9_750, "", iban=None, name="Acme NV")], [item("A", 10_000)])
    assert (d.decision, d.candidates) == ("ask", ["A"])


def test_a_lead_of_exactly_forty_points_is_enough() -> None:
    """The named invoice (60) minus fees (15) = 75; the runner-up: same name (25) and amount (40), but
    issued after the payment (-30) = 35. A 40-point lead: decided."""
    named = OpenItem("INV-7781", 10_150, "EUR", "Other Company BV", None, frozenset(), date(2026, 10, 1))
    later = OpenItem("R-1", 10_000, "EUR", "Acme NV", None, frozenset(), date(2026, 11, 5))
    (d,) = match([line(10_000, "INV-7781", iban=None, name="Acme NV")], [named, later])
    assert (d.decision, d.invoices) == ("auto", ["INV-7781"])


NAMED = [item("2026-01-00267", 1_000), item("2026-01-00268", 2_000), item("2026-01-00269", 4_000)]
PARTY = [item("P-1", 1_000), item("P-2", 2_000), item("P-3", 4_500)]


@pytest.mark.parametrize(
    ("lines", "items", "expected"),
    [
        pytest.param(
            line(3_000, "2026-01-00267+00268", iban=None),
            NAMED,
            (
                "auto",
                ["2026-01-00267", "2026-01-00268"],
                [],
                ["the communication names 2 invoices whose amounts add up exactly"],
            ),
            id="named-total",
        ),
        pytest.param(
            line(5_000, "2026-01-00267 2026-01-00268 2026-01-00269", iban=None),
            NAMED,
            (
                "auto",
                ["2026-01-00267", "2026-01-00269"],
                [],
                ["2 of the invoices named in the communication add up exactly"],
            ),
            id="named-subset",
        ),
        pytest.param(
            line(9_999, "2026-01-00267+00268", iban=None),
            NAMED,
            (
                "ask",
                [],
                ["2026-01-00267", "2026-01-00268"],
                ["several invoices are named but their amounts do not add up to the payment"],
            ),
            id="named-no-sum",
        ),
        pytest.param(
            line(3_000, "", name=None),
            PARTY,
            (
                "auto",
                ["P-1", "P-2"],
                [],
                ["known customer account; exactly one combination of its open invoices adds up"],
            ),
            id="party-subset",
        ),
        pytest.param(
            line(3_000, "", name=None),
            [*PARTY, item("P-4", 3_000)],
            (
                "auto",
                ["P-4"],
                [],
                [
                    "known account of the customer",
                    "same amount",
                    "the only open invoice of this known customer with exactly this amount",
                ],
            ),
            id="party-exact",
        ),
        pytest.param(
            line(5_500, "", name=None),
            [*PARTY, item("P-5", 1_000)],
            (
                "ask",
                [],
                ["P-1", "P-2", "P-3"],
                ["several combinations of this customer's invoices add up to the payment"],
            ),
            id="party-many",
        ),
        pytest.param(
            line(77_777, "salary", iban=None, name="Someone Else"),
            NAMED,
            ("none", [], [], ["no invoice has enough in common with this payment"]),
            id="nothing-in-common",
        ),
        pytest.param(
            line(0, "2026-01-00267"),
            NAMED,
            ("none", [], [], ["zero amount"]),
            id="zero",
        ),
    ],
)
def test_each_decision_says_why_in_its_own_words(lines: BankLine, items: list[OpenItem], expected: tuple) -> None:
    (d,) = match([lines], items)
    assert (d.decision, sorted(d.invoices), d.candidates, d.reasons) == expected
    assert d.transaction == "t1"

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
        ([1, 2], 0, None),  # nothing to pay is no subset
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
        pytest.param(
            line(1_000, "RETOUR 2026-01-00267 AC04", iban=None, name=None),
            [item("X-1", 1_000)],
            ("none", [], [], ["looks like a reversal or a return: undo the earlier match by hand"]),
            id="reversal",
        ),
        pytest.param(
            line(-3_000, "", name=None),
            NAMED,
            ("none", [], [], ["no open invoice on this side in this currency"]),
            id="other-side",
        ),
        pytest.param(
            line(100, "2026-01-00269", iban=None, name=None),
            NAMED,
            (
                "ask",
                [],
                ["2026-01-00269"],  # 20 points, under the floor: the named invoice is still the one offered
                [
                    "invoice number 2026-01-00269 in the communication",
                    "the amount differs by more than 3 %",
                    "partial payment",
                ],
            ),
            id="named-far-off",
        ),
        pytest.param(
            line(2_000, "", iban=None, name=None),
            [item("A", 2_000), item("B", 2_000, party="Brico BV", ibans=())],
            ("ask", [], ["A", "B"], ["same amount"]),
            id="amount-alone",
        ),
        pytest.param(
            BankLine("t1", 1_000, "EUR", None, None, "", None, date(2026, 9, 1)),
            [item("A", 1_000)],
            ("none", [], [], ["no invoice has enough in common with this payment"]),  # 10 points: under the floor
            id="under-the-floor",
        ),
        pytest.param(
            line(3_000, "RF18 5390 0754 7034", name=None),
            [*PARTY, item("P-4", 3_000)],
            ("ask", [], ["P-4"], ["known account of the customer", "same amount"]),
            id="reference-elsewhere",  # the text points somewhere: the known account does not overrule it
        ),
    ],
)
def test_each_decision_says_why_in_its_own_words(lines: BankLine, items: list[OpenItem], expected: tuple) -> None:
    (d,) = match([lines], items)
    assert (d.decision, sorted(d.invoices), d.candidates, d.reasons) == expected
    assert d.transaction == "t1"
    residuals = {i.number: abs(i.residual) for i in items}
    assert d.allocations == {number: residuals[number] for number in d.invoices}  # each settled in full


def powers(prefix: str, count: int, **changes: object) -> list[OpenItem]:
    """Invoices of 1.00, 2.00, 4.00, ...: every sum of them is made one way only."""
    return [item(f"{prefix}-{n}", 100 * 2**n, **changes) for n in range(count)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("count", "decided"), [(2, "auto"), (25, "auto"), (26, "ask")])
def test_a_known_customers_invoices_that_add_up_are_settled_up_to_twenty_five_of_them(count: int, decided: str) -> None:
    (d,) = match([line(300, "", name=None)], powers("P", count))
    assert d.decision == decided
    if decided == "auto":
        assert d.allocations == {"P-0": 100, "P-1": 200}


@pytest.mark.parametrize(("count", "together"), [(2, True), (25, True), (26, False)])
def test_a_name_only_subset_is_asked_together_for_up_to_twenty_five_invoices(count: int, together: bool) -> None:
    (d,) = match([line(300, "Betaling", iban="BE02096512345640")], powers("N", count, ibans=()))
    assert d.together is together and d.decision == "ask" and not d.allocations
    if together:
        why = "2 invoices of this customer add up exactly to the payment (recognised by name only)"
        assert (d.transaction, d.candidates, d.reasons) == ("t1", ["N-0", "N-1"], [why])


def test_a_name_scoring_exactly_92_is_known_enough_to_ask_for_its_invoices_together() -> None:
    items = powers("N", 2, ibans=(), party="Bouwbedrijf Van Hoorebeke")
    (d,) = match([line(300, "Betaling", iban="BE02096512345640", name="Bouwbedrijf Van Hoorebika")], items)
    assert (d.decision, d.together, d.candidates) == ("ask", True, ["N-0", "N-1"])


AFTER = date(2026, 11, 5)  # after the payment (2 November)


def test_an_invoice_paid_before_it_was_issued_does_not_crowd_out_one_that_fits() -> None:
    """Five invoices of the amount issued after the payment (10 points each) come first (due first); the
    sixth fits.
    (Numbers with digits: an invoice number of letters only is looked for in every text, so always scored.)"""
    due_first = date(2026, 11, 20)
    issued_later = [
        OpenItem(f"L-{n}", 10_000, "EUR", f"Party {n}", None, frozenset(), AFTER, due_first) for n in range(5)
    ]
    fits = OpenItem("2026-0777", 10_000, "EUR", "Somebody", None, frozenset(), date(2026, 10, 1), date(2026, 12, 31))
    (d,) = match([line(10_000, "", iban=None, name=None)], [*issued_later, fits])
    assert (d.decision, d.candidates) == ("ask", ["2026-0777"])


def later(number: str, residual: int, issued: date = date(2026, 10, 1)) -> OpenItem:
    return OpenItem(number, residual, "EUR", "Other BV", None, frozenset(), issued)


@pytest.mark.parametrize(
    ("amount", "runners_up"),
    [
        pytest.param(10_000, [later("2026-0900", 10_200)], id="fees-exactly-2.00-off"),
        pytest.param(10_000, [later("2026-0901", 10_000, AFTER)], id="same-amount-issued-later"),
        pytest.param(10_000, [later("2026-0902", 10_050, AFTER), later("2026-0903", 10_100)], id="fees-after-a-later"),
        # 9,902 off 9,901.98: the fee window is wider than 1 % there, but only the second is within fees
        pytest.param(1_000_000, [later("2026-0904", 990_098), later("2026-0905", 990_200)], id="fees-past-one-outside"),
    ],
)
def test_a_runner_up_found_by_amount_alone_keeps_a_weak_named_invoice_from_being_decided(
    amount: int, runners_up: list[OpenItem]
) -> None:
    """The named invoice, within fees but paid before it was issued: 60 + 15 - 30 = 45. A runner-up with
    the amount alone (15 within fees; 40 - 30 issued later: 10) leaves a lead under 40: asked. Alone, decided."""
    named = OpenItem("INV-7781", amount + 150, "EUR", "Acme NV", None, frozenset(), AFTER)
    (alone,) = match([line(amount, "INV-7781", iban=None, name=None)], [named])
    assert (alone.decision, alone.invoices) == ("auto", ["INV-7781"])
    (d,) = match([line(amount, "INV-7781", iban=None, name=None)], [named, *runners_up])
    assert (d.decision, d.candidates) == ("ask", ["INV-7781"])

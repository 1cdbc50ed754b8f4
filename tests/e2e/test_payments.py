"""Paying supplier invoices from Slack, end to end against the stand-ins: a signed slash command, the
form (modal) submitted as Slack submits it, the signing page, the outgoing bank line, "paid"; a bulk
payment of three; each refusal with its message; a double submit that makes one payment."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from harness.server import Server, connect, ponto_control, start_server
from sandbox.ponto_data import ogm

TOKEN = "test-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TODAY = datetime.now(UTC).date()
ISSUED = (TODAY - timedelta(days=20)).isoformat()
DUE = (TODAY + timedelta(days=5)).isoformat()
SUPPLIER_IBAN = "BE68539007547034"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("payments"),
        {
            "API_TOKEN": TOKEN,
            "DIGEST_THRESHOLD": "1000",
            "SLACK_MESSAGES_PER_SECOND": "20",
            "PAYMENT_POLL_SECONDS": "0.5",
            "PONTO_TIMEOUT_SECONDS": "2",
        },
    )
    try:
        with httpx.Client(timeout=20) as client:
            assert client.delete(f"{running.ponto_base}/_control/transactions").status_code == 200
            connect(running, client)
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def purchase(server: Server, client: httpx.Client, number: str, amount: str, **extra: str) -> str:
    """A supplier invoice through the app's API, with its own structured communication."""
    reference = extra.pop("reference", ogm(5_000_000_000 + abs(hash(number)) % 1_000_000))
    invoice = {
        "number": number,
        "customer": extra.pop("supplier", "Brasserie Éclair SRL"),
        "customer_iban": extra.pop("iban", SUPPLIER_IBAN),
        "amount": amount,
        "currency": extra.pop("currency", "EUR"),
        "issue_date": ISSUED,
        "due_date": DUE,
        "payment_reference": reference,
        "kind": "purchase",
        **extra,
    }
    response = client.post(f"{server.url}/api/invoices", json=[invoice], headers=AUTH)
    assert response.status_code in (200, 201), response.text
    return reference


def until(what: Callable[[], Any], timeout: float = 20, label: str = "", server: Server | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    where = [m["text"][:200] for m in server.history(httpx.Client())[:6]] if server else []
    raise AssertionError(f"timed out waiting for {label}; channel: {where}")


def modals(server: Server, client: httpx.Client, user: str = "U0DEMO") -> list[dict[str, Any]]:
    return list(client.get(f"{server.slack_base}/_control/modals", params={"user": user}).json()["modals"])


def open_form(server: Server, client: httpx.Client, text: str, user: str = "U0DEMO") -> dict[str, Any]:
    """`/ponto <text>` typed by `user`, and the form that opened."""
    before = len(modals(server, client, user))
    server.slash(client, text, user=user)
    return until(lambda: modals(server, client, user)[before:], label=f"a form for {text!r}", server=server)[0]


def submit(server: Server, client: httpx.Client, view_id: str, values: dict[str, Any], user: str = "U0DEMO") -> dict:
    response = client.post(
        f"{server.slack_base}/view_submission", json={"view_id": view_id, "values": values, "user": user}
    )
    response.raise_for_status()
    return response.json()


def current(server: Server, client: httpx.Client, view_id: str) -> dict[str, Any]:
    return next(m for m in modals(server, client) if m["view"]["id"] == view_id)


def shown(server: Server, client: httpx.Client, view_id: str, title: str, timeout: float = 20) -> dict[str, Any]:
    """The form once the app has updated it to the view titled `title`."""
    return until(
        lambda: (m := current(server, client, view_id))["view"]["title"]["text"] == title and m,
        timeout,
        label=f"the form to show {title!r}",
        server=server,
    )


def link_in(modal: dict[str, Any]) -> str:
    return next(
        e["url"] for b in modal["view"]["blocks"] if b["type"] == "actions" for e in b["elements"] if "url" in e
    )


def text_of(modal: dict[str, Any]) -> str:
    return " ".join(str(b.get("text", {}).get("text", "")) for b in modal["view"]["blocks"])


def sign(client: httpx.Client, link: str, decision: str = "approve") -> None:
    page = client.get(link)
    assert page.status_code == 200 and "Sign a" in page.text
    done = client.post(link, data={"decision": decision}, follow_redirects=True)
    assert done.status_code == 200, done.text


def payment_messages(server: Server, client: httpx.Client, number: str) -> list[dict[str, Any]]:
    return [m for m in server.history(client) if "prepared by" in m["text"] and number in m["text"]]


def wait_payment_message(server: Server, client: httpx.Client, number: str, words: str) -> dict[str, Any]:
    return until(
        lambda: next((m for m in payment_messages(server, client, number) if words in m["text"]), None),
        label=f"the payment message of {number} to say {words!r}",
        server=server,
    )


def payables(server: Server, client: httpx.Client) -> dict[str, Any]:
    """`/ponto payables` typed now, and its answer."""
    before = len(server.ephemerals(client, "U0DEMO"))
    server.slash(client, "payables")
    return until(lambda: server.ephemerals(client, "U0DEMO")[before:], label="the payables list")[0]


def stand_in_payments(server: Server, client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get(f"{server.ponto_base}/_control/payments").json()["payments"])


def test_a_supplier_invoice_is_paid_from_a_slash_command_to_paid(server: Server, browser: httpx.Client) -> None:
    reference = purchase(server, browser, "INV-PAY-1", "250.00")
    form = open_form(server, browser, "pay INV-PAY-1")
    view = form["view"]
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields["iban"]["initial_value"] == SUPPLIER_IBAN and fields["amount"]["initial_value"] == "250.00"
    assert fields["creditor"]["initial_value"] == "Brasserie Eclair SRL"  # as banks take it: no accents
    digits = "".join(c for c in reference if c.isdigit())
    assert fields["communication"]["initial_value"] == f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
    assert fields["date"]["initial_date"] == DUE

    past = (TODAY - timedelta(days=1)).isoformat()
    answered = submit(server, browser, view["id"], {"date": past})
    assert answered["outcome"] == "errors" and "in the past" in answered["modal"]["errors"]["date"]
    assert [p for p in stand_in_payments(server, browser) if p.get("remittanceInformation") == digits] == []

    # A double submit (Slack retrying, or two clicks): both reach the app; one payment is made.
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: results.append(submit(server, browser, view["id"], {}))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["outcome"] for r in results) == ["updated", "updated"]
    ready = shown(server, browser, view["id"], "Sign the payment")
    mine = [p for p in stand_in_payments(server, browser) if p.get("remittanceInformation") == digits]
    assert len(mine) == 1 and mine[0]["status"] == "unsigned"
    assert mine[0]["remittanceInformation"] == digits and mine[0]["remittanceInformationType"] == "structured"
    waiting = wait_payment_message(server, browser, "INV-PAY-1", "waiting for signature")
    assert "<@U0DEMO>" in waiting["text"]

    sign(browser, link_in(ready))
    paid = wait_payment_message(server, browser, "INV-PAY-1", "paid")
    assert paid["ts"] == waiting["ts"]  # the same message, edited in place
    assert len(payment_messages(server, browser, "INV-PAY-1")) == 1
    status = browser.get(f"{server.url}/api/invoices", params={"status": "paid"}, headers=AUTH).json()
    assert "INV-PAY-1" in [i["number"] for i in status["invoices"]]
    assert len([p for p in stand_in_payments(server, browser) if p.get("remittanceInformation") == digits]) == 1


def test_a_bulk_payment_of_three_invoices_is_paid(server: Server, browser: httpx.Client) -> None:
    numbers = ["INV-BULK-1", "INV-BULK-2", "INV-BULK-3"]
    for index, number in enumerate(numbers):
        purchase(server, browser, number, f"{100 + index}.25", supplier=f"Supplier {index} NV", iban=SUPPLIER_IBAN)
    listing = payables(server, browser)
    assert all(n in str(listing["blocks"]) for n in numbers) and "pay_open" in str(listing["blocks"])
    before = len(modals(server, browser))
    server.click(browser, listing, "pay_bulk_open", "U0DEMO")
    form = until(lambda: modals(server, browser)[before:], label="the bulk form")[0]
    assert form["view"]["callback_id"] == "pay_bulk"
    answered = submit(server, browser, form["view"]["id"], {"invoices": numbers})
    assert answered["outcome"] == "updated", answered
    ready = shown(server, browser, form["view"]["id"], "Sign the payment")
    bulk = [p for p in stand_in_payments(server, browser) if p["kind"] == "bulkPayment"]
    assert len(bulk) == 1 and len(bulk[0]["payments"]) == 3
    waiting = until(
        lambda: next((m for m in server.history(browser) if m["text"].startswith(":pencil: Bulk payment of 3")), None),
        label="the bulk payment's message",
    )
    sign(browser, link_in(ready))
    paid = until(
        lambda: next((m for m in server.history(browser) if m["ts"] == waiting["ts"] and "paid" in m["text"]), None),
        label="the bulk payment paid",
        server=server,
    )
    assert all(n in str(paid["blocks"]) for n in numbers)
    status = browser.get(f"{server.url}/api/invoices", params={"status": "paid"}, headers=AUTH).json()
    assert set(numbers) <= {i["number"] for i in status["invoices"]}


def test_only_admins_may_pay(server: Server, browser: httpx.Client) -> None:
    purchase(server, browser, "INV-PAY-ADMIN", "10.00")
    before = len(modals(server, browser, "U0VIEWER"))
    server.slash(browser, "pay INV-PAY-ADMIN", user="U0VIEWER")
    refusal = server.wait_ephemeral(browser, "U0VIEWER", 1)
    assert "Only Slack workspace admins" in refusal["text"] and "pay supplier invoices" in refusal["text"]
    assert len(modals(server, browser, "U0VIEWER")) == before


def test_each_field_says_what_is_wrong_in_place(server: Server, browser: httpx.Client) -> None:
    purchase(server, browser, "INV-PAY-FIELDS", "80.00")
    form = open_form(server, browser, "pay INV-PAY-FIELDS")
    view_id = form["view"]["id"]
    made_before = len(stand_in_payments(server, browser))
    usd = next(o for o in form["view"]["blocks"][-2]["element"]["options"] if "USD" in o["text"]["text"])
    answered = submit(
        server,
        browser,
        view_id,
        {"iban": "BE68539007547035", "amount": "0", "communication": "+++090/9337/55494+++", "account": usd["value"]},
    )
    errors = answered["modal"]["errors"]
    assert "not a valid IBAN" in errors["iban"]
    assert "more than zero" in errors["amount"]
    assert "check digits are wrong" in errors["communication"]
    assert "holds USD" in errors["account"]
    outside = submit(server, browser, view_id, {"iban": "BR1500000000000010932840814P2"})
    assert "outside the SEPA zone" in outside["modal"]["errors"]["iban"]
    assert len(stand_in_payments(server, browser)) == made_before  # nothing reached Ponto

    more = submit(server, browser, view_id, {"amount": "95.00"})
    assert more["outcome"] == "updated"
    assert "more than the" in text_of(more["modal"]) and "Submit again" in text_of(more["modal"])
    confirmed = submit(server, browser, view_id, {"amount": "95.00"})
    assert confirmed["outcome"] == "updated"
    ready = shown(server, browser, view_id, "Sign the payment")
    sign(browser, link_in(ready), decision="deny")
    rejected = wait_payment_message(server, browser, "INV-PAY-FIELDS", "rejected")
    assert "nothing was paid" in rejected["text"]
    listing = payables(server, browser)  # rejected, the invoice can be paid again
    row = next(b for b in listing["blocks"] if "INV-PAY-FIELDS" in str(b))
    assert row.get("accessory", {}).get("action_id") == "pay_open"


def test_ponto_refusals_are_said_and_nothing_is_made_twice(server: Server, browser: httpx.Client) -> None:
    purchase(server, browser, "INV-PAY-REFUSED", "42.00")

    ponto_control(server, browser, "payments", {"activated": False})
    form = open_form(server, browser, "pay INV-PAY-REFUSED")
    submit(server, browser, form["view"]["id"], {})
    problem = shown(server, browser, form["view"]["id"], "Payment not prepared")
    assert "Payment initiation is not activated" in text_of(problem)
    activate = link_in(problem)
    assert "/activate-payments/" in activate
    browser.post(activate, data={"decision": "approve"})  # the organization activates payments at Ponto

    ponto_control(server, browser, "payments", {"blocked_ibans": [SUPPLIER_IBAN]})
    form = open_form(server, browser, "pay INV-PAY-REFUSED")
    submit(server, browser, form["view"]["id"], {})
    problem = shown(server, browser, form["view"]["id"], "Payment not prepared")
    assert "refused the supplier's IBAN" in text_of(problem) and "blocked" in text_of(problem)
    ponto_control(server, browser, "payments", {"blocked_ibans": []})

    # Ponto slower than the timeout on every attempt (it makes the payment, the answer comes too late):
    # the payment is kept, and sent again later with the same key, which Ponto answers with the first.
    attempts = 5  # the transport's bounded retries
    ponto_control(server, browser, "faults", {"path": "/payments$", "method": "POST", "delay": 2.5, "count": attempts})
    form = open_form(server, browser, "pay INV-PAY-REFUSED")
    submit(server, browser, form["view"]["id"], {})
    problem = shown(server, browser, form["view"]["id"], "Payment not prepared", timeout=60)
    assert "did not answer in time" in text_of(problem)
    waiting = wait_payment_message(server, browser, "INV-PAY-REFUSED", "waiting for signature")
    made = [p for p in stand_in_payments(server, browser) if str(p.get("amount")) in ("42.00", "42")]
    assert len(made) == 1, made  # the timed-out attempts and the retry are one payment at Ponto
    assert waiting["text"].count("INV-PAY-REFUSED") == 1

    # A second form for the same invoice while the first waits for a signature is refused.
    server.slash(browser, "pay INV-PAY-REFUSED")
    said = until(
        lambda: next(
            (
                e
                for e in server.ephemerals(browser, "U0DEMO")
                if "INV-PAY-REFUSED" in e["text"] and "already in a payment" in e["text"]
            ),
            None,
        ),
        label="the refusal of a second payment",
    )
    assert "Sign or reject that one first" in said["text"]


def test_an_unsigned_payment_expires_and_frees_the_invoice(server: Server, browser: httpx.Client) -> None:
    purchase(server, browser, "INV-PAY-EXPIRES", "12.00")
    form = open_form(server, browser, "pay INV-PAY-EXPIRES")
    submit(server, browser, form["view"]["id"], {})
    shown(server, browser, form["view"]["id"], "Sign the payment")
    ponto_control(server, browser, "payments", {"expiry_seconds": 0})
    try:
        expired = wait_payment_message(server, browser, "INV-PAY-EXPIRES", "expired")
    finally:
        ponto_control(server, browser, "payments", {"expiry_seconds": None})
    assert "nothing was paid" in expired["text"]
    again = open_form(server, browser, "pay INV-PAY-EXPIRES")  # the invoice is free to pay again
    assert again["view"]["callback_id"] == "pay_single"


def test_no_account_that_can_pay_is_said(server: Server, browser: httpx.Client) -> None:
    purchase(server, browser, "INV-PAY-NOBANK", "5.00")
    flags = {r["payments_enabled"] for r in server.records("bank_accounts")}
    assert flags == {1} or flags == {True}  # learned from the sandbox bank's financialInstitution at the sync
    server.execute("UPDATE bank_accounts SET payments_enabled = 0")
    try:
        before = len(server.ephemerals(browser, "U0DEMO"))
        server.slash(browser, "pay INV-PAY-NOBANK")
        said = until(lambda: server.ephemerals(browser, "U0DEMO")[before:], label="the refusal")[0]
        assert "No connected account can pay through Ponto" in said["text"]
    finally:
        server.execute("UPDATE bank_accounts SET payments_enabled = 1")


def test_the_form_is_drawn_on_the_stand_ins_page_and_works_from_it(server: Server, browser: httpx.Client) -> None:
    """What a person at `make demo` sees: the form above the channel, submitted with the page's own form."""
    purchase(server, browser, "INV-PAY-PAGE", "33.00", supplier="Atelier <b>Nord</b>")
    form = open_form(server, browser, "pay INV-PAY-PAGE")
    page = browser.get(f"{server.slack_base}/", params={"user": "U0DEMO", "channel": "C0FINANCE"}).text
    assert "Pay a supplier invoice" in page and "name='v:iban' value='BE68539007547034'" in page
    assert "Atelier <b>" not in page and "Atelier &lt;b&gt;Nord" in page  # the supplier's text stays text
    fields = {"view_id": form["view"]["id"], "user": "U0DEMO", "team": "", "back": "user=U0DEMO"}
    values = {"v:creditor": "Atelier Nord", "v:iban": "BE68539007547034", "v:bic": "", "v:amount": "33.00",
              "v:communication": "Invoice INV-PAY-PAGE", "v:date": DUE}  # fmt: skip
    account = next(b for b in form["view"]["blocks"] if b.get("block_id") == "account")["element"]["initial_option"][
        "value"
    ]
    done = browser.post(f"{server.slack_base}/view_submission", data={**fields, **values, "v:account": account})
    assert done.status_code == 303
    ready = shown(server, browser, form["view"]["id"], "Sign the payment")
    page = browser.get(f"{server.slack_base}/", params={"user": "U0DEMO", "channel": "C0FINANCE"}).text
    assert "Sign at your bank" in page and link_in(ready) in page.replace("&amp;", "&")
    browser.post(f"{server.slack_base}/view_close", data=fields)
    assert current(server, browser, form["view"]["id"]).get("closed")
    page = browser.get(f"{server.slack_base}/", params={"user": "U0DEMO", "channel": "C0FINANCE"}).text
    assert form["view"]["id"] not in page  # closed: no longer drawn (another test's form may be)

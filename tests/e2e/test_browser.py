"""The whole story in a real browser (headless Chromium, Debian's package, driven by Playwright), on the
demo's pages as a new user sees them: `/ponto activate` typed on the Slack stand-in's page, the consent
approved at the Ponto stand-in, the accounts overview, a "marked paid" message, a question answered with
its button (the confirm dialog accepted), the App Home tab, and a supplier invoice paid: `/ponto pay`, the
form drawn on the page, signed at the Ponto stand-in, "paid". The run writes the README's screenshots to
docs/screenshots/."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from harness.server import Server, ponto_control, start_server
from sandbox.ponto_data import ogm
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (Debian's chromium package; `make test` installs it as root)"
)
SHOTS = ROOT / "docs" / "screenshots"
TOKEN = "browser-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def eventually(check: Callable[[], bool], what: str, server: Server, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{server.log()[-2000:]}")
        time.sleep(0.2)


def in_channel(server: Server, client: httpx.Client, text: str) -> bool:
    return any(text in m["text"] for m in server.history(client))


def test_the_whole_story_in_a_browser(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    server = start_server(tmp_path, {"API_TOKEN": TOKEN, "DIGEST_THRESHOLD": "1000"})
    try:
        with httpx.Client(timeout=20) as client, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            dialogs: list[str] = []

            def accept(dialog) -> None:  # type: ignore[no-untyped-def]
                dialogs.append(dialog.message)
                dialog.accept()

            page.on("dialog", accept)

            # /ponto activate, typed as a person types it; the consent link comes privately.
            page.goto(f"{server.slack_base}/")
            page.fill("input[name=text]", "activate")
            page.click("button:has-text('Send')")
            connect = page.locator("a.btn", has_text="Connect with Ponto").first
            expect(connect).to_be_visible()
            page.goto(str(connect.get_attribute("href")))
            expect(page.locator("h1")).to_contain_text("share your accounts")
            page.screenshot(path=str(SHOTS / "ponto-consent.png"))
            page.click("button:has-text('Approve')")
            expect(page.locator("body")).to_contain_text("Demo Company BV")  # the app's page after the callback
            server.wait_quiet()
            page.goto(f"{server.slack_base}/")
            expect(page.locator("main")).to_contain_text("linked 3 accounts of Demo Company BV")
            page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

            # A payment with an invoice's structured reference: marked paid.
            today = datetime.now(UTC).date()
            issued, due = str(today - timedelta(days=20)), str(today + timedelta(days=10))
            reference = ogm(4_200_000_017)
            invoices = [
                {"number": "INV-2026-101", "customer": "Atelier Lumière SRL", "amount": "1234.56", "currency": "EUR",
                 "issue_date": issued, "due_date": due, "payment_reference": reference},
                {"number": "INV-2026-102", "customer": "Brasserie du Parc", "amount": "480.00", "currency": "EUR",
                 "issue_date": issued, "due_date": due},
                {"number": "INV-2026-103", "customer": "Café Central", "amount": "480.00", "currency": "EUR",
                 "issue_date": issued, "due_date": due},
            ]  # fmt: skip
            assert client.post(f"{server.url}/api/invoices", json=invoices, headers=AUTH).status_code in (200, 201)
            account = next(iter(client.get(f"{server.ponto_base}/_control/state").json()["accounts"]))
            lines = [
                {"amount": "1234.56", "remittanceInformation": reference, "remittanceInformationType": "structured",
                 "counterpartName": "ATELIER LUMIERE", "counterpartReference": "BE71096123456769"},
                {"amount": "480.00", "remittanceInformation": "Betaling november", "counterpartName": "J. Peeters",
                 "remittanceInformationType": "unstructured", "counterpartReference": "BE62510007547061"},
            ]  # fmt: skip
            ponto_control(server, client, "transactions", {"account_id": account, "transactions": lines})
            eventually(lambda: in_channel(server, client, "INV-2026-101 marked paid"), "the paid message", server)
            eventually(lambda: in_channel(server, client, "Which invoice does this pay?"), "the question", server)
            page.reload()
            expect(page.locator("main")).to_contain_text("Invoice INV-2026-101 marked paid")

            # The question, answered with its button; the confirm dialog says what will happen.
            question = page.locator(".msg", has_text="Which invoice does this payment settle?").last
            question.locator("form", has=page.locator("input[value$=':INV-2026-103']")).locator("button").click()
            expect(page.locator("main")).to_contain_text("INV-2026-103 chosen by")
            assert dialogs and "INV-2026-103 will be marked paid" in dialogs[-1]
            page.screenshot(path=str(SHOTS / "question-answered.png"), full_page=True)

            # The App Home tab.
            page.click("a:has-text('Ponto (app): Home')")
            home = page.locator(".home")
            expect(home).to_contain_text("Ponto: Demo Company BV")
            expect(home).to_contain_text("Receivables")
            expect(home).to_contain_text("INV-2026-103")  # among the last invoices paid
            page.screenshot(path=str(SHOTS / "app-home.png"), full_page=True)

            # A supplier invoice paid: the form, the bank's signing page, and the channel's message edited.
            supplier = {"number": "SUP-2026-7", "customer": "Papeterie Dubois SRL", "amount": "236.50",
                        "currency": "EUR", "issue_date": issued, "due_date": due, "kind": "purchase",
                        "customer_iban": "BE68539007547034", "payment_reference": ogm(4_200_000_025)}  # fmt: skip
            assert client.post(f"{server.url}/api/invoices", json=[supplier], headers=AUTH).status_code in (200, 201)
            page.goto(f"{server.slack_base}/")
            page.fill("input[name=text]", "pay SUP-2026-7")
            page.click("button:has-text('Send')")
            form = page.locator(".modal")
            expect(form).to_contain_text("Pay a supplier invoice")
            expect(form.locator("input[name='v:iban']")).to_have_value("BE68539007547034")
            form.locator("input[name='v:amount']").fill("0")
            form.locator("button:has-text('Prepare payment')").click()
            expect(page.locator(".modal")).to_contain_text("The amount must be more than zero")
            page.locator(".modal input[name='v:amount']").fill("236.50")
            page.screenshot(path=str(SHOTS / "payment-form.png"), full_page=True)
            page.locator(".modal button:has-text('Prepare payment')").click()
            sign = page.locator(".modal a.btn", has_text="Sign at your bank")
            eventually(lambda: (page.reload() or True) and sign.count() > 0, "the signing link", server)
            page.goto(str(sign.get_attribute("href")))
            expect(page.locator("h1")).to_contain_text("Sign a payment")
            page.click("button:has-text('Sign')")
            eventually(
                lambda: any("SUP-2026-7" in m["text"] and ": paid" in m["text"] for m in server.history(client)),
                "the payment paid",
                server,
                timeout=40,
            )
            page.goto(f"{server.slack_base}/")
            expect(page.locator("main")).to_contain_text("prepared by")
            browser.close()
    finally:
        server.stop()

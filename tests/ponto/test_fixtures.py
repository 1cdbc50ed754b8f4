"""Every body in ../shared/fixtures/ponto-connect goes through the client's parsers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ponto.models import (
    Account,
    BulkPayment,
    FinancialInstitution,
    Payment,
    Resource,
    Synchronization,
    TokenSet,
    Transaction,
    UserInfo,
    parse_resource,
)
from tests.conftest import SHARED_FIXTURES, load_fixture

BODIES = sorted(p.name for p in (SHARED_FIXTURES / "ponto-connect").glob("*.json"))


@pytest.mark.parametrize("name", BODIES)
def test_every_fixture_parses(name: str) -> None:
    body = load_fixture(f"ponto-connect/{name}")
    if name == "create_access_token.json":
        assert TokenSet.from_response(body, datetime(2026, 1, 1, tzinfo=UTC)).refresh_token
        return
    if name == "userinfo.json":
        assert UserInfo.from_json(body).organization_id
        return
    data = body["data"]
    for obj in data if isinstance(data, list) else [data]:
        value = parse_resource(obj)
        assert value.id == obj["id"]
        assert value.raw is obj  # nothing dropped


def test_there_are_fixtures() -> None:
    assert len(BODIES) >= 30 and "transactions.json" in BODIES


def test_transaction_fixture_values() -> None:
    (obj,) = load_fixture("ponto-connect/transactions.json")["data"]
    tx = Transaction.from_jsonapi(obj)
    assert (tx.amount, tx.fee, tx.currency) == (276, 314, "EUR")
    assert tx.value_date == date(2020, 6, 19) and not tx.pending
    assert tx.counterpart_reference == "BE62467153327786" and tx.counterpart_name == "Rice Ltd"
    assert tx.account_id == "8804e34f-12b0-4b70-86bf-265f013ca232"
    assert tx.raw["attributes"]["cardReference"] == "6666"


def test_pending_and_sync_and_payment_values() -> None:
    pending = Transaction.from_jsonapi(load_fixture("ponto-connect/pendingTransaction.json")["data"])
    assert pending.pending and pending.execution_date == date(2020, 6, 20)
    sync = Synchronization.from_jsonapi(load_fixture("ponto-connect/synchronization.json")["data"])
    assert (sync.status, sync.subtype, sync.done) == ("pending", "accountDetails", False)
    payment = Payment.from_jsonapi(load_fixture("ponto-connect/payment_create.json")["data"])
    assert payment.amount == 100 and payment.redirect and payment.redirect.startswith("https://authorize.myponto.com/")
    institution = parse_resource(load_fixture("ponto-connect/financial_institution.json")["data"])
    assert isinstance(institution, FinancialInstitution) and institution.name == "Fake Bank"
    assert not institution.payments_enabled  # the fixture says nothing: absent flags count as "no"
    bulk = parse_resource(load_fixture("ponto-connect/bulk_payment_create.json")["data"])
    assert isinstance(bulk, BulkPayment) and (bulk.status, bulk.reference) == ("unsigned", "Invoice collection")
    assert bulk.redirect and bulk.redirect.endswith("/bulk-payments/e9607b48-7941-4470-8b5a-19ddfe62e67a")
    assert isinstance(
        parse_resource(load_fixture("ponto-connect/organization_financial_institutions.json")["data"][0]),
        FinancialInstitution,
    )
    account = parse_resource(load_fixture("ponto-connect/account.json")["data"])
    assert isinstance(account, Account) and account.financial_institution_id == "953934eb-229a-4fd2-8675-07794078cc7d"
    assert isinstance(parse_resource(load_fixture("ponto-connect/payment_request.json")["data"]), Resource)

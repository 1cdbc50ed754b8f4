"""The stand-in's demo organization, seeded deterministically."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

NAMESPACE = uuid.UUID("6f1c1d2e-6a55-4c7e-9d1e-2f3a4b5c6d7e")


def stable_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def iban(country: str, bban: str) -> str:
    """An IBAN with correct ISO 13616 check digits."""
    digits = "".join(str(int(ch, 36)) for ch in (bban + country + "00").upper())
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{bban}"


def belgian_bban(bank: str, account: str) -> str:
    """A Belgian BBAN: 3-digit bank code, 7-digit account, 2-digit mod-97 check."""
    number = int(bank + account)
    check = number % 97 or 97
    return f"{bank}{account}{check:02d}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class SandboxAccount:
    id: str
    reference: str
    currency: str
    description: str
    product: str
    holder_name: str
    subtype: str
    current_balance: Decimal
    available_balance: Decimal
    authorized_at: datetime
    authorization_expires_at: datetime
    financial_institution_id: str
    synchronized_at: datetime


@dataclass
class SandboxOrganization:
    id: str
    name: str
    accounts: list[SandboxAccount] = field(default_factory=list)


def demo_organization(now: datetime) -> SandboxOrganization:
    """Demo Company BV with three accounts at 'Super Sandbox Bank' (two EUR, one USD)."""
    org_id = stable_id("organization", "demo")
    fi = stable_id("financial-institution", "super-sandbox-bank")
    authorized = (now - timedelta(days=30)).replace(microsecond=0)
    specs: list[tuple[str, str, str, str, str, str]] = [
        ("BE", belgian_bban("737", "0123456"), "EUR", "Business current account", "checking", "12840.55"),
        ("BE", belgian_bban("001", "7654321"), "EUR", "Savings account", "savings", "50000.00"),
        ("BE", belgian_bban("363", "1234567"), "USD", "USD account", "checking", "2315.07"),
    ]
    accounts = [
        SandboxAccount(
            id=stable_id("account", org_id, index),
            reference=iban(country, bban),
            currency=currency,
            description=description,
            product=description,
            holder_name="Demo Company BV",
            subtype=subtype,
            current_balance=Decimal(balance),
            available_balance=Decimal(balance),
            authorized_at=authorized,
            authorization_expires_at=authorized + timedelta(days=180),
            financial_institution_id=fi,
            synchronized_at=now.replace(microsecond=0),
        )
        for index, (country, bban, currency, description, subtype, balance) in enumerate(specs)
    ]
    return SandboxOrganization(id=org_id, name="Demo Company BV", accounts=accounts)


def generated_organization(index: int, now: datetime) -> SandboxOrganization:
    """Company NNN BV with one EUR current account: one more tenant, with a stable id and IBAN."""
    name = f"Company {index:03d} BV"
    org_id = stable_id("organization", "generated", index)
    authorized = (now - timedelta(days=30)).replace(microsecond=0)
    account = SandboxAccount(
        id=stable_id("account", org_id, 0),
        reference=iban("BE", belgian_bban("735", f"{index:07d}")),
        currency="EUR",
        description="Business current account",
        product="Business current account",
        holder_name=name,
        subtype="checking",
        current_balance=Decimal("1000.00"),
        available_balance=Decimal("1000.00"),
        authorized_at=authorized,
        authorization_expires_at=authorized + timedelta(days=180),
        financial_institution_id=stable_id("financial-institution", "super-sandbox-bank"),
        synchronized_at=now.replace(microsecond=0),
    )
    return SandboxOrganization(id=org_id, name=name, accounts=[account])


def account_resource(account: SandboxAccount, api_base: str) -> dict[str, Any]:
    """The account as Ponto Connect serves it (attribute names as in the official fixtures)."""
    changed = iso(account.synchronized_at)
    reference_date = iso(account.synchronized_at.replace(hour=0, minute=0, second=0))
    return {
        "type": "account",
        "id": account.id,
        "attributes": {
            "subtype": account.subtype,
            "referenceType": "IBAN",
            "reference": account.reference,
            "product": account.product,
            "internalReference": stable_id("internal", account.id),
            "holderName": account.holder_name,
            "description": account.description,
            "deprecated": False,
            "currency": account.currency,
            "currentBalance": account.current_balance,
            "currentBalanceChangedAt": changed,
            "currentBalanceReferenceDate": reference_date,
            "currentBalanceVariationObservedAt": changed,
            "availableBalance": account.available_balance,
            "availableBalanceChangedAt": changed,
            "availableBalanceReferenceDate": reference_date,
            "availableBalanceVariationObservedAt": changed,
            "authorizedAt": iso(account.authorized_at),
            "authorizationExpirationExpectedAt": iso(account.authorization_expires_at),
        },
        "relationships": {
            "transactions": {
                "links": {
                    "related": f"{api_base}/accounts/{account.id}/transactions",
                    "meta": {"type": "transaction"},
                }
            },
            "financialInstitution": {
                "links": {"related": f"{api_base}/financial-institutions/{account.financial_institution_id}"},
                "data": {"type": "financialInstitution", "id": account.financial_institution_id},
            },
        },
        "meta": {
            "availability": "available",
            "synchronizedAt": changed,
            "latestSynchronization": {
                "type": "synchronization",
                "id": stable_id("synchronization", account.id, changed),
                "attributes": {
                    "createdAt": changed,
                    "updatedAt": changed,
                    "customerOnline": False,
                    "errors": [],
                    "resourceId": account.id,
                    "resourceType": "account",
                    "status": "success",
                    "subtype": "accountDetails",
                },
            },
        },
        "links": {"self": f"{api_base}/accounts/{account.id}"},
    }


COUNTERPARTIES = (
    ("Brouwerij Het Anker NV", "BE", "068", "2493871"),
    ("Atelier Lumière SRL", "BE", "310", "1805446"),
    ("Koffiebranderij De Pauw BV", "BE", "001", "4427865"),
    ("Imprimerie Dumont SA", "BE", "363", "0072918"),
    ("Studio Vandamme", "BE", "735", "0133604"),
    ("Proximus SA", "BE", "000", "0000404"),
    ("Engie Electrabel", "BE", "096", "5551282"),
    ("Bureau Peeters & Co", "BE", "143", "0909145"),
)


def ogm(number: int) -> str:
    """A Belgian structured communication +++ddd/dddd/ddddd+++ with its mod-97 check digits."""
    base = number % 10**10
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def transaction_attributes(
    rng: Any, *, currency: str, when: datetime, created: datetime, sequence: int
) -> dict[str, Any]:
    """One plausible bank line with every attribute the real API carries."""
    name, country, bank, account = COUNTERPARTIES[rng.randrange(len(COUNTERPARTIES))]
    incoming = rng.random() < 0.55
    cents = rng.randrange(500, 250_000) if incoming else -rng.randrange(200, 120_000)
    structured = incoming and rng.random() < 0.4
    remittance = ogm(rng.randrange(10**9, 10**10)) if structured else f"Invoice INV-2026-{rng.randrange(1, 999):03d}"
    day = iso(when.replace(hour=0, minute=0, second=0, microsecond=0))
    return {
        "valueDate": day,
        "executionDate": day,
        "amount": Decimal(cents).scaleb(-2),
        "currency": currency,
        "counterpartName": name,
        "counterpartReference": iban(country, belgian_bban(bank, account)),
        "remittanceInformation": remittance,
        "remittanceInformationType": "structured" if structured else "unstructured",
        "description": "SEPA credit transfer" if incoming else "SEPA payment",
        "bankTransactionCode": "PMNT-RCDT-ESCT" if incoming else "PMNT-ICDT-ESCT",
        "proprietaryBankTransactionCode": f"{rng.randrange(10000, 99999)}",
        "endToEndId": f"E2E{sequence:012d}",
        "purposeCode": None,
        "mandateId": None,
        "creditorId": None,
        "additionalInformation": None,
        "cardReference": None,
        "cardReferenceType": None,
        "fee": None,
        "internalReference": stable_id("internal-tx", sequence),
        "digest": stable_id("digest", sequence).replace("-", ""),
        "createdAt": iso(created),
        "updatedAt": iso(created),
    }


TRANSACTION_ATTRIBUTES = (
    "valueDate",
    "executionDate",
    "amount",
    "currency",
    "counterpartName",
    "counterpartReference",
    "remittanceInformation",
    "remittanceInformationType",
    "description",
    "bankTransactionCode",
    "proprietaryBankTransactionCode",
    "endToEndId",
    "purposeCode",
    "mandateId",
    "creditorId",
    "additionalInformation",
    "cardReference",
    "cardReferenceType",
    "fee",
    "internalReference",
    "digest",
)


def transaction_resource(
    kind: str, tx_id: str, account_id: str, attributes: dict[str, Any], api: str
) -> dict[str, Any]:
    collection = "transactions" if kind == "transaction" else "pending-transactions"
    return {
        "type": kind,
        "id": tx_id,
        "attributes": attributes,
        "relationships": {
            "account": {
                "links": {"related": f"{api}/accounts/{account_id}"},
                "data": {"type": "account", "id": account_id},
            }
        },
        "links": {"self": f"{api}/accounts/{account_id}/{collection}/{tx_id}"},
    }

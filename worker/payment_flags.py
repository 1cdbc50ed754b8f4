"""Which connected accounts can pay: their financial institution's flags (ponto-connect-api.md §4.6), asked
once per account at the connection (and again later for those Ponto could not answer about then), never
inside a sync run, so syncs call Ponto exactly as before payments existed."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ponto import PontoClient, PontoError
from storage.models import BankAccount

log = logging.getLogger(__name__)


async def learn_payment_flags(sessions: async_sessionmaker, client: PontoClient, connection_id: int) -> None:
    """Ask once what each account's bank lets us initiate (its financial institution's flags, §4.6).
    A bank that cannot be asked now is asked at the next sync; the payment form treats it as maybe."""
    async with sessions() as session:
        query = select(BankAccount).where(
            BankAccount.connection_id == connection_id, BankAccount.payments_enabled.is_(None)
        )
        unknown = {a.id: _institution_of(a) for a in await session.scalars(query)}
    flags: dict[str, tuple[bool, bool]] = {}
    for institution in {i for i in unknown.values() if i}:
        try:
            found = await client.get_financial_institution(institution)
        except PontoError as exc:
            log.info("financial institution %s not read: %s", institution, exc)
            continue
        flags[institution] = (found.payments_enabled, found.bulk_payments_enabled)
    if not flags:
        return
    async with sessions.begin() as session:
        for account_id, of in unknown.items():
            if of in flags:
                account = await session.get(BankAccount, account_id)
                if account is not None:
                    account.payments_enabled, account.bulk_payments_enabled = flags[of]


def _institution_of(account: BankAccount) -> str | None:
    related = ((account.raw or {}).get("relationships") or {}).get("financialInstitution") or {}
    return (related.get("data") or {}).get("id")

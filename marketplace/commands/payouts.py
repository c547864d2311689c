"""Paying the suppliers of an allocated lot, and their payout statements (issue 8).

Once every served buyer has paid all it owes, each supplier is owed what the allocation
awards it: a bid alone its goods and delivery; a consortium's members their share of the
goods by the quantity each supplies, the lead the delivery too. The platform's fee is taken
from it, and the rest sent in transfers, each funded by one buyer's charge (Stripe's
``source_transaction``, so no transfer can outrun the money taken), into the supplier's
payout account. What is owed, the fee and every transfer are on the ledger before any call;
paying again repeats only the transfers whose outcome is unknown, under their own keys.
Amounts owed are rounded down to the minor unit: the fractions stay with the platform, so
the transfers never exceed what the buyers paid.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import partial
from uuid import UUID

from marketplace.commands.settlement import SettlementCommands, owed_by_buyers
from marketplace.domain import NotFoundError
from marketplace.domain.lot import Lot
from marketplace.domain.payments import LotPayments, Payment, PayoutAccount, Purpose
from marketplace.payments import (
    Money,
    Outcome,
    Status,
    idempotency_key,
)

PAID_IN = frozenset({Purpose.CAPTURE, Purpose.CHARGE})

log = logging.getLogger("kyodo.payments")


@dataclass(frozen=True)
class PayoutStatement:
    """What one supplier is paid for one lot: owed, the fee, and each transfer."""

    lot_id: UUID
    supplier_id: UUID
    currency: str
    gross: int
    fee: int
    transfers: list[Payment] = field(default_factory=list)

    @property
    def net(self) -> int:
        return self.gross - self.fee

    @property
    def paid(self) -> int:
        return sum(t.settled_amount or 0 for t in self.transfers
                   if t.status == Status.TRANSFERRED.value)


class PayoutCommands(SettlementCommands):
    """The suppliers of an allocated lot paid, and their statements."""

    #: The platform's fee, a fraction of each payout (``MARKETPLACE_PLATFORM_FEE_PERCENT``).
    platform_fee: Decimal = Decimal(0)

    def pay_suppliers(self, lot_id: UUID) -> list[Payment]:
        """Plans the payouts once every served buyer has paid, then makes the transfers whose
        outcome is not known yet; returns the lot's transfers as recorded ([] before)."""
        def plan() -> tuple[list[Payment], set[str]]:
            lot = self._lot(lot_id)
            payments = self._existing_payments(lot_id)
            if payments is None or lot.allocation_result is None:
                return [], set()
            planned = _transfers(payments)
            if planned or not _buyers_paid(lot, payments):
                return planned, set()
            sources = [(p.charge or p.reference or "", p.settled_amount or 0)
                       for p in payments.payments.values()
                       if p.purpose in PAID_IN and p.status == Status.CAPTURED.value]
            for supplier_id, gross in _payees(lot).items():
                fee = int((Decimal(gross) * self.platform_fee).to_integral_value(ROUND_DOWN))
                payments.owe_payout(supplier_id, gross, fee)
                _plan_transfers(payments, supplier_id, gross - fee, sources)
            self.save(payments)
            transfers = _transfers(payments)
            return transfers, {t.key for t in transfers}

        transfers, fresh = self.command(plan)
        return self._make_calls(
            lot_id, [(t, partial(self._transfer, lot_id, t)) for t in transfers], fresh)

    def _transfer(self, lot_id: UUID, transfer: Payment) -> Outcome:
        account = self._payout_account(transfer.party_id)
        currency = self._lot(lot_id).currency.value
        return self.payments.transfer(lot_id, account, Money(transfer.amount or 0, currency),
                                      charge=transfer.of, key=transfer.key)

    def payouts_of_lot(self, lot_id: UUID) -> list[Payment]:
        """The lot's transfers to suppliers, in the order planned."""
        payments = self._existing_payments(lot_id)
        return [] if payments is None else _transfers(payments)

    def payout_statement(self, supplier_id: UUID, lot_id: UUID) -> PayoutStatement | None:
        """The supplier's payout for the lot; None if it is owed nothing (or not yet)."""
        payments = self._existing_payments(lot_id)
        if payments is None or supplier_id not in payments.payouts_due:
            return None
        gross, fee = payments.payouts_due[supplier_id]
        return PayoutStatement(lot_id, supplier_id, payments.currency, gross, fee, [
            p for p in _transfers(payments) if p.party_id == supplier_id])

    def _payout_account(self, organisation_id: UUID) -> str:
        """The supplier's account at the processor, made on its first payout."""
        processor = self.payments.name
        aggregate_id = PayoutAccount.create_id(organisation_id, processor)
        try:
            known = self._load(PayoutAccount, aggregate_id, _NoAccountError, "payout account")
            return known.account
        except _NoAccountError:
            pass
        account = self.payments.payout_account(
            organisation_id, key=idempotency_key(aggregate_id, 1, Purpose.ACCOUNT.value))

        def record() -> str:
            try:
                return self._load(PayoutAccount, aggregate_id, _NoAccountError, "").account
            except _NoAccountError:
                self.save(PayoutAccount.connect(organisation_id, processor, account))
                return account
        return self.command(record)


class _NoAccountError(NotFoundError):
    """No payout account is recorded for the organisation yet."""


def _transfers(payments: LotPayments) -> list[Payment]:
    return [p for p in payments.payments.values() if p.purpose is Purpose.TRANSFER]


def _buyers_paid(lot: Lot, payments: LotPayments) -> bool:
    """Every call's outcome known, and every served buyer has paid all it owes: only then
    is there the money to pay every supplier in full (else nobody is paid, and it is
    logged: a supplier paid in full while another waits for money that never came would be
    worse)."""
    if any(not p.known for p in payments.payments.values()):
        return False
    dues = owed_by_buyers(lot)
    for buyer_id, due in dues.items():
        paid = sum(p.settled_amount or 0 for p in payments.of_party(buyer_id)
                   if p.purpose in PAID_IN and p.status == Status.CAPTURED.value)
        if paid < due.minor:
            log.warning("lot %s: the suppliers are not paid yet: buyer %s has paid %s of %s",
                        lot.id, buyer_id, paid, due.minor)
            return False
    return bool(dues)


def _plan_transfers(payments: LotPayments, supplier_id: UUID, net: int,
                    sources: list[tuple[str, int]]) -> None:
    """Requests transfers of ``net`` to the supplier, each from one charge, taking from the
    charges in the order the buyers paid until it is covered (``sources`` is spent as it
    goes: what each charge still holds)."""
    left = net
    for index, (charge, available) in enumerate(sources):
        if left <= 0:
            break
        amount = min(left, available)
        if amount <= 0:
            continue
        key = idempotency_key(payments.id, payments.version + 1, Purpose.TRANSFER.value)
        payments.request(key, Purpose.TRANSFER, supplier_id, amount, of=charge)
        sources[index] = (charge, available - amount)
        left -= amount


def _payees(lot: Lot) -> dict[UUID, int]:
    """Each supplier's share of the allocation, rounded down to the minor unit."""
    result = lot.allocation_result or {}
    owed: dict[UUID, Decimal] = defaultdict(Decimal)
    for awarded in result.get("suppliers", ()):
        bid = lot.bids.get(UUID(awarded["id"]))
        goods, delivery = Decimal(awarded["goods_amount"]), Decimal(awarded["delivery_amount"])
        quantity = Decimal(awarded["quantity"])
        if bid is None or quantity <= 0:
            continue
        members = [(UUID(m["id"]), Decimal(m["quantity"])) for m in awarded.get("members", ())]
        if not members:
            owed[bid.lead_id] += goods + delivery
            continue
        owed[bid.lead_id] += delivery
        for member_id, supplied in members:
            owed[member_id] += goods * supplied / quantity
    currency = lot.currency.value
    return {supplier: Money.of(amount, currency, rounding=ROUND_DOWN).minor
            for supplier, amount in owed.items() if amount > 0}

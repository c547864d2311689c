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

A transfer to a supplier whose payout account cannot take it yet (not set up at Stripe) is
not called: it stays requested, its outcome unknown, and is made once the account is ready
(the supplier back from Stripe's pages, or Stripe telling of the change), looked up at the
processor by its key first like any call whose outcome is unknown.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import partial
from uuid import UUID

from events import reading
from marketplace.commands.payout_accounts import PayoutAccountCommands
from marketplace.commands.settlement import TAKING, owed_by_buyers, paid_by
from marketplace.domain import NotFoundError
from marketplace.domain.lot import Lot
from marketplace.domain.organisation import Role
from marketplace.domain.payments import LotPayments, Payment, PayoutAccount, Purpose
from marketplace.payments import (
    AccountNotReadyError,
    AccountState,
    Money,
    Notification,
    Outcome,
    PaymentError,
    PaymentRefusedError,
    PaymentUnavailableError,
    Status,
    idempotency_key,
)
from marketplace.readmodels.ledger_index import aggregates_of_party

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
    account_ready: bool = True
    """Whether the supplier's payout account can take transfers, as last recorded."""

    @property
    def net(self) -> int:
        return self.gross - self.fee

    @property
    def waits_for_account(self) -> bool:
        """Transfers not made yet because the supplier's payout account cannot take them:
        the supplier has to finish setting up payouts (those it refused for that, too)."""
        return not self.account_ready and (any(not t.known for t in self.transfers)
                                           or bool(_to_ask_again(self.transfers)))

    @property
    def paid(self) -> int:
        return sum(t.settled_amount or 0 for t in self.transfers
                   if t.status == Status.TRANSFERRED.value)


class PayoutCommands(PayoutAccountCommands):
    """The suppliers of an allocated lot paid, and their statements."""

    #: The platform's fee, a fraction of each payout (``MARKETPLACE_PLATFORM_FEE_PERCENT``).
    platform_fee: Decimal = Decimal(0)

    def pay_suppliers(self, lot_id: UUID) -> list[Payment]:
        """Plans the payouts once every served buyer has paid, then makes the transfers whose
        outcome is not known yet, to the suppliers whose payout account can take them;
        returns the lot's transfers as recorded ([] before)."""
        def plan() -> tuple[list[Payment], set[str]]:
            lot = self._lot(lot_id)
            payments = self._existing_payments(lot_id)
            if payments is None or lot.allocation_result is None:
                return [], set()
            planned = _transfers(payments)
            if planned:
                again = _ask_again(payments)  # refused while the account was not ready
                if again:
                    self.save(payments)
                return _transfers(payments), again
            if not _buyers_paid(lot, payments):
                return planned, set()
            sources = [(p.charge or p.reference or "", p.settled_amount or 0)
                       for p in payments.payments.values()
                       if p.purpose in TAKING and p.status == Status.CAPTURED.value]
            for supplier_id, gross in _payees(lot).items():
                fee = int((Decimal(gross) * self.platform_fee).to_integral_value(ROUND_DOWN))
                payments.owe_payout(supplier_id, gross, fee)
                _plan_transfers(payments, supplier_id, gross - fee, sources)
            self.save(payments)
            transfers = _transfers(payments)
            return transfers, {t.key for t in transfers}

        transfers, fresh = self.command(plan)
        unanswered: list[PaymentUnavailableError] = []
        accounts = {supplier_id: self._account_to_pay(lot_id, supplier_id, unanswered)
                    for supplier_id in dict.fromkeys(t.party_id for t in transfers
                                                     if not t.known)}
        calls: list[tuple[Payment, Callable[[], Outcome]]] = []
        for transfer in transfers:
            account = accounts.get(transfer.party_id)
            if not transfer.known and account is not None:
                calls.append((transfer, partial(self._transfer, lot_id, account, transfer)))
        made = {p.key: p for p in self._make_calls(lot_id, calls, fresh)}
        for supplier_id in {p.party_id for p in made.values() if _refused_for_account(p)}:
            self._recheck_account(supplier_id, unanswered)  # it was recorded ready
        if unanswered:
            raise unanswered[0]
        return [made.get(t.key, t) for t in transfers]

    def _account_to_pay(self, lot_id: UUID, supplier_id: UUID,
                        unanswered: list[PaymentUnavailableError]) -> str | None:
        """The supplier's payout account if it can take transfers (asking the processor
        unless it is recorded ready); None while it cannot: its transfers wait for it."""
        try:
            known = self._connected(supplier_id)
            ready = known.state == AccountState.READY or (
                self._checked_state(known) is AccountState.READY)
        except PaymentUnavailableError as error:
            unanswered.append(error)
            return None
        except PaymentRefusedError as error:
            log.error("lot %s: supplier %s's payout account: %s", lot_id, supplier_id, error)
            return None
        if not ready:
            log.info("lot %s: supplier %s is paid once its payout account is set up",
                     lot_id, supplier_id)
        return known.account if ready else None

    def _recheck_account(self, supplier_id: UUID,
                         unanswered: list[PaymentUnavailableError]) -> None:
        try:
            self._checked_state(self._connected(supplier_id))
        except PaymentUnavailableError as error:
            unanswered.append(error)

    def _transfer(self, lot_id: UUID, account: str, transfer: Payment) -> Outcome:
        currency = self._lot(lot_id).currency.value
        return self.payments.transfer(lot_id, account, Money(transfer.amount or 0, currency),
                                      charge=transfer.of, key=transfer.key)

    def check_payout_account(self, organisation_id: UUID) -> AccountState | None:
        """Asks the processor how the supplier's payout account stands (the supplier is back
        from the processor's pages), records a change, and once it is ready makes the
        transfers that waited for it; None before the supplier has an account."""
        self._participant(organisation_id).require(Role.SUPPLIER, "set up payouts")
        known = self._payout_account_of(organisation_id)
        return None if known is None else self._account_checked(known)

    def _payout_account_changed(self, note: Notification) -> bool:
        """The processor told of a change to a payout account (Stripe's ``account.updated``):
        checked as when the supplier comes back. True if its recorded state changed."""
        if note.organisation_id is None:
            return False
        known = self._payout_account_of(note.organisation_id)
        if known is None or known.account != note.account:
            return False  # not an account the marketplace made for this organisation
        try:
            state = self.payments.account_state(known.account)
        except PaymentRefusedError as error:  # gone at Stripe, say: retrying will not help
            log.error("supplier %s's payout account %s: %s", known.organisation_id,
                      known.account, error)
            return False
        changed = self._take_account_notice(known, note.event_id, note.event_type, state)
        if state is AccountState.READY:
            self._pay_waiting(known.organisation_id)
        return changed

    def _account_checked(self, known: PayoutAccount) -> AccountState:
        state = self._checked_state(known)
        if state is AccountState.READY:
            self._pay_waiting(known.organisation_id)
        return state

    def _pay_waiting(self, supplier_id: UUID) -> None:
        """Makes the transfers that waited for the supplier's account; a lot whose transfers
        fail is logged, and the others are still paid."""
        for lot_id in self.lots_awaiting_payout(supplier_id):
            try:
                self.pay_suppliers(lot_id)
            except PaymentError as error:
                log.warning("lot %s: the transfers that waited for supplier %s's payout "
                            "account are not all made: %s", lot_id, supplier_id, error)

    def lots_awaiting_payout(self, supplier_id: UUID) -> list[UUID]:
        """The lots with transfers to the supplier not made yet (their outcome unknown, or
        refused as its account could not take them and not asked again). Found through the
        supplier's own rows of the ledger index (each lot's payout due to it), not by reading
        the ledger: only those lots' payments are loaded."""
        with reading(self.engine) as connection:
            owing = aggregates_of_party(connection, supplier_id,
                                        LotPayments.PayoutDue.__qualname__)
        lots = []
        for payments_id in owing:
            payments = self._load(LotPayments, payments_id, NotFoundError, "lot's payments")
            mine = [t for t in _transfers(payments) if t.party_id == supplier_id]
            if any(not t.known for t in mine) or _to_ask_again(mine):
                lots.append(payments.lot_id)
        return lots

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
        account = self._payout_account_of(supplier_id)
        return PayoutStatement(lot_id, supplier_id, payments.currency, gross, fee, [
            p for p in _transfers(payments) if p.party_id == supplier_id],
            account_ready=account is not None and account.state == AccountState.READY)


def _transfers(payments: LotPayments) -> list[Payment]:
    return [p for p in payments.payments.values() if p.purpose is Purpose.TRANSFER]


def _refused_for_account(transfer: Payment) -> bool:
    return (transfer.status == Status.REFUSED.value
            and transfer.decline_code == AccountNotReadyError.code)


def _ask_again(payments: LotPayments) -> set[str]:
    """Requests again, once each, the transfers refused because the supplier's account could
    not take them (restricted after it was found ready): the new request waits, as any
    transfer does, until the account is ready. The keys requested."""
    keys = set()
    for refused in _to_ask_again(_transfers(payments)):
        key = idempotency_key(payments.id, payments.version + 1, Purpose.TRANSFER.value)
        payments.request(key, Purpose.TRANSFER, refused.party_id, refused.amount,
                         of=refused.of)
        keys.add(key)
    return keys


def _to_ask_again(transfers: list[Payment]) -> list[Payment]:
    """The transfers refused because the supplier's account could not take them, not
    requested again since (for the same supplier, charge and amount)."""
    return [refused for index, refused in enumerate(transfers)
            if _refused_for_account(refused) and not any(
                t.party_id == refused.party_id and t.of == refused.of
                and t.amount == refused.amount for t in transfers[index + 1:])]


def _buyers_paid(lot: Lot, payments: LotPayments) -> bool:
    """Every call that moves money settled (known), and every served buyer has paid all it
    owes: only then is there the money to pay every supplier in full (else nobody is paid,
    and it is logged: a supplier paid in full while another waits for money that never came
    would be worse). A card step whose answer never came (it may never have reached the
    processor) holds nobody back: a served buyer it was for has not paid, and one it was not
    for owes nothing; if it did reach the processor, reconciling finds it to release."""
    if any(not p.known and p.purpose not in (Purpose.HOLD, Purpose.SAVE)
           for p in payments.payments.values()):
        return False
    dues = owed_by_buyers(lot)
    for buyer_id, due in dues.items():
        paid = paid_by(payments.of_party(buyer_id))
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

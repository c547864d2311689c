"""Where the money of an allocated lot stands, as each organisation may see it (issue 8).

A served buyer sees what the allocation says it owes, what it has paid and the state of its
payment (with the processor's reason, for it to act on); a supplier its own payout: owed,
the platform's fee, paid and still to come. The lot's organiser runs the lot but is no party
to another buyer's commitment or a supplier's bid, so it sees how many buyers and suppliers
stand in each state: no names, no amounts, nothing of a card. Nobody sees another's payment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from marketplace.commands.payouts import PayoutCommands
from marketplace.commands.settlement import TAKING, owed_by_buyers, paid_by
from marketplace.domain.lot import Lot
from marketplace.domain.payments import Payment, Purpose
from marketplace.payments import Status


class PaymentState(StrEnum):
    PAID = "paid"
    """All that is owed is taken (a buyer), or sent (a supplier)."""
    PART_PAID = "part_paid"
    """Less than is owed was taken: a hold smaller than what the allocation says."""
    WAITING = "waiting"
    """The settlement or payout is under way, or its call waits for the processor's answer."""
    ACTION_NEEDED = "action_needed"
    """The buyer's bank asks it to confirm, or its hold lapsed before the capture."""
    DECLINED = "declined"
    REFUSED = "refused"
    """The processor refused the call (the hold cancelled meanwhile, say)."""
    NO_PAYMENT_STEP = "no_payment_step"
    """The buyer never took the payment step: it is left for its invoice."""
    WAITING_FOR_BUYERS = "waiting_for_buyers"
    """A supplier's payout, worked out once every served buyer has paid."""


#: Outcomes of a buyer's latest payment that are the state shown.
_BY_STATUS = {Status.DECLINED.value: PaymentState.DECLINED,
              Status.NEEDS_AUTHENTICATION.value: PaymentState.ACTION_NEEDED,
              Status.EXPIRED.value: PaymentState.ACTION_NEEDED,
              Status.REFUSED.value: PaymentState.REFUSED}
_USABLE = frozenset({None, Status.AUTHORISED.value, Status.SAVED.value})


@dataclass(frozen=True)
class BuyerPayment:
    """A served buyer's payment, in minor units of the lot's currency."""

    owed: int
    paid: int
    state: PaymentState
    reason: str | None = None
    """The processor's words on the latest call (a decline's reason), for the buyer alone."""
    status: str | None = None
    """The latest call's outcome, and its decline code and card, for the page to say why in
    the buyer's language (``web/payment_reasons.py``); None once paid."""
    decline_code: str | None = None
    method: str | None = None

    @property
    def waiting(self) -> int:
        return max(self.owed - self.paid, 0)


@dataclass(frozen=True)
class SupplierPayment:
    """A supplier's payout; ``gross`` and ``fee`` are None until it is worked out."""

    gross: int | None
    fee: int | None
    paid: int
    state: PaymentState

    @property
    def waiting(self) -> int:
        if self.gross is None or self.fee is None:
            return 0
        return max(self.gross - self.fee - self.paid, 0)


@dataclass(frozen=True)
class PaymentOverview:
    """How many served buyers and paid suppliers stand in each state."""

    buyers: Counter[PaymentState] = field(default_factory=Counter)
    suppliers: Counter[PaymentState] = field(default_factory=Counter)


@dataclass(frozen=True)
class PaymentStatus:
    processor: str
    """``stripe`` or ``invoice``: cards, or orders and invoices."""
    currency: str
    as_buyer: BuyerPayment | None = None
    as_supplier: SupplierPayment | None = None
    overview: PaymentOverview | None = None
    """For the lot's organiser only."""


class PaymentStatusQueries(PayoutCommands):
    """Reads of a lot's payments, filtered by what the viewer may see."""

    def payment_status(self, viewer_id: UUID, lot_id: UUID) -> PaymentStatus | None:
        """The allocated lot's payments as ``viewer_id`` may see them (the module says what);
        None before the allocation. The caller has checked that it may see the lot at all."""
        lot = self._lot(lot_id)
        if lot.allocation_result is None:
            return None
        owed = {buyer: money.minor for buyer, money in owed_by_buyers(lot).items()}
        awarded = awarded_suppliers(lot)
        if viewer_id != lot.organiser_id and viewer_id not in owed.keys() | awarded:
            # No party to the lot's money: its payments are not even read.
            return PaymentStatus(processor=self.payments.name, currency=lot.currency.value)
        payments = self._existing_payments(lot_id)
        due = payments.payouts_due if payments is not None else {}
        payees = awarded | set(due)
        mine: defaultdict[UUID, list[Payment]] = defaultdict(list)
        for payment in [] if payments is None else payments.payments.values():
            mine[payment.party_id].append(payment)

        def buyer(party: UUID) -> BuyerPayment:
            return buyer_payment(mine[party], owed[party])

        def supplier(party: UUID) -> SupplierPayment:
            return supplier_payment(mine[party], due.get(party))

        overview = None
        if viewer_id == lot.organiser_id:
            overview = PaymentOverview(Counter(buyer(b).state for b in owed),
                                       Counter(supplier(s).state for s in payees))
        return PaymentStatus(
            processor=payments.processor if payments is not None else self.payments.name,
            currency=lot.currency.value,
            as_buyer=buyer(viewer_id) if viewer_id in owed else None,
            as_supplier=supplier(viewer_id) if viewer_id in payees else None,
            overview=overview)


def buyer_payment(mine: list[Payment], owed: int) -> BuyerPayment:
    """A served buyer's payment from its own calls: its capture or charge once asked for,
    else the card (or order) that settling will take it from."""
    paid = paid_by(mine)
    settling = [p for p in mine if p.purpose in TAKING]
    cards = [p for p in mine if p.purpose in (Purpose.HOLD, Purpose.SAVE)]
    latest = settling[-1] if settling else next(
        (p for p in reversed(cards) if p.status in _USABLE), cards[-1] if cards else None)
    if paid >= owed:
        state = PaymentState.PAID
    elif latest is None:
        state = PaymentState.NO_PAYMENT_STEP
    elif latest.status == Status.CAPTURED.value:
        state = PaymentState.PART_PAID
    else:
        state = _BY_STATUS.get(latest.status or "", PaymentState.WAITING)
    if latest is None or state is PaymentState.PAID:
        return BuyerPayment(owed, paid, state)
    return BuyerPayment(owed, paid, state, reason=latest.reason, status=latest.status,
                        decline_code=latest.decline_code, method=latest.method)


def supplier_payment(mine: list[Payment], due: tuple[int, int] | None) -> SupplierPayment:
    """A supplier's payout from its transfers; waiting for the buyers until it is worked out."""
    if due is None:
        return SupplierPayment(None, None, 0, PaymentState.WAITING_FOR_BUYERS)
    gross, fee = due
    transfers = [p for p in mine if p.purpose is Purpose.TRANSFER]
    paid = sum(t.settled_amount or 0 for t in transfers
               if t.status == Status.TRANSFERRED.value)
    if paid >= gross - fee:
        state = PaymentState.PAID
    elif any(t.status == Status.REFUSED.value for t in transfers):
        state = PaymentState.REFUSED
    else:
        state = PaymentState.WAITING
    return SupplierPayment(gross, fee, paid, state)


def awarded_suppliers(lot: Lot) -> set[UUID]:
    """The organisations the allocation awards anything: each awarded bid's lead and its
    consortium's members (who is paid, not how much: ``pay_suppliers`` works that out)."""
    found: set[UUID] = set()
    for awarded in (lot.allocation_result or {}).get("suppliers", ()):
        bid = lot.bids.get(UUID(awarded["id"]))
        if bid is not None and Decimal(awarded["quantity"]) > 0:
            found.add(bid.lead_id)
            found.update(UUID(member["id"]) for member in awarded.get("members", ()))
    return found

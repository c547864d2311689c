"""What a clearing decides, in exact decimals, and its canonical JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marketplace.allocation.inputs import Tier


@dataclass(frozen=True)
class Award:
    """Units of one bid sent to one buyer: at the bid's tier price plus its delivery cost."""

    buyer: str
    supplier: str
    quantity: Decimal
    unit_price: Decimal
    delivery_unit_cost: Decimal
    delivery_amount: Decimal


@dataclass(frozen=True)
class SupplierResult:
    """One bid's outcome: its whole award, the tier it reached, what it is paid, and why."""

    id: str
    quantity: Decimal
    tier: Tier | None
    goods_amount: Decimal
    delivery_amount: Decimal
    members: tuple[tuple[str, Decimal], ...]
    binding: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class BuyerResult:
    """One buyer's outcome: served in full at the pool's price, or left out with a reason."""

    id: str
    quantity: Decimal
    served: bool
    goods_amount: Decimal
    delivery_amount: Decimal
    max_unit_price: Decimal | None
    alone_total: Decimal | None
    alone_from: tuple[str, ...]
    reason: str | None
    binding: tuple[str, ...]
    explanation: str

    @property
    def total(self) -> Decimal:
        return self.goods_amount + self.delivery_amount

    @property
    def unit_price(self) -> Decimal | None:
        return per_unit(self.total, self.quantity) if self.served else None

    @property
    def saving(self) -> Decimal | None:
        if not self.served or self.alone_total is None:
            return None
        return self.alone_total - self.total


@dataclass(frozen=True)
class SolverRun:
    name: str
    version: str
    status: str
    gap: float
    solves: int
    settings: dict[str, bool | int | float | str]


@dataclass(frozen=True)
class AllocationResult:
    """The clearing of one lot. ``status``: optimal, limit_reached, infeasible (nobody served)."""

    status: str
    currency: str
    unit: str
    input_digest: str
    objective: Decimal
    awards: tuple[Award, ...]
    suppliers: tuple[SupplierResult, ...]
    buyers: tuple[BuyerResult, ...]
    solver: SolverRun

    @property
    def goods_cost(self) -> Decimal:
        return sum((s.goods_amount for s in self.suppliers), Decimal(0))

    @property
    def delivery_cost(self) -> Decimal:
        return sum((s.delivery_amount for s in self.suppliers), Decimal(0))

    @property
    def total_cost(self) -> Decimal:
        return self.goods_cost + self.delivery_cost

    @property
    def served_quantity(self) -> Decimal:
        return sum((b.quantity for b in self.buyers if b.served), Decimal(0))

    @property
    def pool_unit_price(self) -> Decimal | None:
        """The goods price every served buyer pays per unit (before its own delivery)."""
        served = self.served_quantity
        return per_unit(self.goods_cost, served) if served else None

    def buyer(self, buyer_id: str) -> BuyerResult:
        return next(b for b in self.buyers if b.id == buyer_id)

    def supplier(self, supplier_id: str) -> SupplierResult:
        return next(s for s in self.suppliers if s.id == supplier_id)

    def as_json(self) -> dict[str, Any]:
        """Every number as a decimal string; lists in the input's order of buyers and bids."""
        savings = [{"buyer": b.id, "alone_total": _text(b.alone_total), "pool_total": str(b.total),
                    "saving": _text(b.saving)} for b in self.buyers if b.served]
        return {
            "status": self.status, "currency": self.currency, "unit": self.unit,
            "input_digest": self.input_digest,
            "total_cost": str(self.total_cost), "goods_cost": str(self.goods_cost),
            "delivery_cost": str(self.delivery_cost), "objective": str(self.objective),
            "served_quantity": str(self.served_quantity),
            "pool_unit_price": _text(self.pool_unit_price),
            "awards": [{"buyer": a.buyer, "supplier": a.supplier, "quantity": str(a.quantity),
                        "unit_price": str(a.unit_price),
                        "delivery_unit_cost": str(a.delivery_unit_cost),
                        "delivery_amount": str(a.delivery_amount)} for a in self.awards],
            "suppliers": [{"id": s.id, "quantity": str(s.quantity),
                           "tier": None if s.tier is None else {
                               "min_quantity": str(s.tier.min_quantity),
                               "unit_price": str(s.tier.unit_price)},
                           "goods_amount": str(s.goods_amount),
                           "delivery_amount": str(s.delivery_amount),
                           "members": [{"id": m, "quantity": str(q)} for m, q in s.members],
                           "binding": list(s.binding), "explanation": s.explanation}
                          for s in self.suppliers],
            "buyers": [{"id": b.id, "quantity": str(b.quantity), "served": b.served,
                        "goods_amount": str(b.goods_amount),
                        "delivery_amount": str(b.delivery_amount), "total": str(b.total),
                        "unit_price": _text(b.unit_price),
                        "max_unit_price": _text(b.max_unit_price),
                        "alone_total": _text(b.alone_total), "alone_from": list(b.alone_from),
                        "saving": _text(b.saving), "reason": b.reason,
                        "binding": list(b.binding), "explanation": b.explanation}
                       for b in self.buyers],
            "unserved": [{"buyer": b.id, "quantity": str(b.quantity), "reason": b.reason,
                          "detail": b.explanation} for b in self.buyers if not b.served],
            "savings": {"total": str(sum((b.saving or Decimal(0) for b in self.buyers),
                                         Decimal(0))),
                        "by_buyer": savings},
            "solver": {"name": self.solver.name, "version": self.solver.version,
                       "status": self.solver.status, "gap": f"{self.solver.gap:.3g}",
                       "solves": self.solver.solves, "settings": self.solver.settings},
        }


def per_unit(amount: Decimal, quantity: Decimal) -> Decimal:
    """An amount per unit, to the hundredth of a yen (prices are quoted to 0.01)."""
    return (amount / quantity).quantize(Decimal("0.01"))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)

"""The demo cluster's RFQs: one awarded, split by line, and one still open with its Q&A.

Ota Press, which makes care-bed frames besides car parts, asked for plated brackets and bent
side rails and split the award between the plater and a press shop; Akagi Seiki is asking
for machined jig plates until later this week, and one sealed quote is already in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from events import SettableClock
from marketplace.application import Marketplace


@dataclass(frozen=True)
class RfqLinePlan:
    category: str
    specification: str
    unit: str
    quantity: int


@dataclass(frozen=True)
class RfqPlan:
    buyer: str
    title: str
    issued_days_ago: int
    closes_in_days: int
    """At 17:00 JST that many days from today (negative: the quotes have opened)."""
    lines: tuple[RfqLinePlan, ...]
    invited: tuple[str, ...]
    quotes: dict[str, tuple[tuple[int, int], ...]]
    """supplier -> (line, unit price in JPY) per line it quotes."""
    question: tuple[str, str, str] | None = None
    """(supplier asking, question, the buyer's answer)"""
    award: dict[int, str] | None = None
    """line -> supplier, once the quotes have opened."""


RFQS: tuple[RfqPlan, ...] = (
    RfqPlan("ota_press", "介護ベッド部品 (ブラケット・サイドレール) / care-bed frame parts", 9, -2,
            (RfqLinePlan("pressed parts", "ベッドフレーム用ブラケット SPCC t2.3 三価クロメート / "
                         "bed-frame bracket, SPCC 2.3 mm, trivalent chromate", "pcs", 2000),
             RfqLinePlan("bent parts", "サイドレール SUS304 曲げ加工 L=900 / "
                         "side rail, SUS304, bent, 900 mm", "pcs", 400)),
            ("takasaki_mekki", "joshu_press", "akagi_seiki"),
            {"joshu_press": ((1, 118), (2, 1450)), "takasaki_mekki": ((1, 109),)},
            question=("joshu_press", "ブラケットの図面の改訂版はありますか？",
                      "最新は Rev.C です。公差は ±0.1 mm でお願いします。"),
            award={1: "takasaki_mekki", 2: "joshu_press"}),
    RfqPlan("akagi_seiki", "治具プレート A5052 / jig plates, A5052", 2, 5,
            (RfqLinePlan("machined parts", "治具プレート A5052 t12 200×150 穴加工12箇所 / "
                         "jig plate, A5052, 12 mm, 200×150, 12 holes", "pcs", 60),),
            ("kiryu_seimitsu",), {"kiryu_seimitsu": ((1, 3800),)},
            question=("kiryu_seimitsu", "表面処理（アルマイト）は必要ですか？",
                      "不要です。バリ取りのみお願いします。")),
)


class RfqSeeder:
    """Writes each planned RFQ as it would have happened, on the seed's settable clock."""

    def __init__(self, marketplace: Marketplace, clock: SettableClock, today: date,
                 ids: dict[str, UUID], at: Callable[[date, int], datetime]) -> None:
        self.marketplace, self.clock, self.today, self.ids = marketplace, clock, today, ids
        self.at = at

    def run(self) -> tuple[int, int, int]:
        """Seeds every RFQ; (RFQs, needs posted for them, quotes)."""
        needs = quotes = 0
        for plan in RFQS:
            posted, quoted = self._rfq(plan)
            needs, quotes = needs + posted, quotes + quoted
        return len(RFQS), needs, quotes

    def _rfq(self, plan: RfqPlan) -> tuple[int, int]:
        m, buyer = self.marketplace, self.ids[plan.buyer]
        self.clock.now = self.at(self.today - timedelta(days=plan.issued_days_ago), 11)
        closes_at = self.at(self.today + timedelta(days=plan.closes_in_days), 17)
        need_ids = [m.post_need(buyer, category=line.category,
                                specification=line.specification, unit=line.unit,
                                quantity=line.quantity, needed_by=self._needed_by(closes_at),
                                delivery_prefecture="Gunma")
                    for line in plan.lines]
        self._tick()
        rfq_id = m.issue_rfq(buyer, need_ids=need_ids, title=plan.title, closes_at=closes_at,
                             invited=[self.ids[key] for key in plan.invited],
                             required_certifications=["ISO 9001"])
        if plan.question is not None:
            asker, question, answer = plan.question
            self._tick()
            question_id = m.ask_question(self.ids[asker], rfq_id, question)
            self._tick()
            m.answer_question(buyer, rfq_id, question_id, answer)
        quote_ids = {}
        for supplier, prices in plan.quotes.items():
            self._tick()
            quote_ids[supplier] = m.submit_quote(self.ids[supplier], rfq_id, [
                _priced(line, price, closes_at) for line, price in prices])
        if plan.award is not None:
            self.clock.now = closes_at + timedelta(days=1)
            m.award_rfq(buyer, rfq_id, lines={line: quote_ids[supplier]
                                              for line, supplier in plan.award.items()},
                        reason="最安値の組み合わせ (lowest price per line)")
        return len(need_ids), len(quote_ids)

    def _needed_by(self, closes_at: datetime) -> date:
        return closes_at.date() + timedelta(weeks=4)

    def _tick(self) -> None:
        self.clock.advance(timedelta(minutes=35))


def _priced(line: int, price: int, closes_at: datetime) -> dict[str, Any]:
    return {"line": line, "unit_price": Decimal(price), "lead_time_days": 14,
            "valid_until": closes_at.date() + timedelta(days=30)}

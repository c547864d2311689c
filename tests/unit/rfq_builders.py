"""Builders shared by the RFQ unit tests: a buyer's RFQ on two needs, suppliers, quotes."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from marketplace.domain.eligibility import Eligibility
from marketplace.domain.need import NeedLine
from marketplace.domain.rfq import Rfq
from marketplace.domain.rfq_terms import RfqLine, RfqTerms
from tests.unit.lot_builders import BUYER, org

AT = datetime(2026, 11, 20, 0, tzinfo=UTC)   # 09:00 JST
DEADLINE = AT + timedelta(days=7)            # 2026-11-27 09:00 JST
BUYER_ORG = org(BUYER)
ALPHA, BETA, GAMMA = org(), org(), org()


def a_line(**overrides: Any) -> NeedLine:
    fields: dict[str, Any] = {"category": "pressed parts", "specification": "bed frame bracket",
                              "unit": "pcs", "quantity": "1000", "needed_by": "2026-12-20",
                              "delivery_prefecture": "Gunma"}
    fields.update(overrides)
    return NeedLine.create(today=AT.date(), **fields)


def some_terms(**overrides: Any) -> RfqTerms:
    lines = (RfqLine.of_need(1, uuid4(), a_line()),
             RfqLine.of_need(2, uuid4(), a_line(specification="side rail", unit="m",
                                                quantity="200")))
    fields: dict[str, Any] = {"title": "介護ベッド部品", "lines": lines,
                              "required_certifications": ["iso 9001"], "notes": ""}
    fields.update(overrides)
    return RfqTerms.create(**fields)


def an_rfq(open_to: Eligibility | None = None, invite: tuple[Any, ...] = (ALPHA, BETA, GAMMA),
           **overrides: Any) -> Rfq:
    rfq = Rfq.issue(BUYER_ORG, overrides.pop("terms", some_terms()), currency="JPY",
                    closes_at=DEADLINE, invited={p.organisation_id: p for p in invite},
                    open_to=open_to, at=AT, **overrides)
    rfq.collect_events()
    return rfq


def priced(line: int, price: Any = 100, *, lead: int = 14, valid: str = "2026-12-31",
           breaks: list[tuple[Any, Any]] | None = None) -> dict[str, Any]:
    offer: dict[str, Any] = {"line": line, "lead_time_days": lead, "valid_until": valid}
    if breaks is None:
        offer["unit_price"] = price
    else:
        offer["price_breaks"] = [{"from_quantity": q, "unit_price": p} for q, p in breaks]
    return offer


def quoting(rfq: Rfq, supplier: Any, *lines: dict[str, Any], at: datetime = AT) -> UUID:
    quote_id = uuid4()
    rfq.submit_quote(supplier, quote_id, list(lines) or [priced(1), priced(2)], at=at)
    return quote_id


def names(rfq: Rfq) -> list[str]:
    return [type(e).__name__ for e in rfq.collect_events()]

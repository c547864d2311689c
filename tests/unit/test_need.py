from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from marketplace.domain.items import QuantityNotPositiveError, Unit
from marketplace.domain.need import (
    Need,
    NeedAlreadyPooledError,
    NeededByInThePastError,
    NeededByInvalidError,
    NeedIsPooledError,
    NeedLine,
    NeedNotPooledError,
    NeedWithdrawnError,
)
from marketplace.domain.prefectures import Prefecture

AT = datetime(2026, 11, 20, 9, tzinfo=UTC)
TODAY = AT.date()
BUYER = UUID(int=1)


def a_line(**overrides: Any) -> NeedLine:
    fields: dict[str, Any] = {"category": "Steel sheet", "specification": "SPCC 1.0 mm",
                              "unit": "kg", "quantity": "500", "needed_by": "2026-12-15",
                              "delivery_prefecture": "Gunma", "max_unit_price": "190"}
    fields.update(overrides)
    return NeedLine.create(today=TODAY, **fields)


def a_need(**overrides: Any) -> Need:
    need = Need.post(BUYER, a_line(**overrides), at=AT)
    need.collect_events()
    return need


def replay(events: Any) -> Need:
    copy = None
    for event in events:
        copy = event.mutate(copy)
    assert isinstance(copy, Need)
    return copy


# -- need lines -----------------------------------------------------------------------------


def test_a_need_line_reads_its_fields_into_domain_values() -> None:
    line = a_line(unit="ＫＧ", quantity=" 500.0 ", delivery_prefecture="群馬県")

    assert line.item.unit is Unit.KG
    assert line.quantity == Decimal(500)
    assert line.needed_by == date(2026, 12, 15)
    assert line.delivery_prefecture == Prefecture.parse("JP-10")
    assert line.max_unit_price == Decimal(190)


def test_a_need_may_leave_its_max_unit_price_open() -> None:
    assert a_line(max_unit_price=None).max_unit_price is None


def test_a_need_for_today_is_accepted() -> None:
    assert a_line(needed_by=TODAY).needed_by == TODAY


def test_a_need_for_yesterday_is_rejected_and_says_from_when() -> None:
    with pytest.raises(NeededByInThePastError, match=r"2026-11-19 has passed.* from 2026-11-20"):
        a_line(needed_by="2026-11-19")


@pytest.mark.parametrize("text", ["15/12/2026", "2026-13-01", "soon", ""])
def test_an_unreadable_needed_by_date_is_rejected_with_an_example(text: str) -> None:
    with pytest.raises(NeededByInvalidError, match="YYYY-MM-DD"):
        a_line(needed_by=text)


def test_a_need_line_rejects_a_quantity_of_zero() -> None:
    with pytest.raises(QuantityNotPositiveError):
        a_line(quantity=0)


def test_posting_a_need_keeps_its_buyer_and_line_and_leaves_it_unpooled() -> None:
    line = a_line()

    need = Need.post(BUYER, line, at=AT)

    assert (need.buyer_id, need.line, need.lot_id, need.withdrawn) == (BUYER, line, None, False)
    assert need.created_on == AT
    assert [type(e) for e in need.collect_events()] == [Need.Posted]


# -- revising and withdrawing ---------------------------------------------------------------


def test_revising_records_only_the_fields_that_changed() -> None:
    need = a_need()

    changed = need.revise(at=AT, quantity="650", category="STEEL  sheet",
                          delivery_prefecture="JP-10")

    assert changed
    [revised] = need.collect_events()
    assert isinstance(revised, Need.Revised)
    assert revised.changes == {"quantity": Decimal(650)}
    assert need.line.quantity == Decimal(650)


def test_revising_to_the_same_values_returns_false_and_records_nothing() -> None:
    need = a_need()

    changed = need.revise(at=AT, quantity="500.000", max_unit_price=190, unit="KG")

    assert not changed
    assert need.collect_events() == []


def test_a_revision_to_a_past_date_is_rejected_and_records_nothing() -> None:
    need = a_need()

    with pytest.raises(NeededByInThePastError):
        need.revise(at=AT + timedelta(days=2), needed_by="2026-11-21")

    assert need.collect_events() == []
    assert need.line.needed_by == date(2026, 12, 15)


def test_a_withdrawn_need_can_neither_be_revised_nor_withdrawn_again() -> None:
    need = a_need()

    need.withdraw(at=AT)

    assert need.withdrawn
    with pytest.raises(NeedWithdrawnError, match="nothing to revise"):
        need.revise(at=AT, quantity=1)
    with pytest.raises(NeedWithdrawnError, match="nothing to withdraw"):
        need.withdraw(at=AT)


def test_a_withdrawn_need_cannot_be_pooled() -> None:
    need = a_need()
    need.withdraw(at=AT)

    with pytest.raises(NeedWithdrawnError, match="post a new one"):
        need.pool_into(uuid4(), at=AT)


# -- pooling --------------------------------------------------------------------------------


def test_a_pooled_need_is_changed_through_its_commitment_not_directly() -> None:
    need = a_need()
    lot_id = uuid4()
    need.pool_into(lot_id, at=AT)

    with pytest.raises(NeedIsPooledError, match=f"pooled in lot {lot_id}"):
        need.revise(at=AT, quantity="600")
    with pytest.raises(NeedIsPooledError, match="withdraw your commitment"):
        need.withdraw(at=AT)


def test_a_need_is_in_at_most_one_lot() -> None:
    need = a_need()
    first = uuid4()
    need.pool_into(first, at=AT)

    with pytest.raises(NeedAlreadyPooledError, match=f"already pooled in lot {first}"):
        need.pool_into(uuid4(), at=AT)
    with pytest.raises(NeedAlreadyPooledError):
        need.pool_into(first, at=AT)
    assert need.lot_id == first


def test_an_unpooled_need_can_be_revised_and_pooled_again() -> None:
    need = a_need()
    lot_id = uuid4()
    need.pool_into(lot_id, at=AT)

    need.unpool_from(lot_id, at=AT)

    assert need.lot_id is None
    assert need.revise(at=AT, quantity="700")
    need.pool_into(uuid4(), at=AT)


def test_a_need_cannot_be_unpooled_from_a_lot_it_is_not_in() -> None:
    need = a_need()
    lot_id, other = uuid4(), uuid4()
    need.pool_into(lot_id, at=AT)

    with pytest.raises(NeedNotPooledError, match=f"not pooled in lot {other}"):
        need.unpool_from(other, at=AT)

    assert need.lot_id == lot_id


# -- replay ---------------------------------------------------------------------------------


def test_replaying_a_needs_events_rebuilds_the_same_state() -> None:
    need = Need.post(BUYER, a_line(), at=AT)
    need.revise(at=AT + timedelta(hours=1), quantity="650", max_unit_price=None)
    lot_id = uuid4()
    need.pool_into(lot_id, at=AT + timedelta(hours=2))
    need.unpool_from(lot_id, at=AT + timedelta(hours=3))
    need.pool_into(lot_id, at=AT + timedelta(hours=4))

    copy = replay(need.collect_events())

    assert (copy.id, copy.version) == (need.id, need.version)
    assert copy.buyer_id == BUYER
    assert copy.line == need.line
    assert copy.line.max_unit_price is None
    assert copy.lot_id == lot_id
    assert copy.modified_on == AT + timedelta(hours=4)


def test_replaying_a_withdrawn_need_keeps_it_withdrawn() -> None:
    need = Need.post(BUYER, a_line(), at=AT)
    need.withdraw(at=AT)

    assert replay(need.collect_events()).withdrawn

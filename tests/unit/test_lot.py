"""The Lot aggregate: opening, pooling, the close instant, cancelling, replay."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from marketplace.domain import lot_rules as rules
from marketplace.domain.eligibility import (
    Eligibility,
    EligibilityMissingError,
    NotABuyerError,
    NotEligibleError,
    Participant,
)
from marketplace.domain.lot import Commitment, Lot
from marketplace.domain.need import NeedLine
from marketplace.domain.organisation import ClusterNameInvalidError
from tests.unit.lot_builders import (
    AT,
    BUYER,
    CLOSES,
    ITEM,
    KIRYU,
    ORGANISER,
    SUPPLIER,
    a_line,
    a_lot,
    bidding_alone,
    consortium,
    names,
    org,
    terms,
)

# -- opening --------------------------------------------------------------------------------


def test_a_buyer_opens_a_lot_for_one_item_until_its_close_time() -> None:
    lot = a_lot(currency="jpy", thresholds=["1000", 5000.0])

    assert (lot.organiser_id, lot.item, lot.closes_at) == (ORGANISER.organisation_id, ITEM, CLOSES)
    assert lot.thresholds == (Decimal(1000), Decimal(5000))
    assert lot.eligibility == KIRYU
    assert lot.is_open_at(CLOSES - timedelta(microseconds=1))
    assert not lot.is_open_at(CLOSES)


def test_only_a_buyer_opens_a_lot() -> None:
    with pytest.raises(NotABuyerError, match="only buyers open lots"):
        Lot.open(org(SUPPLIER), ITEM, currency="JPY", closes_at=CLOSES, eligibility=KIRYU,
                 thresholds=[], at=AT)


@pytest.mark.parametrize(("closes_at", "message"), [
    (AT - timedelta(seconds=1), "has passed"), (AT, "has passed"),
    (AT + timedelta(days=365, microseconds=1), "at most 365 days"),
    (CLOSES.replace(tzinfo=None), "with its time zone"),
])
def test_a_lot_closes_within_a_year_at_a_future_instant_with_its_zone(closes_at: datetime,
                                                                      message: str) -> None:
    with pytest.raises(rules.CloseTimeInvalidError, match=message):
        a_lot(closes_at=closes_at)


def test_a_lot_may_stay_open_exactly_a_year() -> None:
    assert a_lot(closes_at=AT + timedelta(days=365)).closes_at == AT + timedelta(days=365)


def test_announced_thresholds_rise_strictly_and_are_few() -> None:
    with pytest.raises(rules.ThresholdsNotRisingError, match="threshold 1000 follows 5000"):
        a_lot(thresholds=[5000, 1000])
    with pytest.raises(rules.TooManyThresholdsError, match="11 thresholds given"):
        a_lot(thresholds=range(1, 12))


def test_a_lot_says_who_may_take_part() -> None:
    with pytest.raises(EligibilityMissingError, match="a cluster, one or more prefectures"):
        Eligibility.create(cluster="  ", prefectures=[])


# -- buyers pooling -------------------------------------------------------------------------


def test_a_pooled_need_commits_its_quantity_and_max_price_by_default() -> None:
    lot, buyer, need_id = a_lot(), org(BUYER), uuid4()

    lot.pool_need(buyer, need_id, a_line(), at=AT)

    assert lot.commitments == {need_id: Commitment(need_id, buyer.organisation_id,
                                                   Decimal(800), Decimal(190))}
    assert (lot.pooled_quantity, lot.buyer_count) == (Decimal(800), 1)


def test_a_buyer_may_commit_part_of_its_need_at_another_max_price() -> None:
    lot, need_id = a_lot(), uuid4()

    lot.pool_need(org(BUYER), need_id, a_line(), quantity="500", max_unit_price="185", at=AT)

    commitment = lot.commitments[need_id]
    assert (commitment.quantity, commitment.max_unit_price) == (Decimal(500), Decimal(185))


@pytest.mark.parametrize(("eligibility", "prefecture", "clusters", "admitted"), [
    ({"cluster": "Kiryu Textile"}, "Tochigi", ("kiryu textile",), True),
    ({"cluster": "Kiryu Textile"}, "Gunma", ("ota auto",), False),
    ({"prefectures": ["Gunma", "Tochigi"]}, "Tochigi", (), True),
    ({"prefectures": ["Gunma", "Tochigi"]}, "Saitama", ("kiryu textile",), False),
    ({"cluster": "kiryu textile", "prefectures": ["Gunma"]}, "Gunma", ("kiryu textile",), True),
    ({"cluster": "kiryu textile", "prefectures": ["Gunma"]}, "Tochigi", ("kiryu textile",),
     False),
    ({"cluster": "kiryu textile", "prefectures": ["Gunma"]}, "Gunma", (), False),
])
def test_only_buyers_of_the_lots_cluster_and_prefectures_pool(
        eligibility: dict[str, Any], prefecture: str, clusters: tuple[str, ...],
        admitted: bool) -> None:
    lot = a_lot(Eligibility.create(**eligibility))
    buyer = org(BUYER, prefecture, clusters)

    if admitted:
        lot.pool_need(buyer, uuid4(), a_line(), at=AT)
        assert lot.buyer_count == 1
    else:
        with pytest.raises(NotEligibleError, match="this lot is open to"):
            lot.pool_need(buyer, uuid4(), a_line(), at=AT)
        assert lot.collect_events() == []


@pytest.mark.parametrize(("buyer", "line", "error", "message"), [
    (org(SUPPLIER), a_line(), NotABuyerError, "only buyers pool needs"),
    (org(BUYER), a_line(unit="t", quantity=1), rules.UnitMismatchError, "in t but this lot in kg"),
    (org(BUYER), a_line(category="aluminium sheet"), rules.CategoryMismatchError,
     "'aluminium sheet' but this lot pools 'steel sheet'"),
])
def test_a_need_that_does_not_fit_the_lot_is_not_pooled(buyer: Participant, line: NeedLine,
                                                        error: type[Exception],
                                                        message: str) -> None:
    lot = a_lot()

    with pytest.raises(error, match=message):
        lot.pool_need(buyer, uuid4(), line, at=AT)

    assert lot.commitments == {}


def test_a_buyer_commits_at_most_what_it_needs() -> None:
    with pytest.raises(rules.CommitmentAboveNeedError, match="need 800 but would commit 900"):
        a_lot().pool_need(org(BUYER), uuid4(), a_line(), quantity=900, at=AT)


def test_a_buyer_changes_its_commitment_and_an_unchanged_one_records_nothing() -> None:
    lot, buyer, need_id = a_lot(), org(BUYER), uuid4()
    lot.pool_need(buyer, need_id, a_line(), at=AT)
    lot.collect_events()

    changed = lot.change_commitment(buyer.organisation_id, need_id, a_line(), quantity="600",
                                    at=AT)
    unchanged = lot.change_commitment(buyer.organisation_id, need_id, a_line(),
                                      quantity="600.0", max_unit_price=190, at=AT)

    assert (changed, unchanged) == (True, False)
    assert names(lot) == ["CommitmentChanged"]
    assert lot.commitments[need_id].quantity == 600


def test_a_changed_commitment_stays_within_the_need() -> None:
    lot, buyer, need_id = a_lot(), org(BUYER), uuid4()
    lot.pool_need(buyer, need_id, a_line(), at=AT)

    with pytest.raises(rules.CommitmentAboveNeedError, match="need 800 but would commit 801"):
        lot.change_commitment(buyer.organisation_id, need_id, a_line(), quantity=801, at=AT)


def test_only_the_buyer_changes_or_withdraws_its_own_commitment() -> None:
    lot, buyer, need_id = a_lot(), org(BUYER), uuid4()
    lot.pool_need(buyer, need_id, a_line(), at=AT)
    lot.collect_events()
    other = org(BUYER).organisation_id

    with pytest.raises(rules.CommitmentNotFoundError, match=f"no commitment of need {need_id}"):
        lot.change_commitment(other, need_id, a_line(), quantity=1, at=AT)
    with pytest.raises(rules.CommitmentNotFoundError):
        lot.withdraw_commitment(other, need_id, at=AT)

    assert lot.collect_events() == []
    lot.withdraw_commitment(buyer.organisation_id, need_id, at=AT)
    assert lot.commitments == {}
    assert (lot.pooled_quantity, lot.buyer_count) == (Decimal(0), 0)


# -- the close instant ----------------------------------------------------------------------


def a_command(name: str, lot: Lot) -> Callable[[datetime], object]:
    """Arranges ``lot`` so that the named command would succeed while it is open."""
    supplier, lead, member = org(), org(), org()
    lot.join(supplier, at=AT)
    bid_id = consortium(lot, lead, member)
    lot.collect_events()
    return {
        "join": lambda at: lot.join(org(), at=at),
        "pool_need": lambda at: lot.pool_need(org(BUYER), uuid4(), a_line(), at=at),
        "place_bid": lambda at: lot.place_bid(supplier, uuid4(), terms(), at=at),
        "accept_share": lambda at: lot.accept_share(member, bid_id, at=at),
        "withdraw_bid": lambda at: lot.withdraw_bid(lead.organisation_id, bid_id, at=at),
    }[name]


COMMANDS = ["join", "pool_need", "place_bid", "accept_share", "withdraw_bid"]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_a_microsecond_before_the_close_instant_is_accepted(name: str) -> None:
    lot = a_lot()
    act = a_command(name, lot)

    act(CLOSES - timedelta(microseconds=1))

    assert lot.collect_events() != []


@pytest.mark.parametrize("at", [CLOSES, CLOSES + timedelta(days=1)])
@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_at_or_after_the_close_instant_is_rejected_and_records_nothing(
        name: str, at: datetime) -> None:
    lot = a_lot()
    act = a_command(name, lot)

    with pytest.raises(rules.LotClosedError, match="closed at 2026-11-27 18:00 JST; nothing"):
        act(at)

    assert lot.collect_events() == []


def test_a_lot_is_not_closed_before_its_close_time() -> None:
    lot = a_lot()

    with pytest.raises(rules.LotNotDueError, match="closes at 2026-11-27 18:00 JST, not before"):
        lot.record_close(at=CLOSES - timedelta(microseconds=1))

    assert not lot.closed


def test_a_lot_is_closed_once() -> None:
    lot = a_lot()

    first, again = lot.record_close(at=CLOSES), lot.record_close(at=CLOSES + timedelta(hours=1))

    assert (first, again) == (True, False)
    assert names(lot) == ["Closed"]


def test_the_close_records_the_pooled_demand_and_only_the_bids_that_stand() -> None:
    lot, buyer, member = a_lot(), org(BUYER), org()
    lot.pool_need(buyer, uuid4(), a_line(), at=AT)
    lot.pool_need(buyer, uuid4(), a_line(quantity="250.5"), at=AT)
    lot.pool_need(org(BUYER), uuid4(), a_line(), quantity=300, at=AT)
    alone = bidding_alone(lot, org())
    complete, waiting = consortium(lot, org(), member), consortium(lot, org(), org())
    lot.accept_share(member, complete, at=AT)
    lot.collect_events()

    lot.record_close(at=CLOSES)

    [closed] = lot.collect_events()
    assert isinstance(closed, Lot.Closed)
    assert closed.counted_bids == sorted([alone, complete], key=str)
    assert waiting not in closed.counted_bids
    assert (closed.pooled_quantity, closed.buyer_count) == (Decimal("1350.5"), 2)


# -- cancelling -----------------------------------------------------------------------------


def test_only_the_organiser_cancels_a_lot_and_says_why() -> None:
    lot = a_lot()

    with pytest.raises(rules.NotLotOrganiserError, match="only the organisation that opened"):
        lot.cancel(org(BUYER).organisation_id, "supplier shortage", at=AT)
    with pytest.raises(rules.CancelReasonMissingError, match="1 to 500 characters"):
        lot.cancel(ORGANISER.organisation_id, "   ", at=AT)

    assert lot.collect_events() == []


def test_a_cancelled_lot_takes_nothing_more() -> None:
    lot = a_lot()

    lot.cancel(ORGANISER.organisation_id, " steel  price spike ", at=AT)

    assert lot.cancel_reason == "steel price spike"
    assert not lot.is_open_at(AT)
    with pytest.raises(rules.LotCancelledError, match=r"cancelled \(steel price spike\)"):
        lot.cancel(ORGANISER.organisation_id, "again", at=AT)
    with pytest.raises(rules.LotCancelledError, match=r"cancelled \(steel price spike\)"):
        lot.join(org(), at=AT)
    assert lot.record_close(at=CLOSES) is False
    assert names(lot) == ["Cancelled"]


@pytest.mark.parametrize("close_recorded", [False, True])
def test_a_lot_cannot_be_cancelled_at_or_after_its_close_instant(close_recorded: bool) -> None:
    lot = a_lot()
    if close_recorded:
        lot.record_close(at=CLOSES)
    lot.collect_events()

    with pytest.raises(rules.LotClosedError):
        lot.cancel(ORGANISER.organisation_id, "too late", at=CLOSES)

    assert lot.cancel_reason is None
    assert lot.collect_events() == []


# -- replay ---------------------------------------------------------------------------------


def test_replaying_every_event_of_a_busy_lot_rebuilds_the_same_state() -> None:
    lot = Lot.open(ORGANISER, ITEM, currency="JPY", closes_at=CLOSES, eligibility=KIRYU,
                   thresholds=[1000], at=AT)
    buyer, kept, dropped, lead, member, quitter = org(BUYER), uuid4(), uuid4(), org(), org(), org()
    lot.pool_need(buyer, kept, a_line(), at=AT)
    lot.pool_need(org(BUYER), dropped, a_line(), at=AT)
    lot.change_commitment(buyer.organisation_id, kept, a_line(), max_unit_price=185, at=AT)
    lot.withdraw_commitment(lot.commitments[dropped].buyer_id, dropped, at=AT)
    alone = bidding_alone(lot, org())
    lot.revise_bid(lot.bids[alone].lead_id, alone, terms(capacity=1800), at=AT)
    bid_id = consortium(lot, lead, member, quitter)
    lot.accept_share(member, bid_id, at=AT)
    lot.accept_share(quitter, bid_id, at=AT)
    lot.decline_share(quitter.organisation_id, bid_id, at=AT)
    withdrawn = org()
    lot.withdraw_bid(withdrawn.organisation_id, bidding_alone(lot, withdrawn), at=AT)
    lot.record_close(at=CLOSES)

    copy: Any = None
    for event in lot.collect_events():
        copy = event.mutate(copy)

    assert isinstance(copy, Lot)
    assert (copy.id, copy.version, copy.closed) == (lot.id, lot.version, True)
    assert (copy.item, copy.eligibility, copy.closes_at) == (lot.item, lot.eligibility, CLOSES)
    assert copy.commitments == lot.commitments
    assert copy.suppliers == lot.suppliers
    assert copy.bids == lot.bids
    assert list(copy.bids) == [alone, bid_id]


def test_a_cluster_name_longer_than_any_cluster_is_refused_before_reaching_the_database() -> None:
    with pytest.raises(ClusterNameInvalidError, match="no cluster's name is longer than 60"):
        Eligibility.create(cluster="x" * 61)

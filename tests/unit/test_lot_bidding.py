"""The Lot aggregate: suppliers joining, bids alone, and consortia."""

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from marketplace.domain import lot_rules as rules
from marketplace.domain.eligibility import (
    NotASupplierError,
    NotEligibleError,
    Participant,
)
from marketplace.domain.items import UnsupportedCurrencyError
from tests.unit.lot_builders import (
    AT,
    BUYER,
    a_lot,
    bidding_alone,
    consortium,
    names,
    org,
    terms,
)

# -- suppliers joining and bidding ----------------------------------------------------------


def test_only_an_eligible_supplier_joins_and_joining_twice_changes_nothing() -> None:
    lot, supplier = a_lot(), org()

    first, again = lot.join(supplier, at=AT), lot.join(supplier, at=AT)

    assert (first, again) == (True, False)
    assert names(lot) == ["SupplierJoined"]
    with pytest.raises(NotASupplierError, match="only suppliers join lots"):
        lot.join(org(BUYER), at=AT)
    with pytest.raises(NotEligibleError, match="members of the cluster 'kiryu textile'"):
        lot.join(org(clusters=()), at=AT)


def test_a_supplier_joins_before_bidding() -> None:
    lot = a_lot()

    with pytest.raises(rules.BidderNotJoinedError, match="join this lot before bidding"):
        lot.place_bid(org(), uuid4(), terms(), at=AT)

    assert lot.bids == {}


def test_a_supplier_bids_once_per_lot() -> None:
    lot, supplier = a_lot(), org()
    bidding_alone(lot, supplier)

    with pytest.raises(rules.AlreadyBiddingError, match="revise or withdraw that bid"):
        lot.place_bid(supplier, uuid4(), terms(), at=AT)

    assert len(lot.bids) == 1


@pytest.mark.parametrize(("bid", "error", "message"), [
    ({"unit": "t"}, rules.UnitMismatchError, "priced per t but this lot trades in kg"),
    ({"currency": "usd"}, UnsupportedCurrencyError, "'usd' is not a currency"),
    ({"terms": terms(valid_until="2026-11-26")}, rules.BidExpiresBeforeCloseError,
     "valid until 2026-11-26 but the lot closes on 2026-11-27"),
])
def test_a_bid_off_the_lots_terms_is_rejected(bid: dict[str, Any], error: type[Exception],
                                             message: str) -> None:
    lot, supplier = a_lot(), org()
    lot.join(supplier, at=AT)

    with pytest.raises(error, match=message):
        lot.place_bid(supplier, uuid4(), bid.pop("terms", terms()), at=AT, **bid)

    assert lot.bids == {}


def test_a_bid_in_the_lots_unit_and_currency_valid_until_the_close_date_is_placed() -> None:
    lot, supplier, bid_id = a_lot(), org(), uuid4()
    lot.join(supplier, at=AT)

    lot.place_bid(supplier, bid_id, terms(valid_until="2026-11-27"), unit="KG", currency="jpy",
                  at=AT)

    assert lot.bids[bid_id].capacity == 2000
    assert lot.bid_of(supplier.organisation_id) == lot.bids[bid_id]


def test_only_the_bidder_revises_or_withdraws_its_bid() -> None:
    lot, supplier, stranger = a_lot(), org(), org()
    bid_id = bidding_alone(lot, supplier)

    with pytest.raises(rules.BidNotFoundError, match=f"no bid {bid_id}"):
        lot.revise_bid(stranger.organisation_id, bid_id, terms(), at=AT)
    with pytest.raises(rules.BidNotFoundError):
        lot.withdraw_bid(stranger.organisation_id, uuid4(), at=AT)
    lot.revise_bid(supplier.organisation_id, bid_id, terms(capacity=1500), at=AT)

    assert lot.bids[bid_id].capacity == 1500
    lot.withdraw_bid(supplier.organisation_id, bid_id, at=AT)
    assert lot.bids == {}


# -- consortia ------------------------------------------------------------------------------


@pytest.mark.parametrize(("member", "error"), [
    (org(BUYER), rules.ConsortiumMemberNotSupplierError),
    (org(prefecture="Tochigi", clusters=()), rules.ConsortiumMemberNotEligibleError),
])
def test_every_consortium_member_is_an_eligible_supplier(member: Participant,
                                                        error: type[Exception]) -> None:
    lot = a_lot()

    with pytest.raises(error, match=f"consortium member {member.organisation_id}"):
        consortium(lot, org(), member)

    assert lot.bids == {}


def test_a_consortium_counts_once_every_member_accepted_with_their_shares_summed() -> None:
    lot, lead, first, second = a_lot(), org(), org(), org()
    bid_id = consortium(lot, lead, first, second)
    lot.collect_events()

    lot.accept_share(first, bid_id, at=AT)
    partial = lot.bids[bid_id]
    lot.accept_share(second, bid_id, at=AT)

    assert (partial.counts, partial.capacity) == (False, Decimal(1600))
    assert (lot.bids[bid_id].counts, lot.bids[bid_id].capacity) == (True, Decimal(2000))
    assert names(lot) == ["SupplierJoined", "ConsortiumShareAccepted"] * 2
    assert {first.organisation_id, second.organisation_id} <= lot.suppliers


def test_accepting_twice_changes_nothing_and_the_lead_cannot_decline() -> None:
    lot, lead, member = a_lot(), org(), org()
    bid_id = consortium(lot, lead, member)
    lot.accept_share(member, bid_id, at=AT)

    assert not lot.accept_share(member, bid_id, at=AT)
    assert not lot.accept_share(lead, bid_id, at=AT)
    with pytest.raises(rules.LeadCannotDeclineError, match="withdraw the bid instead"):
        lot.decline_share(lead.organisation_id, bid_id, at=AT)


def test_a_member_that_declines_after_accepting_takes_its_share_away() -> None:
    lot, lead, member = a_lot(), org(), org()
    bid_id = consortium(lot, lead, member)
    lot.accept_share(member, bid_id, at=AT)

    declined = lot.decline_share(member.organisation_id, bid_id, at=AT)

    assert declined
    assert (lot.bids[bid_id].counts, lot.bids[bid_id].capacity) == (False, Decimal(1200))
    assert lot.bid_of(member.organisation_id) is None
    assert not lot.decline_share(member.organisation_id, bid_id, at=AT)


def test_revising_a_consortium_bid_asks_every_other_member_to_accept_again() -> None:
    lot, lead, member = a_lot(), org(), org()
    bid_id = consortium(lot, lead, member)
    lot.accept_share(member, bid_id, at=AT)
    shares = lot.bids[bid_id].shares

    lot.revise_bid(lead.organisation_id, bid_id, terms(capacity=None, shares=shares),
                   members={member.organisation_id: member}, at=AT)

    assert lot.bids[bid_id].accepted == {lead.organisation_id}
    assert not lot.bids[bid_id].counts
    with pytest.raises(rules.NotConsortiumLeadError, match="only the consortium's lead"):
        lot.withdraw_bid(member.organisation_id, bid_id, at=AT)


def test_a_member_bidding_alone_cannot_accept_a_share_until_it_withdraws() -> None:
    lot, lead, member = a_lot(), org(), org()
    bid_id = consortium(lot, lead, member)
    own_bid = bidding_alone(lot, member)

    with pytest.raises(rules.AlreadyBiddingError):
        lot.accept_share(member, bid_id, at=AT)

    lot.withdraw_bid(member.organisation_id, own_bid, at=AT)
    assert lot.accept_share(member, bid_id, at=AT)


def test_an_organisation_not_named_in_a_consortium_cannot_accept_its_share() -> None:
    lot = a_lot()
    bid_id = consortium(lot, org(), org())

    with pytest.raises(rules.BidNotFoundError, match=f"not named in a bid {bid_id}"):
        lot.accept_share(org(), bid_id, at=AT)

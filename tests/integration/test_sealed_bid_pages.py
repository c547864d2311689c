"""The lot page's sealed bid commitments: before the close, each bid's hash and time for
whoever may see the lot, and receipts for a member's own entries; after it, each bid's check."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from events import SettableClock
from marketplace.accounts import Member
from marketplace.audit.lot_entries import lot_entries
from marketplace.domain.lot import Lot
from tests.integration.test_lot_pages import open_lot, post_need
from tests.pages import Site

ENGLISH = {"Accept-Language": "en"}
TIERS = [{"from_quantity": 100, "unit_price": "187.5"},
         {"from_quantity": 1000, "unit_price": "176.25"}]


def receipt_link(position: int) -> str:
    return f'href="/ledger/entries/{position}/receipt"'


def a_lot_with_a_bid(site: Site) -> tuple[UUID, Member, Member]:
    """A lot closing in an hour, a buyer's need pooled into it, a supplier's bid."""
    marketplace = site.accounts.marketplace
    buyer = site.new_member(roles=("buyer",))
    supplier = site.new_member(roles=("supplier",), name="赤城鋼材株式会社")
    lot_id = open_lot(marketplace, buyer.organisation_id, closes_in=timedelta(hours=1))
    marketplace.pool_need(buyer.organisation_id, lot_id,
                          post_need(marketplace, buyer.organisation_id, 1200))
    marketplace.join_lot(supplier.organisation_id, lot_id)
    marketplace.place_bid(supplier.organisation_id, lot_id, tiers=TIERS, capacity=3000,
                          minimum_quantity=100, lead_time_days=14, valid_until="2026-12-31")
    return lot_id, buyer, supplier


def test_before_the_close_everyone_sees_the_commitments_and_only_their_own_receipts(
        site: Site) -> None:
    marketplace = site.accounts.marketplace
    lot_id, buyer, supplier = a_lot_with_a_bid(site)
    pooled, placed = (lot_entries(marketplace, lot_id, (kind,))[0]
                      for kind in (Lot.NeedPooled, Lot.BidPlaced))
    commitment = placed.event.commitment

    as_buyer = site.logged_in(buyer).get(f"/lots/{lot_id}", headers=ENGLISH).text
    as_supplier = site.logged_in(supplier).get(f"/lots/{lot_id}", headers=ENGLISH).text

    for page in (as_buyer, as_supplier):
        assert "Sealed bid commitments" in page
        assert f"<code>{commitment[:16]}<wbr>{commitment[16:32]}<wbr>" in page
        assert "Not yet" in page  # no checkpoint signed yet
    assert "赤城鋼材株式会社" not in as_buyer
    assert "187.5" not in as_buyer
    assert "176.25" not in as_buyer
    assert receipt_link(pooled.position) in as_buyer
    assert receipt_link(placed.position) not in as_buyer
    assert as_supplier.count(receipt_link(placed.position)) == 2  # in the list, by its bid
    assert receipt_link(pooled.position) not in as_supplier


def test_after_the_close_each_bid_shows_its_check_under_the_checkpoint_before_the_close(
        site: Site, clock: SettableClock) -> None:
    marketplace = site.accounts.marketplace
    lot_id, buyer, _supplier = a_lot_with_a_bid(site)
    clock.advance(timedelta(hours=2))
    marketplace.close_due_lots()
    checkpoint = marketplace.checkpoints.page(limit=2)[-1]

    page = site.logged_in(buyer).get(f"/lots/{lot_id}", headers=ENGLISH).text

    assert checkpoint.reason == "before lot close"
    assert '<span class="badge open">Holds</span>' in page
    assert f"Under checkpoint #{checkpoint.id}, signed" in page
    assert "The clearing used these terms." in page
    assert "Not yet" not in page

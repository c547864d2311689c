"""A sealed bid's commitment: SHA-256 over a canonical JSON of the bid, as docs/sealed-bids.md
specifies it, so that anyone can recompute it with a JSON writer and SHA-256."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from marketplace.domain.bid_commitment import bid_commitment, commitment_document
from marketplace.domain.lot import Lot
from tests.unit.lot_builders import AT, a_lot, bidding_alone, org, terms

LOT = UUID("6f1c8a52-0d3e-4c1b-9a57-2b8e4f0c9d11")
BID = UUID("0b4e7a90-5c2d-4f8e-8d61-93a7c5e1f240")
SUPPLIER = UUID("a3d5f7e9-1b2c-4d6e-8f90-1a2b3c4d5e6f")
MEMBER = UUID("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f")
SALT = bytes(range(32))

TERMS: dict[str, Any] = {
    "tiers": [{"from_quantity": Decimal("100"), "unit_price": Decimal("187.50")},
              {"from_quantity": Decimal("1000"), "unit_price": Decimal("176.25")}],
    "capacity": None, "minimum_quantity": Decimal("100"), "lead_time_days": 14,
    "valid_until": date(2026, 12, 31), "delivery_costs": {"JP-10": Decimal("5")}}
SHARES: list[dict[str, Any]] = [{"organisation_id": SUPPLIER, "share": Decimal("600")},
                                {"organisation_id": MEMBER, "share": Decimal("400")}]

#: The document of docs/sealed-bids.md's example, byte for byte.
DOCUMENT = (
    '{"bid_id":"0b4e7a90-5c2d-4f8e-8d61-93a7c5e1f240",'
    '"lot_id":"6f1c8a52-0d3e-4c1b-9a57-2b8e4f0c9d11",'
    '"salt":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",'
    '"shares":[{"organisation_id":"a3d5f7e9-1b2c-4d6e-8f90-1a2b3c4d5e6f","share":"600"},'
    '{"organisation_id":"c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f","share":"400"}],'
    '"supplier_id":"a3d5f7e9-1b2c-4d6e-8f90-1a2b3c4d5e6f",'
    '"terms":{"capacity":null,"delivery_costs":{"JP-10":"5"},"lead_time_days":14,'
    '"minimum_quantity":"100","tiers":[{"from_quantity":"100","unit_price":"187.5"},'
    '{"from_quantity":"1000","unit_price":"176.25"}],"valid_until":"2026-12-31"}}')
#: Its commitment, as the documentation gives it.
EXAMPLE_COMMITMENT = "8c9d27a08d4663c1c939f4d6fb7186586919bfe594de6c7bd11ef01c071a442e"


def commit(**changes: Any) -> str:
    fields: dict[str, Any] = {"lot_id": LOT, "bid_id": BID, "supplier_id": SUPPLIER,
                              "terms": copy.deepcopy(TERMS), "shares": copy.deepcopy(SHARES),
                              "salt": SALT}
    fields.update(changes)
    return bid_commitment(**fields)


def changed_terms(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(TERMS)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def test_the_commitment_is_the_sha256_of_the_documented_canonical_json() -> None:
    document = commitment_document(lot_id=LOT, bid_id=BID, supplier_id=SUPPLIER, terms=TERMS,
                                   shares=SHARES, salt=SALT)

    assert document == DOCUMENT.encode()
    assert commit() == hashlib.sha256(DOCUMENT.encode()).hexdigest() == EXAMPLE_COMMITMENT


@pytest.mark.parametrize("change", [
    {"lot_id": UUID(int=1)},
    {"bid_id": UUID(int=2)},
    {"supplier_id": MEMBER},
    {"salt": bytes(32)},
    {"shares": []},
    {"shares": [{"organisation_id": SUPPLIER, "share": Decimal("600")},
                {"organisation_id": MEMBER, "share": Decimal("401")}]},
    {"terms": changed_terms(("tiers", 0, "unit_price"), Decimal("187.49"))},
    {"terms": changed_terms(("tiers", 1, "from_quantity"), Decimal("999"))},
    {"terms": changed_terms(("capacity",), Decimal("1000"))},
    {"terms": changed_terms(("minimum_quantity",), Decimal("101"))},
    {"terms": changed_terms(("lead_time_days",), 15)},
    {"terms": changed_terms(("valid_until",), date(2027, 1, 1))},
    {"terms": changed_terms(("delivery_costs",), None)},
    {"terms": changed_terms(("delivery_costs", "JP-10"), Decimal("5.01"))},
], ids=lambda change: next(iter(change)))
def test_changing_any_field_changes_the_commitment(change: dict[str, Any]) -> None:
    assert commit(**change) != commit()


def test_a_number_written_another_way_and_keys_in_another_order_commit_alike() -> None:
    rewritten = dict(reversed(list(changed_terms(
        ("tiers", 0, "unit_price"), Decimal("1.875E+2")).items())))
    rewritten["minimum_quantity"] = Decimal("100.000")

    assert commit(terms=rewritten) == commit()


def test_the_salt_is_32_bytes_and_instants_or_floats_have_no_canonical_form() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        commit(salt=b"short")
    with pytest.raises(TypeError):
        commit(terms=changed_terms(("valid_until",), datetime(2026, 12, 31, tzinfo=UTC)))
    with pytest.raises(TypeError):
        commit(terms=changed_terms(("capacity",), 1000.5))


def test_a_placed_bid_carries_the_commitment_of_its_own_fields_and_its_salt() -> None:
    lot, supplier, bid_id = a_lot(), org(), UUID(int=7)
    lot.join(supplier, at=AT)

    lot.place_bid(supplier, bid_id, terms(), salt=SALT, at=AT)

    placed = lot.collect_events()[-1]
    assert isinstance(placed, Lot.BidPlaced)
    assert placed.salt == SALT.hex()
    assert placed.commitment == bid_commitment(
        lot_id=lot.id, bid_id=bid_id, supplier_id=supplier.organisation_id, terms=placed.terms,
        shares=placed.shares, salt=SALT)


def test_a_revision_is_sealed_anew_under_the_bids_lead() -> None:
    lot, supplier = a_lot(), org()
    lot.join(supplier, at=AT)
    lot.place_bid(supplier, BID, terms(), salt=SALT, at=AT)
    other_salt = bytes(reversed(SALT))

    lot.revise_bid(supplier.organisation_id, BID, terms(capacity=1500), salt=other_salt, at=AT)

    placed, revised = lot.collect_events()[-2:]
    assert isinstance(revised, Lot.BidRevised)
    assert revised.commitment != placed.commitment
    assert revised.commitment == bid_commitment(
        lot_id=lot.id, bid_id=BID, supplier_id=supplier.organisation_id, terms=revised.terms,
        shares=revised.shares, salt=other_salt)


def test_a_bid_placed_without_a_salt_carries_no_commitment() -> None:
    lot = a_lot()

    bidding_alone(lot, org())

    placed = lot.collect_events()[-1]
    assert (placed.commitment, placed.salt) == (None, None)

"""Pooling suggestions through the application, on both databases: who is offered what,
and starting a lot from a suggestion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain.eligibility import NotABuyerError, NotEligibleError
from marketplace.domain.need import NeedIsPooledError, NeedWithdrawnError
from marketplace.domain.pooling import LotClosesAfterNeededByError, PoolingPartnersGoneError
from marketplace.readmodels.lot_queries import LotDetail
from marketplace.readmodels.pooling_suggestions import PoolingSuggestion
from tests.helpers import ledger_length

CLUSTER = "ryomo-net"
SPEC = "SPCC 1.0mm cold rolled"
#: Friday 27 November 2026, 17:00 JST: the last Friday two weeks before 12 December.
SUGGESTED_CLOSE = datetime(2026, 11, 27, 8, tzinfo=UTC)


def firm(marketplace: Marketplace, name: str, *, prefecture: str = "Gunma",
         clusters: tuple[str, ...] = (CLUSTER,), roles: tuple[str, ...] = ("buyer",)) -> UUID:
    return marketplace.register_organisation(
        name_en=name, roles=list(roles), prefecture=prefecture,
        clusters=list(clusters)).organisation_id


def need(marketplace: Marketplace, buyer: UUID, quantity: Any = 500, *, spec: str = SPEC,
         unit: str = "kg", category: str = "Steel sheet", needed_by: str = "2026-12-15",
         delivery: str = "Gunma") -> UUID:
    return marketplace.post_need(
        buyer, category=category, specification=spec, unit=unit, quantity=quantity,
        needed_by=needed_by, delivery_prefecture=delivery, max_unit_price=190)


def lot(marketplace: Marketplace, organiser: UUID, *, spec: str = SPEC,
        closes_at: datetime = SUGGESTED_CLOSE, cluster: str | None = CLUSTER,
        prefectures: tuple[str, ...] = ()) -> UUID:
    return marketplace.open_lot(organiser, category="steel sheet", specification=spec,
                                unit="kg", closes_at=closes_at, cluster=cluster,
                                prefectures=list(prefectures))


def suggestions(marketplace: Marketplace, buyer: UUID) -> list[PoolingSuggestion]:
    return marketplace.pooling_suggestions.for_buyer(buyer, now=marketplace.clock())


def detail(marketplace: Marketplace, buyer: UUID, lot_id: UUID) -> LotDetail:
    viewer = marketplace.lots.viewer(buyer)
    assert viewer is not None
    found = marketplace.lots.detail(viewer, lot_id, now=marketplace.clock())
    assert found is not None
    return found


def status(marketplace: Marketplace, buyer: UUID, need_id: UUID) -> str:
    view = marketplace.lots.need(buyer, need_id)
    assert view is not None
    return view.status


def kinds(marketplace: Marketplace, buyer: UUID) -> list[tuple[str, UUID, UUID | None]]:
    return [(s.kind, s.need_id, s.lot.id if s.lot else None)
            for s in suggestions(marketplace, buyer)]


# -- who is offered a new lot -----------------------------------------------------------------

def test_compatible_needs_of_different_buyers_are_suggested_to_each_as_a_new_lot(
        marketplace: Marketplace) -> None:
    a, b, c = (firm(marketplace, name) for name in ("A", "B", "C"))
    needs = {a: need(marketplace, a, 500),
             b: need(marketplace, b, "300.5", spec="ｓｐｃｃ  1.0MM Cold Rolled",
                     needed_by="2026-12-30", delivery="Tochigi"),
             c: need(marketplace, c, 1000, needed_by="2026-12-12")}

    seen = {buyer: suggestions(marketplace, buyer) for buyer in needs}

    for buyer, found in seen.items():
        assert [(s.kind, s.need_id, s.buyer_count, s.lot) for s in found] == [
            ("new_lot", needs[buyer], 3, None)]
        terms = found[0].new_lot
        assert terms is not None
        assert (terms.other_buyers, terms.closes_at) == (2, SUGGESTED_CLOSE)
        assert (terms.cluster, terms.prefectures) == (CLUSTER, [])
        assert found[0].key == f"need:{needs[buyer]}:new-lot"
    assert [s.new_lot.others_quantity for buyer in (a, b, c) for s in seen[buyer]
            if s.new_lot] == [Decimal(1300), Decimal(1500), Decimal(800)]


def test_with_one_other_buyer_its_quantity_is_not_shown(marketplace: Marketplace) -> None:
    a, b = firm(marketplace, "A"), firm(marketplace, "B")
    need(marketplace, a)
    need(marketplace, b, 700)

    found = suggestions(marketplace, a)

    assert [s.new_lot.other_buyers for s in found if s.new_lot] == [1]
    assert [s.new_lot.others_quantity for s in found if s.new_lot] == [None]


def test_buyers_without_a_shared_cluster_are_offered_their_regions_prefectures(
        marketplace: Marketplace) -> None:
    a = firm(marketplace, "A", clusters=())
    b = firm(marketplace, "B", prefecture="Tochigi", clusters=("other",))
    need(marketplace, a)
    need(marketplace, b, delivery="Ibaraki")

    found = suggestions(marketplace, a)

    terms = found[0].new_lot
    assert terms is not None
    assert terms.cluster is None
    assert terms.prefectures == ["JP-08", "JP-09", "JP-10", "JP-11", "JP-12", "JP-13", "JP-14"]


@pytest.mark.parametrize("other", [
    {"unit": "t"}, {"spec": "SPCC 1.2mm cold rolled"}, {"category": "stainless sheet"},
    {"needed_by": "2027-01-15"}, {"delivery": "Osaka"}])
def test_needs_of_another_item_date_or_region_are_not_suggested(
        marketplace: Marketplace, other: dict[str, Any]) -> None:
    a, b = firm(marketplace, "A"), firm(marketplace, "B")
    need(marketplace, a)
    need(marketplace, b, **other)

    assert suggestions(marketplace, a) == []
    assert suggestions(marketplace, b) == []


def test_withdrawn_and_pooled_needs_and_my_own_other_needs_are_not_suggested(
        marketplace: Marketplace) -> None:
    a, b, c = (firm(marketplace, name) for name in ("A", "B", "C"))
    need(marketplace, a)
    need(marketplace, a, 200)  # mine: not another buyer's
    marketplace.withdraw_need(b, need(marketplace, b))
    elsewhere = lot(marketplace, c, spec="SPCC 2.0mm")  # pooling asks only category and unit
    marketplace.pool_need(c, elsewhere, need(marketplace, c))

    found = suggestions(marketplace, a)

    assert found == []


def test_a_buyer_no_one_lot_could_admit_with_me_is_not_suggested(
        marketplace: Marketplace) -> None:
    a = firm(marketplace, "A")
    b = firm(marketplace, "B", prefecture="Osaka", clusters=("kansai-kai",))
    need(marketplace, a)
    need(marketplace, b)  # delivered to Gunma, but neither my cluster nor my region admits B

    assert suggestions(marketplace, a) == []


def test_a_need_pooled_in_a_cancelled_lot_is_open_to_pool_again(
        marketplace: Marketplace) -> None:
    a, b = firm(marketplace, "A"), firm(marketplace, "B")
    need(marketplace, a)
    cancelled = lot(marketplace, b, spec="SPCC 2.0mm")
    b_need = need(marketplace, b)
    marketplace.pool_need(b, cancelled, b_need)
    marketplace.cancel_lot(b, cancelled, "the press line was sold")

    found = {buyer: suggestions(marketplace, buyer) for buyer in (a, b)}

    assert [s.kind for s in found[a]] == ["new_lot"]
    assert [(s.kind, s.need_id) for s in found[b]] == [("new_lot", b_need)]


def test_only_buyers_see_pooling_suggestions(marketplace: Marketplace) -> None:
    supplier = firm(marketplace, "S", roles=("supplier",))

    with pytest.raises(NotABuyerError):
        suggestions(marketplace, supplier)


# -- open lots --------------------------------------------------------------------------------

def test_an_open_lot_that_fits_is_suggested_instead_of_a_new_lot(
        marketplace: Marketplace) -> None:
    organiser, a, b = (firm(marketplace, name) for name in ("O", "A", "B"))
    lot_id = lot(marketplace, organiser, spec="spcc 1.0MM  COLD rolled")
    a_need = need(marketplace, a)
    need(marketplace, b)

    found = suggestions(marketplace, a)

    assert [(s.kind, s.need_id, s.key) for s in found] == [
        ("existing_lot", a_need, f"need:{a_need}:lot:{lot_id}")]
    assert found[0].lot is not None
    assert (found[0].lot.id, found[0].lot.pooled_quantity, found[0].buyer_count) == (
        lot_id, 0, 0)
    assert found[0].lot.progress.next_threshold is None


def test_lots_closed_cancelled_ineligible_too_late_or_delivering_elsewhere_are_not_suggested(
        marketplace: Marketplace, clock: SettableClock) -> None:
    organiser, a = firm(marketplace, "O"), firm(marketplace, "A")
    outsider = firm(marketplace, "X", prefecture="Tochigi", clusters=("other",))
    fits = lot(marketplace, organiser)
    lot(marketplace, organiser, closes_at=clock() + timedelta(hours=1))  # closed by the time
    marketplace.cancel_lot(organiser, lot(marketplace, organiser), "no longer needed")
    lot(marketplace, outsider, cluster="other")  # does not admit A
    lot(marketplace, a, cluster="other")  # A sees the lot it organises, but may not pool in it
    lot(marketplace, organiser, closes_at=datetime(2026, 12, 20, tzinfo=UTC))  # after needed-by
    lot(marketplace, organiser, cluster=None, prefectures=("Gunma",))  # delivers to Gunma only
    a_need = need(marketplace, a, delivery="Tochigi")
    clock.advance(timedelta(hours=2))

    found = kinds(marketplace, a)

    assert found == [("existing_lot", a_need, fits)]


def test_a_cluster_lot_serves_the_region_its_needs_are_delivered_to(
        marketplace: Marketplace) -> None:
    organiser, a, b = (firm(marketplace, name) for name in ("O", "A", "B"))
    lot_id = lot(marketplace, organiser)  # nothing pooled: its organiser's region, Kanto
    a_need = need(marketplace, a, delivery="Tochigi")
    b_need = need(marketplace, b, delivery="Osaka")

    assert kinds(marketplace, a) == [("existing_lot", a_need, lot_id)]
    assert kinds(marketplace, b) == []

    marketplace.pool_need(organiser, lot_id, need(marketplace, organiser, delivery="Osaka"))

    assert kinds(marketplace, a) == []  # it now delivers to Kinki
    assert kinds(marketplace, b) == [("existing_lot", b_need, lot_id)]


def test_open_lots_come_before_new_lots(marketplace: Marketplace) -> None:
    organiser, a, b = (firm(marketplace, name) for name in ("O", "A", "B"))
    lot_id = lot(marketplace, organiser)
    pipe = need(marketplace, a, category="steel pipe", needed_by="2026-12-20")
    sheet = need(marketplace, a)
    need(marketplace, b, category="steel pipe")

    assert kinds(marketplace, a) == [("existing_lot", sheet, lot_id), ("new_lot", pipe, None)]


# -- starting a lot from a suggestion ---------------------------------------------------------

def test_starting_a_lot_pools_exactly_my_need_and_the_others_then_see_that_lot(
        marketplace: Marketplace, migrated_url: str) -> None:
    a, b, c = (firm(marketplace, name) for name in ("A", "B", "C"))
    a_need, b_need = need(marketplace, a), need(marketplace, b, 300, needed_by="2026-12-12")
    c_need = need(marketplace, c, 700)
    before = ledger_length(migrated_url)

    lot_id = marketplace.open_pooled_lot(a, a_need)

    assert ledger_length(migrated_url) == before + 3  # Lot.Opened, Lot.NeedPooled, Need.Pooled
    view = detail(marketplace, a, lot_id)
    assert (view.lot.organiser_id, view.lot.pooled_quantity, view.lot.buyer_count) == (a, 500, 1)
    assert (view.lot.closes_at, view.lot.cluster) == (SUGGESTED_CLOSE, CLUSTER)
    assert [c.need_id for c in view.my_commitments] == [a_need]
    assert [status(marketplace, b, b_need), status(marketplace, c, c_need)] == ["open", "open"]
    assert kinds(marketplace, a) == []
    assert kinds(marketplace, b) == [("existing_lot", b_need, lot_id)]
    assert kinds(marketplace, c) == [("existing_lot", c_need, lot_id)]

    marketplace.pool_need(b, lot_id, b_need)  # each consents by its own command

    assert kinds(marketplace, c) == [("existing_lot", c_need, lot_id)]
    assert suggestions(marketplace, c)[0].buyer_count == 2


def test_the_buyer_may_choose_the_close_time_and_eligibility_of_the_lot_it_starts(
        marketplace: Marketplace) -> None:
    a, b = firm(marketplace, "A"), firm(marketplace, "B")
    a_need = need(marketplace, a)
    need(marketplace, b)
    closes_at = datetime(2026, 12, 4, 8, tzinfo=UTC)

    lot_id = marketplace.open_pooled_lot(a, a_need, closes_at=closes_at,
                                         prefectures=["群馬県", "Tochigi"], thresholds=[1000])

    view = detail(marketplace, a, lot_id)
    assert (view.lot.closes_at, view.lot.cluster, view.lot.prefectures) == (
        closes_at, None, ["JP-09", "JP-10"])
    assert view.lot.thresholds == [1000]


@pytest.mark.parametrize(("terms", "error"), [
    ({"closes_at": datetime(2026, 12, 15, 8, tzinfo=UTC)}, LotClosesAfterNeededByError),
    ({"prefectures": ["Tochigi"]}, NotEligibleError)])
def test_terms_that_cannot_hold_my_need_are_refused_and_nothing_is_recorded(
        marketplace: Marketplace, migrated_url: str, terms: dict[str, Any],
        error: type[Exception]) -> None:
    a, b = firm(marketplace, "A"), firm(marketplace, "B")
    a_need = need(marketplace, a)
    need(marketplace, b)
    before = ledger_length(migrated_url)

    with pytest.raises(error):
        marketplace.open_pooled_lot(a, a_need, **terms)

    assert ledger_length(migrated_url) == before
    assert status(marketplace, a, a_need) == "open"


def test_a_stale_suggestion_is_refused_and_nothing_is_recorded(
        marketplace: Marketplace, migrated_url: str) -> None:
    a, b, c = (firm(marketplace, name) for name in ("A", "B", "C"))
    withdrawn, pooled, alone = need(marketplace, a), need(marketplace, b), need(marketplace, c)
    marketplace.withdraw_need(a, withdrawn)
    marketplace.pool_need(b, lot(marketplace, b, spec="SPCC 2.0mm"), pooled)
    before = ledger_length(migrated_url)

    with pytest.raises(NeedWithdrawnError):
        marketplace.open_pooled_lot(a, withdrawn)
    with pytest.raises(NeedIsPooledError):
        marketplace.open_pooled_lot(b, pooled)
    with pytest.raises(PoolingPartnersGoneError):
        marketplace.open_pooled_lot(c, alone)  # A withdrew and B pooled elsewhere

    assert ledger_length(migrated_url) == before

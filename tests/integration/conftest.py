"""Fixtures of the integration suite beyond the shared ones in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import stripe

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.payments.stripe_adapter import StripePayments
from tests.fake_stripe import API_KEY, FakeStripe, running_fake_stripe
from tests.helpers import register_over_http
from tests.lot_scenes import Scene
from tests.lots_api_builders import CLUSTER, Cluster, Party
from tests.lots_builders import (
    CONSORTIUM_TERMS,
    a_cluster,
    bid_alone,
    open_lot,
    pooled_need,
    post_need,
)
from tests.pages import Site
from tests.servers import serving
from tests.stripe_site import stripe_site
from web.app import create_app


@pytest.fixture
def scene(marketplace: Marketplace, clock: SettableClock) -> Scene:
    firms = a_cluster(marketplace, buyers=3, suppliers=4)
    lot_id = open_lot(marketplace, firms.buyers[0])
    lead, member = firms.suppliers[1], firms.suppliers[2]
    marketplace.join_lot(lead, lot_id)
    consortium = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                       shares={lead: 600, member: 400})
    marketplace.join_lot(firms.suppliers[3], lot_id)
    return Scene(
        marketplace, clock, firms, lot_id,
        pooled_need=pooled_need(marketplace, firms.buyers[1], lot_id, 800),
        open_need=post_need(marketplace, firms.buyers[2], 500),
        bid=bid_alone(marketplace, firms.suppliers[0], lot_id),
        consortium_bid=consortium)


@pytest.fixture
def api(marketplace: Marketplace) -> Iterator[httpx.Client]:
    """A client of the real app, served over real HTTP on a loopback port."""
    with serving(create_app(marketplace=marketplace)) as base_url, \
            httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def cluster(api: httpx.Client) -> Cluster:
    def party(name: str, roles: list[str], prefecture: str = "Gunma",
              clusters: tuple[str, ...] = (CLUSTER,)) -> Party:
        return Party(*register_over_http(api, name_ja=name, name_en=None, roles=roles,
                                         prefecture=prefecture, capabilities=[],
                                         clusters=list(clusters)))
    return Cluster(organiser=party("高崎プレス", ["buyer"]),
                   buyer=party("前橋金型", ["buyer"]),
                   supplier=party("太田鋼材", ["supplier"]),
                   rival=party("伊勢崎スチール", ["supplier"]),
                   outsider=party("宇都宮商事", ["buyer", "supplier"], "Tochigi", ()))


@pytest.fixture
def site(marketplace: Marketplace) -> Iterator[Site]:
    """The real app with its pages, served over real HTTP on a loopback port."""
    app = create_app(marketplace=marketplace)
    with serving(app) as base_url:
        opened = Site(base_url, app.state.accounts)
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def ledger(marketplace: Marketplace, clock: SettableClock) -> Marketplace:
    """Two lots cleared (one with a consortium), one open with a sealed bid, checkpoints
    signed before and after the closes."""
    firms = a_cluster(marketplace, buyers=3, suppliers=4)
    for _ in range(2):
        lot_id = open_lot(marketplace, firms.buyers[0])
        pooled_need(marketplace, firms.buyers[1], lot_id, 800)
        pooled_need(marketplace, firms.buyers[2], lot_id, 700)
        bid_alone(marketplace, firms.suppliers[0], lot_id)
        lead, member = firms.suppliers[1], firms.suppliers[2]
        marketplace.join_lot(lead, lot_id)
        consortium = marketplace.place_bid(lead, lot_id, **CONSORTIUM_TERMS,
                                           shares={lead: 600, member: 400})
        marketplace.accept_consortium_share(member, lot_id, consortium)
        marketplace.checkpoint("manual")
    clock.advance(timedelta(days=30))
    assert len(marketplace.close_due_lots()) == 2
    still_open = open_lot(marketplace, firms.buyers[0])
    bid_alone(marketplace, firms.suppliers[3], still_open)
    return marketplace


@pytest.fixture
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK sleeps ``max(INITIAL_DELAY, jitter(min(INITIAL_DELAY * 2**(n-1), MAX_DELAY)))``
    before retry n (at least 0.5 s each); with both bounds at zero it retries at once."""
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.0)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.0)


@pytest.fixture(params=["stripe", "invoice"])
def processor(request: pytest.FixtureRequest, marketplace: Marketplace
              ) -> Iterator[FakeStripe | None]:
    """The marketplace's payments through Stripe (the fake server, yielded) or by invoice."""
    if request.param == "invoice":
        yield None
        return
    with running_fake_stripe() as fake:
        marketplace.payments = StripePayments(API_KEY, api_base=fake.base_url,
                                              network_retries=0)
        yield fake


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    """The fake Stripe server, running on a loopback port for the test."""
    with running_fake_stripe() as running:
        yield running


@pytest.fixture
def stripe_marketplace(marketplace: Marketplace, fake: FakeStripe) -> Marketplace:
    """The marketplace paying through the fake Stripe, its SDK retrying as in production."""
    marketplace.payments = StripePayments(API_KEY, api_base=fake.base_url, network_retries=2)
    return marketplace


@pytest.fixture
def client(fake: FakeStripe) -> stripe.StripeClient:
    """The real SDK pointed at the fake, retrying twice as an application would."""
    return fake.client(max_network_retries=2)


@pytest.fixture
def card_site(marketplace: Marketplace, fake: FakeStripe, tmp_path: Path) -> Iterator[Site]:
    """The pages taking cards through the fake Stripe (its Stripe.js and publishable key)."""
    with stripe_site(marketplace, fake, tmp_path) as site:
        yield site

"""The real app configured for Stripe as production would be (both keys, the webhook secret),
pointed at the fake Stripe server and its stand-in Stripe.js: for the pages of the card field
and of the bank's confirmation, over HTTP and in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

from marketplace.application import Marketplace
from marketplace.commands.payments import HOLD_WINDOW
from marketplace.payments.stripe_adapter import StripePayments
from marketplace.settings import Environment, Settings
from tests.fake_stripe import API_KEY, FakeStripe
from tests.fake_stripe.stripe_js import PUBLISHABLE_KEY
from tests.pages import Site
from tests.servers import serving
from web.app import create_app

WEBHOOK_SECRET = "whsec_kyodo_card_pages"  # noqa: S105 (the fake's webhook secret)
CLUSTER = "上州ものづくり"


def stripe_settings(fake: FakeStripe, var_dir: Path) -> Settings:
    """What ``Settings.from_env`` gives for the fake: STRIPE_API_BASE and STRIPE_JS_URL on it."""
    return Settings(environment=Environment.DEVELOPMENT, var_dir=var_dir,
                    database_url="sqlite:///unused-the-marketplace-is-given",
                    secret_key="a-secret-key-for-the-card-pages-" * 2,
                    stripe_secret_key=API_KEY, stripe_publishable_key=PUBLISHABLE_KEY,
                    stripe_webhook_secret=WEBHOOK_SECRET, stripe_api_base=fake.base_url,
                    stripe_js_url=f"{fake.base_url}/v3/")


@contextmanager
def stripe_site(marketplace: Marketplace, fake: FakeStripe, var_dir: Path, *,
                site_url: str | None = None) -> Iterator[Site]:
    """The app taking cards through the fake Stripe, served on a loopback port; with
    ``site_url``, configured with that address and reached by its host name."""
    marketplace.payments = StripePayments(API_KEY, webhook_secret=WEBHOOK_SECRET,
                                          api_base=fake.base_url, network_retries=0)
    settings = replace(stripe_settings(fake, var_dir), site_url=site_url)
    app = create_app(settings=settings, marketplace=marketplace)
    with serving(app) as base_url:
        site = Site(base_url, app.state.accounts,
                    host=urlsplit(site_url).netloc if site_url else None)
        try:
            yield site
        finally:
            site.close()


def a_lot_with_my_need(marketplace: Marketplace, buyer: UUID, *, hold: bool = True) -> UUID:
    """A lot with the buyer's 800 kg at most ¥200 pooled: its card is held for ¥160,000 if
    the lot closes within the hold window (``hold``), else saved."""
    closes_in = HOLD_WINDOW - timedelta(hours=1) if hold else HOLD_WINDOW + timedelta(days=2)
    lot_id = marketplace.open_lot(
        buyer, category="Steel sheet", specification="SPCC 1.0 mm, cold rolled", unit="kg",
        closes_at=marketplace.clock() + closes_in, cluster=CLUSTER, thresholds=[1000])
    need = marketplace.post_need(
        buyer, category="steel sheet", specification="SPCC 1 mm", unit="kg", quantity=800,
        needed_by="2026-12-15", delivery_prefecture="Gunma", max_unit_price=200)
    marketplace.pool_need(buyer, lot_id, need)
    return lot_id

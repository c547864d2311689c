"""The auditor in a real browser: the ledger scrolls in as it is read, an entry's receipt is
downloaded and checks with nothing but SHA-256 and Ed25519, verify runs with a live bar, and
the public checkpoints page needs no log-in. Screenshots go to test-artefacts/screenshots/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from events import SettableClock
from events.receipts import check_receipt
from marketplace.domain.sealed_round import SETTLE
from tests.browser.conftest import Camera
from tests.browser.test_journey import CLUSTER, log_in
from tests.conftest import LEDGER_SIGNER
from tests.lots_builders import BID_TERMS
from tests.pages import Site


def test_an_auditor_reads_checks_and_verifies_the_ledger_in_a_real_browser(
        live_site: Site, clock: SettableClock, open_page: Callable[[], Page],
        camera: Camera) -> None:
    site, base = live_site, live_site.base_url
    marketplace = site.accounts.marketplace
    organiser = site.new_member(roles=("buyer",), name="高崎プレス工業株式会社")
    lot_id = marketplace.open_lot(
        organiser.organisation_id, category="Steel sheet", unit="kg",
        specification="SPCC 1.0 mm", closes_at=clock() + timedelta(days=2), cluster=CLUSTER,
        thresholds=[1000])
    for _ in range(60):  # more of the lot's entries than one page of the ledger holds
        marketplace.pool_need(organiser.organisation_id, lot_id, marketplace.post_need(
            organiser.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm",
            unit="kg", quantity=10, needed_by="2026-12-20", delivery_prefecture="Gunma"))
    need = marketplace.post_need(organiser.organisation_id, category="Steel sheet",
                                 specification="SPCC 1.0 mm", unit="kg", quantity=900,
                                 needed_by="2026-12-20", delivery_prefecture="Gunma",
                                 max_unit_price=230)
    marketplace.pool_need(organiser.organisation_id, lot_id, need)
    pooled_at = marketplace.position()
    supplier = site.new_member(roles=("supplier",), name="太田鋼板商事株式会社")
    marketplace.join_lot(supplier.organisation_id, lot_id)
    marketplace.place_bid(supplier.organisation_id, lot_id, **BID_TERMS)
    clock.advance(timedelta(days=2) + SETTLE + timedelta(seconds=1))
    auditor = site.new_member(roles=("buyer",), name="上州ものづくり事務局")
    site.accounts.set_roles(auditor, auditor.id, ["auditor", "admin"])

    page = open_page()
    log_in(page, base, auditor.email)
    page.goto(f"{base}/audit/ledger")
    first_rows = page.locator("#ledger-rows tr[data-position]").count()
    page.locator("#ledger-more").scroll_into_view_if_needed()
    expect(page.locator("#ledger-rows tr[data-position]")).not_to_have_count(first_rows)
    assert first_rows > 0
    camera.shoot(page, "ledger-scrolled")

    page.goto(f"{base}/audit/ledger/{pooled_at}")
    expect(page.locator("#receipt-download")).to_be_visible()
    with page.expect_download() as download:
        page.click("#receipt-download")
    receipt = json.loads(download.value.path().read_text(encoding="utf-8"))
    checked = check_receipt(receipt, LEDGER_SIGNER.public_key)
    assert checked.position == pooled_at
    camera.shoot(page, "entry-with-receipt")

    page.goto(f"{base}/audit/verify")
    page.click("#verify-form button.primary")
    expect(page).to_have_url(re.compile(r"/audit/verify/[0-9a-f-]{36}$"))
    expect(page.locator("#verify-result.ok")).to_be_visible(timeout=60_000)
    camera.shoot(page, "verify-ok")

    page.goto(f"{base}/audit/lots/{lot_id}/timeline")
    expect(page.locator("body")).to_contain_text("SPCC")
    camera.shoot(page, "lot-timeline")

    anyone = open_page()
    anyone.goto(f"{base}/ledger/checkpoints")
    expect(anyone.locator("body")).to_contain_text(LEDGER_SIGNER.key_id)
    camera.shoot(anyone, "public-checkpoints")
    assert camera.step == 5

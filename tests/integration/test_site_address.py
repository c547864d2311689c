"""MARKETPLACE_SITE_URL: the links the site hands out (an invitation, Stripe's way back from
onboarding) are built on it, never on the Host header a client sent, and a request naming
another host is refused before any page is built."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marketplace.application import Marketplace
from tests.fake_stripe import FakeStripe, running_fake_stripe
from tests.pages import Site
from tests.stripe_site import stripe_site

SITE = "https://kyodo.example.jp"
FORGED = "attacker.example.com"


@pytest.fixture
def stripe() -> Iterator[FakeStripe]:
    with running_fake_stripe(accounts_ready=False) as fake:
        yield fake


@pytest.fixture
def site(marketplace: Marketplace, stripe: FakeStripe, tmp_path: Path) -> Iterator[Site]:
    """The app with its address configured, reached as browsers reach it: by its name."""
    with stripe_site(marketplace, stripe, tmp_path, site_url=SITE) as opened:
        yield opened


def test_an_invitation_link_is_on_the_sites_address(site: Site) -> None:
    _admin, visitor = site.member_visitor()

    page = visitor.post("/members/invitations", {"email": "suzuki@firm.example.jp",
                                                 "roles": ["buyer"]})

    assert page.status_code == 200
    assert re.search(rf"{re.escape(SITE)}/invitations/[A-Za-z0-9_-]+", page.text)


def test_stripe_sends_the_supplier_back_to_the_sites_address(site: Site) -> None:
    _member, visitor = site.member_visitor(roles=("supplier",))

    started = visitor.post("/payouts/onboarding")
    with httpx.Client(trust_env=False) as browser:
        back = browser.get(started.headers["location"])
        used = browser.get(started.headers["location"])  # a link works once: a new one

    assert started.status_code == 303
    assert back.headers["location"] == f"{SITE}/payouts/onboarding/return"
    assert used.headers["location"] == f"{SITE}/payouts/onboarding/refresh"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/login"), ("GET", "/dashboard"), ("GET", "/members"),
    ("POST", "/members/invitations"), ("POST", "/payouts/onboarding")])
def test_a_request_naming_another_host_is_refused_and_changes_nothing(
        site: Site, method: str, path: str) -> None:
    admin, visitor = site.member_visitor(roles=("buyer", "supplier"))
    form = {"email": "x@firm.example.jp", "roles": "buyer",
            "_csrf_token": visitor.csrf_token()}
    position = site.accounts.marketplace.position()

    response = visitor.client.request(method, path, headers={"Host": FORGED},
                                      data=form if method == "POST" else None)

    assert response.status_code == 400
    assert FORGED not in response.text
    assert site.accounts.pending_invitations(admin.organisation_id) == []
    assert site.accounts.marketplace.position() == position


def test_the_health_check_answers_a_load_balancer_asking_by_address(site: Site) -> None:
    with httpx.Client(base_url=site.base_url) as balancer:
        response = balancer.get("/health")

    assert response.status_code == 200

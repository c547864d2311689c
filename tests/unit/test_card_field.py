"""Stripe's card field from the settings: STRIPE_JS_URL is a local stand-in's, like
STRIPE_API_BASE; the publishable key is never a secret one; and the Content-Security-Policy
lets in exactly the Stripe origins the card field needs, only when Stripe is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.settings import Settings, SettingsError
from web.card_field import card_field_for, content_security_policy

SITE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
STRIPE = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
          "STRIPE_PUBLISHABLE_KEY": "pk_test_x"}
STAND_IN = {"STRIPE_API_BASE": "http://127.0.0.1:12111",
            "STRIPE_JS_URL": "http://127.0.0.1:12111/v3/"}


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"MARKETPLACE_VAR_DIR": str(tmp_path), **env})


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (d.split() for d in policy.split(";"))}


@pytest.mark.parametrize(("env", "message"), [
    ({"STRIPE_JS_URL": "https://js.example.com/v3/", "STRIPE_API_BASE": "http://127.0.0.1:1"},
     "only for development"),
    ({"STRIPE_JS_URL": "javascript:alert(1)", "STRIPE_API_BASE": "http://127.0.0.1:1"},
     "such as http://127.0.0.1"),
    ({"STRIPE_JS_URL": "http://127.0.0.1:12111/v3/"}, "set STRIPE_API_BASE"),
    ({"STRIPE_PUBLISHABLE_KEY": "sk_test_x"}, "never put a secret key there"),
    ({"MARKETPLACE_ENV": "production", "MARKETPLACE_DATABASE_URL": "postgresql://db/k",
      "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"},
     "without STRIPE_PUBLISHABLE_KEY"),
    ({"MARKETPLACE_ENV": "production", "MARKETPLACE_DATABASE_URL": "postgresql://db/k",
      **STAND_IN}, "only for development"),
])
def test_a_card_field_setting_that_cannot_be_right_stops_start_up_in_one_line(
        tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as raised:
        settings(tmp_path, **env)

    assert "\n" not in str(raised.value)


def test_without_stripe_the_policy_is_the_sites_own(tmp_path: Path) -> None:
    publishable_only = settings(tmp_path, STRIPE_PUBLISHABLE_KEY="pk_test_x")

    assert card_field_for(None) is None
    assert card_field_for(publishable_only) is None
    assert content_security_policy(None) == SITE_POLICY


def test_with_stripe_the_policy_lets_in_stripe_js_its_frames_and_its_api_only(
        tmp_path: Path) -> None:
    card = card_field_for(settings(tmp_path, **STRIPE))

    assert card is not None
    assert card.script_url == "https://js.stripe.com/v3/"
    assert card.publishable_key == "pk_test_x"
    policy = directives(content_security_policy(card))
    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert policy["frame-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com",
                                   "https://hooks.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert policy["form-action"] == ["'self'", "https://connect.stripe.com"]  # onboarding
    changed = ("script-src", "frame-src", "connect-src", "form-action")
    unchanged = {k: v for k, v in directives(SITE_POLICY).items() if k not in changed}
    assert {k: v for k, v in policy.items() if k not in changed} == unchanged


def test_a_local_stand_in_is_let_in_instead_of_stripe(tmp_path: Path) -> None:
    card = card_field_for(settings(tmp_path, **STRIPE, **STAND_IN))

    assert card is not None
    assert card.script_url == "http://127.0.0.1:12111/v3/"
    policy = content_security_policy(card)
    assert "stripe.com" not in policy
    assert directives(policy)["script-src"] == ["'self'", "http://127.0.0.1:12111"]
    assert directives(policy)["connect-src"] == ["'self'", "http://127.0.0.1:12111"]
    assert directives(policy)["form-action"] == ["'self'", "http://127.0.0.1:12111"]

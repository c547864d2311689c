"""Stripe's card field on the payment step: what a page needs to draw it (the publishable key,
where Stripe.js comes from) and what the Content-Security-Policy must then allow.

A card number never reaches this site: Stripe.js takes it in Stripe's own field and gives the
page a PaymentMethod id (``pm_…``), and a bank's 3-D Secure challenge runs in Stripe's frames.
So the pages load Stripe.js, frame Stripe, and let Stripe.js call Stripe's API: nothing else
is added, and without Stripe configured the policy is the site's own, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from marketplace.settings import Settings

STRIPE_JS = "https://js.stripe.com/v3/"
#: Stripe's integration security guide: Stripe.js and the card field's frames come from
#: js.stripe.com and its subdomains, 3-D Secure challenges from hooks.stripe.com, and
#: Stripe.js calls api.stripe.com.
STRIPE_SCRIPTS = ("https://js.stripe.com", "https://*.js.stripe.com")
STRIPE_FRAMES = (*STRIPE_SCRIPTS, "https://hooks.stripe.com")
STRIPE_API = ("https://api.stripe.com",)
#: Where a supplier's payout account is set up (Connect onboarding): the dashboard's form
#: answers with a redirect there, and browsers hold such redirects to ``form-action``.
STRIPE_ONBOARDING = ("https://connect.stripe.com",)

#: The site's own policy: its scripts and styles only, never framed, forms to itself.
BASE_POLICY = {
    "default-src": ("'self'",), "script-src": ("'self'",), "style-src": ("'self'",),
    "img-src": ("'self'", "data:")}
CLOSING_POLICY = {"frame-ancestors": ("'none'",), "base-uri": ("'none'",),
                  "form-action": ("'self'",)}


@dataclass(frozen=True)
class CardField:
    """Stripe.js on the payment step: the key it runs with and the origins it needs."""

    publishable_key: str
    script_url: str
    scripts: tuple[str, ...]
    frames: tuple[str, ...]
    api: tuple[str, ...]
    onboarding: tuple[str, ...] = ()


def card_field_for(settings: Settings | None) -> CardField | None:
    """The card field when Stripe takes the payments (both keys set), else None. With
    ``STRIPE_JS_URL`` a local stand-in's Stripe.js is loaded and calls the stand-in's API."""
    if settings is None or not (settings.stripe_secret_key and settings.stripe_publishable_key):
        return None
    if settings.stripe_js_url is None:
        return CardField(settings.stripe_publishable_key, STRIPE_JS, STRIPE_SCRIPTS,
                         STRIPE_FRAMES, STRIPE_API, STRIPE_ONBOARDING)
    stand_in = _origin(settings.stripe_js_url)
    api = _origin(settings.stripe_api_base or settings.stripe_js_url)
    return CardField(settings.stripe_publishable_key, settings.stripe_js_url, (stand_in,),
                     (stand_in,), (api,), (api,))


def content_security_policy(card: CardField | None) -> str:
    """The site's policy, and with Stripe exactly the Stripe origins its pages need: the
    card field's, and Connect onboarding's as a form's redirect target."""
    directives = dict(BASE_POLICY)
    if card is not None:
        directives["script-src"] = (*directives["script-src"], *card.scripts)
        directives["connect-src"] = ("'self'", *card.api)
        directives["frame-src"] = ("'self'", *card.frames)
    directives.update(CLOSING_POLICY)
    if card is not None and card.onboarding:
        directives["form-action"] = (*directives["form-action"], *card.onboarding)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _origin(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}"

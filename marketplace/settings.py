"""The one settings object, read from the environment and checked before anything starts."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from events import DatabaseURLError, normalise_url

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
LEDGER_KEY_FILE = "ledger_signing_key"
DEFAULT_LEDGER_ORIGIN = "kyodo.localhost/ledger"
DEFAULT_CHECKPOINT_EVERY_ENTRIES = 1000
DEFAULT_CHECKPOINT_EVERY_SECONDS = 60
DEFAULT_DATABASE_FILE = "kyodo.sqlite3"
MIN_SECRET_LENGTH = 32


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says what to do."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


@dataclass(frozen=True)
class Settings:
    """Everything the marketplace reads from its environment (see README, Configuration)."""

    environment: Environment
    var_dir: Path
    database_url: str
    secret_key: str
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    #: The secret of the Connect endpoint (events of the suppliers' accounts, such as
    #: ``account.updated``), when that endpoint is also pointed at /webhooks/stripe.
    stripe_connect_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    """Another address for Stripe's API: a local stand-in in development and tests."""
    stripe_js_url: str | None = None
    """Another address for Stripe.js: the stand-in's own, in development and tests (the
    browser then calls the stand-in at ``stripe_api_base``, not Stripe)."""
    platform_fee_percent: Decimal = Decimal(0)
    """The platform's fee, in percent of each supplier's payout."""
    ledger_key: bytes | None = None
    """The 32-byte Ed25519 seed that signs the ledger's checkpoints."""
    ledger_origin: str = DEFAULT_LEDGER_ORIGIN
    checkpoint_every_entries: int = DEFAULT_CHECKPOINT_EVERY_ENTRIES
    checkpoint_every_seconds: int = DEFAULT_CHECKPOINT_EVERY_SECONDS
    site_url: str | None = None
    """Where people reach the site (``https://kyodo.example.jp``): the links it hands out
    (invitations, Stripe's way back from onboarding) are built on it, and requests naming
    another host are refused. Unset in development, where links follow the request."""

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = _environment(env.get("MARKETPLACE_ENV", "development"))
        var_dir = Path(env.get("MARKETPLACE_VAR_DIR", "var")).resolve()
        production = environment is Environment.PRODUCTION
        url = _get(env, "MARKETPLACE_DATABASE_URL")
        if url is None:
            if production:
                raise SettingsError("MARKETPLACE_DATABASE_URL is required when "
                                    "MARKETPLACE_ENV=production")
            _ensure_writable(var_dir)
            url = f"sqlite:///{var_dir / DEFAULT_DATABASE_FILE}"
        try:
            url = normalise_url(url)
        except DatabaseURLError as error:
            raise SettingsError(f"MARKETPLACE_DATABASE_URL: {error}") from None
        stripe = {name: _get(env, name) for name in
                  ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                   "STRIPE_CONNECT_WEBHOOK_SECRET")}
        if stripe["STRIPE_SECRET_KEY"] and not stripe["STRIPE_WEBHOOK_SECRET"]:
            raise SettingsError("STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET; "
                                "set both, or neither to take payments by invoice")
        _check_publishable_key(stripe["STRIPE_PUBLISHABLE_KEY"],
                               production and bool(stripe["STRIPE_SECRET_KEY"]))
        api_base = _stand_in(env, "STRIPE_API_BASE", production, "Stripe's SDK")
        js_url = _stand_in(env, "STRIPE_JS_URL", production, "the pages' Stripe.js")
        if js_url and not api_base:
            raise SettingsError("STRIPE_JS_URL is a local stand-in's Stripe.js, which calls "
                                "that stand-in's API: set STRIPE_API_BASE to it as well")
        return cls(environment=environment, var_dir=var_dir, database_url=url,
                   secret_key=_secret_key(env, var_dir, production),
                   stripe_secret_key=stripe["STRIPE_SECRET_KEY"],
                   stripe_publishable_key=stripe["STRIPE_PUBLISHABLE_KEY"],
                   stripe_webhook_secret=stripe["STRIPE_WEBHOOK_SECRET"],
                   stripe_connect_webhook_secret=stripe["STRIPE_CONNECT_WEBHOOK_SECRET"],
                   stripe_api_base=api_base, stripe_js_url=js_url,
                   platform_fee_percent=_percent(env, "MARKETPLACE_PLATFORM_FEE_PERCENT"),
                   ledger_key=_ledger_key(env, var_dir, production),
                   ledger_origin=_ledger_origin(env),
                   checkpoint_every_entries=_count(
                       env, "MARKETPLACE_CHECKPOINT_EVERY_ENTRIES",
                       DEFAULT_CHECKPOINT_EVERY_ENTRIES),
                   checkpoint_every_seconds=_count(
                       env, "MARKETPLACE_CHECKPOINT_EVERY_SECONDS",
                       DEFAULT_CHECKPOINT_EVERY_SECONDS),
                   site_url=_site_url(env, production))


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _percent(env: Mapping[str, str], name: str) -> Decimal:
    text = _get(env, name)
    if text is None:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value < 100:
        raise SettingsError(f"{name}={text!r}: give a percentage from 0 up to 100, such as 2.5")
    return value


def _stand_in(env: Mapping[str, str], name: str, production: bool, what: str) -> str | None:
    """A local stand-in for a Stripe address (``STRIPE_API_BASE``, ``STRIPE_JS_URL``): on this
    machine only, and never in production, where money and card numbers must reach Stripe."""
    address = _get(env, name)
    if address is None:
        return None
    parts = urlsplit(address)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{name}={address!r}: give an address such as "
                            "http://127.0.0.1:12111")
    if production or not loopback:
        raise SettingsError(f"{name} points {what} at a local stand-in; it is only for "
                            "development on this machine (127.0.0.1)")
    return address


def _site_url(env: Mapping[str, str], production: bool) -> str | None:
    """MARKETPLACE_SITE_URL, without a trailing slash: a scheme and a host (and a port), no
    path; HTTPS in production. Required there, or links handed out would name whatever host
    a request claimed (a forged Host header would send an invitation's token elsewhere)."""
    address = _get(env, "MARKETPLACE_SITE_URL")
    if address is None:
        if production:
            raise SettingsError("MARKETPLACE_SITE_URL is required when MARKETPLACE_ENV="
                                "production: the site's address, such as https://kyodo.example.jp")
        return None
    parts = urlsplit(address)
    try:
        parts.port  # noqa: B018 (urlsplit checks the port when it is read)
    except ValueError:
        parts = parts._replace(scheme="")
    if (parts.scheme not in {"http", "https"} or not parts.hostname or parts.username
            or parts.password or parts.path not in {"", "/"} or parts.query or parts.fragment):
        raise SettingsError(f"MARKETPLACE_SITE_URL={address!r}: give the site's address "
                            "alone, such as https://kyodo.example.jp")
    if production and parts.scheme != "https":
        raise SettingsError("MARKETPLACE_SITE_URL must start with https:// when "
                            "MARKETPLACE_ENV=production (the cookies are Secure)")
    return f"{parts.scheme}://{parts.netloc}"


def _check_publishable_key(key: str | None, required: bool) -> None:
    """The publishable key is written into every payment page: a secret key there would be
    handed to every buyer's browser. In production a card cannot be entered without it."""
    if key is None:
        if required:
            raise SettingsError("STRIPE_SECRET_KEY is set without STRIPE_PUBLISHABLE_KEY; "
                                "buyers could not enter a card: set the publishable key "
                                "(pk_live_…) too")
        return
    if not key.startswith(("pk_live_", "pk_test_")):
        raise SettingsError("STRIPE_PUBLISHABLE_KEY must be Stripe's publishable key "
                            "(pk_live_… or pk_test_…): it is shown to every buyer's browser, "
                            "so never put a secret key there")


def _environment(value: str) -> Environment:
    try:
        return Environment(value.strip().lower())
    except ValueError:
        raise SettingsError(f"MARKETPLACE_ENV={value!r}: use development or production") from None


def _secret_key(env: Mapping[str, str], var_dir: Path, production: bool) -> str:
    key = _get(env, "MARKETPLACE_SECRET_KEY")
    if key is not None:
        if len(key) < MIN_SECRET_LENGTH:
            raise SettingsError(f"MARKETPLACE_SECRET_KEY has {len(key)} characters; use at "
                                f"least {MIN_SECRET_LENGTH} random ones "
                                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        return key
    if production:
        raise SettingsError("MARKETPLACE_SECRET_KEY is required when MARKETPLACE_ENV=production")
    _ensure_writable(var_dir)
    path = var_dir / SECRET_KEY_FILE
    try:
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(48))
        key = path.read_text().strip()
    except OSError as error:
        raise SettingsError(f"cannot keep the secret key in {path}: {error.strerror}; set "
                            "MARKETPLACE_SECRET_KEY or MARKETPLACE_VAR_DIR") from None
    if len(key) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{path} holds a secret key shorter than {MIN_SECRET_LENGTH} "
                            "characters; delete the file to have a new one generated")
    return key


def _ensure_writable(var_dir: Path) -> None:
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"cannot create {var_dir}: {error.strerror}; set "
                            "MARKETPLACE_VAR_DIR to a writable directory") from None
    if not os.access(var_dir, os.W_OK | os.X_OK):
        raise SettingsError(f"{var_dir} is not writable; set MARKETPLACE_VAR_DIR to a "
                            "writable directory")


def _ledger_key(env: Mapping[str, str], var_dir: Path, production: bool) -> bytes:
    """The checkpoints' signing key: MARKETPLACE_LEDGER_KEY (the base64 of a 32-byte Ed25519
    seed), or in development one generated once under the var directory."""
    text = _get(env, "MARKETPLACE_LEDGER_KEY")
    source = "MARKETPLACE_LEDGER_KEY"
    if text is None:
        if production:
            raise SettingsError(
                "MARKETPLACE_LEDGER_KEY is required when MARKETPLACE_ENV=production (the "
                "base64 of 32 random bytes: python -c 'import base64, secrets; "
                "print(base64.b64encode(secrets.token_bytes(32)).decode())')")
        _ensure_writable(var_dir)
        path = var_dir / LEDGER_KEY_FILE
        source = str(path)
        try:
            if not path.exists():
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as file:
                    file.write(base64.b64encode(secrets.token_bytes(32)).decode())
            text = path.read_text().strip()
        except OSError as error:
            raise SettingsError(f"cannot keep the ledger signing key in {path}: "
                                f"{error.strerror}; set MARKETPLACE_LEDGER_KEY") from None
    try:
        seed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise SettingsError(f"{source} must be the base64 of exactly 32 bytes (an Ed25519 "
                            "private key seed)")
    return seed


def _ledger_origin(env: Mapping[str, str]) -> str:
    origin = _get(env, "MARKETPLACE_LEDGER_ORIGIN") or DEFAULT_LEDGER_ORIGIN
    if len(origin) > 100 or not origin.isprintable():
        raise SettingsError("MARKETPLACE_LEDGER_ORIGIN must be one printable line of at most "
                            "100 characters (e.g. kyodo.example.jp/ledger)")
    return origin


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    text = _get(env, name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SettingsError(f"{name}={text!r}: use a whole number of at least 1")
    return int(text)

import base64
from pathlib import Path

import pytest

from marketplace.settings import Environment, Settings, SettingsError

GOOD_SECRET = "s" * 40
GOOD_LEDGER_KEY = base64.b64encode(bytes(range(32))).decode()


def test_the_embedded_default_is_a_sqlite_file_and_a_generated_secret_under_var(
        tmp_path: Path) -> None:
    settings = Settings.from_env({"MARKETPLACE_VAR_DIR": str(tmp_path / "var")})

    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'kyodo.sqlite3'}"
    assert len(settings.secret_key) >= 32
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_the_generated_secret_is_kept_across_restarts(tmp_path: Path) -> None:
    env = {"MARKETPLACE_VAR_DIR": str(tmp_path)}

    assert Settings.from_env(env).secret_key == Settings.from_env(env).secret_key


def test_a_plain_postgresql_url_is_given_the_psycopg_driver(tmp_path: Path) -> None:
    settings = Settings.from_env({"MARKETPLACE_VAR_DIR": str(tmp_path),
                                  "MARKETPLACE_DATABASE_URL": "postgresql://u@db:5432/kyodo"})

    assert settings.database_url == "postgresql+psycopg://u@db:5432/kyodo"


@pytest.mark.parametrize(("env", "message"), [
    ({"MARKETPLACE_DATABASE_URL": "not a url"}, "is not a database URL"),
    ({"MARKETPLACE_DATABASE_URL": "mysql://root@localhost/kyodo"}, "unsupported database"),
    ({"MARKETPLACE_DATABASE_URL": "sqlite://"}, "in-memory SQLite"),
    ({"MARKETPLACE_ENV": "staging"}, "use development or production"),
    ({"MARKETPLACE_SECRET_KEY": "short"}, "at least 32"),
    ({"MARKETPLACE_ENV": "production", "MARKETPLACE_SECRET_KEY": GOOD_SECRET},
     "MARKETPLACE_DATABASE_URL is required"),
    ({"MARKETPLACE_ENV": "production", "MARKETPLACE_DATABASE_URL": "postgresql://db/k"},
     "MARKETPLACE_SECRET_KEY is required"),
    ({"STRIPE_SECRET_KEY": "sk_test_x"}, "without STRIPE_WEBHOOK_SECRET"),
    ({"MARKETPLACE_ENV": "production", "MARKETPLACE_DATABASE_URL": "postgresql://db/k",
      "MARKETPLACE_SECRET_KEY": GOOD_SECRET}, "MARKETPLACE_LEDGER_KEY is required"),
    ({"MARKETPLACE_LEDGER_KEY": "c2hvcnQ="}, "exactly 32 bytes"),
    ({"MARKETPLACE_LEDGER_KEY": "not base64!"}, "exactly 32 bytes"),
    ({"MARKETPLACE_LEDGER_ORIGIN": "x" * 101}, "at most 100"),
    ({"MARKETPLACE_CHECKPOINT_EVERY_SECONDS": "0"}, "at least 1"),
    ({"MARKETPLACE_CHECKPOINT_EVERY_ENTRIES": "ten"}, "whole number"),
    ({"STRIPE_API_BASE": "ftp://127.0.0.1"}, "such as http://127.0.0.1"),
    ({"STRIPE_API_BASE": "https://api.example.com"}, "only for development"),
    ({"MARKETPLACE_ENV": "production", "MARKETPLACE_DATABASE_URL": "postgresql://db/k",
      "MARKETPLACE_SECRET_KEY": GOOD_SECRET, "MARKETPLACE_LEDGER_KEY": GOOD_LEDGER_KEY},
     "MARKETPLACE_SITE_URL is required"),
    ({"MARKETPLACE_ENV": "production", "MARKETPLACE_DATABASE_URL": "postgresql://db/k",
      "MARKETPLACE_SECRET_KEY": GOOD_SECRET, "MARKETPLACE_LEDGER_KEY": GOOD_LEDGER_KEY,
      "MARKETPLACE_SITE_URL": "http://kyodo.example.jp"}, "must start with https://"),
    ({"MARKETPLACE_SITE_URL": "kyodo.example.jp"}, "the site's address alone"),
    ({"MARKETPLACE_SITE_URL": "https://kyodo.example.jp/app"}, "the site's address alone"),
    ({"MARKETPLACE_SITE_URL": "https://kyodo.example.jp/?a=1"}, "the site's address alone"),
    ({"MARKETPLACE_SITE_URL": "https://user@kyodo.example.jp"}, "the site's address alone"),
    ({"MARKETPLACE_SITE_URL": "https://kyodo.example.jp:port"}, "the site's address alone"),
    ({"MARKETPLACE_SITE_URL": "javascript:alert(1)"}, "the site's address alone"),
])
def test_a_missing_or_malformed_setting_is_named_in_one_line(
        tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as raised:
        Settings.from_env({"MARKETPLACE_VAR_DIR": str(tmp_path), **env})

    assert "\n" not in str(raised.value)


def test_an_unusable_var_directory_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    with pytest.raises(SettingsError, match="MARKETPLACE_VAR_DIR"):
        Settings.from_env({"MARKETPLACE_VAR_DIR": str(blocker / "var")})


def test_production_takes_its_secret_and_database_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "MARKETPLACE_ENV": "production", "MARKETPLACE_VAR_DIR": str(tmp_path / "unused"),
        "MARKETPLACE_SECRET_KEY": GOOD_SECRET, "MARKETPLACE_DATABASE_URL": "postgresql://db/k",
        "MARKETPLACE_LEDGER_KEY": GOOD_LEDGER_KEY, "MARKETPLACE_LEDGER_ORIGIN": "kyodo.jp/ledger",
        "MARKETPLACE_CHECKPOINT_EVERY_ENTRIES": "500",
        "MARKETPLACE_SITE_URL": "https://kyodo.example.jp/"})

    assert settings.is_production
    assert settings.secret_key == GOOD_SECRET
    assert settings.ledger_key == bytes(range(32))
    assert settings.ledger_origin == "kyodo.jp/ledger"
    assert settings.checkpoint_every_entries == 500
    assert settings.checkpoint_every_seconds == 60
    assert settings.site_url == "https://kyodo.example.jp"
    assert not (tmp_path / "unused").exists()


def test_development_generates_the_ledger_key_once(tmp_path: Path) -> None:
    env = {"MARKETPLACE_VAR_DIR": str(tmp_path)}
    first, again = Settings.from_env(env), Settings.from_env(env)

    assert first.ledger_key is not None
    assert len(first.ledger_key) == 32
    assert again.ledger_key == first.ledger_key
    assert (tmp_path / "ledger_signing_key").stat().st_mode & 0o777 == 0o600


def test_a_local_stripe_stand_in_is_taken_in_development(tmp_path: Path) -> None:
    settings = Settings.from_env({"MARKETPLACE_VAR_DIR": str(tmp_path),
                                  "STRIPE_API_BASE": "http://127.0.0.1:12111"})

    assert settings.stripe_api_base == "http://127.0.0.1:12111"


def test_the_platform_fee_is_a_percentage_below_a_hundred(tmp_path: Path) -> None:
    base = {"MARKETPLACE_VAR_DIR": str(tmp_path)}

    assert Settings.from_env({**base, "MARKETPLACE_PLATFORM_FEE_PERCENT": "2.5"}
                             ).platform_fee_percent == 2.5
    assert Settings.from_env(base).platform_fee_percent == 0
    for wrong in ("100", "-1", "abc", "NaN"):
        with pytest.raises(SettingsError, match="from 0 up to 100"):
            Settings.from_env({**base, "MARKETPLACE_PLATFORM_FEE_PERCENT": wrong})

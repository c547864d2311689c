"""Browser tests: Playwright's Python package driving Debian's Chromium (/usr/bin/chromium)
against the real app served on loopback. Screenshots of each step go to test-artefacts/."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from events import SettableClock
from marketplace.application import Marketplace
from tests.pages import Site
from tests.servers import serving
from web.app import create_app

CHROMIUM = os.environ.get("KYODO_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(apt-get install chromium), as .ci/run does")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        yield launched
        launched.close()


@pytest.fixture
def live_site(marketplace: Marketplace, clock: SettableClock) -> Iterator[Site]:
    """The app with its background closer running every 0.2 s, so moving the clock past a
    lot's close gets the close recorded as it would be in production."""
    app = create_app(marketplace=marketplace, close_lots_every=0.2)
    with serving(app) as base_url:
        site = Site(base_url, app.state.accounts)
        try:
            yield site
        finally:
            site.close()


class Camera:
    """Saves a full-page screenshot per step, numbered, under test-artefacts/screenshots/."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.step = folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shoot(self, page: Page, name: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def camera(request: pytest.FixtureRequest) -> Camera:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    return Camera(ARTEFACTS / name)


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Opens a page in a browser context of its own (its own cookies: one person each)."""
    contexts: list[BrowserContext] = []

    def open_one() -> Page:
        context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                      viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_one
    for context in contexts:
        context.close()

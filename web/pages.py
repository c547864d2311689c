"""Every HTML page of the site, gathered for the app (each group lives in its own module).

Page handlers are methods of controllers: Litestar 2.25 wraps a plain function handler twice
when another one shares its path, and that page then answers 500.
"""

from __future__ import annotations

from litestar import Controller

from web.account_pages import AccountPages

PAGES: list[type[Controller]] = [AccountPages]

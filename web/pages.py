"""Every HTML page of the site, gathered for the app (each group lives in its own module).

Page handlers are methods of controllers: Litestar 2.25 wraps a plain function handler twice
when another one shares its path, and that page then answers 500.
"""

from __future__ import annotations

from litestar import Controller

from web.account_pages import AccountPages
from web.allocation_pages import AllocationPages
from web.audit_pages import AuditPages
from web.audit_time_pages import AuditTimePages
from web.bid_pages import BidPages
from web.dashboard_pages import DashboardPages
from web.ledger_pages import LedgerPages
from web.lot_pages import LotPages
from web.need_pages import NeedPages
from web.payment_pages import PaymentPages
from web.quote_pages import PurchaseOrderPages, QuotePages
from web.rfq_pages import RfqPages

PAGES: list[type[Controller]] = [AccountPages, DashboardPages, NeedPages, AllocationPages,
                                 AuditPages, RfqPages, QuotePages, PurchaseOrderPages,
                                 LotPages, BidPages, AuditTimePages, LedgerPages, PaymentPages]

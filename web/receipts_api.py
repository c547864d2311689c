"""Receipts over the JSON API: an organisation's token fetches the receipt of an entry of its
own, one it made or is bound by as an offeror or a committer (its own sealed offers included;
``marketplace.audit.ledger_browse`` says which); any other entry does not exist for it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from marketplace.audit.ledger_browse import LedgerBrowser
from web.auth import api_token, marketplace_of, token_organisation
from web.ledger_pages import receipt_file


class ReceiptsController(Controller):
    path = "/api/v1/ledger/entries"
    tags = ("ledger",)

    @get("/{position:int}/receipt", opt=api_token(), sync_to_thread=True)
    def receipt(self, request: Request[Any, Any, Any], position: FromPath[int]) -> Response[Any]:
        """The receipt of a ledger entry of the organisation's own, as a JSON file: the entry,
        its leaf, an inclusion proof and the signed checkpoint (docs/ledger.md)."""
        marketplace = marketplace_of(request)
        missing = (f"the ledger has no entry at position {position} that your organisation "
                   "made or is bound by")
        if not LedgerBrowser(marketplace).may_have_receipt(position,
                                                           token_organisation(request)):
            raise NotFoundException(missing)
        return receipt_file(marketplace, position, missing=missing, unsigned=(
            "no signed checkpoint covers this entry yet, and this server has no key to sign one"))

"""The ledger for people: auditors browse its entries and run verify; anyone reads its signed
checkpoints; every member downloads the receipts of the entries it may have.

Any organisation's admin can make its own members auditors, so an auditor browses the entries
its organisation may see (``marketplace.audit.ledger_browse``): those of the lots open to it,
as on the time-travel pages, of its RFQs, its own, and the organisations' public profiles; any
other entry is not found, and is not listed. Sealed offers stay sealed
(``marketplace.audit.sealing``), to auditors too. Verify still checks the whole ledger, the
one log of the deployment, and its runs show only positions and what is wrong at them.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, ServiceUnavailableException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import HTTP_400_BAD_REQUEST

from events.receipts import NoCheckpointError, NoSuchEntryError, build_receipt
from marketplace.accounts import MemberRole
from marketplace.application import Marketplace
from marketplace.audit.ledger_browse import LedgerBrowser, event_types
from marketplace.audit.ledger_entry import stored_entry
from marketplace.audit.verify_runs import VerifyRuns
from web.auth import marketplace_of, members, public, require_member
from web.ledger_views import entry_context, entry_row, ledger_query
from web.lots_api import viewer_for
from web.render import page, see_other, t

AUDITORS = members(MemberRole.AUDITOR)
CHECKPOINTS_PAGE = 50
CHECKPOINT_FILE = re.compile(r"^([0-9]{1,9})\.json$")
#: Checkpoint ids are INTEGER; a longer number names none.
MAX_CHECKPOINT_ID = 2**31 - 1


class LedgerPages(Controller):
    """The ledger's entries, verify, the checkpoints and receipts."""

    path = "/"

    @get("/audit/ledger", opt=AUDITORS, sync_to_thread=True)
    def ledger(self, request: Request[Any, Any, Any], lot: FromQuery[str | None] = None,
               organisation: FromQuery[str | None] = None,
               event_type: Annotated[str | None, QueryParameter(name="type")] = None,
               since: Annotated[str | None, QueryParameter(name="from")] = None,
               until: Annotated[str | None, QueryParameter(name="to")] = None,
               before: FromQuery[str | None] = None) -> Response[Any]:
        """The entries the organisation may see, newest first, filtered; htmx asks for the
        next rows as the list scrolls."""
        marketplace = marketplace_of(request)
        member = require_member(request)
        browser = LedgerBrowser(marketplace)
        types = event_types()
        query = ledger_query(request, {"lot": lot, "organisation": organisation,
                                       "type": event_type, "from": since, "to": until,
                                       "before": before}, member.time_zone, types)
        found = None if query.errors else browser.page(
            query.filters, viewer_for(marketplace, member.organisation_id), before=query.before)
        return page(request, "audit/ledger.html", {
            "query": query, "errors": query.errors, "event_types": types,
            # The scrolled rows need no form: the list of organisations only for the page.
            "organisations": [] if request.headers.get("hx-request") == "true"
            else browser.organisations(),
            "rows": [] if found is None else [entry_row(request, e) for e in found.entries],
            "more": None if found is None or found.next_before is None
            else query.link(found.next_before)},
            fragment="audit/_ledger_rows.html",
            status_code=HTTP_400_BAD_REQUEST if query.errors else 200)

    @get("/audit/ledger/{position:int}", opt=AUDITORS, sync_to_thread=True)
    def entry(self, request: Request[Any, Any, Any],
              position: FromPath[int]) -> Response[Any]:
        """One entry the organisation may see: its data (unless sealed), its encoding and leaf,
        its receipt's proof."""
        marketplace = marketplace_of(request)
        member = require_member(request)
        viewer = viewer_for(marketplace, member.organisation_id)
        browser = LedgerBrowser(marketplace)
        indexed = browser.entry(position, viewer)
        stored = None if indexed is None else stored_entry(marketplace, position)
        if indexed is None or stored is None:
            raise NotFoundException(t(request, "The ledger has no entry at position %(position)s.",
                                      position=position))
        may_download = browser.may_have_receipt(position, member.organisation_id,
                                                auditor=viewer)
        return page(request, "audit/entry.html", entry_context(
            request, marketplace, stored, indexed, may_download=may_download))

    @get("/ledger/entries/{position:int}/receipt", opt=members(), sync_to_thread=True)
    def receipt(self, request: Request[Any, Any, Any],
                position: FromPath[int]) -> Response[Any]:
        """The entry's receipt file, for the organisation that made it or is bound by it, or
        an auditor when it may see the entry and the entry is not sealed; to anyone else there
        is no such entry (``marketplace.audit.ledger_browse``)."""
        member = require_member(request)
        marketplace = marketplace_of(request)
        missing = t(request, "The ledger has no entry at position %(position)s.",
                    position=position)
        auditor = (viewer_for(marketplace, member.organisation_id)
                   if member.has(MemberRole.AUDITOR) else None)
        if not LedgerBrowser(marketplace).may_have_receipt(position, member.organisation_id,
                                                           auditor=auditor):
            raise NotFoundException(missing)
        return receipt_file(marketplace, position, missing=missing, unsigned=t(
            request, "No signed checkpoint covers this entry yet, and this server has no key "
                     "to sign one."))

    @get("/audit/verify", opt=AUDITORS, sync_to_thread=True)
    def verify(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """What verify checks, a button to run it, and the latest run."""
        return page(request, "audit/verify.html",
                    {"run": VerifyRuns(marketplace_of(request)).latest(), "latest": True})

    @post("/audit/verify", opt=AUDITORS, sync_to_thread=True)
    def start_verify(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Starts a run (or, while one runs, shows that one): nobody waits for it here."""
        member = require_member(request)
        run, _started = VerifyRuns(marketplace_of(request)).start(member.id,
                                                                  member.organisation_id)
        return see_other(f"/audit/verify/{run.id}")

    @get("/audit/verify/{run_id:uuid}", opt=AUDITORS, sync_to_thread=True)
    def verify_run(self, request: Request[Any, Any, Any],
                   run_id: FromPath[UUID]) -> Response[Any]:
        """A run's progress; htmx polls its fragment every second until it is done."""
        run = VerifyRuns(marketplace_of(request)).get(run_id)
        if run is None:
            raise NotFoundException(t(request, "There is no such run of verify."))
        return page(request, "audit/verify.html", {"run": run, "latest": False},
                    fragment="audit/_verify_progress.html")

    @get("/ledger/checkpoints", opt=public(), sync_to_thread=True)
    def checkpoints(self, request: Request[Any, Any, Any],
                    before: FromQuery[str | None] = None) -> Response[Any]:
        """The signed checkpoints, newest first, and the key that signs them."""
        marketplace = marketplace_of(request)
        # isascii: ``isdigit`` alone admits digits such as ``²``, which ``int`` refuses.
        before_id = (int(before) if before and before.isascii() and before.isdigit()
                     and len(before) <= 10 and int(before) <= MAX_CHECKPOINT_ID else None)
        found = marketplace.checkpoints.page(before_id=before_id, limit=CHECKPOINTS_PAGE + 1)
        shown = found[:CHECKPOINTS_PAGE]
        signer = marketplace.signer
        return page(request, "ledger/checkpoints.html", {
            "checkpoints": shown,
            "more": shown[-1].id if len(found) > CHECKPOINTS_PAGE else None,
            "public_key": None if signer is None
            else base64.b64encode(signer.public_key).decode(),
            "key_id": None if signer is None else signer.key_id},
            fragment="ledger/_checkpoint_rows.html")

    @get("/ledger/checkpoints/{file_name:str}", opt=public(), sync_to_thread=True)
    def checkpoint_file(self, request: Request[Any, Any, Any],
                        file_name: FromPath[str]) -> Response[Any]:
        """One checkpoint as its JSON document, e.g. /ledger/checkpoints/12.json."""
        match = CHECKPOINT_FILE.match(file_name)
        found = None if match is None else marketplace_of(request).checkpoints.get(
            int(match.group(1)))
        if found is None:
            raise NotFoundException(t(request, "There is no such checkpoint."))
        return _download(found.as_json(), f"kyodo-checkpoint-{found.id}.json")


def receipt_file(marketplace: Marketplace, position: int, *, missing: str,
                 unsigned: str) -> Response[Any]:
    """The receipt as a file (signing a checkpoint first if none covers the entry yet);
    ``missing`` and ``unsigned`` say why there is none, in the asker's words."""
    try:
        document = build_receipt(marketplace, position)
    except NoSuchEntryError:
        raise NotFoundException(missing) from None
    except NoCheckpointError:
        raise ServiceUnavailableException(unsigned) from None
    return _download(document, f"kyodo-receipt-{position}.json")


def _download(document: dict[str, Any], file_name: str) -> Response[Any]:
    return Response(json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n",
                    media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"',
                             "Cache-Control": "no-store"})

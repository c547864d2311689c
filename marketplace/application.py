"""The marketplace's use cases: each public method is one command on the ledger."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar
from uuid import UUID

from events import Clock, system_clock
from events.checkpoints import Signer
from events.ledger import DEFAULT_ORIGIN
from marketplace.commands.base import LotNotFoundError, OrganisationNotFoundError
from marketplace.commands.bidding import BiddingCommands
from marketplace.commands.clearing import ClearingCommands
from marketplace.commands.followups import PaymentWatch
from marketplace.commands.idempotency import IdempotencyCommands
from marketplace.commands.lots import LotCommands
from marketplace.commands.needs import NeedCommands, NeedNotFoundError
from marketplace.commands.owed_payments import OwedPaymentCommands
from marketplace.commands.payment_status import PaymentStatusQueries
from marketplace.commands.pooling import PoolingCommands
from marketplace.commands.rfqs import RfqCommands, RfqNotFoundError
from marketplace.commands.suppliers import SupplierProfileCommands
from marketplace.domain import Organisation, Profile
from marketplace.payments import InvoicePayments, PaymentPort
from marketplace.readmodels import (
    AllocationQueries,
    LotQueries,
    OrganisationQueries,
    RfqQueries,
    build_projectors,
    hash_api_token,
)
from marketplace.readmodels.matching import SupplierMatching
from marketplace.readmodels.settled_payments import SettledPaymentQueries
from marketplace.readmodels.supplier_profiles import SupplierProfileQueries

log = logging.getLogger("kyodo.clearing")

API_TOKEN_PREFIX = "kyodo_"  # noqa: S105 (a prefix that makes leaked tokens greppable)
PROFILE_FIELDS = frozenset({"name_ja", "name_en", "roles", "prefecture", "capabilities",
                            "clusters"})


@dataclass(frozen=True)
class Registration:
    organisation_id: UUID
    api_token: str
    """Shown once: only its hash is kept."""


@dataclass(frozen=True)
class IssuedToken:
    token_id: UUID
    api_token: str
    """Shown once: only its hash is kept."""


class Marketplace(RfqCommands, PoolingCommands, NeedCommands, LotCommands, BiddingCommands,
                  ClearingCommands, IdempotencyCommands, SupplierProfileCommands,
                  OwedPaymentCommands, PaymentStatusQueries):
    """Kyodo's one ledger application: every aggregate, every command, one global order.

    Organisations' commands are here; buyers', lots' and suppliers' are mixed in from
    ``marketplace.commands``.
    """

    name: ClassVar[str] = "Ledger"  # type: ignore[misc]

    def __init__(self, database_url: str, clock: Clock = system_clock, *,
                 signer: Signer | None = None, origin: str = DEFAULT_ORIGIN) -> None:
        super().__init__(database_url, projectors=build_projectors(), clock=clock,
                         signer=signer, origin=origin)
        self.organisations = OrganisationQueries(self.engine)
        self.lots = LotQueries(self.engine)
        self.allocations = AllocationQueries(self.engine)
        self.rfqs = RfqQueries(self.engine)
        self.supplier_profiles = SupplierProfileQueries(self.engine)
        self.matching = SupplierMatching(self.engine)
        #: Who moves the money: invoices unless the settings configure Stripe (bootstrap).
        self.payments: PaymentPort = InvoicePayments()
        #: The lots whose payments are unfinished, and their backoff (in memory: followups).
        self.follow_ups = PaymentWatch(SettledPaymentQueries(self.engine))

    def register_organisation(self, *, name_ja: str | None = None, name_en: str | None = None,
                              roles: Any, prefecture: str, capabilities: Any = (),
                              clusters: Any = ()) -> Registration:
        """Registers a company with its first API token."""
        profile = Profile.create(name_ja=name_ja, name_en=name_en, roles=roles,
                                 prefecture=prefecture, capabilities=capabilities,
                                 clusters=clusters)

        def decide() -> Registration:
            at = self.clock()
            organisation = Organisation.register(profile, at=at)
            token = _new_api_token()
            organisation.issue_api_token(uuid.uuid4(), hash_api_token(token), at=at)
            self.save(organisation)
            return Registration(organisation.id, token)
        return self.command(decide)

    def update_organisation_profile(self, organisation_id: UUID, **changes: Any) -> bool:
        """Replaces the given profile fields; returns whether anything changed."""
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise TypeError(f"not profile fields: {', '.join(sorted(unknown))}")

        def decide() -> bool:
            organisation = self._organisation(organisation_id)
            changed = organisation.update_profile(at=self.clock(), **changes)
            if changed:
                self.save(organisation)
            return changed
        return self.command(decide)

    def issue_api_token(self, organisation_id: UUID, label: str | None = None) -> IssuedToken:
        """Issues another API token for the organisation, e.g. one per system that calls us."""
        def decide() -> IssuedToken:
            organisation = self._organisation(organisation_id)
            token, token_id = _new_api_token(), uuid.uuid4()
            organisation.issue_api_token(token_id, hash_api_token(token), label=label,
                                         at=self.clock())
            self.save(organisation)
            return IssuedToken(token_id, token)
        return self.command(decide)

    def revoke_api_token(self, organisation_id: UUID, token_id: UUID) -> None:
        """Stops the token from acting for the organisation, from this command on."""
        def decide() -> None:
            organisation = self._organisation(organisation_id)
            organisation.revoke_api_token(token_id, at=self.clock())
            self.save(organisation)
        self.command(decide)

    def close_due_lots(self, settle: timedelta = timedelta(0)) -> list[UUID]:
        """Closes and clears every lot whose close time passed ``settle`` ago; their ids.

        A command is decided at the time it was received, so one received just before the
        close may still be waiting for the write lock after it; the served app lets lots
        settle for longer than any such wait before fixing what stood at close. A lot that
        cannot be cleared is logged and tried again next time; it holds back no other lot.
        """
        closed: list[UUID] = []
        due = self.lots.due(self.clock() - settle)
        if due:  # the bids stand under a signed head before any close is recorded
            self.checkpoint("before lot close")
        for lot_id in due:
            try:
                if self.close_lot(lot_id):
                    closed.append(lot_id)
            except Exception:
                log.exception("closing and clearing lot %s failed; it is tried again", lot_id)
        if closed:
            self.checkpoint("lot close")
        for lot_id in closed:
            self._settle_quietly(lot_id)
        return closed

    def cancel_lot(self, organiser_id: UUID, lot_id: UUID, reason: Any) -> None:
        """Cancels a lot, telling every participant why, and releases the buyers' holds."""
        super().cancel_lot(organiser_id, lot_id, reason)
        self._settle_quietly(lot_id)

    def _settle_quietly(self, lot_id: UUID) -> None:
        """Settles the lot's buyers, then pays its suppliers; a failure is logged and leaves
        the lot as recorded, for ``follow_up_payments`` to finish once its backoff is over
        (``marketplace payments settle`` does it at once)."""
        try:
            self.settle_buyers(lot_id)
            self.pay_suppliers(lot_id)
        except Exception:  # the close or cancellation stands whatever befalls its payments
            wait = self.follow_ups.backoff.failed(lot_id, self.clock())
            log.exception("settling the payments of lot %s failed; it is tried again in %s "
                          "(or run `marketplace payments settle %s`)", lot_id, wait, lot_id)

    def open_due_rfqs(self, settle: timedelta = timedelta(0)) -> list[UUID]:
        """Records the deadline of every RFQ whose deadline passed ``settle`` ago; their ids.

        As for lots, ``settle`` lets every quote received before the deadline be decided
        first. An RFQ that fails is logged and tried again next time."""
        opened = []
        for rfq_id in self.rfqs.due(self.clock() - settle):
            try:
                if self.open_quotes(rfq_id):
                    opened.append(rfq_id)
            except Exception:
                log.exception("opening the quotes of RFQ %s failed; it is tried again", rfq_id)
        return opened


__all__ = ["IssuedToken", "LotNotFoundError", "Marketplace", "NeedNotFoundError",
           "OrganisationNotFoundError", "Registration", "RfqNotFoundError"]


def _new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)

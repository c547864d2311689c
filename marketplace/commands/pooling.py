"""Accepting a pooling suggestion: a buyer starts a lot with its own need in it.

Accepting a suggestion of an open lot is pooling the need into it (``pool_need``); nothing
here repeats that. Accepting a suggestion of a *new* lot opens the lot and pools the buyer's
need into it in one transaction, so no one ever sees a lot its organiser has not joined. The
other buyers whose needs matched are pooled by nobody but themselves: the lot is suggested to
them, and each pools its need by its own command, or not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from marketplace.commands.needs import NeedCommands
from marketplace.domain import Role
from marketplace.domain import pooling as rules
from marketplace.domain.eligibility import Eligibility
from marketplace.domain.lot import Lot
from marketplace.readmodels.pooling_suggestions import PoolingSuggestions


class PoolingCommands(NeedCommands):
    """A buyer acts on the pooling suggestions made to it; only ever for its own needs."""

    @property
    def pooling_suggestions(self) -> PoolingSuggestions:
        return PoolingSuggestions(self.engine)

    def open_pooled_lot(self, buyer_id: UUID, need_id: UUID, *,
                        closes_at: datetime | None = None, cluster: Any = None,
                        prefectures: Any = None, thresholds: Any = (),
                        max_suppliers: Any = None) -> UUID:
        """Opens a lot for the need's item with this buyer as organiser, and pools the need
        into it; returns the lot's id.

        The suggestion is decided again here, in the command's transaction: the need must
        still be open and other buyers' needs must still match it. Its close time and
        eligibility are the suggestion's unless given (``cluster`` or ``prefectures``
        replace the suggested eligibility as a whole).
        """
        chosen = (None if cluster is None and prefectures is None
                  else Eligibility.create(cluster=cluster, prefectures=prefectures or ()))
        at = self.clock()  # received now: the receive time decides deadlines

        def decide() -> UUID:
            need = self._own_need(buyer_id, need_id)
            buyer = self._participant(buyer_id)
            buyer.require(Role.BUYER, "open lots")
            self._release_from_cancelled_lot(need, at)
            # The suggestion was made for an open need; it may have been withdrawn, pooled or
            # put in an RFQ since. The need's own rule says so, before any other is weighed.
            need.require_open("pool")
            group = self.pooling_suggestions.group(buyer_id, need_id)
            if group is None:
                raise rules.PoolingPartnersGoneError(
                    "no other buyer's open need matches this one any more, so there is no one "
                    "to pool with; open a lot yourself if you still want one")
            close = closes_at or rules.suggested_close(group.earliest_needed_by, at)
            if close is None:
                raise rules.NeedDueTooSoonToPoolError(
                    "the matching needs are due too soon for a lot to gather buyers and close "
                    "in time; give a close time before your needed-by date to open one anyway")
            lot = Lot.open(buyer, need.line.item, currency="JPY", closes_at=close,
                           eligibility=chosen or group.eligibility, thresholds=thresholds,
                           at=at, max_suppliers=max_suppliers)
            rules.require_close_in_time(close, need.line.needed_by)
            lot.pool_need(buyer, need.id, need.line, at=at)
            need.pool_into(lot.id, at=at)
            self.save(lot, need)
            return lot.id
        return self.command(decide)


"""What every OCDS contracting process of the marketplace shares: its releases, its parties.

A lot or an RFQ is one contracting process (docs/export.md). Its events are applied in ledger
order; at each significant one (the tender, its amendment, cancellation or close, the award, a
purchase order) the process publishes a release: the whole process as it stood right after
that event, tagged with what happened, dated with the event's time, and identified by the
event's ledger position, so that an auditor can find the entry a release was made from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from copy import deepcopy
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.checkpoints import rfc3339
from marketplace.domain.items import Unit
from marketplace.readmodels import OrganisationView

#: Looks an organisation up (in the organisations read model) for its name and address.
Directory = Callable[[UUID], OrganisationView | None]

#: The UN/CEFACT Recommendation 20 code of each unit the marketplace trades in (OCDS recommends
#: the scheme "UNCEFACT" for item units).
UNCEFACT: dict[Unit, str] = {
    Unit.KG: "KGM", Unit.TONNE: "TNE", Unit.PIECE: "H87", Unit.SHEET: "ST",
    Unit.LITRE: "LTR", Unit.CAN: "CA", Unit.BOX: "BX", Unit.METRE: "MTR",
    Unit.SQUARE_METRE: "MTK", Unit.ROLL: "RO",
}
#: The order roles are listed in, from the partyRole codelist.
ROLES = ("buyer", "procuringEntity", "tenderer", "supplier")


def number(value: Decimal | str) -> int | float:
    """An exact decimal as a JSON number (OCDS amounts and quantities are numbers).

    Quantities have at most 3 decimals and prices 2, below 10^12: a float holds every one
    exactly as written; anything else is refused rather than rounded.
    """
    exact = Decimal(value)
    if exact == exact.to_integral_value():
        return int(exact)
    approximate = float(exact)
    if Decimal(repr(approximate)) != exact:
        raise ValueError(f"{exact} cannot be written exactly as a JSON number")
    return approximate


def value(amount: Decimal | str, currency: str) -> dict[str, Any]:
    return {"amount": number(amount), "currency": currency}


def unit(of: str, price: Decimal | str | None = None, currency: str = "JPY") -> dict[str, Any]:
    """An item's unit; with its price per unit, for an award's or a contract's items."""
    described: dict[str, Any] = {"scheme": "UNCEFACT", "id": UNCEFACT[Unit(of)], "name": of}
    if price is not None:
        described["value"] = value(price, currency)
    return described


class ProcessReleases(ABC):
    """The releases of one contracting process, built from its events in ledger order."""

    def __init__(self, ocid: str, directory: Directory) -> None:
        self.ocid = ocid
        self.directory = directory
        self.buyer: UUID | None = None
        self.tender: dict[str, Any] = {}
        self.awards: list[dict[str, Any]] = []
        self.contracts: list[dict[str, Any]] = []
        self.releases: list[dict[str, Any]] = []
        self._roles: dict[UUID, set[str]] = {}

    @abstractmethod
    def apply(self, event: Any, position: int) -> None:
        """Takes the process's next event (at ledger ``position``) into account."""

    def add_role(self, organisation_id: UUID, role: str) -> None:
        self._roles.setdefault(organisation_id, set()).add(role)

    def reference(self, organisation_id: UUID) -> dict[str, Any]:
        """An OrganizationReference: the party's id, and its name when the marketplace knows it."""
        found = self.directory(organisation_id)
        named = {} if found is None or not found.display_name else {"name": found.display_name}
        return {"id": str(organisation_id), **named}

    def publish(self, tag: str, position: int, at: datetime) -> None:
        """Adds a release of the whole process as it stands now."""
        release: dict[str, Any] = {
            "ocid": self.ocid, "id": f"{self.ocid}-{position}", "date": rfc3339(at),
            "tag": [tag], "initiationType": "tender", "parties": self._parties()}
        if self.buyer is not None:
            release["buyer"] = self.reference(self.buyer)
        release["tender"] = deepcopy(self.tender)
        if self.awards:
            release["awards"] = deepcopy(self.awards)
        if self.contracts:
            release["contracts"] = deepcopy(self.contracts)
        self.releases.append(release)

    def _parties(self) -> list[dict[str, Any]]:
        parties = []
        for organisation_id, roles in self._roles.items():
            party = self.reference(organisation_id)
            found = self.directory(organisation_id)
            if found is not None:
                if found.name_ja and found.name_en:
                    party["name_en"] = found.name_en
                party["address"] = {"region": found.prefecture_name_en, "countryName": "Japan"}
            party["roles"] = [role for role in ROLES if role in roles]
            parties.append(party)
        return parties

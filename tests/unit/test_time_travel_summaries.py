"""The timeline's summaries: one for every event the ledger holds, each translated, and sealed
offers summarised without who made them or what they offer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from babel.messages.extract import extract_from_file
from eventsourcing.domain import Aggregate

from marketplace.audit.event_summaries import DESCRIBERS, Summariser
from marketplace.audit.summary_text import OrganisationNames, quantity, tiers
from marketplace.domain import Organisation
from marketplace.domain.lot import Lot
from marketplace.domain.need import Need
from marketplace.domain.rfq import Rfq
from web.i18n import translations

AUDIT = Path(__file__).resolve().parents[2] / "marketplace" / "audit"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: The event bases every aggregate class is given; never recorded themselves.
BASES = {"Event", "Created"}


def summary_messages() -> list[str]:
    return [text for path in sorted(AUDIT.glob("*summaries.py"))
            for _line, text, _comments, _context in extract_from_file(
                "python", str(path), keywords={"message": None})]


def test_every_event_of_every_record_has_a_summary() -> None:
    events = [f"{record.__name__}.{name}" for record in (Lot, Rfq, Need, Organisation)
              for name, value in vars(record).items()
              if isinstance(value, type) and issubclass(value, Aggregate.Event)
              and name not in BASES]

    assert len(events) > 30
    assert sorted(set(events) - set(DESCRIBERS)) == []


def test_every_summary_has_a_japanese_translation_with_the_same_placeholders() -> None:
    japanese = translations("ja")
    messages = summary_messages()

    untranslated = [m for m in messages if japanese.gettext(m) == m]
    broken = [m for m in messages
              if set(PLACEHOLDER.findall(japanese.gettext(m))) != set(PLACEHOLDER.findall(m))]

    assert len(messages) > 40
    assert untranslated == []
    assert broken == []


class FakeOrganisations:
    """The organisations read model, as far as names go."""

    def __init__(self, names: dict[UUID, str]) -> None:
        self.names = names

    def get(self, organisation_id: UUID) -> Any:
        name = self.names.get(organisation_id)
        return None if name is None else type("View", (), {"name_ja": name, "name_en": None})


class FakeApp:
    def __init__(self, names: dict[UUID, str]) -> None:
        self.organisations = FakeOrganisations(names)


def bid_events(lot: UUID, supplier: UUID) -> list[Any]:
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    opened = Lot.Opened(originator_id=lot, originator_version=1, timestamp=at,
                        originator_topic="marketplace.domain.lot:Lot",
                        organiser_id=uuid4(), category="steel sheet", specification="SPCC",
                        unit="kg", currency="JPY", closes_at=at, cluster=None,
                        prefectures=["JP-10"], thresholds=[], max_suppliers=None)
    placed = Lot.BidPlaced(originator_id=lot, originator_version=2, timestamp=at,
                           bid_id=uuid4(), supplier_id=supplier, shares=[],
                           terms={"tiers": [{"from_quantity": Decimal(100),
                                             "unit_price": Decimal(200)}],
                                  "capacity": Decimal(2000)})
    return [opened, placed]


@pytest.mark.parametrize("revealed", [False, True])
def test_a_bid_is_summarised_without_its_maker_or_terms_until_the_lot_closes(
        revealed: bool) -> None:
    supplier = uuid4()
    names = OrganisationNames(FakeApp({supplier: "太田鋼材"}))
    summarise = Summariser(names, revealed)

    lines = [str(summarise(event)) for event in bid_events(uuid4(), supplier)]

    if revealed:
        assert lines[1] == "bid placed by 太田鋼材: ¥200 (≥ 100 kg), capacity 2,000 kg"
    else:
        assert lines[1] == "a bid was placed (sealed until the lot closes)"


def test_quantities_and_price_breaks_read_as_a_person_writes_them() -> None:
    assert quantity(Decimal("1400.000")) == "1,400"
    assert quantity(Decimal("12.500")) == "12.5"
    assert quantity("0") == "0"
    assert tiers([{"from_quantity": "0", "unit_price": "185.50"}], "kg") == "¥185.5 (≥ 0 kg)"

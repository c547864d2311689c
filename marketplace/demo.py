"""A demo cluster: thirteen firms of Gunma buying steel, resin, oil and cartons together.

Press shops, machinists and moulders of Ota, Isesaki, Kiryu, Takasaki and Maebashi pool their
needs into lots; the prefecture's steel service centre, stockist, resin trader, lubricant dealer
and carton makers bid on them; two RFQs (marketplace/demo_rfqs.py) show the one-buyer case.
The history is written as it would have happened over the last two weeks: the seed runs on a
settable clock that starts 14 days before "now", one lot closed yesterday, and the others
close 3 to 21 days from now. No timestamp is later than "now".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.demo_accounts import DEMO_PASSWORD, seed_demo_members
from marketplace.demo_profiles import SUPPLIER_PROFILES
from marketplace.demo_rfqs import RfqSeeder
from marketplace.domain.lot_rules import JST

CLUSTER = "上州ものづくり共同購買会"
PREFECTURE = "Gunma"
SUPPLIER = ("supplier",)
BOTH = ("buyer", "supplier")

#: key: (name in Japanese, name in English, roles, capability tags). City in the comment.
ORGANISATIONS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "joshu_press": ("上州精密プレス株式会社", "Joshu Precision Press Co., Ltd.", BOTH,  # Ota
                    ("press", "deep drawing", "spcc", "sus304", "automotive")),
    "ota_press": ("太田プレス工業株式会社", "Ota Press Industries Co., Ltd.", BOTH,  # Ota
                  ("press", "spcc", "sheet metal", "care beds", "welding")),
    "akagi_seiki": ("赤城精機株式会社", "Akagi Seiki Co., Ltd.", BOTH,  # Maebashi
                    ("precision machining", "a5052", "sus304", "5-axis machining")),
    "kiryu_seimitsu": ("桐生精密加工有限会社", "Kiryu Precision Machining Ltd.", BOTH,  # Kiryu
                       ("precision machining", "cnc turning", "a5052", "textile machinery")),
    "isesaki_jushi": ("伊勢崎樹脂成形株式会社", "Isesaki Plastic Moulding Co., Ltd.",  # Isesaki
                      BOTH, ("injection moulding", "abs", "pp", "insert moulding")),
    "maebashi_plastics": ("前橋プラスチック工業株式会社", "Maebashi Plastics Industry Co., Ltd.",
                          BOTH, ("injection moulding", "abs", "pc", "home appliances")),  # Maebashi
    "takasaki_mekki": ("高崎メッキ工業株式会社", "Takasaki Plating Industries Co., Ltd.",
                       BOTH, ("zinc plating", "trivalent chromate", "nickel")),  # Takasaki
    "ota_kohan": ("太田鋼板商事株式会社", "Ota Steel Sheet Trading Co., Ltd.",  # Ota
                  SUPPLIER, ("steel service centre", "spcc", "sus304", "a5052", "shearing",
                             "slitting")),
    "ryomo_metal": ("両毛メタル株式会社", "Ryomo Metal Co., Ltd.", SUPPLIER,  # Kiryu
                    ("metal stockist", "spcc", "sus304", "a5052", "cut to size")),
    "tone_jushi": ("利根樹脂商事株式会社", "Tone Resin Trading Co., Ltd.", SUPPLIER,  # Maebashi
                   ("resin pellets", "abs", "pp", "pom", "masterbatch")),
    "kanetsu_yuka": ("関越油化株式会社", "Kan-etsu Lubricants Co., Ltd.", SUPPLIER,  # Takasaki
                     ("cutting fluid", "press oil", "lubricants", "coolant management")),
    "joshu_shiki": ("上州紙器株式会社", "Joshu Paper Box Co., Ltd.", BOTH,  # Isesaki
                    ("cardboard", "corrugated cartons", "die cutting", "printing")),
    "kiryu_danboru": ("桐生段ボール工業株式会社", "Kiryu Corrugated Board Co., Ltd.",  # Kiryu
                      SUPPLIER, ("cardboard", "corrugated cartons", "partitions")),
}

#: key: (category, specification, unit)
ITEMS: dict[str, tuple[str, str, str]] = {
    "spcc": ("steel sheet", "SPCC 冷間圧延鋼板 1.0 mm × 1219 × 2438 (JIS G 3141, ダル仕上げ) / "
             "SPCC cold-rolled sheet 1.0 mm, 4×8 ft, dull finish", "kg"),
    "sus304": ("stainless sheet", "SUS304 2B 1.5 mm × 1219 × 2438 (JIS G 4305) / "
               "SUS304 sheet, 2B finish, 1.5 mm, 4×8 ft", "kg"),
    "a5052": ("aluminium plate", "A5052P-H34 t5 × 1250 × 2500 (JIS H 4000) / "
              "A5052 plate 5 mm, H34", "kg"),
    "abs": ("resin pellets", "ABS ナチュラル 一般射出成形グレード 25 kg袋 / "
            "ABS pellets, natural, general-purpose injection grade, 25 kg bags", "kg"),
    "cutting_fluid": ("cutting fluid", "水溶性切削油 エマルション型 18 L缶 (JIS K 2241 A1種) / "
                      "water-soluble cutting fluid, emulsion type, 18 L can", "can"),
    "cartons": ("cartons", "A式段ボール箱 Aフルート K5×K5 内寸 400×300×250 mm / "
                "corrugated cartons, A-flute, regular slotted, 400×300×250 mm inside", "pcs"),
}


@dataclass(frozen=True)
class NeedPlan:
    buyer: str
    quantity: int
    max_unit_price: int


@dataclass(frozen=True)
class BidPlan:
    """A bid alone (``capacity``) or a consortium (``shares``, the lead's first)."""

    lead: str
    tiers: tuple[tuple[int, int], ...]
    """(from quantity, unit price in JPY)"""
    minimum: int
    lead_time_days: int
    capacity: int | None = None
    shares: dict[str, int] = field(default_factory=dict)
    accepted: tuple[str, ...] = ()
    """Members who have accepted their share (the lead always has)."""


@dataclass(frozen=True)
class LotPlan:
    item: str
    organiser: str
    opened_days_ago: int
    closes_in_days: int
    """The lot closes at 17:00 JST that many days from today (negative: it has closed)."""
    thresholds: tuple[int, ...]
    needs: tuple[NeedPlan, ...]
    bids: tuple[BidPlan, ...]
    needed_weeks_after_close: int = 3


LOTS: tuple[LotPlan, ...] = (
    LotPlan("cutting_fluid", "akagi_seiki", 10, -1, (20, 50),
            (NeedPlan("akagi_seiki", 24, 13500), NeedPlan("kiryu_seimitsu", 16, 13800)),
            (BidPlan("kanetsu_yuka", ((4, 13200), (20, 12600), (50, 11900)), 4, 3,
                     capacity=80),), needed_weeks_after_close=2),
    LotPlan("spcc", "joshu_press", 7, 14, (1000, 5000, 10000),
            (NeedPlan("joshu_press", 4800, 176), NeedPlan("ota_press", 3200, 178)),
            (BidPlan("ota_kohan", ((500, 174), (1000, 168), (5000, 161), (10000, 155)), 500,
                     10, shares={"ota_kohan": 8000, "ryomo_metal": 4000},
                     accepted=("ryomo_metal",)),)),
    LotPlan("sus304", "joshu_press", 6, 10, (500, 2000),
            (NeedPlan("joshu_press", 600, 760), NeedPlan("akagi_seiki", 350, 770)),
            (BidPlan("ota_kohan", ((100, 738), (500, 712), (2000, 689)), 100, 7,
                     capacity=3000),
             BidPlan("ryomo_metal", ((50, 745), (500, 724)), 50, 5, capacity=1200))),
    LotPlan("a5052", "akagi_seiki", 5, 7, (300, 1000),
            (NeedPlan("akagi_seiki", 420, 1200), NeedPlan("kiryu_seimitsu", 260, 1180)),
            (BidPlan("ryomo_metal", ((50, 1160), (300, 1120), (1000, 1080)), 50, 5,
                     capacity=1500),
             BidPlan("ota_kohan", ((100, 1140), (300, 1095)), 100, 8, capacity=800))),
    LotPlan("abs", "isesaki_jushi", 3, 20, (1000, 3000),
            (NeedPlan("isesaki_jushi", 1750, 450), NeedPlan("maebashi_plastics", 1000, 445)),
            (BidPlan("tone_jushi", ((25, 438), (1000, 419), (3000, 402)), 25, 6,
                     capacity=5000),), needed_weeks_after_close=4),
    LotPlan("cartons", "takasaki_mekki", 2, 4, (2000, 5000),
            (NeedPlan("joshu_press", 1500, 150), NeedPlan("takasaki_mekki", 1200, 155),
             NeedPlan("akagi_seiki", 800, 160)),
            (BidPlan("joshu_shiki", ((500, 142), (2000, 131), (5000, 122)), 500, 12,
                     shares={"joshu_shiki": 3000, "kiryu_danboru": 2500}),)),
)

#: Needs posted but not (yet) pooled: (buyer, item, quantity, max unit price).
OPEN_NEEDS: tuple[tuple[str, str, int, int], ...] = (
    ("isesaki_jushi", "cartons", 600, 150),
)

REGISTERED_DAYS_AGO = 14
STEP = timedelta(minutes=35)
"""Between one recorded command and the next, so that the ledger reads like a working day."""


@dataclass(frozen=True)
class DemoSummary:
    """What a seed added; all zeros when the marketplace already had organisations."""

    organisations: int = 0
    needs: int = 0
    lots: int = 0
    closed_lots: int = 0
    bids: int = 0
    consortium_bids: int = 0
    rfqs: int = 0
    quotes: int = 0
    members: tuple[str, ...] = ()
    """The demo members' e-mail addresses (all with the published demo password)."""

    def __bool__(self) -> bool:
        return self.organisations > 0

    def describe(self) -> str:
        if not self:
            return "demo cluster: the marketplace already has organisations; nothing added"
        by = "a consortium" if self.consortium_bids == 1 else "consortia"
        return (f"demo cluster: {self.organisations} organisations, {self.needs} needs, "
                f"{self.lots} lots ({self.closed_lots} closed and cleared), {self.bids} bids "
                f"({self.consortium_bids} by {by}), {self.rfqs} RFQs with {self.quotes} quotes"
                + (f"\ndemo log-in: {self.members[0]} (or any firm's, e.g. {self.members[-1]}),"
                   f" password {DEMO_PASSWORD}" if self.members else ""))

    __str__ = describe


def seed_demo_cluster(marketplace: Marketplace) -> DemoSummary:
    """Seeds the demo cluster into an empty marketplace, as a history of the last two weeks."""
    if marketplace.organisations.count():
        return DemoSummary()
    original = marketplace.clock
    now = original()
    today = now.astimezone(JST).date()
    clock = SettableClock(_jst(today - timedelta(days=REGISTERED_DAYS_AGO), 9))
    marketplace.clock = clock
    try:
        return _Seeder(marketplace, clock, today).run()
    finally:
        marketplace.clock = original


class _Seeder:
    def __init__(self, marketplace: Marketplace, clock: SettableClock, today: date) -> None:
        self.marketplace, self.clock, self.today = marketplace, clock, today
        self.ids: dict[str, UUID] = {}
        self.needs = self.bids = self.consortium_bids = 0

    def run(self) -> DemoSummary:
        for key, (name_ja, name_en, roles, capabilities) in ORGANISATIONS.items():
            self._tick()
            self.ids[key] = self.marketplace.register_organisation(
                name_ja=name_ja, name_en=name_en, roles=list(roles), prefecture=PREFECTURE,
                capabilities=list(capabilities), clusters=[CLUSTER]).organisation_id
            if key in SUPPLIER_PROFILES:
                self._tick()
                self.marketplace.publish_supplier_profile(self.ids[key],
                                                          **SUPPLIER_PROFILES[key])
        for plan in sorted(LOTS, key=lambda lot: -lot.opened_days_ago):
            self._lot(plan)
        for buyer, item, quantity, max_price in OPEN_NEEDS:
            self._post(buyer, item, quantity, max_price, self.today + timedelta(weeks=4))
        rfqs, rfq_needs, quotes = RfqSeeder(self.marketplace, self.clock, self.today, self.ids,
                                            _jst).run()
        # The scheduler records each close a few minutes after the close time.
        closed = [plan for plan in LOTS if plan.closes_in_days < 0]
        for plan in sorted(closed, key=lambda lot: lot.closes_in_days):
            self.clock.now = self._closes_at(plan) + timedelta(minutes=5)
            self.marketplace.close_due_lots()
        members = seed_demo_members(self.marketplace, self.ids)
        return DemoSummary(organisations=len(self.ids), needs=self.needs + rfq_needs,
                           lots=len(LOTS), closed_lots=len(closed), bids=self.bids,
                           consortium_bids=self.consortium_bids, rfqs=rfqs, quotes=quotes,
                           members=tuple(members))

    def _lot(self, plan: LotPlan) -> None:
        m = self.marketplace
        self.clock.now = _jst(self.today - timedelta(days=plan.opened_days_ago), 10)
        category, specification, unit = ITEMS[plan.item]
        closes_at = self._closes_at(plan)
        lot_id = m.open_lot(self.ids[plan.organiser], category=category,
                            specification=specification, unit=unit, closes_at=closes_at,
                            cluster=CLUSTER, thresholds=list(plan.thresholds))
        needed_by = closes_at.date() + timedelta(weeks=plan.needed_weeks_after_close)
        for need in plan.needs:
            need_id = self._post(need.buyer, plan.item, need.quantity, need.max_unit_price,
                                 needed_by)
            self._tick()
            m.pool_need(self.ids[need.buyer], lot_id, need_id)
        valid_until = closes_at.date() + timedelta(days=30)
        for bid in plan.bids:
            lead = self.ids[bid.lead]
            self._tick()
            m.join_lot(lead, lot_id)
            self._tick()
            bid_id = m.place_bid(
                lead, lot_id, tiers=[{"from_quantity": q, "unit_price": p} for q, p in bid.tiers],
                minimum_quantity=bid.minimum, lead_time_days=bid.lead_time_days,
                valid_until=valid_until, capacity=bid.capacity,
                shares={self.ids[k]: share for k, share in bid.shares.items()} or None)
            for member in bid.accepted:
                self._tick()
                m.accept_consortium_share(self.ids[member], lot_id, bid_id)
            self.bids += 1
            self.consortium_bids += bool(bid.shares)

    def _post(self, buyer: str, item: str, quantity: int, max_unit_price: int,
              needed_by: date) -> UUID:
        category, specification, unit = ITEMS[item]
        self._tick()
        self.needs += 1
        return self.marketplace.post_need(
            self.ids[buyer], category=category, specification=specification, unit=unit,
            quantity=quantity, needed_by=needed_by, delivery_prefecture=PREFECTURE,
            max_unit_price=Decimal(max_unit_price))

    def _closes_at(self, plan: LotPlan) -> datetime:
        return _jst(self.today + timedelta(days=plan.closes_in_days), 17)

    def _tick(self) -> None:
        self.clock.advance(STEP)


def _jst(day: date, hour: int) -> datetime:
    """That hour of the cluster's day, as the UTC instant the ledger stores."""
    return datetime.combine(day, time(hour), tzinfo=JST).astimezone(UTC)

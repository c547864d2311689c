"""The RFQ read models: who sees an RFQ, sealed quotes, the comparison, purchase orders, replay."""

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from events import SettableClock, rebuild_read_models
from marketplace.application import Marketplace
from marketplace.domain.rfq_rules import NotRfqBuyerError, RfqNotClosedError
from tests.helpers import read_model_rows
from tests.rfq_builders import QUOTE_A, QUOTE_B, RfqScene, an_rfq


@pytest.fixture
def rfq(marketplace: Marketplace, clock: SettableClock) -> RfqScene:
    return an_rfq(marketplace, clock)


def statuses(scene: RfqScene) -> dict[str, str | None]:
    """Each supplier's standing on the scene's RFQ, as its list of RFQs says."""
    found = {}
    for name in ("a", "b", "c", "eligible"):
        listed = scene.marketplace.rfqs.for_organisation(getattr(scene, name),
                                                         now=scene.clock())
        found[name] = next(s.my_status for s in listed if s.id == scene.rfq_id)
    return found


# -- needs and audience -----------------------------------------------------------------------

def test_a_need_in_an_rfq_shows_its_rfq_and_is_open_again_once_the_rfq_is_cancelled(
        rfq: RfqScene) -> None:
    during = rfq.marketplace.lots.need(rfq.buyer, rfq.needs[0])

    rfq.marketplace.cancel_rfq(rfq.buyer, rfq.rfq_id, "the design changed")
    after = rfq.marketplace.lots.need(rfq.buyer, rfq.needs[0])

    assert during is not None
    assert (during.status, during.rfq_id) == ("rfq", rfq.rfq_id)
    assert after is not None
    assert (after.status, after.rfq_id) == ("open", None)


def test_an_rfq_is_seen_by_its_buyer_and_its_audience_and_by_nobody_else(rfq: RfqScene) -> None:
    now = rfq.clock()

    seen = {name: rfq.marketplace.rfqs.detail(getattr(rfq, name), rfq.rfq_id, now=now)
            for name in ("buyer", "a", "eligible", "outsider", "bystander")}
    listed = {name: [s.id for s in rfq.marketplace.rfqs.for_organisation(
        getattr(rfq, name), now=now)] for name in ("buyer", "a", "outsider", "bystander")}

    buyer, invited, eligible = seen["buyer"], seen["a"], seen["eligible"]
    assert buyer is not None
    assert invited is not None
    assert eligible is not None
    assert (buyer.role, buyer.my_status) == ("buyer", None)
    assert set(buyer.invited or []) == {rfq.a, rfq.b, rfq.c}
    assert (invited.role, invited.my_status, invited.invited) == ("supplier", "invited", None)
    assert eligible.my_status == "eligible"
    assert seen["outsider"] is None
    assert seen["bystander"] is None
    assert listed == {"buyer": [rfq.rfq_id], "a": [rfq.rfq_id], "outsider": [],
                      "bystander": []}
    view = buyer.rfq
    assert (view.status, view.title, view.required_certifications) == (
        "open", "SPCC sheet and bolts for Q1", ["iso_9001"])
    assert [(line.line, line.unit, line.quantity) for line in view.lines] == [
        (1, "kg", Decimal(800)), (2, "pcs", Decimal(50))]


def test_an_rfq_for_invited_suppliers_only_is_not_seen_by_the_rest_of_the_cluster(
        marketplace: Marketplace, clock: SettableClock) -> None:
    scene = an_rfq(marketplace, clock, cluster=None)

    eligible = marketplace.rfqs.detail(scene.eligible, scene.rfq_id, now=clock())
    invited = marketplace.rfqs.detail(scene.b, scene.rfq_id, now=clock())

    assert eligible is None
    assert invited is not None
    assert invited.rfq.open_to is None


def test_the_lists_filter_by_role_and_by_status_judged_at_now(rfq: RfqScene) -> None:
    rfqs = rfq.marketplace.rfqs

    as_supplier = rfqs.for_organisation(rfq.buyer, now=rfq.clock(), role="supplier")
    open_now = rfqs.for_organisation(rfq.a, now=rfq.clock(), status="open")
    closed_later = rfqs.for_organisation(rfq.a, now=rfq.closes_at, status="closed")
    open_later = rfqs.for_organisation(rfq.a, now=rfq.closes_at, status="open")

    assert as_supplier == []
    assert [s.status for s in open_now] == ["open"]
    assert [s.status for s in closed_later] == ["closed"]
    assert open_later == []
    assert rfqs.due(rfq.closes_at - timedelta(microseconds=1)) == []
    assert rfqs.due(rfq.closes_at) == [rfq.rfq_id]


# -- questions --------------------------------------------------------------------------------

def test_an_answered_question_reaches_every_supplier_without_who_asked_it(rfq: RfqScene) -> None:
    answered = rfq.marketplace.ask_question(rfq.a, rfq.rfq_id, "Oiled or dry?")
    rfq.clock.advance(timedelta(minutes=5))
    pending = rfq.marketplace.ask_question(rfq.a, rfq.rfq_id, "Can we split deliveries?")
    rfq.marketplace.answer_question(rfq.buyer, rfq.rfq_id, answered, "Oiled, please")

    def questions(who: UUID) -> list[tuple[str, str | None, bool]]:
        detail = rfq.marketplace.rfqs.detail(who, rfq.rfq_id, now=rfq.clock())
        assert detail is not None
        return [(q.text, q.answer, q.mine) for q in detail.questions]

    assert questions(rfq.b) == [("Oiled or dry?", "Oiled, please", False)]
    assert questions(rfq.eligible) == [("Oiled or dry?", "Oiled, please", False)]
    assert questions(rfq.a) == [("Oiled or dry?", "Oiled, please", True),
                                ("Can we split deliveries?", None, True)]
    assert questions(rfq.buyer) == [("Oiled or dry?", "Oiled, please", False),
                                    ("Can we split deliveries?", None, False)]
    assert pending != answered


# -- sealed quotes ------------------------------------------------------------------------------

def test_before_the_deadline_the_buyer_sees_no_quote_and_each_supplier_only_its_own(
        rfq: RfqScene) -> None:
    quotes = rfq.quote_all()
    rfqs, now = rfq.marketplace.rfqs, rfq.clock()

    to_buyer = rfqs.quotes(rfq.buyer, rfq.rfq_id, now=now)
    to_b = rfqs.quotes(rfq.b, rfq.rfq_id, now=now)
    to_eligible = rfqs.quotes(rfq.eligible, rfq.rfq_id, now=now)
    to_outsider = rfqs.quotes(rfq.outsider, rfq.rfq_id, now=now)

    assert to_buyer == []
    assert to_b is not None
    assert [q.id for q in to_b] == [quotes[rfq.b]]
    assert to_eligible == []
    assert to_outsider is None
    with pytest.raises(RfqNotClosedError, match="quotes open at the deadline"):
        rfqs.comparison(rfq.buyer, rfq.rfq_id, now=now)


def test_after_the_deadline_the_buyer_sees_the_quotes_and_rivals_still_see_only_their_own(
        rfq: RfqScene) -> None:
    quotes = rfq.quote_all()
    rfq.after_deadline()
    rfqs, now = rfq.marketplace.rfqs, rfq.clock()

    to_buyer = rfqs.quotes(rfq.buyer, rfq.rfq_id, now=now)
    to_a = rfqs.quotes(rfq.a, rfq.rfq_id, now=now)

    assert to_buyer is not None
    assert {q.id for q in to_buyer} == set(quotes.values())
    assert to_a is not None
    assert [q.supplier_id for q in to_a] == [rfq.a]
    with pytest.raises(NotRfqBuyerError):
        rfqs.comparison(rfq.a, rfq.rfq_id, now=now)


def test_quotes_received_just_before_the_deadline_settle_before_the_buyer_sees_any(
        rfq: RfqScene) -> None:
    rfq.quote_all()
    rfqs = rfq.marketplace.rfqs

    at_deadline = rfqs.quotes(rfq.buyer, rfq.rfq_id, now=rfq.closes_at)

    assert at_deadline == []
    with pytest.raises(RfqNotClosedError, match="still being recorded"):
        rfqs.comparison(rfq.buyer, rfq.rfq_id, now=rfq.closes_at)


def test_an_amendment_leaves_each_quote_awaiting_reconfirmation_until_it_is_reconfirmed(
        rfq: RfqScene) -> None:
    quotes = rfq.quote_all()
    market = rfq.marketplace

    market.amend_rfq(rfq.buyer, rfq.rfq_id, lines=[{"line": 1, "quantity": 1000}])
    amended = statuses(rfq)
    market.reconfirm_quote(rfq.a, rfq.rfq_id, quotes[rfq.a])
    market.withdraw_quote(rfq.c, rfq.rfq_id, quotes[rfq.c])
    after = statuses(rfq)
    own = market.rfqs.detail(rfq.b, rfq.rfq_id, now=rfq.clock())
    rfq.after_deadline()
    at_close = statuses(rfq)

    assert amended == {"a": "awaiting_reconfirmation", "b": "awaiting_reconfirmation",
                       "c": "awaiting_reconfirmation", "eligible": "eligible"}
    assert after == {"a": "quoted", "b": "awaiting_reconfirmation", "c": "invited",
                     "eligible": "eligible"}
    assert own is not None
    assert own.my_quote is not None
    assert own.my_quote.awaiting_reconfirmation
    assert own.my_quote.terms_digest != own.rfq.terms_digest
    assert at_close["b"] == "not_opened"
    opened = market.rfqs.quotes(rfq.buyer, rfq.rfq_id, now=rfq.clock())
    assert opened is not None
    assert [q.id for q in opened] == [quotes[rfq.a]]


# -- the comparison -----------------------------------------------------------------------------

def test_the_comparison_prices_each_line_at_its_quantity_and_marks_the_best(
        rfq: RfqScene) -> None:
    quotes = rfq.quote_all()
    rfq.after_deadline()

    matrix = rfq.marketplace.rfqs.comparison(rfq.buyer, rfq.rfq_id, now=rfq.clock())

    assert matrix is not None
    # Line 1, 800 kg: A's break from 500 is 190 -> 152,000; B 185.5 -> 148,400; C's break
    # from 1000 is not reached, 200 -> 160,000. Line 2, 50 pcs: A 33.5 -> 1,675;
    # C 33.35 -> 1,667.5, half a yen up -> 1,668; B does not quote it.
    a, b, c = quotes[rfq.a], quotes[rfq.b], quotes[rfq.c]
    assert [(s.quote_id, s.total, s.missing_lines, s.covers_every_line)
            for s in matrix.suppliers] == [
        (a, Decimal(153675), [], True), (c, Decimal(161668), [], True),
        (b, Decimal(148400), [2], False)]
    line_1, line_2 = ({cell.quote_id: cell for cell in line.cells} for line in matrix.lines)
    assert {q: (cell.unit_price, cell.amount) for q, cell in line_1.items()} == {
        a: (Decimal(190), Decimal(152000)), b: (Decimal("185.5"), Decimal(148400)),
        c: (Decimal(200), Decimal(160000))}
    assert {q for q, cell in line_1.items() if cell.best_price} == {b}
    assert {q for q, cell in line_1.items() if cell.best_lead_time} == {b, c}
    assert {q: cell.amount for q, cell in line_2.items()} == {
        a: Decimal(1675), b: None, c: Decimal(1668)}
    assert not line_2[b].quoted
    assert {q for q, cell in line_2.items() if cell.best_price} == {c}
    assert {q for q, cell in line_2.items() if cell.best_lead_time} == {a}
    assert line_1[a].notes == "mill certificate included"
    assert [(p.from_quantity, p.unit_price) for p in line_1[a].price_breaks] == [
        (Decimal(0), Decimal(210)), (Decimal(500), Decimal(190))]
    assert matrix.cheapest_whole is not None
    assert (matrix.cheapest_whole.quote_id, matrix.cheapest_whole.total) == (a, Decimal(153675))
    assert matrix.cheapest_split is not None
    assert [(c.line, c.quote_id, c.amount) for c in matrix.cheapest_split.lines] == [
        (1, b, Decimal(148400)), (2, c, Decimal(1668))]
    assert matrix.cheapest_split.total == Decimal(150068)


def test_a_quote_line_past_its_validity_is_shown_but_never_the_best(rfq: RfqScene) -> None:
    cheap_but_short = [{**QUOTE_B[0], "unit_price": "100", "valid_until": "2026-11-23"}]
    quotes = {rfq.a: rfq.marketplace.submit_quote(rfq.a, rfq.rfq_id, QUOTE_A),
              rfq.b: rfq.marketplace.submit_quote(rfq.b, rfq.rfq_id, cheap_but_short)}
    rfq.clock.now = rfq.closes_at + timedelta(days=1)

    matrix = rfq.marketplace.rfqs.comparison(rfq.buyer, rfq.rfq_id, now=rfq.clock())

    assert matrix is not None
    line_1 = {cell.quote_id: cell for cell in matrix.lines[0].cells}
    assert line_1[quotes[rfq.b]].expired
    assert not line_1[quotes[rfq.b]].best_price
    assert line_1[quotes[rfq.a]].best_price
    assert matrix.cheapest_split is not None
    assert {c.quote_id for c in matrix.cheapest_split.lines} == {quotes[rfq.a]}


# -- the award ----------------------------------------------------------------------------------

def test_a_split_award_orders_from_each_awarded_supplier_and_tells_the_others(
        rfq: RfqScene) -> None:
    quotes = rfq.quote_all()
    rfq.after_deadline()

    rfq.marketplace.award_rfq(rfq.buyer, rfq.rfq_id, reason="cheapest per line",
                              lines={1: quotes[rfq.b], 2: quotes[rfq.c]})

    rfqs = rfq.marketplace.rfqs
    orders = rfqs.purchase_orders(rfq.buyer)
    assert sorted((o.supplier_id, o.total) for o in orders) == sorted(
        [(rfq.b, Decimal(148400)), (rfq.c, Decimal(1668))])
    to_c = rfqs.purchase_orders(rfq.c)
    assert [(line.line, line.quantity, line.unit_price, line.unit) for line in to_c[0].lines] == [
        (2, Decimal(50), Decimal("33.35"), "pcs")]
    assert rfqs.purchase_order(rfq.a, to_c[0].number) is None
    assert rfqs.purchase_order(rfq.c, to_c[0].number) == to_c[0]
    assert statuses(rfq) == {"a": "not_awarded", "b": "awarded", "c": "awarded",
                             "eligible": "eligible"}
    seen_by_b = rfqs.detail(rfq.b, rfq.rfq_id, now=rfq.clock())
    assert seen_by_b is not None
    assert seen_by_b.rfq.award_reason == "cheapest per line"
    assert [line.line for line in seen_by_b.awarded_lines] == [1]
    assert rfqs.due(rfq.clock()) == []


# -- replay ---------------------------------------------------------------------------------------

def test_a_replay_rebuilds_the_rfq_read_models_identically(
        rfq: RfqScene, migrated_url: str) -> None:
    market = rfq.marketplace
    question = market.ask_question(rfq.a, rfq.rfq_id, "Oiled?")
    market.answer_question(rfq.buyer, rfq.rfq_id, question, "Yes")
    market.invite_suppliers(rfq.buyer, rfq.rfq_id, [rfq.eligible])
    quotes = rfq.quote_all()
    market.revise_quote(rfq.b, rfq.rfq_id, quotes[rfq.b], QUOTE_A)
    market.amend_rfq(rfq.buyer, rfq.rfq_id, notes="deliver to gate 2")
    market.reconfirm_quote(rfq.a, rfq.rfq_id, quotes[rfq.a])
    market.withdraw_quote(rfq.c, rfq.rfq_id, quotes[rfq.c])
    rfq.after_deadline()
    market.open_quotes(rfq.rfq_id)
    market.award_rfq(rfq.buyer, rfq.rfq_id, reason="whole to A", whole=quotes[rfq.a])
    live = read_model_rows(migrated_url)

    rebuild_read_models(market, batch_size=3)

    assert read_model_rows(migrated_url) == live
    assert all(live[table] for table in ("rfqs", "rfq_invitations", "rfq_questions",
                                         "rfq_quotes", "purchase_orders"))

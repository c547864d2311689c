"""The RFQ JSON API over real HTTP: issue, questions, sealed quotes, the deadline, the award."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from events import SettableClock
from marketplace.application import Marketplace
from marketplace.domain.sealed_round import SETTLE
from tests.helpers import ledger_length
from tests.lots_api_builders import Party, call, error
from tests.rfq_api_builders import (
    QUOTE_A,
    QUOTE_B,
    QUOTE_C,
    QUOTE_LATE,
    Firms,
    deadline,
    firms,
    issue,
    quote,
)


@pytest.fixture
def parties(api: httpx.Client) -> Firms:
    return firms(api)


def my_status(api: httpx.Client, who: Party, rfq_id: str) -> str:
    listed = call(api, who, "GET", "/rfqs", 200)
    status: str = next(rfq["my_status"] for rfq in listed if rfq["id"] == rfq_id)
    return status


def test_an_rfq_runs_from_issue_through_sealed_quotes_to_a_split_award_over_http(
        api: httpx.Client, parties: Firms, clock: SettableClock, migrated_url: str) -> None:
    f = parties
    closes_at = deadline(clock())
    issued = issue(api, f.buyer, closes_at, invited=[f.a.id, f.b.id])
    rfq_id = issued["rfq"]["id"]
    path = f"/rfqs/{rfq_id}"

    # More suppliers are invited; a question is asked, and answered to all, anonymously.
    call(api, f.buyer, "POST", f"{path}/invitations", 201,
         json={"supplier_ids": [f.c.id, f.late.id]})
    call(api, f.buyer, "POST", f"{path}/invitations", 200, json={"supplier_ids": [f.c.id]})
    asked = call(api, f.a, "POST", f"{path}/questions", 201, json={"text": "Oiled or dry?"})
    unanswered_to_b = call(api, f.b, "GET", path, 200)["questions"]
    call(api, f.buyer, "POST", f"{path}/questions/{asked['id']}/answer", 200,
         json={"answer": "Oiled, please"})
    seen_by_b = call(api, f.b, "GET", path, 200)

    # Three sealed quotes: the buyer sees none, each supplier only its own.
    quotes = {name: quote(api, getattr(f, name), rfq_id, lines)["id"]
              for name, lines in (("a", QUOTE_A), ("b", QUOTE_B), ("c", QUOTE_C))}
    to_buyer_before = call(api, f.buyer, "GET", f"{path}/quotes", 200)
    to_a_before = call(api, f.a, "GET", f"{path}/quotes", 200)
    comparison_before = api.get(f"/api/v1{path}/comparison", headers=f.buyer.headers)

    # Line 1 grows to 1000 kg: every quoter re-confirms.
    call(api, f.buyer, "PATCH", path, 200, json={"lines": [{"line": 1, "quantity": 1000}]})
    after_amendment = {name: my_status(api, getattr(f, name), rfq_id) for name in "abc"}
    for name in "abc":
        call(api, getattr(f, name), "POST", f"{path}/quotes/{quotes[name]}/reconfirm", 200)
    after_reconfirmation = {name: my_status(api, getattr(f, name), rfq_id) for name in "abc"}

    # The deadline at the exact instant.
    clock.now = closes_at - timedelta(microseconds=1)
    late = quote(api, f.late, rfq_id, QUOTE_LATE)
    clock.now = closes_at
    before = ledger_length(migrated_url)
    refused = api.put(f"/api/v1{path}/quotes/{quotes['b']}", json={"lines": QUOTE_A},
                      headers=f.b.headers)
    recorded_at_deadline = ledger_length(migrated_url) - before

    # Quotes open; the buyer compares, splits the award, and orders from each winner.
    clock.now = closes_at + SETTLE
    to_buyer_after = call(api, f.buyer, "GET", f"{path}/quotes", 200)
    matrix = call(api, f.buyer, "GET", f"{path}/comparison", 200)
    awarded = call(api, f.buyer, "POST", f"{path}/award", 200, json={
        "reason": "cheapest per line", "lines": [{"line": 1, "quote_id": quotes["c"]},
                                                 {"line": 2, "quote_id": late["id"]}]})
    orders = call(api, f.buyer, "GET", "/purchase-orders", 200)
    late_order = call(api, f.late, "GET", f"/purchase-orders/{orders[-1]['number']}", 200)

    assert issued["rfq"]["status"] == "open"
    assert issued["invited"] == sorted([f.a.id, f.b.id])
    assert unanswered_to_b == []
    assert [(q["text"], q["answer"], q["mine"]) for q in seen_by_b["questions"]] == [
        ("Oiled or dry?", "Oiled, please", False)]
    assert f.a.id not in str(seen_by_b)
    assert seen_by_b["invited"] is None
    assert to_buyer_before == []
    assert [(q["id"], q["supplier_id"]) for q in to_a_before] == [(quotes["a"], f.a.id)]
    assert error(comparison_before) == (422, "rfq_not_closed")
    assert after_amendment == dict.fromkeys("abc", "awaiting_reconfirmation")
    assert after_reconfirmation == dict.fromkeys("abc", "quoted")
    assert late["supplier_id"] == f.late.id
    assert error(refused) == (422, "rfq_closed")
    assert recorded_at_deadline == 0
    assert {q["id"] for q in to_buyer_after} == {*quotes.values(), late["id"]}
    # Line 1 at 1000 kg: A 190 000, B 185 500, C reaches its 180 break: 180 000.
    # Line 2, 50 pcs: A 1 675, C 33.35 -> 1 667.5 -> 1 668, the late quote 30 -> 1 500.
    totals = {s["quote_id"]: (s["total"], s["missing_lines"]) for s in matrix["suppliers"]}
    assert totals == {quotes["a"]: ("191675", []), quotes["b"]: ("185500", [2]),
                      quotes["c"]: ("181668", []), late["id"]: ("1500", [1])}
    best = [{(c["quote_id"], c["best_price"], c["best_lead_time"]) for c in line["cells"]
             if c["best_price"] or c["best_lead_time"]} for line in matrix["lines"]]
    assert best == [{(quotes["c"], True, True), (quotes["b"], False, True)},
                    {(late["id"], True, False), (quotes["a"], False, True)}]
    assert matrix["cheapest_whole"] == {"quote_id": quotes["c"], "supplier_id": f.c.id,
                                        "total": "181668"}
    assert matrix["cheapest_split"]["total"] == "181500"
    assert [(o["supplier_id"], o["total"]) for o in awarded["purchase_orders"]] == [
        (f.c.id, "180000"), (f.late.id, "1500")]
    assert orders == awarded["purchase_orders"]
    assert [(line["line"], line["quantity"], line["unit_price"], line["amount"])
            for line in late_order["lines"]] == [(2, "50", "30", "1500")]
    assert awarded["rfq"]["rfq"]["status"] == "awarded"
    assert {name: my_status(api, getattr(f, name), rfq_id) for name in ("a", "b", "c")} == {
        "a": "not_awarded", "b": "not_awarded", "c": "awarded"}
    assert call(api, f.b, "GET", path, 200)["rfq"]["award_reason"] == "cheapest per line"


def test_a_quote_at_the_deadline_is_refused_and_one_a_microsecond_before_is_accepted(
        api: httpx.Client, parties: Firms, clock: SettableClock, migrated_url: str) -> None:
    closes_at = deadline(clock())
    rfq_id = issue(api, parties.buyer, closes_at, invited=[parties.a.id, parties.b.id])["rfq"]["id"]
    clock.now = closes_at - timedelta(microseconds=1)
    accepted = quote(api, parties.a, rfq_id, QUOTE_A)
    clock.now = closes_at
    before = ledger_length(migrated_url)

    refused = api.post(f"/api/v1/rfqs/{rfq_id}/quotes", json={"lines": QUOTE_B},
                       headers=parties.b.headers)

    assert accepted["status"] == "live"
    assert error(refused) == (422, "rfq_closed")
    assert "nothing was recorded" in refused.json()["error"]["message"]
    assert ledger_length(migrated_url) == before
    assert call(api, parties.b, "GET", f"/rfqs/{rfq_id}/quotes", 200) == []


def test_only_the_buyer_issues_amends_answers_compares_and_awards(
        api: httpx.Client, parties: Firms, clock: SettableClock, migrated_url: str) -> None:
    f = parties
    rfq_id = issue(api, f.buyer, deadline(clock()), invited=[f.a.id])["rfq"]["id"]
    question = call(api, f.a, "POST", f"/rfqs/{rfq_id}/questions", 201, json={"text": "Why?"})
    path = f"/api/v1/rfqs/{rfq_id}"
    before = ledger_length(migrated_url)

    responses = [
        api.post("/api/v1/rfqs", headers=f.a.headers, json={
            "need_ids": [str(uuid4())], "title": "mine", "closes_at": "2026-11-27T17:00:00+09:00",
            "invited": [f.b.id]}),
        api.patch(path, json={"title": "taken over"}, headers=f.a.headers),
        api.post(f"{path}/questions/{question['id']}/answer", json={"answer": "because"},
                 headers=f.a.headers),
        api.post(f"{path}/cancel", json={"reason": "not mine"}, headers=f.a.headers),
        api.get(f"{path}/comparison", headers=f.a.headers),
        api.get(f"{path}/matches", headers=f.a.headers),
        api.post(f"{path}/award", json={"reason": "me", "whole": str(uuid4())},
                 headers=f.a.headers)]

    assert [error(r) for r in responses] == [
        (403, "not_a_buyer"), *[(403, "not_rfq_buyer")] * 6]
    assert ledger_length(migrated_url) == before


def test_an_organisation_outside_the_audience_is_told_the_rfq_does_not_exist(
        api: httpx.Client, parties: Firms, clock: SettableClock, migrated_url: str) -> None:
    f = parties
    rfq_id = issue(api, f.buyer, deadline(clock()), invited=[f.a.id],
                   cluster="takasaki-kikai")["rfq"]["id"]
    a_quote = quote(api, f.a, rfq_id, QUOTE_A)["id"]
    path = f"/api/v1/rfqs/{rfq_id}"
    before = ledger_length(migrated_url)
    missing = f"/api/v1/rfqs/{uuid4()}"

    responses = [
        api.get(path, headers=f.outsider.headers),
        api.get(f"{path}/quotes", headers=f.outsider.headers),
        api.post(f"{path}/quotes", json={"lines": QUOTE_B}, headers=f.outsider.headers),
        api.post(f"{path}/questions", json={"text": "?"}, headers=f.outsider.headers),
        api.delete(f"{path}/quotes/{a_quote}", headers=f.outsider.headers),
        api.get(f"{path}/comparison", headers=f.outsider.headers),
        api.post(f"{path}/award", json={"reason": "x", "whole": a_quote},
                 headers=f.outsider.headers),
        api.get(missing, headers=f.buyer.headers)]

    assert [error(r) for r in responses] == [(404, "not_found")] * len(responses)
    assert responses[0].json() == {"error": {"code": "not_found", "message":
                                             f"no RFQ has id {rfq_id} (or it is not open to you)"}}
    assert call(api, f.outsider, "GET", "/rfqs", 200) == []
    assert ledger_length(migrated_url) == before
    # Open to the cluster: a supplier of it that was not invited sees it and may quote.
    assert my_status(api, f.c, rfq_id) == "eligible"


def test_a_rival_can_neither_read_nor_touch_another_suppliers_quote(
        api: httpx.Client, parties: Firms, clock: SettableClock, migrated_url: str) -> None:
    f = parties
    rfq_id = issue(api, f.buyer, deadline(clock()), invited=[f.a.id, f.b.id])["rfq"]["id"]
    a_quote = quote(api, f.a, rfq_id, QUOTE_A)["id"]
    b_quote = quote(api, f.b, rfq_id, QUOTE_B)["id"]
    path = f"/api/v1/rfqs/{rfq_id}/quotes/{a_quote}"
    before = ledger_length(migrated_url)

    listed = call(api, f.b, "GET", f"/rfqs/{rfq_id}/quotes", 200)
    detail = call(api, f.b, "GET", f"/rfqs/{rfq_id}", 200)
    responses = [api.put(path, json={"lines": QUOTE_B}, headers=f.b.headers),
                 api.post(f"{path}/reconfirm", headers=f.b.headers),
                 api.delete(path, headers=f.b.headers)]

    assert [q["id"] for q in listed] == [b_quote]
    assert detail["my_quote"]["id"] == b_quote
    assert a_quote not in str(detail)
    assert [error(r) for r in responses] == [(404, "not_found")] * 3
    assert ledger_length(migrated_url) == before


def test_a_supplier_revises_and_withdraws_its_quote_and_may_quote_again(
        api: httpx.Client, parties: Firms, clock: SettableClock) -> None:
    rfq_id = issue(api, parties.buyer, deadline(clock()), invited=[parties.a.id])["rfq"]["id"]
    first = quote(api, parties.a, rfq_id, QUOTE_A)

    revised = call(api, parties.a, "PUT", f"/rfqs/{rfq_id}/quotes/{first['id']}", 200,
                   json={"lines": QUOTE_B})
    withdrawn = call(api, parties.a, "DELETE", f"/rfqs/{rfq_id}/quotes/{first['id']}", 204)
    status_after_withdrawal = my_status(api, parties.a, rfq_id)
    clock.advance(timedelta(hours=1))
    second = quote(api, parties.a, rfq_id, QUOTE_C)

    assert [(line["line"], line["unit_price"]) for line in revised["lines"]] == [(1, "185.5")]
    assert revised["total"] == "148400"
    assert withdrawn is None
    assert status_after_withdrawal == "invited"
    assert second["id"] != first["id"]
    own = call(api, parties.a, "GET", f"/rfqs/{rfq_id}/quotes", 200)
    assert [(q["id"], q["status"]) for q in own] == [(first["id"], "withdrawn"),
                                                      (second["id"], "live")]


def test_a_cancelled_rfq_frees_its_needs_and_takes_no_more_quotes(
        api: httpx.Client, parties: Firms, clock: SettableClock) -> None:
    issued = issue(api, parties.buyer, deadline(clock()), invited=[parties.a.id])
    rfq_id = issued["rfq"]["id"]
    need_id = str(issued["rfq"]["lines"][0]["need_id"])
    in_rfq = call(api, parties.buyer, "GET", f"/needs/{need_id}", 200)

    cancelled = call(api, parties.buyer, "POST", f"/rfqs/{rfq_id}/cancel", 200,
                     json={"reason": "the drawing changed"})
    refused = api.post(f"/api/v1/rfqs/{rfq_id}/quotes", json={"lines": QUOTE_A},
                       headers=parties.a.headers)

    assert (in_rfq["status"], in_rfq["rfq_id"]) == ("rfq", rfq_id)
    assert (cancelled["rfq"]["status"], cancelled["rfq"]["cancel_reason"]) == (
        "cancelled", "the drawing changed")
    assert call(api, parties.buyer, "GET", f"/needs/{need_id}", 200)["status"] == "open"
    assert error(refused) == (422, "rfq_cancelled")


def test_a_quote_sent_twice_with_one_idempotency_key_is_recorded_once(
        api: httpx.Client, parties: Firms, clock: SettableClock, migrated_url: str) -> None:
    rfq_id = issue(api, parties.buyer, deadline(clock()), invited=[parties.a.id])["rfq"]["id"]
    headers = {**parties.a.headers, "Idempotency-Key": "quote-1"}
    first = api.post(f"/api/v1/rfqs/{rfq_id}/quotes", json={"lines": QUOTE_A}, headers=headers)
    after_first = ledger_length(migrated_url)

    again = api.post(f"/api/v1/rfqs/{rfq_id}/quotes", json={"lines": QUOTE_A}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ledger_length(migrated_url) == after_first


def test_the_buyer_finds_suppliers_for_its_rfq_other_than_those_invited(
        api: httpx.Client, parties: Firms, clock: SettableClock,
        marketplace: Marketplace) -> None:
    for party in (parties.a, parties.c):
        marketplace.publish_supplier_profile(
            UUID(party.id), processes=["press"], materials=["spcc"],
            description_en="Cold rolled SPCC sheet blanking and stamping")
    rfq_id = issue(api, parties.buyer, deadline(clock()), invited=[parties.a.id])["rfq"]["id"]

    matches = call(api, parties.buyer, "GET", f"/rfqs/{rfq_id}/matches", 200)

    found = [m["organisation_id"] for m in matches]
    assert parties.c.id in found
    assert parties.a.id not in found
    assert parties.buyer.id not in found
    assert all(m["reasons"] for m in matches)


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "method", "path", "body", "status", "code"), [
    ("buyer", "POST", "/rfqs", {}, 400, "invalid_request"),
    ("buyer", "POST", "/rfqs", {"need_ids": ["not-a-uuid"], "title": "x",
                                "closes_at": "2026-11-27T17:00:00+09:00"}, 400,
     "invalid_request"),
    ("buyer", "POST", "/rfqs", {"need_ids": [], "title": "x", "closes_at": "soon"}, 400,
     "invalid_request"),
    ("buyer", "POST", "/rfqs", {"need_ids": [], "title": "x",
                                "closes_at": "2026-11-27T17:00:00+09:00", "budget": 1}, 400,
     "invalid_request"),
    ("buyer", "POST", "/rfqs", {"need_ids": [], "title": "x",
                                "closes_at": "2026-11-27T17:00:00+09:00",
                                "invited": ["{a}"]}, 422, "rfq_lines_missing"),
    ("buyer", "POST", "/rfqs", {"need_ids": ["{unknown}"], "title": "x",
                                "closes_at": "2026-11-27T17:00:00+09:00"}, 404, "not_found"),
    ("buyer", "GET", "/rfqs?status=sold", None, 400, "invalid_request"),
    ("buyer", "GET", "/rfqs/not-a-uuid", None, 404, "not_found"),
    ("buyer", "PATCH", "/rfqs/{rfq}", {"lines": [{"line": 3, "quantity": 5}]}, 422,
     "rfq_line_unknown"),
    ("buyer", "PATCH", "/rfqs/{rfq}", {"lines": [{"line": 1, "colour": "red"}]}, 400,
     "invalid_request"),
    ("buyer", "PATCH", "/rfqs/{rfq}", {"closes_at": "2026-11-19T17:00:00+09:00"}, 422,
     "rfq_deadline_invalid"),
    ("buyer", "PATCH", "/rfqs/{rfq}", {"closes_at": "2026-11-27T17:00:00"}, 422,
     "rfq_deadline_invalid"),
    ("buyer", "POST", "/rfqs/{rfq}/invitations", {"supplier_ids": ["{unknown}"]}, 422,
     "invitee_not_supplier"),
    ("buyer", "POST", "/rfqs/{rfq}/cancel", {"reason": "  "}, 422,
     "rfq_cancel_reason_missing"),
    ("buyer", "POST", "/rfqs/{rfq}/cancel", None, 400, "invalid_request"),
    ("buyer", "POST", "/rfqs/{rfq}/questions/{unknown}/answer", {"answer": "yes"}, 404,
     "not_found"),
    ("a", "POST", "/rfqs/{rfq}/questions", {"text": ""}, 422, "question_invalid"),
    ("a", "POST", "/rfqs/{rfq}/quotes", {"lines": []}, 422, "quote_empty"),
    ("a", "POST", "/rfqs/{rfq}/quotes", {"lines": [{**QUOTE_B[0], "line": 9}]}, 422,
     "rfq_line_unknown"),
    ("a", "POST", "/rfqs/{rfq}/quotes", {"lines": [{**QUOTE_A[0], "unit_price": 1}]}, 422,
     "quote_price_missing"),
    ("a", "POST", "/rfqs/{rfq}/quotes", {"lines": [{**QUOTE_B[0], "valid_until": "2026-11-22"}]},
     422, "quote_expires_before_deadline"),
    ("a", "POST", "/rfqs/{rfq}/quotes", {"lines": [{**QUOTE_B[0], "lead_time_days": "ten"}]},
     400, "invalid_request"),
    ("a", "POST", "/rfqs/{rfq}/quotes", {"lines": [{**QUOTE_B[0], "discount": 5}]}, 400,
     "invalid_request"),
    ("a", "POST", "/rfqs/{rfq}/quotes", {"lines": [QUOTE_B[0], QUOTE_B[0]]}, 422,
     "rfq_line_twice"),
    ("a", "POST", "/rfqs/{rfq}/quotes", None, 400, "invalid_request"),
    ("a", "PUT", "/rfqs/{rfq}/quotes/{unknown}", {"lines": QUOTE_B}, 404, "not_found"),
    ("a", "POST", "/rfqs/{rfq}/quotes/{unknown}/reconfirm", None, 404, "not_found"),
    ("buyer", "GET", "/rfqs/{rfq}/comparison", None, 422, "rfq_not_closed"),
    ("buyer", "POST", "/rfqs/{rfq}/award", {"reason": "early", "whole": "{unknown}"}, 422,
     "rfq_not_closed"),
    ("buyer", "POST", "/rfqs/{rfq}/award", {"reason": "x", "lines": [
        {"line": 1, "quote_id": "{unknown}"}, {"line": 1, "quote_id": "{unknown}"}]}, 422,
     "rfq_line_twice"),
    ("buyer", "GET", "/purchase-orders/PO-20261120-NOPE-1", None, 404, "not_found"),
])
def test_bad_input_gets_a_clear_error_and_records_nothing(
        api: httpx.Client, parties: Firms, clock: SettableClock, migrated_url: str, who: str,
        method: str, path: str, body: Any, status: int, code: str) -> None:
    rfq_id = issue(api, parties.buyer, deadline(clock()), invited=[parties.a.id])["rfq"]["id"]
    ids = {"rfq": rfq_id, "a": parties.a.id, "unknown": str(uuid4())}
    filled = _fill(body, ids)
    before = ledger_length(migrated_url)

    response = api.request(method, f"/api/v1{path.format(**ids)}", headers=getattr(
        parties, who).headers, **({} if body is None else {"json": filled}))

    assert error(response) == (status, code), response.text
    assert ledger_length(migrated_url) == before


def _fill(body: Any, ids: dict[str, str]) -> Any:
    """The body with ``{name}`` placeholders in its strings replaced by the ids."""
    if isinstance(body, dict):
        return {key: _fill(value, ids) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, ids) for value in body]
    return body.format(**ids) if isinstance(body, str) and body.startswith("{") else body

"""The ledger for people: auditors browse and filter its entries, open one with its receipt;
sealed bids stay sealed until the lot closes; members download the receipts of their own
entries; anyone reads the signed checkpoints."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import httpx
import pytest

from events import SettableClock
from events.receipts import check_receipt
from marketplace.accounts import Member
from marketplace.application import Marketplace
from marketplace.audit.ledger_entry import stored_entry
from tests.conftest import LEDGER_SIGNER
from tests.integration.test_allocation_pages import CLUSTER, ENGLISH
from tests.lots_builders import bid_alone, post_need
from tests.pages import Site, Visitor


@dataclass(frozen=True)
class Scene:
    """A lot open for a week with a pooled need and two sealed bids; an auditor of another
    firm; positions of the entries, recorded on two days."""

    marketplace: Marketplace
    lot_id: UUID
    organiser: Member
    supplier: Member
    rival: Member
    auditor: Visitor
    auditor_member: Member
    lot_positions: list[int]
    """The lot's entries and its need's pooling, in ledger order."""
    bid: int
    rival_bid: int
    first_day_end: int
    """The last position recorded on the first day."""


def an_auditor(site: Site) -> tuple[Member, Visitor]:
    member = site.new_member(roles=("buyer",))
    site.accounts.set_roles(member, member.id, ["admin", "auditor"])
    return member, site.logged_in(member)


def a_scene(site: Site, clock: SettableClock) -> Scene:
    marketplace = site.accounts.marketplace
    organiser, supplier, rival = (site.new_member(roles=("buyer",)),
                                  site.new_member(roles=("supplier",)),
                                  site.new_member(roles=("supplier",)))
    lot_id = marketplace.open_lot(
        organiser.organisation_id, category="Steel sheet", specification="SPCC 1.0 mm",
        unit="kg", closes_at=clock() + timedelta(days=7), cluster=CLUSTER, thresholds=[1000])
    lot_positions = [marketplace.position()]
    need = post_need(marketplace, organiser.organisation_id, 800)
    marketplace.pool_need(organiser.organisation_id, lot_id, need)
    lot_positions += [marketplace.position() - 1, marketplace.position()]
    first_day_end = marketplace.position()
    clock.advance(timedelta(days=2))
    bid_alone(marketplace, supplier.organisation_id, lot_id)
    bid = marketplace.position()
    bid_alone(marketplace, rival.organisation_id, lot_id)
    rival_bid = marketplace.position()
    lot_positions += [bid - 1, bid, rival_bid - 1, rival_bid]
    auditor_member, auditor = an_auditor(site)
    return Scene(marketplace, lot_id, organiser, supplier, rival, auditor, auditor_member,
                 lot_positions, bid, rival_bid, first_day_end)


@pytest.fixture
def scene(site: Site, clock: SettableClock) -> Scene:
    return a_scene(site, clock)


def name_of(scene: Scene, organisation_id: UUID) -> str:
    found = scene.marketplace.organisations.get(organisation_id)
    assert found is not None
    return found.display_name


def positions(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<tr data-position="(\d+)"', html)]


def row(html: str, position: int) -> str:
    start = html.index(f'<tr data-position="{position}"')
    return html[start:html.index("</tr>", start)]


def next_page(html: str) -> str | None:
    found = re.search(r'<tr id="ledger-more" hx-get="([^"]+)" hx-trigger="revealed" '
                      r'hx-swap="outerHTML">', html)
    return None if found is None else found.group(1).replace("&amp;", "&")


def everything(visitor: Visitor, path: str) -> list[int]:
    """Every row of the list, scrolling as htmx does."""
    response = visitor.get(path, headers=ENGLISH)
    assert response.status_code == 200, response.text
    shown = positions(response.text)
    following = next_page(response.text)
    while following is not None:
        more = visitor.get(following, htmx=True, headers=ENGLISH)
        assert more.status_code == 200
        assert "<html" not in more.text
        shown += positions(more.text)
        following = next_page(more.text)
    return shown


def test_the_ledger_scrolls_newest_first_in_pages_that_join_without_gaps_or_repeats(
        site: Site, scene: Scene) -> None:
    for number in range(70):
        scene.marketplace.update_organisation_profile(
            scene.organiser.organisation_id, capabilities=[f"tag {number}"])
    last = scene.marketplace.position()

    shown = everything(scene.auditor, "/audit/ledger")
    first_page = scene.auditor.get("/audit/ledger", headers=ENGLISH).text
    link = re.search(r'<a href="(/audit/ledger\?before=\d+)">More entries</a>', first_page)

    assert shown == sorted(shown, reverse=True)
    assert len(shown) == len(set(shown)) > 50
    assert shown[0] == last
    assert set(scene.lot_positions) <= set(shown)
    assert link is not None  # without JavaScript, the same rows come as a page
    assert positions(scene.auditor.get(link.group(1)).text) == shown[50:100]


def test_each_filter_narrows_the_list(scene: Scene) -> None:
    organiser = scene.organiser.organisation_id

    by_lot = everything(scene.auditor, f"/audit/ledger?lot={scene.lot_id}")
    by_type = everything(scene.auditor, "/audit/ledger?type=Lot.BidPlaced")
    by_organisation = everything(scene.auditor, f"/audit/ledger?organisation={organiser}")
    first_day = everything(scene.auditor, "/audit/ledger?from=2026-11-20&to=2026-11-20")
    later = everything(scene.auditor, "/audit/ledger?from=2026-11-21")
    both = everything(scene.auditor, f"/audit/ledger?lot={scene.lot_id}&from=2026-11-22")

    assert by_lot == sorted(scene.lot_positions, reverse=True)
    assert by_type == [scene.rival_bid, scene.bid]
    assert scene.lot_positions[:3] == sorted(set(by_organisation) & set(scene.lot_positions))
    assert min(by_organisation) == 1  # its registration
    assert max(first_day) == scene.first_day_end
    assert min(later) == scene.first_day_end + 1
    assert both == sorted(scene.lot_positions[3:], reverse=True)


def test_a_filter_that_makes_no_sense_is_named_and_nothing_is_listed(scene: Scene) -> None:
    for query, field in (("lot=nope", "lot"), ("type=Lot.Bribed", "type"),
                         ("from=2026-13-01", "from"), ("from=2026-11-22&to=2026-11-20", "to"),
                         ("organisation=42", "organisation"), ("before=x", "before"),
                         ("before=%C2%B2", "before"), (f"before={'9' * 5000}", "before"),
                         ("to=9999-12-31", "to"),
                         ("from=0001-01-01", "from")):
        response = scene.auditor.get(f"/audit/ledger?{query}", headers=ENGLISH)

        assert response.status_code == 400, query
        assert 'aria-invalid="true"' in response.text or 'class="form-error"' in response.text
        assert positions(response.text) == [], query
        assert f'id="{field}-error"' in response.text or field == "before"


def closed(site: Site, scene: Scene, clock: SettableClock) -> Visitor:
    """The lot closed (and cleared); the auditor logged in again, its session long expired."""
    clock.advance(timedelta(days=6))
    assert scene.marketplace.close_due_lots() == [scene.lot_id]
    return site.logged_in(scene.auditor_member)


def test_sealed_bids_show_their_type_time_and_lot_only_until_the_lot_closes(
        site: Site, scene: Scene, clock: SettableClock) -> None:
    listed = scene.auditor.get("/audit/ledger", headers=ENGLISH).text
    entry = scene.auditor.get(f"/audit/ledger/{scene.bid}", headers=ENGLISH).text
    supplier = scene.supplier.organisation_id
    by_supplier = everything(scene.auditor, f"/audit/ledger?organisation={supplier}")

    sealed = row(listed, scene.bid)
    assert 'data-sealed="true"' in sealed
    assert "Lot.BidPlaced" in sealed
    assert f"/audit/lots/{scene.lot_id}/timeline" in sealed
    assert "Sealed until 2026-11-27" in sealed
    assert name_of(scene, supplier) not in sealed
    assert 'id="sealed-note"' in entry
    assert 'id="entry-fields"' not in entry
    stored = stored_entry(scene.marketplace, scene.bid)
    assert stored is not None
    length = len(stored.state)
    assert f"{length:08x}" not in entry  # how long an offer is tells its shape
    assert f">{length}<" not in entry
    assert "bytes in all" not in entry
    assert "tiers" not in entry
    assert "unit_price" not in entry
    assert str(supplier) not in entry
    assert scene.bid not in by_supplier
    assert scene.bid - 1 in by_supplier  # its joining the lot is no secret

    auditor = closed(site, scene, clock)
    listed = auditor.get("/audit/ledger", headers=ENGLISH).text
    entry = auditor.get(f"/audit/ledger/{scene.bid}", headers=ENGLISH).text

    assert 'data-sealed' not in row(listed, scene.bid)
    assert name_of(scene, supplier) in row(listed, scene.bid)
    assert 'id="entry-fields"' in entry
    assert 'data-field="terms"' in entry
    assert "unit_price" in entry
    assert str(supplier) in entry
    assert scene.bid in everything(auditor, f"/audit/ledger?organisation={supplier}")


def test_an_entry_shows_its_encoding_leaf_and_receipt_and_the_receipt_checks(
        scene: Scene) -> None:
    checkpoint = scene.marketplace.checkpoint("manual")
    assert checkpoint is not None
    position = scene.lot_positions[0]

    page = scene.auditor.get(f"/audit/ledger/{position}", headers=ENGLISH)
    download = scene.auditor.get(f"/ledger/entries/{position}/receipt")

    assert page.status_code == 200
    html = page.text
    assert 'data-field="organiser_id"' in html
    assert 'data-field="topic length"' in html
    assert 'id="hash-match"' in html
    assert f'data-checkpoint="{checkpoint.id}"' in html
    assert 'id="proof-ok"' in html
    steps = html[html.index('id="proof-steps"'):]
    assert steps[:steps.index("</table>")].count('<tr><td class="num">') == len(_proof(download))
    assert f'href="/ledger/entries/{position}/receipt"' in html
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        f'attachment; filename="kyodo-receipt-{position}.json"')
    checked = check_receipt(download.content, LEDGER_SIGNER.public_key)
    assert checked.position == position
    assert checked.checkpoint.id == checkpoint.id
    assert checked.leaf_index == int(re.search(r'id="leaf-index">(\d+)<', html).group(1))


def _proof(response: httpx.Response) -> list[str]:
    proof: list[str] = json.loads(response.content)["inclusion_proof"]
    return proof


def test_an_entry_past_the_end_of_the_ledger_is_not_found(scene: Scene) -> None:
    response = scene.auditor.get(f"/audit/ledger/{scene.marketplace.position() + 1}")

    assert response.status_code == 404


def test_buyers_and_suppliers_are_refused_the_auditors_pages(site: Site, scene: Scene) -> None:
    for member in (scene.organiser, scene.supplier):
        visitor = site.logged_in(member)
        for path in ("/audit/ledger", f"/audit/ledger/{scene.bid}", "/audit/verify"):
            response = visitor.get(path)

            assert response.status_code == 403, path
            assert "ledger-table" not in response.text


def test_a_supplier_downloads_its_own_sealed_bids_receipt_but_not_a_rivals(
        site: Site, scene: Scene) -> None:
    supplier = site.logged_in(scene.supplier)

    own = supplier.get(f"/ledger/entries/{scene.bid}/receipt")
    rivals = supplier.get(f"/ledger/entries/{scene.rival_bid}/receipt")
    missing = supplier.get(f"/ledger/entries/{scene.marketplace.position() + 5}/receipt")

    assert own.status_code == 200
    assert check_receipt(own.content, LEDGER_SIGNER.public_key).position == scene.bid
    assert rivals.status_code == 404
    assert missing.status_code == 404
    assert "kyodo-receipt" not in rivals.headers.get("content-disposition", "")


def test_an_auditor_gets_a_sealed_bids_receipt_only_once_the_lot_has_closed(
        site: Site, scene: Scene, clock: SettableClock) -> None:
    before = scene.auditor.get(f"/ledger/entries/{scene.bid}/receipt")
    entry = scene.auditor.get(f"/audit/ledger/{scene.bid}", headers=ENGLISH).text
    after = closed(site, scene, clock).get(f"/ledger/entries/{scene.bid}/receipt")

    assert before.status_code == 404
    assert 'id="receipt-download"' not in entry
    assert 'id="receipt-sealed"' in entry
    assert after.status_code == 200
    assert check_receipt(after.content, LEDGER_SIGNER.public_key).position == scene.bid


def test_the_lots_clearing_is_no_partys_receipt_it_holds_every_buyers_limit(
        site: Site, scene: Scene, clock: SettableClock) -> None:
    auditor = closed(site, scene, clock)
    [allocated] = everything(auditor, f"/audit/ledger?lot={scene.lot_id}&type=Lot.Allocated")
    token = scene.marketplace.issue_api_token(scene.supplier.organisation_id).api_token

    by_token = site.visitor().client.get(f"/api/v1/ledger/entries/{allocated}/receipt",
                                         headers={"Authorization": f"Bearer {token}"})
    by_parties = [site.logged_in(member).get(f"/ledger/entries/{allocated}/receipt")
                  for member in (scene.organiser, scene.supplier)]

    assert by_token.status_code == 404
    assert [response.status_code for response in by_parties] == [404, 404]
    assert auditor.get(f"/ledger/entries/{allocated}/receipt").status_code == 200


def test_an_organisation_fetches_its_own_receipts_with_its_api_token(
        site: Site, scene: Scene) -> None:
    token = scene.marketplace.issue_api_token(scene.supplier.organisation_id).api_token
    headers = {"Authorization": f"Bearer {token}"}
    client = site.visitor().client

    own = client.get(f"/api/v1/ledger/entries/{scene.bid}/receipt", headers=headers)
    rivals = client.get(f"/api/v1/ledger/entries/{scene.rival_bid}/receipt", headers=headers)
    anonymous = client.get(f"/api/v1/ledger/entries/{scene.bid}/receipt")

    assert own.status_code == 200
    assert check_receipt(own.content, LEDGER_SIGNER.public_key).position == scene.bid
    assert rivals.status_code == 404
    assert rivals.json()["error"]["code"] == "not_found"
    assert anonymous.status_code == 401


def test_anyone_reads_the_checkpoints_and_the_key_that_signs_them(
        site: Site, scene: Scene) -> None:
    first = scene.marketplace.checkpoint("manual")
    scene.marketplace.update_organisation_profile(scene.organiser.organisation_id,
                                                  capabilities=["deep drawing"])
    second = scene.marketplace.checkpoint("manual")
    assert first is not None
    assert second is not None
    anonymous = site.visitor()

    page = anonymous.get("/ledger/checkpoints", headers=ENGLISH)
    document = anonymous.get(f"/ledger/checkpoints/{first.id}.json")
    unknown = anonymous.get("/ledger/checkpoints/999999.json")
    malformed = anonymous.get("/ledger/checkpoints/first.json")

    assert page.status_code == 200
    html = page.text
    assert [int(found) for found in re.findall(r'<tr data-checkpoint="(\d+)"', html)] == [
        second.id, first.id]
    key = base64.b64encode(LEDGER_SIGNER.public_key).decode()
    assert f'id="public-key-value">{key}<' in html
    assert 'action="/api/v1/ledger/consistency"' in html
    assert document.status_code == 200
    assert document.json() == first.as_json()
    assert document.headers["content-disposition"] == (
        f'attachment; filename="kyodo-checkpoint-{first.id}.json"')
    assert unknown.status_code == 404
    assert malformed.status_code == 404



def test_the_checkpoints_scroll_in_pages_that_join_without_gaps_or_repeats(
        site: Site, scene: Scene) -> None:
    made = []
    for number in range(55):
        scene.marketplace.update_organisation_profile(scene.organiser.organisation_id,
                                                      capabilities=[f"tag {number}"])
        checkpoint = scene.marketplace.checkpoint("manual")
        assert checkpoint is not None
        made.append(checkpoint.id)
    anonymous = site.visitor()

    html = anonymous.get("/ledger/checkpoints").text
    shown = [int(found) for found in re.findall(r'<tr data-checkpoint="(\d+)"', html)]
    following = re.search(r'<tr id="checkpoints-more" hx-get="([^"]+)"', html)
    assert following is not None
    more = anonymous.get(following.group(1), htmx=True).text
    shown += [int(found) for found in re.findall(r'<tr data-checkpoint="(\d+)"', more)]

    assert shown == sorted(made, reverse=True)
    assert "<html" not in more
    assert 'id="checkpoints-more"' not in more


def test_numbers_no_entry_or_checkpoint_could_have_are_not_found(site: Site,
                                                                  scene: Scene) -> None:
    huge = 2**70

    for path in (f"/audit/ledger/{huge}", "/audit/ledger/0", f"/ledger/entries/{huge}/receipt"):
        assert scene.auditor.get(path).status_code == 404, path
    assert scene.auditor.get(f"/audit/ledger?before={huge}").status_code == 400
    assert site.visitor().get("/ledger/checkpoints/99999999999.json").status_code == 404
    assert site.visitor().get(f"/ledger/checkpoints?before={huge}").status_code == 200
    assert site.visitor().get("/ledger/checkpoints?before=%C2%B2").status_code == 200

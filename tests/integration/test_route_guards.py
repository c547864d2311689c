"""Every route is guarded, default deny: the table of routes with their policies, and each
cell of route × role × own/other checked over real HTTP.

Adding a route without adding it here fails the first test; a route whose handler forgot its
policy answers 403 to everyone and fails the others.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar

from events import SettableClock
from marketplace.accounts import Accounts, Member
from marketplace.accounts.passwords import hash_password
from marketplace.application import Marketplace
from marketplace.domain.sealed_round import SETTLE
from marketplace.readmodels.audit_tables import verify_runs
from tests.lots_builders import CLUSTER, bid_alone, open_lot, post_need, register
from tests.rfq_builders import QUOTE_B
from tests.servers import serving
from web.app import _litestar, create_app
from web.auth import Access

#: method, path, policy: public, token (an API token), or the member roles allowed
#: ("any" for any member).
ROUTES = """
GET    /                                                             public
GET    /api/v1/bids                                                  token
GET    /api/v1/bids/{bid_id:uuid}                                    token
GET    /api/v1/ledger/checkpoints                                    public
GET    /api/v1/ledger/checkpoints/latest                             public
GET    /api/v1/ledger/checkpoints/{checkpoint_id:int}                public
GET    /api/v1/ledger/consistency                                    public
GET    /api/v1/ledger/entries/{position:int}/receipt                 token
GET    /api/v1/ledger/public-key                                     public
GET    /api/v1/lots                                                  token
POST   /api/v1/lots                                                  token
GET    /api/v1/lots/{lot_id:uuid}                                    token
GET    /api/v1/lots/{lot_id:uuid}/allocation                         token
POST   /api/v1/lots/{lot_id:uuid}/bids                               token
DELETE /api/v1/lots/{lot_id:uuid}/bids/{bid_id:uuid}                 token
PUT    /api/v1/lots/{lot_id:uuid}/bids/{bid_id:uuid}                 token
POST   /api/v1/lots/{lot_id:uuid}/bids/{bid_id:uuid}/acceptance      token
POST   /api/v1/lots/{lot_id:uuid}/bids/{bid_id:uuid}/decline         token
POST   /api/v1/lots/{lot_id:uuid}/cancellation                       token
POST   /api/v1/lots/{lot_id:uuid}/commitments                        token
DELETE /api/v1/lots/{lot_id:uuid}/commitments/{need_id:uuid}         token
PATCH  /api/v1/lots/{lot_id:uuid}/commitments/{need_id:uuid}         token
POST   /api/v1/lots/{lot_id:uuid}/suppliers                          token
GET    /api/v1/me/commitments                                        token
GET    /api/v1/needs                                                 token
POST   /api/v1/needs                                                 token
GET    /api/v1/needs/{need_id:uuid}                                  token
PATCH  /api/v1/needs/{need_id:uuid}                                  token
GET    /api/v1/needs/{need_id:uuid}/matches                          token
GET    /api/v1/needs/{need_id:uuid}/pooling-suggestions              token
POST   /api/v1/needs/{need_id:uuid}/pooling-suggestions/lot          token
POST   /api/v1/needs/{need_id:uuid}/withdrawal                       token
GET    /api/v1/organisations                                         public
POST   /api/v1/organisations                                         public
GET    /api/v1/organisations/{organisation_id:uuid}                  public
PATCH  /api/v1/organisations/{organisation_id:uuid}                  token
GET    /api/v1/organisations/{organisation_id:uuid}/supplier-profile public
PATCH  /api/v1/organisations/{organisation_id:uuid}/supplier-profile token
PUT    /api/v1/organisations/{organisation_id:uuid}/supplier-profile token
GET    /api/v1/pooling-suggestions                                   token
GET    /api/v1/purchase-orders                                       token
GET    /api/v1/purchase-orders/{number:str}                          token
GET    /api/v1/rfqs                                                  token
POST   /api/v1/rfqs                                                  token
GET    /api/v1/rfqs/{rfq_id:uuid}                                    token
PATCH  /api/v1/rfqs/{rfq_id:uuid}                                    token
POST   /api/v1/rfqs/{rfq_id:uuid}/award                              token
POST   /api/v1/rfqs/{rfq_id:uuid}/cancel                             token
GET    /api/v1/rfqs/{rfq_id:uuid}/comparison                         token
POST   /api/v1/rfqs/{rfq_id:uuid}/invitations                        token
GET    /api/v1/rfqs/{rfq_id:uuid}/matches                            token
POST   /api/v1/rfqs/{rfq_id:uuid}/questions                          token
POST   /api/v1/rfqs/{rfq_id:uuid}/questions/{question_id:uuid}/answer token
GET    /api/v1/rfqs/{rfq_id:uuid}/quotes                             token
POST   /api/v1/rfqs/{rfq_id:uuid}/quotes                             token
DELETE /api/v1/rfqs/{rfq_id:uuid}/quotes/{quote_id:uuid}             token
PUT    /api/v1/rfqs/{rfq_id:uuid}/quotes/{quote_id:uuid}             token
POST   /api/v1/rfqs/{rfq_id:uuid}/quotes/{quote_id:uuid}/reconfirm   token
GET    /api/v1/schema                                                public
GET    /api/v1/schema/openapi.json                                   public
GET    /api/v1/schema/openapi.yaml                                   public
GET    /api/v1/schema/{path:str}                                     public
GET    /api/v1/suppliers/matches                                     token
GET    /api/v1/vocabulary                                            public
GET    /audit                                                        auditor
GET    /audit/ledger                                                 auditor
GET    /audit/ledger/{position:int}                                  auditor
GET    /audit/lots/{lot_id:uuid}/state                               auditor
GET    /audit/lots/{lot_id:uuid}/timeline                            auditor
GET    /audit/verify                                                 auditor
POST   /audit/verify                                                 auditor
GET    /audit/verify/{run_id:uuid}                                   auditor
GET    /dashboard                                                    any
GET    /health                                                       public
GET    /invitations/{token:str}                                      public
GET    /ledger/checkpoints                                           public
GET    /ledger/checkpoints/{file_name:str}                           public
GET    /ledger/entries/{position:int}/receipt                        any
POST   /invitations/{token:str}                                      public
POST   /language                                                     public
GET    /login                                                        public
POST   /login                                                        public
POST   /logout                                                       any
GET    /lots                                                         buyer supplier
GET    /lots/{lot_id:uuid}                                           buyer supplier
GET    /lots/{lot_id:uuid}/allocation                                auditor buyer supplier
GET    /lots/{lot_id:uuid}/bid                                       supplier
POST   /lots/{lot_id:uuid}/bid                                       supplier
GET    /lots/{lot_id:uuid}/bid/member-row                            supplier
GET    /lots/{lot_id:uuid}/bid/member-row/removed                    supplier
GET    /lots/{lot_id:uuid}/bid/tier-row                              supplier
GET    /lots/{lot_id:uuid}/bid/tier-row/removed                      supplier
POST   /lots/{lot_id:uuid}/bid/withdrawal                            supplier
POST   /lots/{lot_id:uuid}/bids/{bid_id:uuid}/acceptance             supplier
POST   /lots/{lot_id:uuid}/bids/{bid_id:uuid}/decline                supplier
POST   /lots/{lot_id:uuid}/commitments                               buyer
POST   /lots/{lot_id:uuid}/commitments/{need_id:uuid}/withdrawal     buyer
POST   /lots/{lot_id:uuid}/payment                                   buyer
POST   /lots/{lot_id:uuid}/payment/confirmed                         buyer
GET    /lots/{lot_id:uuid}/progress                                  buyer supplier
POST   /lots/{lot_id:uuid}/suppliers                                 supplier
GET    /members                                                      admin
POST   /members/invitations                                          admin
POST   /members/{member_id:uuid}/roles                               admin
GET    /needs                                                        buyer
POST   /needs                                                        buyer
GET    /needs/new                                                    buyer
GET    /needs/{need_id:uuid}                                         buyer
POST   /needs/{need_id:uuid}                                         buyer
GET    /needs/{need_id:uuid}/edit                                    buyer
POST   /needs/{need_id:uuid}/withdrawal                              buyer
POST   /payouts/onboarding                                           admin supplier
GET    /payouts/onboarding/refresh                                   admin supplier
GET    /payouts/onboarding/return                                    admin supplier
GET    /purchase-orders/{number:str}                                 buyer supplier
GET    /rfqs                                                         buyer supplier
POST   /rfqs                                                         buyer
GET    /rfqs/new                                                     buyer
GET    /rfqs/{rfq_id:uuid}                                           buyer supplier
POST   /rfqs/{rfq_id:uuid}/award                                     buyer
POST   /rfqs/{rfq_id:uuid}/cancellation                              buyer
GET    /rfqs/{rfq_id:uuid}/comparison                                buyer
POST   /rfqs/{rfq_id:uuid}/invitations                               buyer
POST   /rfqs/{rfq_id:uuid}/questions                                 supplier
POST   /rfqs/{rfq_id:uuid}/questions/{question_id:uuid}/answer       buyer
GET    /rfqs/{rfq_id:uuid}/quote                                     supplier
POST   /rfqs/{rfq_id:uuid}/quote                                     supplier
POST   /rfqs/{rfq_id:uuid}/quote/reconfirmation                      supplier
POST   /rfqs/{rfq_id:uuid}/quote/withdrawal                          supplier
GET    /signup                                                       public
POST   /signup                                                       public
GET    /static/{file_path:path}                                      public
POST   /webhooks/stripe                                              public
"""

ROLES = ("buyer", "supplier", "auditor", "admin")
#: The ledger is one for the whole deployment: any auditor reads its entries (sealed ones
#: without their content) and follows its verify runs, whatever organisation they are in.
DEPLOYMENT_WIDE = ("/audit/ledger/", "/audit/verify/")
GUARD_REFUSAL = "this page is for members with the"


def table() -> dict[tuple[str, str], str]:
    rows = [line.split(maxsplit=2) for line in ROUTES.strip().splitlines()]
    return {(method, path): policy.strip() for method, path, policy in rows}


def policy_of(access: object) -> str:
    if not isinstance(access, Access):
        return "NO POLICY"
    if access.kind != "member":
        return access.kind
    return " ".join(sorted(access.roles)) or "any"


def app_routes(app: Litestar) -> dict[tuple[str, str], str]:
    found = {}
    for route in app.routes:
        for method, (handler, *_rest) in getattr(route, "route_handler_map", {}).items():
            if method not in ("OPTIONS", "HEAD"):
                found[(method, route.path)] = policy_of(handler.opt.get("access"))
    return found


def test_every_route_has_the_policy_the_table_gives_it() -> None:
    app = _litestar(lambda: None, secret="a-secret-only-for-listing-routes" * 2)  # type: ignore[arg-type, return-value]

    assert app_routes(app) == table()


# ---- the cells: route × role × own/other, over real HTTP ----------------------------------

MEMBER_ROUTES = [(method, path, policy) for (method, path), policy in table().items()
                 if policy not in ("public", "token")]
TOKEN_ROUTES = [(method, path) for (method, path), policy in table().items()
                if policy == "token"]


@dataclass
class Scene:
    """Organisation A (buyer and supplier, in the cluster) owns or takes part in everything;
    B, of another cluster and prefecture, has members with every role and owns nothing."""

    base_url: str
    marketplace: Marketplace
    accounts: Accounts
    members: dict[str, Member]
    other: Member
    ids: dict[str, str]

    def client(self, member: Member | None) -> httpx.Client:
        client = httpx.Client(base_url=self.base_url, timeout=30, follow_redirects=False)
        if member is not None:
            client.cookies.set("kyodo_session", self.accounts.start_session(member))
        return client

    def path(self, template: str) -> str:
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: self.ids[m.group(1)], template)


def request(client: httpx.Client, method: str, path: str) -> httpx.Response:
    if method == "GET":
        return client.get(path)
    if "csrftoken" not in client.cookies:
        client.get("/signup")  # the CSRF cookie, as a browser has it from an earlier page
    return client.request(method, path, data={"_csrf_token": client.cookies["csrftoken"]})


@pytest.fixture
def scene(marketplace: Marketplace, clock: SettableClock) -> Iterator[Scene]:
    a = register(marketplace, "buyer", "supplier", name="Akagi Works")
    supplier = register(marketplace, "supplier", name="Supplier")
    b = register(marketplace, "buyer", "supplier", name="Osaka Outsider",
                 clusters=("Kansai Metal",), prefecture="Osaka")
    lot_id = open_lot(marketplace, a)
    need_id = post_need(marketplace, a)
    marketplace.pool_need(a, lot_id, need_id)
    bid_id = bid_alone(marketplace, supplier, lot_id,
                       shares={supplier: 600, a: 400})  # A is invited into a consortium
    bid_position = marketplace.position()  # A is party to the bid's entry
    checkpoint = marketplace.checkpoint("manual")
    assert checkpoint is not None
    rfq_id = marketplace.issue_rfq(a, need_ids=[post_need(marketplace, a, 300)],
                                   title="SPCC for Q1", closes_at=clock() + timedelta(days=2),
                                   invited=[supplier], cluster=CLUSTER)
    question_id = marketplace.ask_question(supplier, rfq_id, "Is 1.0 mm the nominal?")
    quote_id = marketplace.submit_quote(supplier, rfq_id, QUOTE_B)
    clock.advance(timedelta(days=2) + SETTLE)
    marketplace.open_due_rfqs(SETTLE)
    marketplace.award_rfq(a, rfq_id, reason="best price", whole=quote_id)
    number = marketplace.rfqs.purchase_orders(a)[0].number

    app = create_app(marketplace=marketplace)
    accounts: Accounts = app.state.accounts
    password_hash = hash_password("a password nobody types here")
    members = {role: accounts.add_member(a, email=f"{role}@akagi.example.jp", name=role,
                                         password_hash=password_hash, roles=[role])
               for role in ROLES}
    other = accounts.add_member(b, email="all@osaka.example.jp", name="other",
                                password_hash=password_hash, roles=list(ROLES))
    run_id = uuid.uuid4()
    with marketplace.engine.begin() as connection:
        connection.execute(sa.insert(verify_runs).values(
            id=run_id, started_by=members["auditor"].id, organisation_id=a,
            started_at=clock(), phase="entries", done=1, total=2, updated_at=clock(),
            running=True))
    ids = {"lot_id": str(lot_id), "need_id": str(need_id), "bid_id": str(bid_id),
           "rfq_id": str(rfq_id), "question_id": str(question_id), "number": number,
           "member_id": str(members["admin"].id), "organisation_id": str(a),
           "quote_id": str(quote_id), "position": str(bid_position), "run_id": str(run_id),
           "file_name": f"{checkpoint.id}.json"}
    with serving(app) as base_url:
        yield Scene(base_url, marketplace, accounts, members, other, ids)


def test_members_pages_send_anonymous_visitors_to_log_in(scene: Scene) -> None:
    wrong = []
    with scene.client(None) as client:
        for method, path, _policy in MEMBER_ROUTES:
            response = request(client, method, scene.path(path))
            if response.status_code != 303 or not response.headers["location"].startswith(
                    "/login"):
                wrong.append(f"{method} {path}: {response.status_code}")

    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_routes_the_table_gives_it(scene: Scene, role: str) -> None:
    position = scene.marketplace.position()
    wrong = []
    for method, path, policy in MEMBER_ROUTES:
        allowed = policy == "any" or role in policy.split()
        if method != "GET" and allowed:
            continue  # what an allowed member may do is each page's own test
        with scene.client(scene.members[role]) as client:
            response = request(client, method, scene.path(path))
        # The guard's own refusal (a rule of the domain may also answer 403 to an allowed
        # role, e.g. a supplier quoting its own organisation's RFQ).
        refused = response.status_code == 403 and GUARD_REFUSAL in response.text
        if refused == allowed or response.status_code in (401, 500) or (
                response.status_code == 303 and "/login" in response.headers["location"]):
            wrong.append(f"{method} {path}: {response.status_code}")

    assert wrong == []
    assert scene.marketplace.position() == position  # refusals recorded nothing


def test_every_page_answers_whole_and_as_an_htmx_fragment(scene: Scene) -> None:
    """Each GET page, asked by a member allowed to see it, answers both ways without error:
    a whole HTML page, and for htmx either its fragment or (pages without one) the page."""
    wrong = []
    everyone = scene.members["admin"]
    for method, path, policy in MEMBER_ROUTES:
        if method != "GET":
            continue
        role = "admin" if policy in ("any", "admin") else policy.split()[0]
        with scene.client(scene.members.get(role, everyone)) as client:
            whole = client.get(scene.path(path))
            fragment = client.get(scene.path(path), headers={"HX-Request": "true"})
        for kind, response in (("whole", whole), ("htmx", fragment)):
            if response.status_code >= 500 or response.status_code in (401, 303):
                wrong.append(f"{kind} {path}: {response.status_code}")
        fragment_only = path.endswith(("/progress", "-row", "/removed", "/receipt"))
        if whole.status_code == 200 and not fragment_only and "<html" not in whole.text:
            wrong.append(f"whole {path}: not a whole page")

    assert wrong == []


def test_another_organisations_records_are_not_found_and_nothing_changes(scene: Scene) -> None:
    position = scene.marketplace.position()
    roles_before = {m.id: m.roles for m in scene.accounts.members_of(
        scene.members["admin"].organisation_id)}
    wrong = []
    with scene.client(scene.other) as client:
        for method, path, _policy in MEMBER_ROUTES:
            if "{" not in path or path.startswith(DEPLOYMENT_WIDE):
                continue
            response = request(client, method, scene.path(path))
            if response.status_code not in (400, 403, 404, 422):
                wrong.append(f"{method} {path}: {response.status_code}")

    assert wrong == []
    assert scene.marketplace.position() == position
    assert {m.id: m.roles for m in scene.accounts.members_of(
        scene.members["admin"].organisation_id)} == roles_before


def test_the_api_refuses_every_token_route_without_a_token(scene: Scene) -> None:
    wrong = []
    with httpx.Client(base_url=scene.base_url, timeout=30) as client:
        for method, path in TOKEN_ROUTES:
            response = client.request(method, scene.path(path), json={})
            if response.status_code != 401:
                wrong.append(f"{method} {path}: {response.status_code}")

    assert wrong == []


def test_a_route_without_a_policy_answers_403_to_everyone(scene: Scene) -> None:
    from litestar import get

    from web.auth import guard

    @get("/unguarded", sync_to_thread=False)
    def unguarded() -> str:
        return "secret"

    app = Litestar([unguarded], guards=[guard])
    with serving(app) as base_url:
        response = httpx.get(f"{base_url}/unguarded")

    assert response.status_code == 403
    assert "secret" not in response.text



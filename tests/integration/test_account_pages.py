"""Accounts through the pages: sign-up, log-in, sessions, invitations, CSRF and headers."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from events import SettableClock
from tests.pages import PASSWORD, Site


def test_signing_up_registers_the_organisation_and_logs_its_admin_in(site: Site) -> None:
    visitor = site.visitor()

    response = visitor.post("/signup", {
        "name_ja": "赤城金属工業株式会社", "roles": ["buyer", "supplier"], "prefecture": "JP-10",
        "clusters": "上州ものづくり", "time_zone": "Asia/Tokyo", "name": "山田 花子",
        "email": "Hanako@Akagi-Kinzoku.example.jp", "password": PASSWORD})

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert "kyodo_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    members = site.accounts.members_of(
        site.accounts.log_in("hanako@akagi-kinzoku.example.jp", PASSWORD, "test")[0]
        .organisation_id)
    assert [sorted(m.roles) for m in members] == [["admin", "buyer", "supplier"]]


def test_a_sign_up_with_a_short_password_says_why_and_records_nothing(site: Site) -> None:
    visitor = site.visitor()

    response = visitor.post("/signup", {
        "name_ja": "短い工業", "roles": ["buyer"], "prefecture": "JP-10", "name": "短",
        "email": "short@example.jp", "password": "short"})

    assert response.status_code == 400
    assert "at least 12 characters" in response.text or "12文字以上" in response.text
    assert site.accounts.marketplace.organisations.search(limit=10) == []


def test_the_session_id_changes_at_login(site: Site) -> None:
    member = site.new_member()
    visitor = site.logged_in(member)
    first = visitor.client.cookies["kyodo_session"]

    again = visitor.post("/login", {"email": member.email, "password": PASSWORD})

    second = visitor.client.cookies["kyodo_session"]
    assert again.status_code == 303
    assert second != first
    assert site.accounts.resume(first) is None
    assert site.accounts.resume(second) is not None


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(site: Site) -> None:
    member = site.new_member()

    response = site.visitor().post("/login", {"email": member.email, "password": "wrong" * 4})

    assert response.status_code == 400
    assert "kyodo_session" not in response.headers.get("set-cookie", "")


def test_logins_are_throttled_per_account_and_address(site: Site) -> None:
    member = site.new_member()
    visitor = site.visitor()
    for _ in range(5):
        assert visitor.post("/login", {"email": member.email,
                                       "password": "wrong" * 4}).status_code == 400

    throttled = visitor.post("/login", {"email": member.email, "password": PASSWORD})

    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0


def test_sessions_end_after_30_idle_minutes_and_after_12_hours(
        site: Site, clock: SettableClock) -> None:
    member = site.new_member()
    idle = site.logged_in(member)
    clock.advance(timedelta(minutes=31))

    assert idle.get("/members").status_code == 303

    busy = site.logged_in(member)
    for _ in range(25):  # active every 29 minutes, for more than 12 hours
        clock.advance(timedelta(minutes=29))
        if busy.get("/members").status_code != 200:
            break
    assert busy.get("/members").status_code == 303


def test_logging_out_ends_the_session(site: Site) -> None:
    _member, visitor = site.member_visitor()
    token = visitor.client.cookies["kyodo_session"]

    response = visitor.post("/logout")

    assert response.status_code == 303
    assert site.accounts.resume(token) is None


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    member, visitor = site.member_visitor()

    response = visitor.client.post("/members/invitations",
                                   data={"email": "x@example.jp", "roles": "buyer"})

    assert response.status_code == 403
    assert site.accounts.pending_invitations(member.organisation_id) == []


def test_an_admin_invites_a_colleague_who_joins_with_the_given_roles(site: Site) -> None:
    admin, visitor = site.member_visitor(roles=("buyer",))

    page = visitor.post("/members/invitations",
                        {"email": "suzuki@firm.example.jp", "roles": ["buyer"]})
    path = re.search(r"/invitations/[A-Za-z0-9_-]+", page.text)[0]  # type: ignore[index]
    joined = site.visitor().post(path, {"name": "鈴木 一郎", "password": PASSWORD})

    assert joined.status_code == 303
    names = {m.display_name: sorted(m.roles) for m in site.accounts.members_of(
        admin.organisation_id)}
    assert names["鈴木 一郎"] == ["buyer"]
    assert site.visitor().get(path).status_code == 404  # used once


def test_only_admins_see_the_members_page(site: Site) -> None:
    admin, _ = site.member_visitor()
    token = site.accounts.invite(admin, "plain@firm.example.jp", ["buyer"])
    site.visitor().post(f"/invitations/{token}", {"name": "一般", "password": PASSWORD})
    plain = site.visitor()
    plain.post("/login", {"email": "plain@firm.example.jp", "password": PASSWORD})

    assert plain.get("/members").status_code == 403


def test_pages_for_members_send_visitors_to_the_login_form_and_back(site: Site) -> None:
    response = site.visitor().get("/members?x=1")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/members%3Fx%3D1"


def test_the_login_form_never_sends_anyone_to_another_site(site: Site) -> None:
    member = site.new_member()

    response = site.visitor().post("/login", {"email": member.email, "password": PASSWORD,
                                              "next": "//evil.example/"})

    assert response.headers["location"] == "/dashboard"


def test_every_page_carries_the_security_headers(site: Site) -> None:
    response = site.visitor().get("/login")

    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_the_language_switch_is_remembered(site: Site) -> None:
    visitor = site.visitor()

    visitor.post("/language", {"language": "en", "next": "/login"})

    assert 'lang="en"' in visitor.get("/login").text
    visitor.post("/language", {"language": "ja", "next": "/login"})
    assert 'lang="ja"' in visitor.get("/login", headers={"Accept-Language": "en"}).text


def test_accept_language_chooses_when_nothing_was_chosen(site: Site) -> None:
    english = site.visitor().get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    japanese = site.visitor().get("/login", headers={"Accept-Language": "ja,en;q=0.5"})

    assert 'lang="en"' in english.text
    assert 'lang="ja"' in japanese.text


def test_a_nul_character_in_a_form_or_a_path_is_refused_and_records_nothing(
        site: Site) -> None:
    _member, visitor = site.member_visitor()
    position = site.accounts.marketplace.position()

    form = visitor.post("/needs", {"category": "steel", "specification": "SPCC\x00evil",
                                   "unit": "kg", "quantity": "10",
                                   "needed_by": "2026-12-20", "delivery_prefecture": "JP-10"})
    path = visitor.get("/purchase-orders/abc%00def")

    assert form.status_code == 400
    assert "NUL" in form.text
    assert path.status_code == 400
    assert site.accounts.marketplace.position() == position


def test_a_multipart_form_is_refused_at_once(site: Site) -> None:
    visitor = site.visitor()
    token = visitor.csrf_token()

    response = visitor.client.post("/login", files={"email": (None, "a@b.example")},
                                   data={"_csrf_token": token}, timeout=5)

    assert response.status_code == 415


def test_roles_are_read_as_the_ledger_reads_them_at_sign_up(site: Site) -> None:
    response = site.visitor().post("/signup", {
        "name_ja": "大文字工業", "roles": [" BUYER", "Supplier"], "prefecture": "JP-10",
        "name": "大文字", "email": "caps@example.jp", "password": PASSWORD})

    assert response.status_code == 303
    member, _token = site.accounts.log_in("caps@example.jp", PASSWORD, "test")
    assert sorted(member.roles) == ["admin", "buyer", "supplier"]


def test_parallel_guesses_get_no_more_tries_than_the_throttle_allows(site: Site) -> None:
    member = site.new_member()
    visitor = site.visitor()
    token = visitor.csrf_token()

    def guess(_: int) -> int:
        with httpx.Client(base_url=site.base_url, timeout=60,
                          cookies={"csrftoken": token}) as client:
            return client.post("/login", data={"email": member.email, "password": "x" * 12,
                                               "_csrf_token": token}).status_code
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(guess, range(24)))

    assert answers.count(400) <= 5
    assert answers.count(429) == 24 - answers.count(400)


def test_members_pages_are_never_kept_by_shared_caches(site: Site) -> None:
    _member, visitor = site.member_visitor()

    response = visitor.get("/dashboard")

    assert response.headers["cache-control"] == "no-store"

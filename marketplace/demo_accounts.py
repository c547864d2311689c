"""The demo cluster's people: one member per firm, and the cluster secretariat's auditor.

Demo only: every demo member has the same published password, so anyone trying the demo can
log in as any firm. `marketplace demo seed` prints the log-ins.
"""

from __future__ import annotations

from uuid import UUID

from marketplace.accounts import Accounts, MemberRole
from marketplace.accounts.passwords import hash_password
from marketplace.application import Marketplace

DEMO_PASSWORD = "kyodo-demo-password"  # noqa: S105 (published on purpose: a demo log-in)
DEMO_DOMAIN = "demo.kyodo.example"
#: The firm that runs the cluster's secretariat (幹事会社); its auditor checks the ledger.
SECRETARIAT = "joshu_press"


def demo_email(key: str) -> str:
    return f"{key.replace('_', '-')}@{DEMO_DOMAIN}"


def seed_demo_members(marketplace: Marketplace, organisations: dict[str, UUID]) -> list[str]:
    """A member for each demo firm (admin plus the firm's roles) and an auditor; returns
    their e-mail addresses."""
    accounts = Accounts(marketplace)
    # One Argon2 hash for all: the demo password is public anyway, and each hash costs ~0.1 s.
    password_hash = hash_password(DEMO_PASSWORD)
    emails = []
    for key, organisation_id in organisations.items():
        view = marketplace.organisations.get(organisation_id)
        roles = [MemberRole.ADMIN, *(MemberRole(role) for role in (view.roles if view else ()))]
        member = accounts.add_member(organisation_id, email=demo_email(key),
                                     password_hash=password_hash, name="デモ担当者 Demo",
                                     roles=roles)
        emails.append(member.email)
    auditor = accounts.add_member(organisations[SECRETARIAT], email=demo_email("auditor"),
                                  password_hash=password_hash, name="監査担当 Auditor",
                                  roles=[MemberRole.AUDITOR])
    emails.append(auditor.email)
    return emails

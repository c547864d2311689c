"""Members: the people who act for an organisation, each with the roles of their membership."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marketplace.domain import RuleViolationError

DEFAULT_TIME_ZONE = "Asia/Tokyo"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class MemberRole(StrEnum):
    """What a member may do for its organisation. Buyer and supplier also need the
    organisation to be one; auditors read the ledger; admins manage the members."""

    BUYER = "buyer"
    SUPPLIER = "supplier"
    AUDITOR = "auditor"
    ADMIN = "admin"


class EmailInvalidError(RuleViolationError):
    """An e-mail address must look like name@example.co.jp."""


class EmailTakenError(RuleViolationError):
    """One e-mail address, one member."""


class MemberRolesInvalidError(RuleViolationError):
    """A member's roles must be known and fit its organisation."""


class DisplayNameInvalidError(RuleViolationError):
    """A member needs a name others can recognise."""


class TimeZoneUnknownError(RuleViolationError):
    """Dates are shown in a named IANA time zone, e.g. Asia/Tokyo."""


@dataclass(frozen=True)
class Member:
    id: UUID
    organisation_id: UUID
    email: str
    display_name: str
    roles: frozenset[MemberRole]
    time_zone: str = DEFAULT_TIME_ZONE
    organisation_name: str = ""

    def has(self, *roles: MemberRole) -> bool:
        """Whether the member holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise EmailInvalidError(f"{value.strip()!r} is not an e-mail address; write it as "
                                "name@example.co.jp")
    return email


def display_name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > 100:
        raise DisplayNameInvalidError("give your name (at most 100 characters)")
    return name


def member_roles(values: Any, organisation_roles: frozenset[str]) -> frozenset[MemberRole]:
    roles = set()
    for value in values or ():
        try:
            roles.add(MemberRole(str(value).strip().lower()))
        except ValueError:
            raise MemberRolesInvalidError(
                f"{value!r} is not a role; a member is a buyer, supplier, auditor or admin"
            ) from None
    if not roles:
        raise MemberRolesInvalidError("choose at least one role for the member")
    for role in (MemberRole.BUYER, MemberRole.SUPPLIER):
        if role in roles and role.value not in organisation_roles:
            raise MemberRolesInvalidError(
                f"the organisation is not a {role.value}, so no member of it can be one")
    return frozenset(roles)


def encode_roles(roles: frozenset[MemberRole]) -> str:
    return " ".join(sorted(roles))


def decode_roles(text: str) -> frozenset[MemberRole]:
    return frozenset(MemberRole(role) for role in text.split())


def time_zone(value: str | None) -> str:
    name = (value or DEFAULT_TIME_ZONE).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneUnknownError(f"{name!r} is not a time zone; use one like Asia/Tokyo"
                                   ) from None
    return name

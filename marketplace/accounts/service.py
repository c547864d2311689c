"""Accounts: sign-up, members and their roles, invitations (log-in and sessions: sessions.py)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from events import reading, writing
from marketplace.accounts.members import (
    EmailTakenError,
    Member,
    MemberRole,
    decode_roles,
    display_name,
    encode_roles,
    member_roles,
    normalise_email,
    time_zone,
)
from marketplace.accounts.passwords import (
    hash_password,
    require_acceptable,
)
from marketplace.accounts.rows import hash_token, member_from_row, member_query
from marketplace.accounts.sessions import Sessions
from marketplace.accounts.tables import (
    invitations,
    members,
    organisation_settings,
)
from marketplace.application import Marketplace
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.domain.errors import NotPermittedError

INVITATION_LIFETIME = timedelta(days=7)


class InvitationNotFoundError(NotFoundError):
    """The invitation link is unknown, used or expired."""


class MemberNotFoundError(NotFoundError):
    """No member of this organisation has this id."""


class LastAdminError(RuleViolationError):
    """An organisation keeps at least one admin."""


@dataclass(frozen=True)
class InvitationView:
    id: UUID
    organisation_id: UUID
    email: str
    roles: frozenset[MemberRole]
    expires_at: datetime


class Accounts(Sessions):
    """The people of the marketplace and their sessions, beside the ledger (not on it)."""

    def __init__(self, marketplace: Marketplace) -> None:
        self.marketplace = marketplace
        self.engine = marketplace.engine
        #: id hash -> (member, started, last seen, when read by time.monotonic())
        self._sessions: dict[str, tuple[Member, datetime, datetime, float]] = {}

    # ---- sign-up and members -------------------------------------------------------------

    def sign_up(self, *, email: str, password: str, name: str,
                organisation: dict[str, Any], time_zone_name: str | None = None) -> Member:
        """Registers the organisation and its first member, an admin, in one transaction."""
        email = normalise_email(email)
        name = display_name(name)
        require_acceptable(password, email)
        zone = time_zone(time_zone_name)
        password_hash = hash_password(password)
        with self.marketplace.transaction() as session:
            self._require_email_free(session.connection(), email)
            registration = self.marketplace.register_organisation(**organisation)
            # The roles as the ledger recorded them (the domain normalised what was sent).
            registered = self.marketplace.organisations.get(registration.organisation_id)
            roles = frozenset({MemberRole.ADMIN, *(
                MemberRole(role) for role in (registered.roles if registered else ()))})
            member = Member(uuid.uuid4(), registration.organisation_id, email, name, roles, zone)
            connection = session.connection()
            connection.execute(sa.insert(organisation_settings).values(
                organisation_id=member.organisation_id, time_zone=zone))
            self._insert_member(connection, member, password_hash)
        return member

    def add_member(self, organisation_id: UUID, *, email: str, password_hash: str, name: str,
                   roles: Any) -> Member:
        """A member added by the operator (the demo seed), not through an invitation; the
        password comes hashed (``hash_password``), so many can share one costly hash."""
        email = normalise_email(email)
        granted = member_roles(roles, self._organisation_roles(organisation_id))
        member = Member(uuid.uuid4(), organisation_id, email, display_name(name), granted,
                        self.time_zone_of(organisation_id))
        with writing(self.engine) as connection:
            self._require_email_free(connection, email)
            self._insert_member(connection, member, password_hash)
        return member

    def invite(self, admin: Member, email: str, roles: Any) -> str:
        """An invitation link's secret token for ``email`` to join the admin's organisation."""
        if MemberRole.ADMIN not in admin.roles:
            raise NotPermittedError("only an admin of the organisation may invite members")
        email = normalise_email(email)
        granted = member_roles(roles, self._organisation_roles(admin.organisation_id))
        token = secrets.token_urlsafe(32)
        now = self.marketplace.clock()
        with writing(self.engine) as connection:
            self._require_email_free(connection, email)
            connection.execute(sa.insert(invitations).values(
                id=uuid.uuid4(), token_hash=hash_token(token),
                organisation_id=admin.organisation_id, email=email,
                roles=encode_roles(granted), invited_by=admin.id, created_at=now,
                expires_at=now + INVITATION_LIFETIME))
        return token

    def invitation(self, token: str) -> InvitationView:
        with reading(self.engine) as connection:
            row = connection.execute(sa.select(invitations).where(
                invitations.c.token_hash == hash_token(token),
                invitations.c.accepted_at.is_(None),
                invitations.c.expires_at > self.marketplace.clock())).one_or_none()
        if row is None:
            raise InvitationNotFoundError(
                "this invitation link is unknown, already used or expired; ask your "
                "organisation's admin for a new one")
        return InvitationView(row.id, row.organisation_id, row.email, decode_roles(row.roles),
                              row.expires_at)

    def pending_invitations(self, organisation_id: UUID) -> list[InvitationView]:
        with reading(self.engine) as connection:
            rows = connection.execute(sa.select(invitations).where(
                invitations.c.organisation_id == organisation_id,
                invitations.c.accepted_at.is_(None),
                invitations.c.expires_at > self.marketplace.clock())
                .order_by(invitations.c.created_at)).all()
        return [InvitationView(row.id, row.organisation_id, row.email, decode_roles(row.roles),
                               row.expires_at) for row in rows]

    def accept_invitation(self, token: str, *, name: str, password: str) -> Member:
        invitation = self.invitation(token)
        name = display_name(name)
        require_acceptable(password, invitation.email)
        password_hash = hash_password(password)
        member = Member(uuid.uuid4(), invitation.organisation_id, invitation.email, name,
                        invitation.roles, self.time_zone_of(invitation.organisation_id))
        with writing(self.engine) as connection:
            used = connection.execute(sa.update(invitations).where(
                invitations.c.id == invitation.id, invitations.c.accepted_at.is_(None))
                .values(accepted_at=self.marketplace.clock()))
            if used.rowcount != 1:
                raise InvitationNotFoundError("this invitation was used a moment ago")
            self._require_email_free(connection, member.email)
            self._insert_member(connection, member, password_hash)
        return member

    def members_of(self, organisation_id: UUID) -> list[Member]:
        zone = self.time_zone_of(organisation_id)
        with reading(self.engine) as connection:
            rows = connection.execute(member_query().where(
                members.c.organisation_id == organisation_id).order_by(members.c.joined_at))
            return [member_from_row(row, zone) for row in rows]

    def member(self, member_id: UUID) -> Member | None:
        with reading(self.engine) as connection:
            row = connection.execute(member_query().where(members.c.id == member_id)
                                     ).one_or_none()
        return None if row is None else member_from_row(row, row.time_zone)

    def set_roles(self, admin: Member, member_id: UUID, roles: Any) -> None:
        """An admin changes a member's roles; the organisation keeps at least one admin."""
        if MemberRole.ADMIN not in admin.roles:
            raise NotPermittedError("only an admin of the organisation may change roles")
        granted = member_roles(roles, self._organisation_roles(admin.organisation_id))
        with writing(self.engine) as connection:
            found = connection.execute(sa.update(members).where(
                members.c.id == member_id, members.c.organisation_id == admin.organisation_id)
                .values(roles=encode_roles(granted)))
            if found.rowcount != 1:
                raise MemberNotFoundError(f"no member of your organisation has id {member_id}")
            admins = [row for row in connection.execute(sa.select(members.c.roles).where(
                members.c.organisation_id == admin.organisation_id)).scalars()
                if MemberRole.ADMIN in decode_roles(row)]
            if not admins:
                raise LastAdminError("keep at least one admin in the organisation")
        # Sessions read the roles afresh: the change applies at once in this worker, and
        # within SESSION_CACHE_SECONDS in the others.
        self._sessions = {key: value for key, value in self._sessions.items()
                          if value[0].id != member_id}

    def time_zone_of(self, organisation_id: UUID) -> str:
        with reading(self.engine) as connection:
            zone = connection.execute(sa.select(organisation_settings.c.time_zone).where(
                organisation_settings.c.organisation_id == organisation_id)).scalar()
        return zone or time_zone(None)

    # ---- helpers ---------------------------------------------------------------------------

    def _organisation_roles(self, organisation_id: UUID) -> frozenset[str]:
        view = self.marketplace.organisations.get(organisation_id)
        return frozenset() if view is None else frozenset(str(r) for r in view.roles)

    @staticmethod
    def _require_email_free(connection: sa.Connection, email: str) -> None:
        taken = connection.execute(sa.select(members.c.id).where(members.c.email == email)
                                   ).first()
        if taken is not None:
            raise EmailTakenError(f"{email} already belongs to a member; log in instead, or "
                                  "use another address")

    def _insert_member(self, connection: sa.Connection, member: Member,
                       password_hash: str) -> None:
        connection.execute(sa.insert(members).values(
            id=member.id, organisation_id=member.organisation_id, email=member.email,
            display_name=member.display_name, password_hash=password_hash,
            roles=encode_roles(member.roles), joined_at=self.marketplace.clock()))



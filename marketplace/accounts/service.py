"""Accounts: sign-up, invitations, log-in with a throttle, and server-side sessions.

Sessions live in the database, so every worker process sees the same ones. A session's token
is only ever stored hashed; a log-in always starts a new session (the id changes at login).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from events import reading, writing
from marketplace.accounts.members import (
    DEFAULT_TIME_ZONE,
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
    needs_rehash,
    require_acceptable,
    verify_password,
)
from marketplace.accounts.tables import (
    invitations,
    login_failures,
    members,
    organisation_settings,
    web_sessions,
)
from marketplace.application import Marketplace
from marketplace.domain import NotFoundError, RuleViolationError
from marketplace.domain.errors import NotPermittedError
from marketplace.readmodels.tables import organisations

SESSION_LIFETIME = timedelta(hours=12)
SESSION_IDLE = timedelta(minutes=30)
#: last_seen_at is written at most this often, so reading pages is not a write per request.
SESSION_TOUCH = timedelta(minutes=1)
#: A worker remembers a session it has read for this long (seconds), so a page does not cost a
#: query to know its member. Logging out ends it at once in this worker, within this in others.
SESSION_CACHE_SECONDS = 2.0
SESSION_CACHE_SIZE = 10_000
INVITATION_LIFETIME = timedelta(days=7)
#: Failed log-ins counted over this window: per account and address, per account, per address.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PAIR = 5
MAX_FAILURES_PER_ACCOUNT = 20
MAX_FAILURES_PER_ADDRESS = 50


class LoginRefusedError(NotPermittedError):
    """The e-mail address or the password is wrong (we do not say which)."""


class LoginThrottledError(NotPermittedError):
    """Too many failed log-ins; wait before trying again."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
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
            rows = connection.execute(_member_query().where(
                members.c.organisation_id == organisation_id).order_by(members.c.joined_at))
            return [_member(row, zone) for row in rows]

    def member(self, member_id: UUID) -> Member | None:
        with reading(self.engine) as connection:
            row = connection.execute(_member_query().where(members.c.id == member_id)
                                     ).one_or_none()
        return None if row is None else _member(row, row.time_zone)

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

    # ---- log-in and sessions -------------------------------------------------------------

    def log_in(self, email: str, password: str, address: str) -> tuple[Member, str]:
        """The member and a new session's token; refused (and counted) on a wrong password."""
        email = email.strip().lower()[:254]
        address = address[:64]
        now = self.marketplace.clock()
        attempt = self._count_attempt(email, address, now)
        with reading(self.engine) as connection:
            row = connection.execute(_member_query().where(members.c.email == email)
                                     ).one_or_none()
        if not verify_password(row.password_hash if row else None, password) or row is None:
            raise LoginRefusedError("the e-mail address or the password is wrong")
        member = _member(row, row.time_zone)
        token = secrets.token_urlsafe(32)
        with writing(self.engine) as connection:
            connection.execute(sa.delete(login_failures).where(sa.or_(
                login_failures.c.id == attempt, sa.and_(login_failures.c.email == email,
                                                        login_failures.c.address == address))))
            if needs_rehash(row.password_hash):
                connection.execute(sa.update(members).where(members.c.id == member.id)
                                   .values(password_hash=hash_password(password)))
            connection.execute(sa.insert(web_sessions).values(
                id_hash=hash_token(token), member_id=member.id, started_at=now,
                last_seen_at=now))
        return member, token

    def start_session(self, member: Member) -> str:
        """A new session for a member who has just proved who it is (sign-up, invitation)."""
        token = secrets.token_urlsafe(32)
        now = self.marketplace.clock()
        with writing(self.engine) as connection:
            connection.execute(sa.insert(web_sessions).values(
                id_hash=hash_token(token), member_id=member.id, started_at=now,
                last_seen_at=now))
        return token

    def resume(self, token: str) -> Member | None:
        """The session's member, or None when the session is unknown or timed out."""
        now = self.marketplace.clock()
        id_hash = hash_token(token)
        cached = self._sessions.get(id_hash)
        if cached is not None and time.monotonic() - cached[3] < SESSION_CACHE_SECONDS:
            member, started_at, last_seen_at, _read = cached
        else:
            with reading(self.engine) as connection:
                row = connection.execute(
                    _member_query(web_sessions.c.started_at, web_sessions.c.last_seen_at)
                    .join(web_sessions, web_sessions.c.member_id == members.c.id)
                    .where(web_sessions.c.id_hash == id_hash)).one_or_none()
            if row is None:
                self._sessions.pop(id_hash, None)
                return None
            member, started_at, last_seen_at = (_member(row, row.time_zone), row.started_at,
                                                row.last_seen_at)
        if now - started_at >= SESSION_LIFETIME or now - last_seen_at >= SESSION_IDLE:
            self.log_out(token)
            return None
        if now - last_seen_at >= SESSION_TOUCH:
            with writing(self.engine) as connection:
                connection.execute(sa.update(web_sessions).where(
                    web_sessions.c.id_hash == id_hash).values(last_seen_at=now))
            last_seen_at = now
        if cached is None or cached[2] != last_seen_at or cached[0] is not member:
            if len(self._sessions) >= SESSION_CACHE_SIZE:
                self._sessions.clear()
            self._sessions[id_hash] = (member, started_at, last_seen_at,
                                       cached[3] if cached and cached[0] is member
                                       else time.monotonic())
        return member

    def log_out(self, token: str) -> None:
        self._sessions.pop(hash_token(token), None)
        with writing(self.engine) as connection:
            connection.execute(sa.delete(web_sessions).where(
                web_sessions.c.id_hash == hash_token(token)))

    # ---- helpers ---------------------------------------------------------------------------

    def _count_attempt(self, email: str, address: str, now: datetime) -> int:
        """Refuses a throttled log-in; otherwise records the attempt as a failure until the
        password proves right (the row's id is returned to delete it then). Counting and
        recording are one serialised write, so parallel guesses cannot all pass the count."""
        since = now - THROTTLE_WINDOW
        failed = login_failures.c
        with writing(self.engine) as connection:
            if self.engine.dialect.name == "postgresql":
                key = int.from_bytes(hashlib.sha256(email.encode()).digest()[:8], "big",
                                     signed=True)
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
            pair, account, source = connection.execute(sa.select(
                sa.func.count().filter(sa.and_(failed.email == email, failed.address == address)),
                sa.func.count().filter(failed.email == email),
                sa.func.count().filter(failed.address == address),
            ).where(failed.failed_at >= since,
                    sa.or_(failed.email == email, failed.address == address))).one()
            if (pair >= MAX_FAILURES_PER_PAIR or account >= MAX_FAILURES_PER_ACCOUNT
                    or source >= MAX_FAILURES_PER_ADDRESS):
                minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
                raise LoginThrottledError(
                    f"too many failed log-ins; wait {minutes} minutes and try again, or ask "
                    "your organisation's admin to invite you again", retry_after=THROTTLE_WINDOW)
            connection.execute(sa.delete(login_failures).where(
                failed.failed_at < now - timedelta(days=1)))
            attempt: int = connection.execute(sa.insert(login_failures).values(
                email=email, address=address, failed_at=now).returning(failed.id)).scalar_one()
        return attempt

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


def _member_query(*extra: Any) -> sa.Select[Any]:
    return (sa.select(members, sa.func.coalesce(organisation_settings.c.time_zone,
                                                sa.literal(DEFAULT_TIME_ZONE)).label("time_zone"),
                      organisations.c.name_ja.label("organisation_name_ja"),
                      organisations.c.name_en.label("organisation_name_en"), *extra)
            .outerjoin(organisation_settings,
                       organisation_settings.c.organisation_id == members.c.organisation_id)
            .outerjoin(organisations, organisations.c.id == members.c.organisation_id))


def _member(row: Any, zone: str) -> Member:
    names = row._mapping
    organisation_name = (names.get("organisation_name_ja") or names.get("organisation_name_en")
                         or "")
    return Member(row.id, row.organisation_id, row.email, row.display_name,
                  decode_roles(row.roles), zone, organisation_name)

"""Log-in with a throttle, and server-side sessions.

Sessions live in the database, so every worker process sees the same ones. A session's token
is only ever stored hashed; a log-in always starts a new session (the id changes at login).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events import reading, writing
from marketplace.accounts.members import Member
from marketplace.accounts.passwords import hash_password, needs_rehash, verify_password
from marketplace.accounts.rows import hash_token, member_from_row, member_query
from marketplace.accounts.tables import login_failures, members, web_sessions
from marketplace.application import Marketplace
from marketplace.domain.errors import NotPermittedError

SESSION_LIFETIME = timedelta(hours=12)
SESSION_IDLE = timedelta(minutes=30)
#: last_seen_at is written at most this often, so reading pages is not a write per request.
SESSION_TOUCH = timedelta(minutes=1)
#: A worker remembers a session it has read for this long (seconds), so a page does not cost a
#: query to know its member. Logging out ends it at once in this worker, within this in others.
SESSION_CACHE_SECONDS = 2.0
SESSION_CACHE_SIZE = 10_000
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


class Sessions:
    """Log-in, log-out and the sessions of members (mixed into ``Accounts``)."""

    marketplace: Marketplace
    engine: Engine
    #: id hash -> (member, started, last seen, when read by time.monotonic())
    _sessions: dict[str, tuple[Member, datetime, datetime, float]]

    def log_in(self, email: str, password: str, address: str) -> tuple[Member, str]:
        """The member and a new session's token; refused (and counted) on a wrong password."""
        email = email.strip().lower()[:254]
        address = address[:64]
        now = self.marketplace.clock()
        attempt = self._count_attempt(email, address, now)
        with reading(self.engine) as connection:
            row = connection.execute(member_query().where(members.c.email == email)
                                     ).one_or_none()
        if not verify_password(row.password_hash if row else None, password) or row is None:
            raise LoginRefusedError("the e-mail address or the password is wrong")
        member = member_from_row(row, row.time_zone)
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
                    member_query(web_sessions.c.started_at, web_sessions.c.last_seen_at)
                    .join(web_sessions, web_sessions.c.member_id == members.c.id)
                    .where(web_sessions.c.id_hash == id_hash)).one_or_none()
            if row is None:
                self._sessions.pop(id_hash, None)
                return None
            member, started_at, last_seen_at = (member_from_row(row, row.time_zone), row.started_at,
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

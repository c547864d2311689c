"""Accounts: members of organisations, their roles, invitations and web sessions."""

from marketplace.accounts.members import DEFAULT_TIME_ZONE, Member, MemberRole
from marketplace.accounts.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from marketplace.accounts.service import Accounts, InvitationView
from marketplace.accounts.sessions import (
    SESSION_IDLE,
    SESSION_LIFETIME,
    LoginRefusedError,
    LoginThrottledError,
)

__all__ = ["DEFAULT_TIME_ZONE", "MIN_PASSWORD_LENGTH", "SESSION_IDLE", "SESSION_LIFETIME",
           "Accounts", "InvitationView", "LoginRefusedError", "LoginThrottledError", "Member",
           "MemberRole"]

"""The procurement domain: aggregates, value objects and the business rules they enforce.

Pure: it imports the standard library and ``eventsourcing.domain`` only (a test checks).
"""

from marketplace.domain.errors import NotFoundError, RuleViolationError
from marketplace.domain.organisation import (
    ApiTokenAlreadyRevokedError,
    ApiTokenNotFoundError,
    Organisation,
    Profile,
    Role,
    normalise_capability,
)
from marketplace.domain.prefectures import PREFECTURES, Prefecture

__all__ = ["PREFECTURES", "ApiTokenAlreadyRevokedError", "ApiTokenNotFoundError",
           "NotFoundError", "Organisation", "Prefecture", "Profile", "Role",
           "RuleViolationError", "normalise_capability"]

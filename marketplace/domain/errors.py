"""The base of every business-rule error: its message tells a person what to change."""


class RuleViolationError(Exception):
    """A command broke a business rule; nothing was recorded."""

    @property
    def code(self) -> str:
        """A stable machine-readable name, e.g. ``organisation_name_missing``."""
        name = type(self).__name__.removesuffix("Error")
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

    @property
    def message(self) -> str:
        return str(self)


class NotFoundError(Exception):
    """The named record does not exist (or the caller may not know that it does)."""


class NotPermittedError(RuleViolationError):
    """The acting organisation may not do this (it is not its record, or not its role)."""

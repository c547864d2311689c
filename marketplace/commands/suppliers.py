"""Suppliers' commands about themselves: publishing what they can do."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from marketplace.commands.base import Commands
from marketplace.domain.supplier_profile import SUPPLIER_PROFILE_FIELDS


class SupplierProfileCommands(Commands):
    """What a supplier says it can do, so that buyers of any industry can find it."""

    def publish_supplier_profile(self, organisation_id: UUID, **changes: Any) -> bool:
        """Publishes the supplier profile (all of it the first time; later, the fields given
        replace the published ones); returns whether anything changed."""
        unknown = set(changes) - SUPPLIER_PROFILE_FIELDS
        if unknown:
            raise TypeError(f"not supplier profile fields: {', '.join(sorted(unknown))}")

        def decide() -> bool:
            organisation = self._organisation(organisation_id)
            changed = organisation.publish_supplier_profile(at=self.clock(), **changes)
            if changed:
                self.save(organisation)
            return changed
        return self.command(decide)

"""Read models: tables written by projectors in the command's transaction, and their queries."""

from events import Projectors
from marketplace.readmodels import lot_projectors as _lots
from marketplace.readmodels import organisations as _organisations
from marketplace.readmodels.allocation_queries import AllocationQueries, AllocationView
from marketplace.readmodels.idempotency import idempotency_keys
from marketplace.readmodels.lot_queries import LotQueries, Viewer
from marketplace.readmodels.organisations import (
    ApiTokenView,
    OrganisationQueries,
    OrganisationView,
    hash_api_token,
)
from marketplace.readmodels.tables import metadata


def build_projectors() -> Projectors:
    """Every read-model projector of the marketplace, registered per event type."""
    projectors = Projectors()
    _organisations.register(projectors)
    _lots.register(projectors)
    return projectors


__all__ = ["AllocationQueries", "AllocationView", "ApiTokenView", "LotQueries",
           "OrganisationQueries", "OrganisationView", "Viewer", "build_projectors",
           "hash_api_token", "idempotency_keys", "metadata"]

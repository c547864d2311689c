"""Read models: tables written by projectors in the command's transaction, and their queries."""

from events import Projectors
from marketplace.readmodels import audit_tables as _audit_tables  # noqa: F401 (registers it)
from marketplace.readmodels import ledger_index as _ledger_index
from marketplace.readmodels import lot_projectors as _lots
from marketplace.readmodels import organisations as _organisations
from marketplace.readmodels import rfq_projectors as _rfqs
from marketplace.readmodels import supplier_profiles as _supplier_profiles
from marketplace.readmodels.allocation_queries import AllocationQueries, AllocationView
from marketplace.readmodels.idempotency import idempotency_keys
from marketplace.readmodels.lot_queries import LotQueries, Viewer
from marketplace.readmodels.organisations import (
    ApiTokenView,
    OrganisationQueries,
    OrganisationView,
    hash_api_token,
)
from marketplace.readmodels.rfq_queries import RfqQueries
from marketplace.readmodels.tables import metadata


def build_projectors() -> Projectors:
    """Every read-model projector of the marketplace, registered per event type."""
    projectors = Projectors()
    _organisations.register(projectors)
    _lots.register(projectors)
    _rfqs.register(projectors)
    _supplier_profiles.register(projectors)
    _ledger_index.register(projectors)
    return projectors


__all__ = ["AllocationQueries", "AllocationView", "ApiTokenView", "LotQueries",
           "OrganisationQueries", "OrganisationView", "RfqQueries", "Viewer", "build_projectors",
           "hash_api_token", "idempotency_keys", "metadata"]

"""Read models: tables written by projectors in the command's transaction, and their queries."""

from events import Projectors
from marketplace.readmodels import organisations as _organisations
from marketplace.readmodels.organisations import (
    OrganisationQueries,
    OrganisationView,
    hash_api_token,
)
from marketplace.readmodels.tables import metadata


def build_projectors() -> Projectors:
    """Every read-model projector of the marketplace, registered per event type."""
    projectors = Projectors()
    _organisations.register(projectors)
    return projectors


__all__ = ["OrganisationQueries", "OrganisationView", "build_projectors", "hash_api_token",
           "metadata"]

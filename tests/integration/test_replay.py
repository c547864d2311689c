"""A replay of the ledger rebuilds read models identical to the live ones."""

import sqlalchemy as sa

from events import engine_for, rebuild_read_models
from marketplace.application import Marketplace
from marketplace.demo import ORGANISATIONS, seed_demo_cluster
from marketplace.readmodels.tables import organisation_capabilities, organisations
from tests.helpers import GUNMA_PRESS, read_model_rows


def some_history(marketplace: Marketplace) -> None:
    seed_demo_cluster(marketplace)
    organisation_id = marketplace.register_organisation(**GUNMA_PRESS).organisation_id
    marketplace.update_organisation_profile(organisation_id, roles=["supplier"])
    marketplace.update_organisation_profile(organisation_id, capabilities=["deep drawing"])


def test_a_rebuild_equals_the_live_read_models(marketplace: Marketplace, migrated_url: str) -> None:
    some_history(marketplace)
    live = read_model_rows(migrated_url)

    replayed = rebuild_read_models(marketplace, batch_size=7)

    assert replayed == marketplace.position()
    assert read_model_rows(migrated_url) == live
    assert len(live["organisations"]) == len(ORGANISATIONS) + 1
    assert {"lots", "bids", "bid_members", "lot_commitments", "lot_allocations"} <= {
        t for t, r in live.items() if r}


def test_a_rebuild_repairs_damaged_read_models(marketplace: Marketplace, migrated_url: str) -> None:
    some_history(marketplace)
    live = read_model_rows(migrated_url)
    with engine_for(migrated_url).begin() as connection:
        connection.execute(sa.delete(organisation_capabilities))
        connection.execute(sa.update(organisations).values(name_en="tampered"))

    rebuild_read_models(marketplace)

    assert read_model_rows(migrated_url) == live


def test_progress_is_reported_after_each_batch(marketplace: Marketplace) -> None:
    some_history(marketplace)
    seen: list[int] = []

    rebuild_read_models(marketplace, batch_size=5, progress=seen.append)

    total = marketplace.position()
    assert seen == [*range(5, total, 5), total]

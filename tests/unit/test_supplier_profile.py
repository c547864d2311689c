"""A supplier's profile: validated in the vocabulary's terms, published as events, replayed."""

from datetime import UTC, datetime
from typing import Any

import pytest

from marketplace.domain import Organisation, Profile
from marketplace.domain.capabilities import UnknownCapabilityTermError
from marketplace.domain.supplier_profile import (
    MAX_DESCRIPTION_LENGTH,
    NotASupplierError,
    SupplierCapacityTooLongError,
    SupplierDescriptionMissingError,
    SupplierDescriptionTooLongError,
    SupplierProcessesMissingError,
    SupplierProfile,
    TooManyCapabilityTermsError,
)

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PRESS_SHOP: dict[str, Any] = {
    "processes": ["プレス加工", "deep drawing"], "materials": ["SPCC", "ハイテン"],
    "certifications": ["IATF 16949"], "industries": ["自動車"],
    "capacity": "200t presses × 12", "description_ja": "自動車向けの順送プレス部品を量産"}


def an_organisation(roles: tuple[str, ...] = ("supplier",)) -> Organisation:
    return Organisation.register(Profile.create(
        name_ja="太田プレス", name_en=None, roles=list(roles), prefecture="Gunma"), at=AT)


def replayed(organisation: Organisation) -> Organisation:
    rebuilt = None
    for recorded in organisation.collect_events():
        rebuilt = recorded.mutate(rebuilt)
    assert isinstance(rebuilt, Organisation)
    return rebuilt


def test_a_profile_keeps_the_vocabulary_codes_of_the_names_it_was_given() -> None:
    profile = SupplierProfile.create(**PRESS_SHOP)

    assert profile.processes == ("deep_drawing", "press")
    assert profile.materials == ("high_tensile_steel", "spcc")
    assert profile.certifications == ("iatf_16949",)
    assert profile.industries == ("automotive",)


def test_texts_are_kept_on_one_line_with_single_spaces() -> None:
    profile = SupplierProfile.create(processes=["press"], description_en="  Stamped \n parts  ",
                                     capacity="   ")

    assert profile.description_en == "Stamped parts"
    assert profile.capacity is None


def test_a_profile_names_at_least_one_process() -> None:
    with pytest.raises(SupplierProcessesMissingError, match="vocabulary"):
        SupplierProfile.create(processes=[], description_en="We make things")


def test_a_profile_says_what_the_supplier_delivers_in_some_language() -> None:
    with pytest.raises(SupplierDescriptionMissingError, match="description_ja"):
        SupplierProfile.create(processes=["press"], description_ja=" ", description_en=None)


def test_an_unknown_process_is_refused_by_name() -> None:
    with pytest.raises(UnknownCapabilityTermError, match="'hydroforming' is not a process"):
        SupplierProfile.create(processes=["hydroforming"], description_en="Tubes")


def test_an_overlong_description_is_refused_with_its_length() -> None:
    with pytest.raises(SupplierDescriptionTooLongError, match=f"{MAX_DESCRIPTION_LENGTH + 1} "):
        SupplierProfile.create(processes=["press"],
                               description_en="x" * (MAX_DESCRIPTION_LENGTH + 1))


def test_an_overlong_capacity_note_is_refused() -> None:
    with pytest.raises(SupplierCapacityTooLongError):
        SupplierProfile.create(processes=["press"], description_en="Parts", capacity="9" * 201)


def test_more_terms_of_a_kind_than_a_buyer_could_weigh_are_refused() -> None:
    with pytest.raises(TooManyCapabilityTermsError, match="keep the 15"):
        SupplierProfile.create(processes=[
            "press", "deep_drawing", "sheet_metal", "laser_cutting", "precision_machining",
            "turning", "grinding", "injection_moulding", "insert_moulding", "blow_moulding",
            "casting", "die_casting", "forging", "welding", "pipe_bending", "plating"],
            description_en="Everything")


def test_only_a_supplier_publishes_a_supplier_profile() -> None:
    buyer = an_organisation(roles=("buyer",))

    with pytest.raises(NotASupplierError, match="add 'supplier'"):
        buyer.publish_supplier_profile(at=AT, **PRESS_SHOP)

    assert buyer.supplier_profile is None


def test_the_first_publication_records_every_field() -> None:
    organisation = an_organisation()

    assert organisation.publish_supplier_profile(at=AT, **PRESS_SHOP)

    published = organisation.collect_events()[-1]
    assert isinstance(published, Organisation.SupplierProfilePublished)
    assert published.changes == SupplierProfile.create(**PRESS_SHOP).as_event_data()


def test_a_later_publication_records_only_what_changed() -> None:
    organisation = an_organisation()
    organisation.publish_supplier_profile(at=AT, **PRESS_SHOP)

    organisation.publish_supplier_profile(at=AT, materials=["SPCC", "SUS304", "ハイテン"],
                                          description_en="Stampings for car makers")

    changed = organisation.collect_events()[-1]
    assert isinstance(changed, Organisation.SupplierProfilePublished)
    assert changed.changes == {"materials": ["high_tensile_steel", "spcc", "sus304"],
                               "description_en": "Stampings for car makers"}


def test_publishing_the_same_profile_again_records_nothing() -> None:
    organisation = an_organisation()
    organisation.publish_supplier_profile(at=AT, **PRESS_SHOP)
    organisation.collect_events()

    changed = organisation.publish_supplier_profile(at=AT, processes=["press", "深絞り"])

    assert not changed
    assert organisation.collect_events() == []


def test_a_change_is_validated_against_the_whole_profile() -> None:
    organisation = an_organisation()
    organisation.publish_supplier_profile(at=AT, **PRESS_SHOP)

    with pytest.raises(SupplierDescriptionMissingError):
        organisation.publish_supplier_profile(at=AT, description_ja=None)


def test_the_events_replay_to_the_same_profile() -> None:
    organisation = an_organisation()
    organisation.publish_supplier_profile(at=AT, **PRESS_SHOP)
    organisation.publish_supplier_profile(at=AT, capacity=None, certifications=[])
    expected = organisation.supplier_profile

    assert replayed(organisation).supplier_profile == expected
    assert expected is not None
    assert expected.capacity is None


def test_an_organisation_recorded_before_supplier_profiles_existed_replays_without_one() -> None:
    organisation = an_organisation()

    assert replayed(organisation).supplier_profile is None

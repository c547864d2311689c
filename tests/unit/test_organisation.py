from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from marketplace.domain import Organisation, Prefecture, Profile, Role
from marketplace.domain.organisation import (
    ApiTokenAlreadyRevokedError,
    ApiTokenLabelTooLongError,
    ApiTokenNotFoundError,
    CapabilityTagInvalidError,
    ClusterNameInvalidError,
    OrganisationNameMissingError,
    OrganisationNameTooLongError,
    OrganisationRoleMissingError,
    TooManyCapabilitiesError,
    TooManyClustersError,
    UnknownRoleError,
)
from marketplace.domain.prefectures import UnknownPrefectureError

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def a_profile(**overrides: object) -> Profile:
    fields: dict[str, object] = {"name_ja": "上州プレス", "name_en": None, "roles": ["buyer"],
                                 "prefecture": "Gunma", "capabilities": []}
    fields.update(overrides)
    return Profile.create(**fields)  # type: ignore[arg-type]


def test_a_profile_is_normalised_to_canonical_roles_tags_and_prefecture() -> None:
    profile = a_profile(name_ja="  上州   プレス ", roles=["Supplier", "buyer"],
                        prefecture="群馬県",
                        capabilities=["Press", "ＳＰＣＣ", "press", "sheet  metal"])

    assert profile.name_ja == "上州 プレス"
    assert profile.roles == frozenset({Role.BUYER, Role.SUPPLIER})
    assert profile.prefecture.code == "JP-10"
    assert profile.capabilities == ("press", "sheet metal", "spcc")


def test_an_organisation_needs_a_name_in_some_language() -> None:
    with pytest.raises(OrganisationNameMissingError, match="name_ja"):
        a_profile(name_ja="   ", name_en=None)


def test_an_english_name_alone_is_enough() -> None:
    assert a_profile(name_ja=None, name_en="Kanto Lubricants").name_en == "Kanto Lubricants"


def test_an_overlong_name_is_rejected_with_its_length() -> None:
    with pytest.raises(OrganisationNameTooLongError, match="121 characters"):
        a_profile(name_en="x" * 121)


def test_an_organisation_must_buy_or_supply() -> None:
    with pytest.raises(OrganisationRoleMissingError):
        a_profile(roles=[])


def test_an_unknown_role_is_named_in_the_error() -> None:
    with pytest.raises(UnknownRoleError, match="'auditor'"):
        a_profile(roles=["buyer", "auditor"])


@pytest.mark.parametrize("tag", ["", "   ", "x" * 41])
def test_capability_tags_must_have_one_to_forty_characters(tag: str) -> None:
    with pytest.raises(CapabilityTagInvalidError):
        a_profile(capabilities=[tag])


def test_more_than_thirty_capability_tags_are_too_many() -> None:
    with pytest.raises(TooManyCapabilitiesError, match="31"):
        a_profile(capabilities=[f"tag {i}" for i in range(31)])


@pytest.mark.parametrize(("text", "code"), [
    ("JP-10", "JP-10"), ("10", "JP-10"), ("gunma", "JP-10"), ("群馬", "JP-10"),
    ("京都府", "JP-26"), ("京都", "JP-26"), ("東京", "JP-13"), ("北海道", "JP-01"), ("9", "JP-09"),
])
def test_a_prefecture_is_found_by_code_number_or_name(text: str, code: str) -> None:
    assert Prefecture.parse(text).code == code


@pytest.mark.parametrize("text", ["Mars", "京", "48", ""])
def test_an_unknown_prefecture_is_rejected(text: str) -> None:
    with pytest.raises(UnknownPrefectureError):
        Prefecture.parse(text)


def test_registering_records_the_profile_and_the_clock_time() -> None:
    organisation = Organisation.register(a_profile(), at=AT)

    [registered] = organisation.collect_events()
    assert isinstance(registered, Organisation.Registered)
    assert registered.timestamp == AT
    assert registered.prefecture == "JP-10"
    assert organisation.profile == a_profile()


def test_an_update_that_changes_nothing_records_nothing() -> None:
    organisation = Organisation.register(a_profile(), at=AT)
    organisation.collect_events()

    changed = organisation.update_profile(at=AT, name_ja="上州プレス", prefecture="JP-10")

    assert changed is False
    assert organisation.collect_events() == []


def test_an_update_is_validated_as_a_whole_profile() -> None:
    organisation = Organisation.register(a_profile(name_en=None), at=AT)

    with pytest.raises(OrganisationNameMissingError):
        organisation.update_profile(at=AT, name_ja=None)
    assert organisation.profile.name_ja == "上州プレス"


def test_replaying_the_events_rebuilds_the_same_organisation() -> None:
    organisation = Organisation.register(a_profile(), at=AT)
    organisation.update_profile(at=AT, roles=["buyer", "supplier"], capabilities=["press"])
    events = organisation.collect_events()

    replayed = None
    for domain_event in events:
        replayed = domain_event.mutate(replayed)

    assert replayed is not None
    assert replayed.profile == organisation.profile
    assert replayed.version == 2


def test_clusters_are_normalised_like_capability_tags_deduplicated_and_sorted() -> None:
    profile = a_profile(clusters=["Gunma-Press-Kai", "両毛ものづくりネット",
                                  "ＧＵＮＭＡ-press-kai ", "kita  kanto"])

    assert profile.clusters == ("gunma-press-kai", "kita kanto", "両毛ものづくりネット")


def test_a_profile_without_clusters_belongs_to_none() -> None:
    assert a_profile().clusters == ()


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_cluster_names_must_have_one_to_sixty_characters(name: str) -> None:
    with pytest.raises(ClusterNameInvalidError, match="1 to 60 characters"):
        a_profile(clusters=["gunma-press-kai", name])


def test_a_sixty_character_cluster_name_is_accepted() -> None:
    assert a_profile(clusters=["x" * 60]).clusters == ("x" * 60,)


def test_more_than_ten_clusters_are_too_many() -> None:
    with pytest.raises(TooManyClustersError, match="11 clusters"):
        a_profile(clusters=[f"cluster {i}" for i in range(11)])


def test_registering_records_the_clusters_and_an_update_records_only_their_change() -> None:
    organisation = Organisation.register(a_profile(clusters=["gunma-press-kai"]), at=AT)

    organisation.update_profile(at=AT, clusters=["Gunma-Press-Kai", "両毛ものづくりネット"])

    registered, updated = organisation.collect_events()
    assert isinstance(registered, Organisation.Registered)
    assert registered.clusters == ["gunma-press-kai"]
    assert isinstance(updated, Organisation.ProfileUpdated)
    assert updated.changes == {"clusters": ["gunma-press-kai", "両毛ものづくりネット"]}


def test_a_registration_recorded_before_clusters_existed_replays_with_none() -> None:
    registered = Organisation.register(a_profile(), at=AT).collect_events()[0]
    del registered.__dict__["clusters"]  # as decoded from a ledger entry of the older code

    organisation = registered.mutate(None)

    assert organisation is not None
    assert organisation.profile.clusters == ()


def an_organisation_with_a_token() -> tuple[Organisation, UUID]:
    organisation = Organisation.register(a_profile(), at=AT)
    token_id = uuid4()
    organisation.issue_api_token(token_id, "0" * 64, at=AT, label="  ERP   export ")
    return organisation, token_id


def test_a_token_is_issued_live_with_its_label_tidied() -> None:
    organisation, token_id = an_organisation_with_a_token()

    issued = organisation.collect_events()[-1]

    assert isinstance(issued, Organisation.ApiTokenIssued)
    assert issued.label == "ERP export"
    assert organisation.live_api_tokens == {token_id}


def test_an_overlong_token_label_is_rejected_and_no_token_is_issued() -> None:
    organisation = Organisation.register(a_profile(), at=AT)

    with pytest.raises(ApiTokenLabelTooLongError, match="81 characters"):
        organisation.issue_api_token(uuid4(), "0" * 64, at=AT, label="x" * 81)
    assert organisation.live_api_tokens == set()


def test_revoking_a_live_token_records_the_revocation_and_it_is_no_longer_live() -> None:
    organisation, token_id = an_organisation_with_a_token()
    organisation.collect_events()

    organisation.revoke_api_token(token_id, at=AT)

    [revoked] = organisation.collect_events()
    assert isinstance(revoked, Organisation.ApiTokenRevoked)
    assert revoked.token_id == token_id
    assert revoked.timestamp == AT
    assert organisation.live_api_tokens == set()


def test_revoking_a_token_the_organisation_never_issued_is_not_found() -> None:
    organisation, _ = an_organisation_with_a_token()
    organisation.collect_events()
    unknown = uuid4()

    with pytest.raises(ApiTokenNotFoundError, match=str(unknown)):
        organisation.revoke_api_token(unknown, at=AT)
    assert organisation.collect_events() == []


def test_revoking_a_token_twice_is_refused_and_records_nothing_more() -> None:
    organisation, token_id = an_organisation_with_a_token()
    organisation.revoke_api_token(token_id, at=AT)
    organisation.collect_events()

    with pytest.raises(ApiTokenAlreadyRevokedError, match="already revoked"):
        organisation.revoke_api_token(token_id, at=AT)
    assert organisation.collect_events() == []


def test_a_token_issued_before_labels_existed_replays_and_can_be_revoked() -> None:
    organisation, token_id = an_organisation_with_a_token()
    events = organisation.collect_events()
    del events[-1].__dict__["label"]  # as decoded from a ledger entry of the older code
    replayed = None
    for domain_event in events:
        replayed = domain_event.mutate(replayed)
    assert isinstance(replayed, Organisation)

    replayed.revoke_api_token(token_id, at=AT)

    assert replayed.live_api_tokens == set()
    assert replayed.revoked_api_tokens == {token_id}

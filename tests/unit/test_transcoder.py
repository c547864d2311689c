"""The ledger's transcoder writes what eventsourcing's JSONTranscoder writes and reads back the
same objects, including from input the library would reject."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given
from hypothesis import strategies as st

from events.ledger import DateAsISO
from events.transcoder import LedgerTranscoder, uuid_from_hex


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY = _registered(JSONTranscoder())
OURS = _registered(LedgerTranscoder())

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False) | st.dates()
    | st.datetimes(timezones=st.just(UTC)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                   max_size=4),
    max_leaves=20)


@given(values)
def test_encodes_alike_and_decodes_to_the_same_objects(value: Any) -> None:
    encoded = OURS.encode({"value": value})
    assert encoded == LIBRARY.encode({"value": value})
    ours, theirs = OURS.decode(encoded), LIBRARY.decode(encoded)
    assert ours == theirs
    assert repr(ours) == repr(theirs)  # the same types, not just equal values


@given(st.uuids())
def test_a_uuid_from_its_hex_is_the_uuid(value: UUID) -> None:
    made = uuid_from_hex(value.hex)
    assert made == value
    assert type(made) is UUID
    assert hash(made) == hash(value)
    assert made.is_safe == value.is_safe


@pytest.mark.parametrize("text", [
    "-" + "f" * 31, "{" + "0" * 30 + "}", "urn:uuid:" + "0" * 23, "not a uuid at all",
    "0" * 31, "0" * 33, "g" * 32])
def test_hex_that_is_not_a_uuid_fails_as_uuid_fails(text: str) -> None:
    with pytest.raises(ValueError, match=r"badly formed|invalid literal") as ours:
        uuid_from_hex(text)
    with pytest.raises(ValueError, match=r"badly formed|invalid literal") as theirs:
        UUID(text)
    assert str(ours.value) == str(theirs.value)


def test_dicts_that_only_look_transcoded_stay_data() -> None:
    for text in ('{"_type_":"uuid_hex"}', '{"_data_":"x","other":1}',
                 '{"a":1,"b":2}'):
        assert OURS.decode(text.encode()) == LIBRARY.decode(text.encode())


@pytest.mark.parametrize(("text", "named"), [
    (b'{"_type_":"money","_data_":"1"}', "'money'"), (b'{"_type_":null,"_data_":"1"}', "'None'")])
def test_an_unknown_transcoding_is_an_error_naming_it(text: bytes, named: str) -> None:
    for transcoder in (OURS, LIBRARY):
        with pytest.raises(TranscodingNotRegisteredError, match=named):
            transcoder.decode(text)


def test_known_values_round_trip() -> None:
    value = {"id": UUID(int=7), "at": datetime(2026, 11, 21, 9, tzinfo=UTC),
             "on": date(2026, 11, 21), "price": Decimal("12.50")}
    assert OURS.decode(OURS.encode(value)) == value

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


def outcome(decode: Any, text: Any) -> object:
    """What decoding gives: the value, or the error's type and message."""
    try:
        return decode(text)
    except Exception as error:  # the error is the outcome compared
        return type(error), str(error)


@pytest.mark.parametrize("text", [
    "-" + "f" * 31, "-" + "0" * 31, " " + "0" * 31, "0x" + "0" * 30, "+" + "0" * 31,
    "0_" + "0" * 30, "{" + "0" * 30 + "}", "urn:uuid:" + "0" * 23, "not a uuid at all",
    "0" * 31, "0" * 33, "g" * 32, "F" * 32, 7, None])
def test_anything_not_plain_hex_decodes_as_the_library_decodes_it(text: Any) -> None:
    assert outcome(uuid_from_hex, text) == outcome(UUIDAsHex().decode, text)


@pytest.mark.parametrize("text", [
    b'{"_type_":"uuid_hex","_data_":7}', b'{"_type_":"datetime_iso","_data_":7}',
    b'{"_type_":"uuid_hex","_data_":null}'])
def test_data_of_the_wrong_type_fails_as_the_library_fails(text: bytes) -> None:
    with pytest.raises(Exception) as ours:  # noqa: PT011 (whatever the library raises)
        OURS.decode(text)
    with pytest.raises(Exception) as theirs:  # noqa: PT011
        LIBRARY.decode(text)
    assert type(ours.value) is type(theirs.value)


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

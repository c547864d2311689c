"""The ledger's transcoder: eventsourcing's JSON format, read back with less work.

Writes exactly what ``JSONTranscoder`` writes (so stored events, and the leaf hashes taken
over them, do not change) and reads it back into the same objects. Decoding is most of the
cost of loading an aggregate and of verifying the ledger; the library's hook spends more on
looking up and calling the transcoding than on the value, and ``UUID(hex)`` re-checks a
string our own encoder wrote. Here the hook is one dict lookup, and a UUID written as 32 hex
digits is built from them directly (anything else goes through ``UUID`` and its checks).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, SafeUUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

_new = object.__new__
_set = object.__setattr__


def uuid_from_hex(text: str) -> UUID:
    """``UUID(text)`` for the 32 hex digits ``UUID.hex`` writes, without its parsing; anything
    else (a sign, spaces, ``0x``, not a string) goes through the library's own decoding."""
    if type(text) is str and len(text) == 32 and text.isalnum() and text[1] not in "xX":
        try:
            value = int(text, 16)
        except ValueError:
            return _LIBRARY_UUID.decode(text)  # its error, naming what is wrong
        made: UUID = _new(UUID)
        _set(made, "int", value)
        _set(made, "is_safe", SafeUUID.unknown)
        return made
    return _LIBRARY_UUID.decode(text)


def _datetime(text: str) -> datetime:
    return datetime.fromisoformat(text) if type(text) is str else _LIBRARY_DATETIME.decode(text)


_LIBRARY_UUID, _LIBRARY_DATETIME = UUIDAsHex(), DatetimeAsISO()
#: What the library's transcodings do to decode, called without the method in between.
DIRECT: dict[type[Transcoding], Callable[[Any], Any]] = {
    UUIDAsHex: uuid_from_hex, DatetimeAsISO: _datetime, DecimalAsStr: Decimal}


class LedgerTranscoder(JSONTranscoder):
    def __init__(self) -> None:
        super().__init__()
        decoders: dict[str, Callable[[Any], Any]] = {}
        library_hook = self._decode_obj

        def decode_value(d: dict[str, Any]) -> Any:
            # A transcoded value is {"_type_": name, "_data_": data}; anything else is data.
            if len(d) == 2:
                name = d.get("_type_")
                if name is not None or "_type_" in d:
                    decode = decoders.get(name)  # type: ignore[arg-type]
                    if decode is not None and "_data_" in d:
                        return decode(d["_data_"])
                    return library_hook(d)  # its error for a name it does not know
            return d

        self._decoders = decoders
        self.decoder = json.JSONDecoder(object_hook=decode_value)

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._decoders[transcoding.name] = DIRECT.get(type(transcoding), transcoding.decode)

"""The Idempotency-Key contract, one helper for every POST of the API.

A POST may carry ``Idempotency-Key: <1 to 200 printable ASCII characters>``. The first
request with a key runs and its answer (status and body) is stored with the key, in the same
transaction as its effect; the same request with the same key is answered with the stored
answer and ``Idempotent-Replayed: true``, and records nothing. The same key with another
request (method, path or body) is a 422 ``idempotency_key_reused``. A request that fails
stores nothing, so it may be corrected and sent again with the same key. Keys are scoped to
the acting organisation (``anonymous`` for registration, the one POST without a token).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast
from uuid import UUID

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException
from litestar.serialization import encode_json

from marketplace.application import Marketplace

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
ANONYMOUS = "anonymous"
_VALID_KEY = re.compile(r"[\x20-\x7e]{1,200}")

T = TypeVar("T")


def idempotent(request: Request[Any, Any, Any], marketplace: Marketplace, scope: UUID | None,
               data: object, produce: Callable[[], tuple[int, T]]) -> Response[T]:
    """Runs ``produce`` (a command, then the read of its result) at most once per key.

    ``scope`` is the acting organisation (None before there is one); ``data`` is the decoded
    body, which with the method and path identifies the request.
    """
    def encoded() -> tuple[int, bytes]:
        status_code, view = produce()
        return status_code, encode_json(view)

    key = request.headers.get(IDEMPOTENCY_KEY)
    headers: dict[str, str] = {}
    if key is None:
        status_code, body = encoded()
    else:
        if not _VALID_KEY.fullmatch(key):
            raise ClientException(
                f"the {IDEMPOTENCY_KEY} header must be 1 to 200 printable ASCII characters; "
                "a UUID v4 makes a good key")
        answer = marketplace.once(ANONYMOUS if scope is None else str(scope), key,
                                  fingerprint(request, data), encoded)
        status_code, body = answer.status_code, answer.body
        if answer.replayed:
            headers[REPLAYED] = "true"
    # The body is already JSON (it may be a stored answer): Litestar sends bytes as they are.
    return Response(cast(T, body), status_code=status_code, media_type=MediaType.JSON,
                    headers=headers)


def fingerprint(request: Request[Any, Any, Any], data: object) -> str:
    """SHA-256 of the method, the path and the body as canonical JSON (keys sorted)."""
    canonical = msgspec.json.encode(msgspec.to_builtins(data), order="sorted")
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()

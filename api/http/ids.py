"""Global, opaque ids: base64url("Type:pk")."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from api.http.errors import PublicError


@lru_cache(maxsize=65536)  # the same rows are answered over and over: encoded once each
def encode_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_id(global_id: str) -> tuple[str, int]:
    try:
        raw = str(global_id).strip()
        raw += "=" * (-len(raw) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(raw.encode()).decode().partition(":")
        number = int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PublicError("INVALID_INPUT", f"Not a valid id: {global_id!r}.") from None
    if not type_name or not (0 < number < 2**31):
        raise PublicError("INVALID_INPUT", f"Not a valid id: {global_id!r}.")
    return type_name, number


def decode_id_of(global_id: str, expected: str, field: str) -> int:
    """The primary key of an id of the expected type (for mutation inputs)."""
    from api.domain.errors import InvalidInput
    from api.infra.i18n import N_

    problem = N_("Not a valid %(type)s id.", type=expected)
    try:
        type_name, pk = decode_id(global_id)
    except PublicError:
        raise InvalidInput(problem, [field]) from None
    if type_name != expected:
        raise InvalidInput(problem, [field])
    return pk

"""JSON for GraphQL over HTTP: orjson on the hot path, and the canonical form ETags hash.

Answers are encoded with orjson: the same JSON values as the standard library's
`json.dumps(answer, separators=(",", ":"))`, several times faster, but not the same bytes: orjson
writes non-ASCII characters (and DEL) as UTF-8 where the standard library escapes them
(`"\\u90bb"`). An ETag must name the *data*, not the encoder's spelling, so it is a digest of
`canonical(body)`: the compact, ASCII-only form, which is byte for byte what Linli sent (and
hashed) before answers were encoded with orjson. ETags therefore did not change with the
encoder, and a client revalidating across the upgrade still gets its `304`.

(One spelling differs and is not canonicalised: a float written with an exponent, `1e-7` for
`1e-07`. Python writes exponents only below 1e-4 and from 1e16 on; the schema's only floats
are hours, hundredths between those bounds.)

Request bodies are decoded with orjson too, falling back to the standard library for what
orjson refuses but Python's JSON accepts (integers beyond 64 bits, `NaN`), so that what a
request means does not change."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON (orjson)."""
    return orjson.dumps(value)


def loads(data: str | bytes | bytearray | memoryview) -> Any:
    """JSON text as Python values; raises ValueError (or RecursionError) as `json.loads`."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        if isinstance(data, memoryview):
            data = bytes(data)
        return json.loads(data)  # what orjson refuses: big integers, NaN; or really not JSON


@lru_cache(maxsize=4096)
def _escaped(char: str) -> str:
    """One character as `json.dumps(ensure_ascii=True)` writes it: `\\uXXXX` (a surrogate
    pair beyond the BMP)."""
    code = ord(char)
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _escape(match: re.Match[str]) -> str:
    return _escaped(match.group())


#: The characters Python's `backslashreplace` writes otherwise than JSON: U+0080–U+00FF
#: (`\\xb7` for `\\u00b7`) and those beyond the BMP (`\\U0001f600` for `\\ud83d\\ude00`).
_NOT_LIKE_JSON = re.compile("[\x80-\xff\U00010000-\U0010ffff]")


def canonical(body: bytes) -> bytes:
    """Compact JSON bytes in the canonical ASCII-only form (see the module's docstring).

    Non-ASCII bytes occur in compact JSON only inside strings, so escaping every non-ASCII
    character (and DEL, which `json.dumps` escapes too) is exact. The C codec escapes
    U+0100–U+FFFF (Chinese text) as JSON does (`backslashreplace`: `\\u90bb`); the few others
    (`·`, emoji) are escaped first, one by one."""
    if not body.isascii():
        text = _NOT_LIKE_JSON.sub(_escape, body.decode("utf-8"))
        body = text.encode("ascii", "backslashreplace")
    if b"\x7f" in body:
        body = body.replace(b"\x7f", b"\\u007f")
    return body


def etag(body: bytes) -> str:
    """The strong ETag of a JSON answer: a digest of its canonical form."""
    return '"' + hashlib.sha256(canonical(body)).hexdigest()[:32] + '"'

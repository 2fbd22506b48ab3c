"""Answers are encoded with orjson: the same JSON as before, and the same ETags for the same
data (an ETag is a digest of the canonical, ASCII-only form: what was sent before)."""

import hashlib
import json

from api.http import json_codec
from tests import factories

LIST = "{ events(first: 5) { nodes { title location { name address } shifts { role } } } }"


def etag_before_orjson(data: object) -> str:
    """How the response cache made an ETag when answers were `json.dumps(answer,
    separators=(",", ":"))` (Strawberry's encoder) and the ETag hashed the body."""
    body = json.dumps(data, separators=(",", ":")).encode()
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


SAMPLES = [
    {"data": {"events": {"nodes": []}}},
    {"data": {"title": "免费理发 · 邻里", "hours": 2.5, "n": None, "ok": True, "x": [1, 0.1]}},
    {"data": {"text": 'tab\tnew\nline "quoted" \\ slash / del\x7f nul\x00 é ß 😀 \u2028'}},
    {"errors": [{"message": "没有权限", "path": ["a", 0, "b"], "extensions": {"code": "X"}}]},
]


def test_the_canonical_form_is_what_was_sent_before():
    for data in SAMPLES:
        encoded = json_codec.dumps(data)
        assert json.loads(encoded) == data  # the same JSON value
        assert json_codec.canonical(encoded) == json.dumps(data, separators=(",", ":")).encode()
        assert json_codec.etag(encoded) == etag_before_orjson(data)


def test_request_bodies_mean_what_they_meant():
    assert json_codec.loads(b'{"a": [1, 2.5, "\\u90bb"]}') == {"a": [1, 2.5, "邻"]}
    big = 2**70  # beyond orjson; Python's JSON reads it, and so do we
    assert json_codec.loads(f'{{"first": {big}}}') == {"first": big}
    for bad in (b"{", b"\xff", b"[" * 100_000):
        try:
            json_codec.loads(bad)
        except (ValueError, RecursionError):
            continue
        raise AssertionError(f"{bad[:10]!r} was accepted")


async def test_an_answer_keeps_its_etag_across_the_encoder_change(client, database):
    team = await factories.team("巾帼志愿队")
    await factories.event(team, title="义剪：为老人免费理发 💇", capacities=(4, 2))
    response = await client.get("/graphql", params={"query": LIST})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert answer["data"]["events"]["nodes"][0]["title"] == "义剪：为老人免费理发 💇"
    assert "义剪".encode() in response.content  # UTF-8 on the wire, no longer \u escapes
    if "etag" not in response.headers:  # no response cache on this backend
        assert not database.startswith("sqlite")
        return
    assert response.headers["etag"] == etag_before_orjson(answer)
    again = await client.get(
        "/graphql",
        params={"query": LIST},
        headers={"If-None-Match": etag_before_orjson(answer), "Cache-Control": "no-cache"},
    )
    assert again.status_code == 304

"""Hostile input to every page route: any path id, any query parameter (dates at the ends of
the calendar, ids, cursors, sizes, bytes that are not UTF-8) and any form body answer a page or
a client error, never a 5xx; expected client errors log no traceback."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.http.ids import encode_id
from tests import factories

PARAMS = [
    "date", "since", "until", "after", "first", "kind", "community", "q", "next", "shift",
    "code", "notice", "page", "size", "id", "status", "from", "to", "team",
]  # fmt: skip
TEXT_VALUES = [
    "", "9999-12-31", "0001-01-01", "2026-02-30", "2026-12-05", "10000-01-01", "-1", "0",
    "999999999999999999999", "1e400", "NaN", "HAIRCUT", "VGVhbTox", "RXZlbnQ6MQ",
    "U2hpZnQ6OTk5OTk5OTk5OTk5", "WzEsMl0", "W10", "eyJhIjoxfQ", "//evil.example", "/me",
    "' OR 1=1 --", "%", "\x00", "😀", "a" * 3000,
]  # fmt: skip
RAW_VALUES = ["%ff", "%c3%28", "%00", "%e2%82", "%ed%a0%80"]  # not UTF-8 once decoded


def routes() -> list[tuple[str, tuple[str, ...]]]:
    found = []
    for route in create_app("sqlite://:memory:").routes:
        path = getattr(route, "path", "")
        methods = tuple(sorted(getattr(route, "methods", None) or ()))
        if path and path != "/graphql" and methods:
            found.append((path, methods))
    return found


ROUTES = routes()

values = st.one_of(
    st.sampled_from(TEXT_VALUES).map(quote),
    st.sampled_from(RAW_VALUES),
    st.text(max_size=30).map(quote),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
ids = st.one_of(
    st.sampled_from(["1", "0", "-1", "99999999999999999999", "abc", "%ff", "%00", "..%2f"]),
    st.sampled_from(["Team", "Event", "Community", "Shift", "Signup", "Volunteer"]).flatmap(
        lambda kind: st.integers(min_value=-(2**63), max_value=2**63).map(
            lambda pk: quote(encode_id(kind, pk) if pk > 0 else encode_id(kind, 1) + "x")
        )
    ),
    st.text(min_size=1, max_size=20).map(lambda s: quote(s, safe="")),
)
bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"\xff\xfe\x00garbage",
            b"a=%ff&b=%c3%28",
            b"[" * 5000 + b"]" * 5000,
            b'{"a":' * 3000 + b"1" + b"}" * 3000,
            b"phone=13900000001&password=x&action=%ff",
            b"shift=" + b"9" * 40 + b"&code=123456&action=checkin",
        ]
    ),
)


@pytest.fixture
async def page_world(client, database):
    leader = await factories.volunteer("组长")
    admin = await factories.volunteer("管理员", admin=True)
    team = await factories.team(leaders=(leader,))
    await factories.event(team)
    return client, {"leader": leader, "admin": admin}


def _fill(path: str, id_value: str) -> str:
    return (
        path.replace("{id}", id_value)
        .replace("{token}", id_value)
        .replace("{tag}", id_value)
        .replace("{path:path}", id_value)
    )


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    id_value=ids,
    params=st.dictionaries(st.sampled_from(PARAMS), values, max_size=4),
    body=bodies,
    who=st.sampled_from([None, "leader", "admin"]),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain; charset=latin-1"]
    ),
)
async def test_pages_never_answer_5xx(page_world, route, id_value, params, body, who, content_type):
    client, people = page_world
    factories.log_in_as(client, people[who] if who else None)
    path, methods = route
    url = _fill(path, id_value)
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    for method in methods:
        if method == "HEAD":
            continue
        response = await client.request(
            method,
            url,
            content=body if method == "POST" else None,
            headers={"Content-Type": content_type, "Origin": "http://testserver"},
        )
        assert response.status_code < 500, (method, url, body[:80], response.text[:300])


@pytest.mark.parametrize(
    "url",
    [
        "/?date=9999-12-31",
        "/?date=0001-01-01",
        "/?date=%ff",
        "/teams/1/dashboard?since=0001-01-01&until=9999-12-31",
        "/teams/1/dashboard.csv?since=0001-01-01",
        "/communities/1/dashboard?until=0001-01-01",
        "/events/99999999999999999999",
        "/events/%ff%fe",
        "/?after=%ff&community=%00",
        "/admin/hours.csv?from=9999-12-31&to=9999-12-31",
        "/admin/hours.xlsx?from=0001-01-01&to=0001-01-02&team=%ff",
    ],
)
async def test_known_bad_inputs_answer_a_page_or_a_client_error(page_world, url, caplog):
    client, people = page_world
    factories.log_in_as(client, people["admin"])
    with caplog.at_level(logging.INFO):
        response = await client.get(url)
    assert response.status_code < 500, response.text[:300]
    assert not [r for r in caplog.records if r.exc_info], "a client error logged a traceback"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"query": "{ viewer { id } }", "variables": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"query": "\xff\xfe{ viewer { id } }"}',
        b"\xff" * 100,
    ],
    ids=["deep-array", "deep-variables", "not-utf8-inside", "not-utf8"],
)
async def test_graphql_bodies_that_are_not_json_answer_400(page_world, body, caplog):
    client, _ = page_world
    with caplog.at_level(logging.INFO):
        response = await client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
    assert 400 <= response.status_code < 500, response.text[:300]
    assert not [r for r in caplog.records if r.exc_info]

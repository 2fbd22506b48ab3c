"""The compiled executor answers byte for byte what graphql-core answers: every query of
`schema/operations/` as every kind of caller, hand-written operations that fail in every way
(nulls propagating, masked and public errors, abstract types, aliases, fragments), and the fuzz
test's generated operations — each sent twice over HTTP, once per executor."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.graphql import compiled
from api.graphql.compiled.executor import cached_plans, is_planned
from api.graphql.operations import OPERATIONS_DIR
from api.graphql.schema import schema
from api.http.ids import encode_id
from tests.graphql.test_fuzz import OPERATIONS as FUZZ_OPERATIONS
from tests.graphql.test_fuzz import damage, filters, mangle, names, values
from tests.support.client import cookie_for
from tests.support.world import World, seeded_world

QUERIES = sorted(
    p.stem for p in OPERATIONS_DIR.glob("*.graphql") if p.read_text().lstrip().startswith("query")
)
MUTATIONS = sorted(
    p.stem
    for p in OPERATIONS_DIR.glob("*.graphql")
    if p.read_text().lstrip().startswith("mutation")
)
CALLERS = ["anonymous", "volunteer", "leader", "admin", "token"]

# Hand-written: errors and nulls at every depth, abstract types, aliases, fragments.
EDGE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("{ a: events(first: 2) { nodes { id } } b: events(first: 1000) { totalCount } }", {}),
    ('{ events(first: 1, after: "bad") { nodes { id } } viewer { id } }', {}),
    ("{ nodes(ids: [$A, $B, $C, $D]) { __typename id ...F } } fragment F on Event { title }", {}),
    ('{ node(id: "nonsense") { id } viewer { displayName } }', {}),
    ('{ nodes(ids: ["bm9wZQ", "RXZlbnQ6OTk5OTk5"]) { id } }', {}),
    (
        "query($f: EventFilter) { events(first: 5, filter: $f) { pageInfo { hasNextPage "
        "hasPreviousPage startCursor endCursor } edges { cursor node { id kind status "
        "startsAt endsAt capacity seatsTaken seatsLeft waitlistCount offersHomeVisits "
        "viewerCanOrganize team { id name memberCount community { name parent { name } } } "
        "community { id name level } series { id } shifts { __typename id role event { id } "
        "acceptsSignUps viewerHasClash viewerSignup { id status waitlistPosition } "
        "checkInCode signups(first: 3) { totalCount nodes { id status hours volunteer "
        "{ id displayName phone } } } } } } } }",
        {"f": {"communityId": "$COMMUNITY"}},
    ),
    (
        "query($f: EventFilter) { events(first: 5, filter: $f) { totalCount } }",
        {"f": {"communityId": "x"}},
    ),
    (
        "{ teams(first: 3) { totalCount nodes { __typename id name memberCount t2: name "
        "events(first: 2) { nodes { id title } } } } communities { nodes { id name } } }",
        {},
    ),
    (
        "{ viewer { __typename id displayName isAdmin hoursTotal teams { id name } "
        "signups(first: 50) { totalCount nodes { id status hours waitlistPosition "
        "shift { id event { id title team { name } } } } } } admins { id displayName } }",
        {},
    ),
    (
        "query Q($id: ID!) { node(id: $id) { __typename ... on Node { id } ... on Event "
        "{ title shifts { id } } ... on Team { name } ... on Volunteer { displayName phone } "
        "... on Shift { role seatsLeft } ... on Community { name } } }",
        {"id": "$EVENT"},
    ),
    ('{ verifyCertificate(number: "LL-NOPE") { valid } }', {}),
    ("{ __typename viewer { __typename } }", {}),
    ("query { events(first: -1) { totalCount } }", {}),
    # errors in every item of a level, and nulls propagating through non-null lists
    (
        "query($id: ID!) { node(id: $id) { ... on Event { shifts { id checkInCode "
        "signups(first: 1000) { totalCount } } } } }",
        {"id": "$EVENT"},
    ),
    ("{ teams(first: 3) { nodes { id events(first: 1000) { totalCount } } } viewer { id } }", {}),
    ("{ viewer { id teams { id name events(first: 1000) { totalCount } } } }", {}),
    # left to graphql-core: introspection
    ("{ __schema { queryType { name } } events(first: 1) { totalCount } }", {}),
]

# @skip and @include: a plan per combination of the variables they read (key order included)
DIRECTIVES = [
    "query($s: Boolean!, $i: Boolean!) { viewer @skip(if: $s) { id } events(first: 2) { nodes "
    "{ id title @include(if: $i) ...F @skip(if: $s) ... on Event @include(if: $i) { status } } } }"
    " fragment F on Event { kind team { name } }",
    "query($s: Boolean!, $i: Boolean!) { a: viewer @skip(if: $s) { id } events(first: 1) "
    "{ totalCount } a: viewer @include(if: $i) { displayName } }",
    "query($s: Boolean!, $i: Boolean!) { viewer @include(if: false) { id } "
    "events(first: 1) @skip(if: false) { totalCount } x: events(first: 1) @skip(if: $s) "
    "@include(if: $i) { totalCount } }",
]


async def _send(client, query: str, variables: dict[str, Any], headers: dict[str, str], name=None):
    body: dict[str, Any] = {"query": query, "variables": variables}
    if name:
        body["operationName"] = name
    response = await client.post(
        "/graphql",
        content=json.dumps(body, default=str),
        headers={"Content-Type": "application/json", "Cache-Control": "no-cache", **headers},
    )
    return response.status_code, response.content


async def _both(client, query, variables, headers, name=None) -> bytes:
    """The answer of each executor; they must be the same bytes."""
    try:
        compiled.set_enabled(False)
        reference = await _send(client, query, variables, headers, name)
        compiled.set_enabled(True)
        answer = await _send(client, query, variables, headers, name)
    finally:
        compiled.set_enabled(None)
    assert _in_error_order(answer) == _in_error_order(reference), (query, variables, headers)
    return answer[1]


def _in_error_order(answer: tuple[int, bytes]) -> tuple[int, bytes]:
    """The same bytes, with `errors` listed by path: resolvers of one level run concurrently,
    so the order errors are raised in is up to the database's timing under either executor
    (the GraphQL spec gives the list no order). Everything else must match byte for byte."""
    status, body = answer
    parsed = json.loads(body)
    if "errors" not in parsed:
        return answer
    parsed["errors"].sort(key=lambda e: json.dumps([e.get("path"), e["message"]]))
    return status, json.dumps(parsed, ensure_ascii=False).encode()


def _headers(world: World, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    if caller == "token":
        return {"Authorization": f"Bearer {world.token}"}
    who = {"volunteer": world.volunteer, "leader": world.leader, "admin": world.admin}[caller]
    return cookie_for(who.id)


def _ids(world: World) -> list[str]:
    return [
        encode_id("Event", world.event_ids[0]),
        encode_id("Event", world.event_ids[5]),  # a draft
        encode_id("Event", world.event_ids[7]),  # cancelled
        encode_id("Team", world.team_ids[0]),
        encode_id("Volunteer", world.volunteer.id),
        encode_id("Shift", world.shift_ids[0]),
        encode_id("Community", world.community_ids[1]),
        encode_id("Event", 999999),
        "not an id",
    ]


def _variables(name: str, world: World, some_id: str) -> dict[str, Any]:
    if name == "UpcomingEvents":
        return {"first": 20}
    if name == "MyShifts":
        return {"first": 20, "notifications": 10}
    if name == "TeamPage":
        return {"id": some_id, "first": 10}
    return {"id": some_id}


@pytest.fixture
async def world(database, fake_clock) -> World:
    return await seeded_world(events=16)


async def test_every_query_of_the_app_answers_the_same_for_every_caller(client, world):
    for name in QUERIES:
        text = (OPERATIONS_DIR / f"{name}.graphql").read_text()
        id_choices = _ids(world) if "$id" in text else [""]
        for caller in CALLERS:
            for some_id in id_choices:
                await _both(
                    client, text, _variables(name, world, some_id), _headers(world, caller), name
                )
    # the upcoming list, page after page, with filters
    cursor = None
    for _ in range(3):
        answer = await _both(
            client,
            (OPERATIONS_DIR / "UpcomingEvents.graphql").read_text(),
            {"first": 4, "after": cursor, "filter": {"hasOpenSeats": True}},
            {},
            "UpcomingEvents",
        )
        cursor = json.loads(answer)["data"]["events"]["pageInfo"]["endCursor"]
    for name in QUERIES:  # each ran from its plan
        text = (OPERATIONS_DIR / f"{name}.graphql").read_text()
        assert is_planned(schema._schema, text, name), name


async def test_failures_and_edge_cases_answer_the_same(client, world):
    ids = _ids(world)
    substitutions = {
        "$A": json.dumps(ids[0]),
        "$B": json.dumps(ids[3]),
        "$C": json.dumps(ids[7]),
        "$D": json.dumps(ids[8]),
    }
    for query, variables in EDGE_CASES:
        for placeholder, value in substitutions.items():
            query = query.replace(placeholder, value)
        variables = json.loads(
            json.dumps(variables)
            .replace('"$COMMUNITY"', json.dumps(encode_id("Community", world.community_ids[0])))
            .replace('"$EVENT"', json.dumps(ids[0]))
        )
        for caller in CALLERS:
            await _both(client, query, variables, _headers(world, caller))


async def test_skip_and_include_answer_the_same(client, world):
    for query in DIRECTIVES:
        for s in (False, True):
            for i in (False, True):
                for caller in ("anonymous", "volunteer"):
                    await _both(client, query, {"s": s, "i": i}, _headers(world, caller))
        assert is_planned(schema._schema, query, None)


async def test_mutations_are_left_to_graphql_core(client, world):
    """Mutations run serially through graphql-core: no plan is ever made for them."""
    before = cached_plans(schema._schema)
    text = (OPERATIONS_DIR / "LogOut.graphql").read_text()
    status, _ = await _send(client, text, {}, _headers(world, "volunteer"), "LogOut")
    assert status == 200
    assert cached_plans(schema._schema) == before
    assert MUTATIONS


QUERY_FUZZ = [q for q in FUZZ_OPERATIONS if not q.lstrip().startswith("mutation")]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    op=st.integers(0, len(QUERY_FUZZ) - 1),
    variables=st.dictionaries(st.sampled_from(names), values, max_size=6),
    event_filter=filters,
    damage=damage,
    caller=st.sampled_from(CALLERS),
)
async def test_generated_operations_answer_the_same(
    client, world, op, variables, event_filter, damage, caller
):
    query = QUERY_FUZZ[op]
    if damage:
        query = mangle(query, *damage)
    variables = dict(variables)
    if op == 0:
        variables["filter"] = event_filter
    await _both(client, query, variables, _headers(world, caller))

"""Hostile input: thousands of generated operations against the live schema, no 5xx, and no
masked "Unexpected error." (which would mean an unhandled exception: a bug)."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.http.ids import encode_id
from tests import factories

OPERATIONS = [
    "query($f: Int, $a: String, $filter: EventFilter) { events(first: $f, after: $a, filter: $filter) "
    "{ totalCount pageInfo { endCursor } nodes { id title shifts { id seatsLeft } } } }",
    "query($id: ID!) { node(id: $id) { id ... on Event { title shifts { checkInCode } } "
    "... on Volunteer { phone } ... on Signup { waitlistPosition } } }",
    "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
    "query($f: Int, $a: String) { teams(first: $f, after: $a) { nodes { id name memberCount "
    "events(first: $f) { totalCount } } } communities(first: $f) { nodes { name parent { name } } } }",
    "mutation($s: ID!, $k: String!) { signUp(input: {shiftId: $s, idempotencyKey: $k}) "
    "{ signup { id } userErrors { code } } }",
    "mutation($i: ID!) { cancelSignup(input: {signupId: $i}) { userErrors { code } } }",
    "mutation($p: String!, $w: String!, $n: String!) { register(input: {phone: $p, password: $w, "
    "displayName: $n}) { userErrors { code } } }",
    "mutation($p: String!, $w: String!) { logIn(input: {phone: $p, password: $w}) { userErrors { code } } }",
    "mutation($p: String!, $k: PhoneCodePurpose!) { requestPhoneCode(input: {phone: $p, purpose: $k}) "
    "{ retryAfterSeconds userErrors { code } } }",
    "mutation($p: String!, $c: String!) { logInWithCode(input: {phone: $p, code: $c}) { userErrors { code } } }",
    "mutation($p: String!, $c: String!, $w: String!) { resetPassword(input: {phone: $p, code: $c, "
    "newPassword: $w}) { userErrors { code } } }",
    "mutation($w: String!, $n: String!) { changePassword(input: {currentPassword: $w, newPassword: $n}) "
    "{ userErrors { code } } }",
    "mutation($t: ID!, $title: String!, $k: EventKind!, $s: DateTime!, $e: DateTime!, $c: Int!) "
    "{ createEvent(input: {teamId: $t, title: $title, kind: $k, startsAt: $s, endsAt: $e, "
    'shifts: [{role: "x", startsAt: $s, endsAt: $e, capacity: $c}]}) { userErrors { code } } }',
    "mutation($s: ID!, $c: String!) { checkIn(input: {shiftId: $s, code: $c}) { userErrors { code } } }",
    "mutation($i: ID!, $c: Int!) { updateShiftCapacity(input: {shiftId: $i, capacity: $c}) "
    "{ userErrors { code } } }",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "U2hpZnQ6MQ",
            "VGVhbTox",
            "RXZlbnQ6MQ",
            "U2lnbnVwOjE",
            "Vm9sdW50ZWVyOjE",
            "U2hpZnQ6OTk5OTk5OTk5OTk5",
            "2026-12-05T09:00:00+08:00",
            "2026-12-05T09:00:00",
            "1999-01-01T00:00:00Z",
            "HAIRCUT",
            "NOPE",
            "' OR 1=1 --",
            "%",
            "_",
            "\x00",
            "13800000000",
            "123456",
            "REGISTER",
            "LOG_IN",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=8,
)
names = ["f", "a", "filter", "id", "ids", "s", "k", "i", "p", "w", "n", "t", "title", "e", "c"]
filters = st.fixed_dictionaries(
    {},
    optional={
        "kinds": st.lists(st.sampled_from(["HAIRCUT", "CLINIC", "BAD"]), max_size=3),
        "search": st.text(max_size=120),
        "startsAfter": scalars,
        "hasOpenSeats": st.booleans(),
        "communityId": scalars,
        "teamId": scalars,
    },
)


def mangle(query: str, cut: int, insert: str) -> str:
    position = cut % (len(query) + 1)
    return query[:position] + insert + query[position:]


#: Where to break a document, and with what (None: leave it whole).
damage = st.one_of(
    st.none(),
    st.tuples(
        st.integers(0, 400), st.sampled_from(["{", "}", "(", "$", '"', "...", "@skip", " x "])
    ),
)


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    op=st.integers(0, len(OPERATIONS) - 1),
    variables=st.dictionaries(st.sampled_from(names), values, max_size=6),
    event_filter=filters,
    damage=damage,
    logged_in=st.booleans(),
)
async def test_generated_operations_never_fail_the_server(
    fuzz_world, op, variables, event_filter, damage, logged_in
):
    client, volunteer = fuzz_world
    factories.log_in_as(client, volunteer if logged_in else None)
    query = OPERATIONS[op]
    if damage:
        query = mangle(query, *damage)
    variables = dict(variables)
    if op == 0:
        variables["filter"] = event_filter
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}, default=str),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        for error in response.json().get("errors") or []:
            assert error["message"] != "Unexpected error.", (query, variables)


import pytest  # noqa: E402


@pytest.fixture
async def fuzz_world(client, database):
    volunteer = await factories.volunteer()
    team = await factories.team(leaders=(volunteer,))
    await factories.event(team)
    assert encode_id("Team", team.id)
    return client, volunteer

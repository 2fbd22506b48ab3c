"""Every personal field and every mutation, against every kind of caller.

Callers: anonymous, another volunteer, the volunteer themself, a leader of their team, a leader
of another team, an admin, and an API token (acting for another volunteer)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from api.domain import api_tokens
from api.http.ids import encode_id
from api.infra import clock
from api.models import (
    Event,
    EventSeries,
    EventStatus,
    Shift,
    Signup,
    SignupStatus,
    Team,
    TeamMembership,
)
from tests import factories
from tests.conftest import GraphQLClient

CALLERS = ["anonymous", "other", "self", "leader", "other_leader", "admin", "token"]
MAY_SEE_PERSONAL = {"self", "leader", "admin"}
MAY_ORGANIZE = {"leader", "admin"}


@dataclass
class World:
    ids: dict[str, str]
    headers: dict[str, dict[str, str]]
    cookies: dict[str, object]


async def _world():
    me = await factories.volunteer("本人")
    leader = await factories.volunteer("组长")
    other_leader = await factories.volunteer("别队组长")
    other = await factories.volunteer("路人")
    admin = await factories.volunteer("管理员", admin=True)
    token_owner = await factories.volunteer("接口")
    team = await factories.team("巾帼志愿者服务队", leaders=(leader,), members=(me,))
    await factories.team("治安巡逻队", leaders=(other_leader,))
    event = await factories.event(team)
    draft = await factories.event(team, title="草稿", status=EventStatus.DRAFT)
    shift = await Shift.get(event_id=event.id)
    draft_shift = await Shift.get(event_id=draft.id)
    signup = await Signup.create(
        shift=shift, volunteer=me, status=SignupStatus.CONFIRMED, idempotency_key="k"
    )
    await Shift.filter(id=shift.id).update(seats_taken=1)
    token = (
        await api_tokens.create_token_for(
            token_owner, "dashboard", list(api_tokens.LEGACY_SCOPES), None
        )
    )[0]
    who = {
        "other": other,
        "self": me,
        "leader": leader,
        "other_leader": other_leader,
        "admin": admin,
    }
    return World(
        ids={
            "me": encode_id("Volunteer", me.id),
            "team": encode_id("Team", team.id),
            "event": encode_id("Event", event.id),
            "draft": encode_id("Event", draft.id),
            "shift": encode_id("Shift", shift.id),
            "draft_shift": encode_id("Shift", draft_shift.id),
            "signup": encode_id("Signup", signup.id),
        },
        headers={"token": {"Authorization": f"Bearer {token}"}},
        cookies=who,
    )


async def _as(client, world: World, caller: str, query: str, variables=None):
    factories.log_in_as(client, world.cookies.get(caller))  # type: ignore[arg-type]
    return await GraphQLClient(client)(query, variables, **world.headers.get(caller, {}))


@pytest.mark.parametrize("caller", CALLERS)
async def test_personal_fields(client, database, caller):
    world = await _world()
    data = (
        await _as(
            client,
            world,
            caller,
            """query($me: ID!, $signup: ID!, $shift: ID!, $draft: ID!, $draftShift: ID!) {
              me: node(id: $me) { ... on Volunteer { phone signups { totalCount } teams { name } } }
              signup: node(id: $signup) { ... on Signup { status volunteer { phone } } }
              shift: node(id: $shift) { ... on Shift { checkInCode signups { totalCount } } }
              draft: node(id: $draft) { id }
              draftShift: node(id: $draftShift) { id }
            }""",
            {
                "me": world.ids["me"],
                "signup": world.ids["signup"],
                "shift": world.ids["shift"],
                "draft": world.ids["draft"],
                "draftShift": world.ids["draft_shift"],
            },
        )
    )["data"]
    personal = caller in MAY_SEE_PERSONAL
    organizer = caller in MAY_ORGANIZE
    if personal:
        assert data["me"]["phone"] and data["me"]["signups"]["totalCount"] == 1
        assert data["signup"]["volunteer"]["phone"] == data["me"]["phone"]
    else:
        assert data["me"] is None and data["signup"] is None
    assert (data["shift"]["checkInCode"] is not None) is organizer
    assert (data["shift"]["signups"] is not None) is organizer
    assert (data["draft"] is not None) is organizer
    assert (data["draftShift"] is not None) is organizer


@pytest.mark.parametrize("caller", CALLERS)
async def test_listing_never_leaks_personal_data(client, database, caller):
    world = await _world()
    body = await _as(
        client,
        world,
        caller,
        "{ events(first: 10) { nodes { title shifts { signups(first: 10) { nodes { volunteer { phone } } } } } } }",
    )
    titles = [e["title"] for e in body["data"]["events"]["nodes"]]
    assert titles == ["义剪服务"]  # drafts are never listed publicly
    signups = body["data"]["events"]["nodes"][0]["shifts"][0]["signups"]
    if caller in MAY_ORGANIZE:
        assert signups["nodes"][0]["volunteer"]["phone"]
    else:
        assert signups is None


@pytest.mark.parametrize("caller", CALLERS)
async def test_a_series_lists_its_drafts_to_its_organizers_only(client, database, caller):
    world = await _world()
    team = await Team.get(name="巾帼志愿者服务队")
    series = await EventSeries.create(rule="FREQ=WEEKLY;COUNT=3")
    made = [
        await factories.event(team, title=title, status=status, starts_at=factories.soon(days))
        for days, title, status in (
            (1, "第一次", EventStatus.PUBLISHED),
            (8, "第二次（草稿）", EventStatus.DRAFT),
            (15, "第三次（已取消）", EventStatus.CANCELLED),
        )
    ]
    await Event.filter(id__in=[e.id for e in made]).update(series_id=series.id)
    body = await _as(
        client,
        world,
        caller,
        """query($id: ID!) { node(id: $id) { ... on EventSeries {
          events { totalCount nodes { title } } } } }""",
        {"id": encode_id("EventSeries", series.id)},
    )
    events = body["data"]["node"]["events"]
    titles = [n["title"] for n in events["nodes"]]
    if caller in MAY_ORGANIZE:
        assert titles == ["第一次", "第二次（草稿）"]
    else:
        assert titles == ["第一次"]
    assert events["totalCount"] == len(titles)


MUTATIONS = {
    "createTeam": (
        'mutation { createTeam(input: {name: "新队"}) { team { name } userErrors { code } } }',
        {"admin"},
    ),
    "createEvent": (
        """mutation($team: ID!) { createEvent(input: {teamId: $team, title: "反诈宣传",
        kind: ANTI_FRAUD, startsAt: "2031-03-01T09:00:00+08:00", endsAt: "2031-03-01T11:00:00+08:00",
        shifts: [{role: "讲解员", startsAt: "2031-03-01T09:00:00+08:00",
        endsAt: "2031-03-01T11:00:00+08:00", capacity: 3}]}) { event { title } userErrors { code } } }""",
        MAY_ORGANIZE,
    ),
    "publishEvent": (
        "mutation($draft: ID!) { publishEvent(input: {eventId: $draft}) { event { status } userErrors { code } } }",
        MAY_ORGANIZE,
    ),
    "cancelEvent": (
        'mutation($event: ID!) { cancelEvent(input: {eventId: $event, reason: "雨"}) { event { status } userErrors { code } } }',
        MAY_ORGANIZE,
    ),
    "updateShiftCapacity": (
        "mutation($shift: ID!) { updateShiftCapacity(input: {shiftId: $shift, capacity: 9}) { shift { capacity } userErrors { code } } }",
        MAY_ORGANIZE,
    ),
    "markAttendance": (
        "mutation($signup: ID!) { markAttendance(input: {signupId: $signup, status: ATTENDED}) { signup { status } userErrors { code } } }",
        MAY_ORGANIZE,
    ),
    "cancelSignup": (
        "mutation($signup: ID!) { cancelSignup(input: {signupId: $signup}) { signup { status } userErrors { code } } }",
        {"self", "leader", "admin"},
    ),
    "joinTeam": (
        "mutation($team: ID!) { joinTeam(input: {teamId: $team}) { team { name } userErrors { code } } }",
        {"other", "self", "leader", "other_leader", "admin", "token"},
    ),
    "signUp": (
        'mutation($shift: ID!) { signUp(input: {shiftId: $shift, idempotencyKey: "m"}) { signup { status } userErrors { code } } }',
        {"other", "leader", "other_leader", "admin", "token"},  # self is already signed up
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", sorted(MUTATIONS))
async def test_mutation_rights(client, database, caller, name):
    world = await _world()
    query, allowed = MUTATIONS[name]
    if name == "markAttendance":  # attendance is recorded once the shift has started
        started = (await Shift.all().order_by("-starts_at").first()).starts_at  # type: ignore[union-attr]
        clock.set_clock(lambda: started + timedelta(minutes=30))
    variables = {k: v for k, v in world.ids.items() if f"${k}" in query}
    before = await TeamMembership.all().count(), await Signup.all().count()
    body = await _as(client, world, caller, query, variables)
    assert "errors" not in body, body
    payload = body["data"][name]
    errors = [e["code"] for e in payload["userErrors"]]
    if caller in allowed:
        assert errors == [], (caller, name, errors)
    else:
        expected = (
            {"UNAUTHENTICATED"}
            if caller == "anonymous"
            else {"FORBIDDEN", "NOT_FOUND", "ALREADY_SIGNED_UP"}
        )
        assert errors and set(errors) <= expected, (caller, name, errors)
        assert (await TeamMembership.all().count(), await Signup.all().count()) == before

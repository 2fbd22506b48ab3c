"""Rules that hold against a careless or dishonest organizer: a cancelled draft stays private;
hours are credited after the shift starts, within its length plus a margin, never by a leader
on their own sign-up; larger corrections are an admin's, with a note; the ledger keeps all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.domain import checkin, events
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode
from api.http.ids import encode_id
from api.infra import clock
from api.models import EventStatus, HoursEntry, Shift, Signup, SignupStatus
from tests import factories
from tests.conftest import GraphQLClient


async def test_a_cancelled_draft_stays_private(client, database) -> None:
    gql = GraphQLClient(client)
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    draft = await factories.event(team, title="未发布的草稿", status=EventStatus.DRAFT)
    await events.cancel_event(Actor(volunteer=leader), draft.id, "不办了")
    query = "query($id: ID!) { node(id: $id) { ... on Event { title cancelReason } } }"
    gid = encode_id("Event", draft.id)
    for caller in (None, await factories.volunteer("路人")):
        factories.log_in_as(client, caller)
        assert (await gql.ok(query, {"id": gid}))["node"] is None
        listed = await gql.ok("{ events { nodes { title } } }")
        assert listed["events"]["nodes"] == []
    feed = await client.get(f"/teams/{team.id}/calendar.ics")
    assert feed.status_code == 200 and "未发布的草稿".encode() not in feed.content
    assert f"event-{draft.id}@linli".encode() not in feed.content
    # Its leaders still see it, with the reason; it can no longer be published.
    factories.log_in_as(client, leader)
    seen = (await gql.ok(query, {"id": gid}))["node"]
    assert seen == {"title": "未发布的草稿", "cancelReason": "不办了"}
    with pytest.raises(DomainError) as caught:
        await events.publish_event(Actor(volunteer=leader), draft.id)
    assert caught.value.code == ErrorCode.INVALID_STATE
    # A published event, once cancelled, is public as cancelled.
    shown = await factories.event(team, title="已发布")
    await events.cancel_event(Actor(volunteer=leader), shown.id, "下雨")
    factories.log_in_as(client, None)
    status = "query($id: ID!) { node(id: $id) { ... on Event { status } } }"
    answer = await gql.ok(status, {"id": encode_id("Event", shown.id)})
    assert answer["node"] == {"status": "CANCELLED"}


async def _signed_up(hours: float = 2.5):
    leader = await factories.volunteer("组长")
    co_leader = await factories.volunteer("副组长")
    volunteer = await factories.volunteer("志愿者")
    admin = await factories.volunteer("管理员", admin=True)
    team = await factories.team(leaders=(leader, co_leader))
    event = await factories.event(team, hours=hours)
    shift = await Shift.get(event_id=event.id)
    theirs = await Signup.create(
        shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED, idempotency_key="v"
    )
    own = await Signup.create(
        shift=shift, volunteer=leader, status=SignupStatus.CONFIRMED, idempotency_key="l"
    )
    return leader, co_leader, admin, shift, theirs, own


async def _refused(actor: Actor, signup: Signup, hours: float | None, note: str = "") -> str:
    before = await HoursEntry.filter(signup_id=signup.id).count()
    with pytest.raises(DomainError) as caught:
        await checkin.mark_attendance(actor, signup.id, SignupStatus.ATTENDED, hours, note)
    assert await HoursEntry.filter(signup_id=signup.id).count() == before
    assert (await Signup.get(id=signup.id)).status == signup.status
    return str(caught.value.code)


async def test_no_hours_before_the_shift_starts(database) -> None:
    leader, _, admin, shift, theirs, _ = await _signed_up()
    clock.set_clock(lambda: shift.starts_at - timedelta(days=5))
    assert await _refused(Actor(volunteer=leader), theirs, 24) == ErrorCode.INVALID_STATE
    clock.set_clock(lambda: shift.starts_at - timedelta(minutes=1))
    assert await _refused(Actor(volunteer=admin), theirs, None) == ErrorCode.INVALID_STATE
    clock.set_clock(lambda: shift.starts_at)
    marked = await checkin.mark_attendance(
        Actor(volunteer=leader), theirs.id, SignupStatus.ATTENDED, None
    )
    assert marked.status == SignupStatus.ATTENDED


async def test_a_leader_credits_at_most_the_length_plus_a_margin(database) -> None:
    leader, _, _, shift, theirs, _ = await _signed_up(hours=2.5)
    clock.set_clock(lambda: shift.ends_at)
    boss = Actor(volunteer=leader)
    assert await _refused(boss, theirs, 24) == ErrorCode.FORBIDDEN
    assert await _refused(boss, theirs, 3.51) == ErrorCode.FORBIDDEN
    await checkin.mark_attendance(boss, theirs.id, SignupStatus.ATTENDED, 3.5)  # ran late
    assert [e.centihours for e in await HoursEntry.filter(signup_id=theirs.id)] == [350]


async def test_never_on_their_own_sign_up_but_another_leader_or_an_admin_can(database) -> None:
    leader, co_leader, admin, shift, _, own = await _signed_up()
    clock.set_clock(lambda: shift.ends_at)
    assert await _refused(Actor(volunteer=leader), own, None) == ErrorCode.FORBIDDEN
    await checkin.mark_attendance(Actor(volunteer=co_leader), own.id, SignupStatus.ATTENDED, 2)
    await checkin.mark_attendance(Actor(volunteer=admin), own.id, SignupStatus.ATTENDED, 2.5)
    ledger = await HoursEntry.filter(signup_id=own.id).order_by("id")
    assert [(e.centihours, e.recorded_by_id) for e in ledger] == [
        (200, co_leader.id),
        (50, admin.id),
    ]


async def test_larger_corrections_are_an_admins_with_a_note_and_the_ledger_keeps_all(
    client, database
) -> None:
    gql = GraphQLClient(client)
    leader, _, admin, shift, theirs, _ = await _signed_up(hours=2.5)
    clock.set_clock(lambda: shift.ends_at)
    mark = """mutation($id: ID!, $hours: Float, $note: String) {
      markAttendance(input: {signupId: $id, status: ATTENDED, hours: $hours, note: $note}) {
        signup { hours } userErrors { code field } } }"""
    gid = encode_id("Signup", theirs.id)
    factories.log_in_as(client, leader)
    assert (await gql.ok(mark, {"id": gid}))["markAttendance"]["signup"]["hours"] == 2.5
    refused = (await gql.ok(mark, {"id": gid, "hours": 8}))["markAttendance"]
    assert refused["userErrors"] == [{"code": "FORBIDDEN", "field": ["hours"]}]
    factories.log_in_as(client, admin)
    no_note = (await gql.ok(mark, {"id": gid, "hours": 8}))["markAttendance"]
    assert no_note["userErrors"] == [{"code": "INVALID_INPUT", "field": ["note"]}]
    fixed = await gql.ok(mark, {"id": gid, "hours": 8, "note": "通宵值守，经社区核实"})
    assert fixed["markAttendance"]["signup"]["hours"] == 8
    ledger = await HoursEntry.filter(signup_id=theirs.id).order_by("id")
    assert [(e.centihours, e.recorded_by_id, e.note) for e in ledger] == [
        (250, leader.id, ""),
        (550, admin.id, "通宵值守，经社区核实"),
    ]

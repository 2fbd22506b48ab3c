"""publishSeries, addShift, removeShift through GraphQL: leaders and admins only, userErrors
for bad input."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.domain import recurrence, signups
from api.domain.actors import Actor
from api.domain.events import EventDraft, ShiftDraft
from api.http.ids import encode_id
from api.models import Event, EventKind, EventStatus, Shift
from api.settings import SHANGHAI
from tests import factories
from tests.conftest import GraphQLClient

PUBLISH = """mutation($id: ID!, $scope: PublishScope!) {
  publishSeries(input: {eventId: $id, scope: $scope}) { events { id status } userErrors { code } } }"""
ADD = """mutation($input: AddShiftInput!) {
  addShift(input: $input) { shift { role capacity seatsLeft } userErrors { code field } } }"""
REMOVE = """mutation($id: ID!) {
  removeShift(input: {shiftId: $id}) { event { shifts { role } } userErrors { code } } }"""


async def test_publish_series_add_and_remove_shifts(client) -> None:
    gql = GraphQLClient(client)
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    start = datetime(2031, 5, 10, 9, 0, tzinfo=SHANGHAI)
    draft = EventDraft(
        team_id=team.id,
        title="周末义诊",
        kind=EventKind.CLINIC,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        shifts=[ShiftDraft("医生", start, start + timedelta(hours=3), 2)],
    )
    first = await recurrence.create_series(Actor(volunteer=leader), draft, "FREQ=WEEKLY;COUNT=3")
    event_id = encode_id("Event", first.id)

    factories.log_in_as(client, await factories.volunteer("路人"))
    refused = await gql.ok(PUBLISH, {"id": event_id, "scope": "ALL"})
    assert refused["publishSeries"]["userErrors"][0]["code"] in ("FORBIDDEN", "NOT_FOUND")
    add = {
        "eventId": event_id,
        "role": "护士",
        "startsAt": "2031-05-10T09:00:00+08:00",
        "endsAt": "2031-05-10T10:00:00+08:00",
        "capacity": 1,
    }
    assert (await gql.ok(ADD, {"input": add}))["addShift"]["shift"] is None

    factories.log_in_as(client, leader)
    published = await gql.ok(PUBLISH, {"id": event_id, "scope": "ALL"})
    assert published["publishSeries"]["userErrors"] == []
    assert [e["status"] for e in published["publishSeries"]["events"]] == ["PUBLISHED"] * 3
    assert await Event.filter(status=EventStatus.PUBLISHED).count() == 3

    added = await gql.ok(ADD, {"input": add})
    assert added["addShift"] == {
        "shift": {"role": "护士", "capacity": 1, "seatsLeft": 1},
        "userErrors": [],
    }
    late = await gql.ok(ADD, {"input": {**add, "endsAt": "2031-05-10T13:00:00+08:00"}})
    assert late["addShift"]["userErrors"] == [{"code": "INVALID_INPUT", "field": ["startsAt"]}]

    nurse = await Shift.get(event_id=first.id, role="护士")
    await signups.sign_up(Actor(volunteer=await factories.volunteer("甲")), nurse.id, "k")
    removed = await gql.ok(REMOVE, {"id": encode_id("Shift", nurse.id)})
    assert removed["removeShift"] == {"event": {"shifts": [{"role": "医生"}]}, "userErrors": []}
    doctor = await Shift.get(event_id=first.id)
    last = await gql.ok(REMOVE, {"id": encode_id("Shift", doctor.id)})
    assert last["removeShift"]["userErrors"] == [{"code": "INVALID_STATE"}]

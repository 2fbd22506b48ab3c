"""No N+1: the number of SQL statements per request does not grow with the page size."""

from datetime import timedelta

from api.http.ids import encode_id
from tests import factories
from tests.conftest import ROOT, GraphQLClient
from tests.sqlcount import count_sql

PAGE = """
query($first: Int!) {
  events(first: $first) {
    totalCount
    edges { cursor }
    nodes {
      id title kind startsAt location { name }
      team { id name memberCount community { name } }
      community { name parent { name } }
      capacity seatsTaken seatsLeft waitlistCount
      shifts { id role capacity seatsTaken seatsLeft waitlistCount event { id } }
    }
  }
}
"""


async def test_statements_per_request_constant_in_page_size(client, database):
    place = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", place)
    teams = [await factories.team(f"队{i}", place=place) for i in range(7)]
    for i in range(120):
        await factories.event(
            teams[i % 7],
            title=f"活动{i}",
            starts_at=factories.soon(days=1) + timedelta(hours=i),
            capacities=(3, 5),
            place=compound,
        )
    gql = GraphQLClient(client)
    counts = {}
    for size in (1, 20, 100):
        with count_sql() as statements:
            data = await gql.ok(PAGE, {"first": size})
        assert len(data["events"]["nodes"]) == size
        counts[size] = len(statements)
    print(counts)
    assert counts[1] == counts[20] == counts[100], counts
    assert 4 <= counts[100] <= 9, counts  # version, events, count, shifts, teams, places…


async def test_viewer_signup_per_shift_is_one_query(client, database):
    volunteer = await factories.volunteer()
    team = await factories.team()
    small = await factories.event(team, title="small", capacities=(3,))
    large = await factories.event(team, title="large", capacities=(3,) * 12)
    factories.log_in_as(client, volunteer)
    gql = GraphQLClient(client)
    query = "query($id: ID!) { node(id: $id) { ... on Event { shifts { viewerSignup { id } } } } }"
    counts = []
    for event in (small, large):
        with count_sql() as statements:
            data = await gql.ok(query, {"id": encode_id("Event", event.id)})
        assert all(s["viewerSignup"] is None for s in data["node"]["shifts"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_a_leaders_roster_query_does_not_grow_with_the_sign_ups(client, database):
    from api.models import Shift, Signup, SignupStatus

    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    counts = []
    for size in (2, 20):
        event = await factories.event(team, title=f"E{size}", capacities=(size,))
        shift = await Shift.get(event_id=event.id)
        for i in range(size):
            await Signup.create(
                shift=shift,
                volunteer=await factories.volunteer(f"v{size}-{i}"),
                status=SignupStatus.CONFIRMED,
                idempotency_key="k",
            )
        factories.log_in_as(client, leader)
        query = """query($id: ID!) { node(id: $id) { ... on Shift {
          signups(first: 100) { nodes { status hours volunteer { displayName phone } } } } } }"""
        with count_sql() as statements:
            data = await GraphQLClient(client).ok(query, {"id": encode_id("Shift", shift.id)})
        assert all(n["volunteer"]["phone"] for n in data["node"]["signups"]["nodes"])
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


OPERATIONS = ROOT / "schema" / "operations"


async def _sign_up(volunteer, shift, status, *, ticket=None, centihours=None, by=None):
    from api.models import HoursEntry, HoursMethod, Signup

    signup = await Signup.create(
        shift=shift,
        volunteer=volunteer,
        status=status,
        idempotency_key=f"k{shift.id}",
        waitlist_ticket=ticket,
    )
    if centihours is not None:
        await HoursEntry.create(
            signup=signup,
            volunteer=volunteer,
            centihours=centihours,
            method=HoursMethod.LEADER,
            recorded_by=by,
        )
    return signup


async def test_my_shifts_takes_four_statements_however_many_sign_ups(client, database):
    """The app's "my shifts" (MyShifts.graphql): the session, the viewer's figures (hours,
    unread notifications, how many certificates and appointments: none, so no statement for
    those lists), the sign-ups (with their shifts, events, hours, places in the waitlist and
    total) and the notifications (with their events and total) — for 1 sign-up as for 20."""
    from api.models import Notification, NotificationKind, Shift, SignupStatus

    query = (OPERATIONS / "MyShifts.graphql").read_text()
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    counts = {}
    for size in (1, 20):
        me = await factories.volunteer(f"我{size}")
        for i in range(size):
            event = await factories.event(
                team, title=f"活动{size}-{i}", starts_at=factories.soon(days=1 + i), capacities=(1,)
            )
            shift = await Shift.get(event_id=event.id)
            waiting = i == 0
            await _sign_up(
                me,
                shift,
                SignupStatus.WAITLISTED if waiting else SignupStatus.CONFIRMED,
                ticket=1 if waiting else None,
                centihours=None if waiting else 150,
                by=leader,
            )
            await Notification.create(
                volunteer=me,
                kind=NotificationKind.REMINDER,
                message="提醒",
                event=event,
                source=f"test-{event.id}",
            )
        factories.log_in_as(client, me)
        with count_sql() as statements:
            data = await GraphQLClient(client).ok(query, {"first": 20, "notifications": 20})
        viewer = data["viewer"]
        assert viewer["signups"]["totalCount"] == size
        assert len(viewer["signups"]["nodes"]) == size
        assert viewer["notifications"]["totalCount"] == size
        assert viewer["unreadNotificationCount"] == size
        assert viewer["hoursTotal"] == 1.5 * (size - 1)
        waiting = viewer["signups"]["nodes"][0]
        assert waiting["status"] == "WAITLISTED" and waiting["waitlistPosition"] == 1
        assert all(n["shift"]["event"]["title"] for n in viewer["signups"]["nodes"])
        assert all(n["event"]["title"] for n in viewer["notifications"]["nodes"])
        counts[size] = len(statements)
    print(counts)
    assert counts[1] == counts[20] <= 4, counts


async def test_an_organizers_event_page_does_not_grow_with_shifts_or_sign_ups(client, database):
    """OrganizeEvent.graphql (the event with every shift's roster: phones, hours, places in
    the waitlist) as the team's leader: the same statements for 1 shift with 1 sign-up as for
    6 shifts with 8 each."""
    from api.models import Shift, SignupStatus

    query = (OPERATIONS / "OrganizeEvent.graphql").read_text()
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    counts = {}
    for shifts, per_shift in ((1, 1), (6, 8)):
        event = await factories.event(team, title=f"E{shifts}", capacities=(per_shift,) * shifts)
        for n, shift in enumerate(await Shift.filter(event_id=event.id).order_by("id")):
            for i in range(per_shift):
                volunteer = await factories.volunteer(f"v{shifts}-{n}-{i}")
                await _sign_up(volunteer, shift, SignupStatus.CONFIRMED, centihours=200, by=leader)
            await _sign_up(
                await factories.volunteer(f"w{shifts}-{n}"),
                shift,
                SignupStatus.WAITLISTED,
                ticket=1,
            )
        factories.log_in_as(client, leader)
        with count_sql() as statements:
            data = await GraphQLClient(client).ok(query, {"id": encode_id("Event", event.id)})
        rosters = [s["signups"] for s in data["node"]["shifts"]]
        assert len(rosters) == shifts
        assert all(r["totalCount"] == per_shift + 1 == len(r["nodes"]) for r in rosters)
        assert all(n["volunteer"]["phone"] for r in rosters for n in r["nodes"])
        assert all(r["nodes"][-1]["waitlistPosition"] == 1 for r in rosters)
        assert all(n["hours"] == 2.0 for r in rosters for n in r["nodes"][:-1])
        counts[shifts] = len(statements)
    print(counts)
    # the session, the unread count, the event, the teams led, the team, the shifts, every
    # roster with its volunteers, hours and places, and who may see phones (one)
    assert counts[1] == counts[6] <= 8, counts

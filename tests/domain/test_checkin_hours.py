"""Check-in with the rotating code, attendance by leaders, and the hours ledger."""

from datetime import UTC, datetime, timedelta

from api.domain import checkin
from api.http.ids import encode_id
from api.infra import clock
from api.models import HoursEntry, HoursMethod, Shift, Signup, SignupStatus
from tests import factories
from tests.conftest import GraphQLClient

CHECK_IN = """
mutation($shift: ID!, $code: String!) {
  checkIn(input: {shiftId: $shift, code: $code}) {
    signup { status checkedInAt hours volunteer { hoursTotal } }
    userErrors { code message }
  }
}"""
MARK = """
mutation($id: ID!, $status: SignupStatus!, $hours: Float) {
  markAttendance(input: {signupId: $id, status: $status, hours: $hours}) {
    signup { status hours volunteer { hoursTotal } }
    userErrors { code message }
  }
}"""
CODE = "query($id: ID!) { node(id: $id) { ... on Shift { checkInCode } } }"


async def _setup(hours: float = 2):
    leader = await factories.volunteer("组长")
    volunteer = await factories.volunteer("志愿者")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, hours=hours)
    shift = await Shift.get(event_id=event.id)
    signup = await Signup.create(
        shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED, idempotency_key="k"
    )
    await Shift.filter(id=shift.id).update(seats_taken=1)
    return leader, volunteer, shift, signup


async def test_check_in_with_code_credits_the_shift_length(client, database):
    gql = GraphQLClient(client)
    leader, volunteer, shift, _ = await _setup(hours=2.5)
    clock.set_clock(lambda: shift.starts_at - timedelta(minutes=30))
    factories.log_in_as(client, leader)
    code = (await gql.ok(CODE, {"id": encode_id("Shift", shift.id)}))["node"]["checkInCode"]
    assert code and code.isdigit() and len(code) == 6
    factories.log_in_as(client, volunteer)
    answer = await gql.ok(CHECK_IN, {"shift": encode_id("Shift", shift.id), "code": code})
    result = answer["checkIn"]
    assert result["userErrors"] == []
    assert result["signup"]["status"] == "ATTENDED" and result["signup"]["checkedInAt"]
    assert result["signup"]["hours"] == 2.5
    assert result["signup"]["volunteer"]["hoursTotal"] == 2.5
    entry = await HoursEntry.get(signup__volunteer_id=volunteer.id)
    assert entry.method == HoursMethod.SELF_CHECK_IN


async def test_code_is_hidden_from_volunteers_and_rotates(client, database):
    gql = GraphQLClient(client)
    leader, volunteer, shift, _ = await _setup()
    factories.log_in_as(client, volunteer)
    hidden = await gql.ok(CODE, {"id": encode_id("Shift", shift.id)})
    assert hidden["node"]["checkInCode"] is None
    at = shift.starts_at
    clock.set_clock(lambda: at)
    now_code = checkin.current_code(shift.id)
    clock.set_clock(lambda: at + checkin.CODE_PERIOD)
    assert checkin.code_is_valid(shift.id, now_code)  # the previous code is still accepted
    clock.set_clock(lambda: at + 2 * checkin.CODE_PERIOD)
    assert not checkin.code_is_valid(shift.id, now_code)


async def test_a_code_shown_by_a_clock_a_second_ahead_is_accepted(database):
    """The organizer's phone (or another server) is a second ahead and has just rotated: the
    server whose clock is behind still accepts the code it shows; two periods ahead, not."""
    _, _, shift, _ = await _setup()
    rotation = datetime.fromtimestamp(
        (shift.starts_at.timestamp() // checkin.CODE_PERIOD.total_seconds() + 1)
        * checkin.CODE_PERIOD.total_seconds(),
        UTC,
    )
    shown = checkin.code_for(shift.id, rotation)  # the machine ahead shows the new code
    clock.set_clock(lambda: rotation - timedelta(seconds=1))
    assert checkin.current_code(shift.id) != shown
    assert checkin.code_is_valid(shift.id, shown)
    far_ahead = checkin.code_for(shift.id, rotation + checkin.CODE_PERIOD)
    assert not checkin.code_is_valid(shift.id, far_ahead)


async def test_wrong_code_wrong_time_and_throttle_change_nothing(client, database):
    gql = GraphQLClient(client)
    _, volunteer, shift, signup = await _setup()
    gid = encode_id("Shift", shift.id)
    factories.log_in_as(client, volunteer)
    clock.set_clock(lambda: shift.starts_at - timedelta(hours=2))
    early = await gql.ok(CHECK_IN, {"shift": gid, "code": checkin.current_code(shift.id)})
    assert early["checkIn"]["userErrors"][0]["code"] == "CHECK_IN_CLOSED"
    clock.set_clock(lambda: shift.starts_at)
    right = checkin.current_code(shift.id)
    wrong = "000000" if right != "000000" else "111111"
    codes = []
    for _ in range(checkin.WRONG_CODE_LIMIT + 1):
        answer = await gql.ok(CHECK_IN, {"shift": gid, "code": wrong})
        codes.append(answer["checkIn"]["userErrors"][0]["code"])
    assert codes[:-1] == ["BAD_CODE"] * checkin.WRONG_CODE_LIMIT and codes[-1] == "RATE_LIMITED"
    blocked = await gql.ok(CHECK_IN, {"shift": gid, "code": right})
    assert blocked["checkIn"]["userErrors"][0]["code"] == "RATE_LIMITED"
    await signup.refresh_from_db()
    assert signup.status == SignupStatus.CONFIRMED and signup.checked_in_at is None
    assert await HoursEntry.all().count() == 0


async def test_check_in_without_signup_is_refused(client, database):
    gql = GraphQLClient(client)
    _, _, shift, _ = await _setup()
    clock.set_clock(lambda: shift.starts_at)
    factories.log_in_as(client, await factories.volunteer("路人"))
    answer = await gql.ok(
        CHECK_IN, {"shift": encode_id("Shift", shift.id), "code": checkin.current_code(shift.id)}
    )
    assert answer["checkIn"]["userErrors"][0]["code"] == "NOT_SIGNED_UP"


async def test_leader_marks_attendance_and_corrections_are_ledger_rows(client, database):
    gql = GraphQLClient(client)
    leader, volunteer, shift, signup = await _setup(hours=3)
    clock.set_clock(lambda: shift.ends_at)
    gid = encode_id("Signup", signup.id)
    factories.log_in_as(client, volunteer)
    refused = await gql.ok(MARK, {"id": gid, "status": "ATTENDED"})
    assert refused["markAttendance"]["userErrors"][0]["code"] == "FORBIDDEN"
    factories.log_in_as(client, leader)
    marked = (await gql.ok(MARK, {"id": gid, "status": "ATTENDED"}))["markAttendance"]
    assert marked["signup"]["hours"] == 3 and marked["signup"]["status"] == "ATTENDED"
    corrected = await gql.ok(MARK, {"id": gid, "status": "ATTENDED", "hours": 2.25})
    assert corrected["markAttendance"]["signup"]["volunteer"]["hoursTotal"] == 2.25
    no_show = (await gql.ok(MARK, {"id": gid, "status": "NO_SHOW"}))["markAttendance"]
    assert no_show["signup"]["status"] == "NO_SHOW" and no_show["signup"]["hours"] == 0
    ledger = await HoursEntry.filter(signup_id=signup.id).order_by("id")
    assert [e.centihours for e in ledger] == [300, -75, -225]
    assert [e.method for e in ledger] == [
        HoursMethod.LEADER,
        HoursMethod.CORRECTION,
        HoursMethod.CORRECTION,
    ]
    assert all(e.recorded_by_id == leader.id for e in ledger)
    bad = await gql.ok(MARK, {"id": gid, "status": "ATTENDED", "hours": 25})
    assert bad["markAttendance"]["userErrors"][0]["code"] == "INVALID_INPUT"

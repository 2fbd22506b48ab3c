"""Property-based: any sequence of sign-ups, cancellations and capacity changes keeps
seats_taken == seat-holding rows ≤ capacity, the waitlist counted, ranked by arrival with
contiguous positions, and never a free seat beside a waiting volunteer."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.domain import signups
from api.domain.actors import Actor
from api.domain.errors import DomainError
from api.domain.waitlist import waitlist_positions
from api.models import Shift, Signup, SignupStatus
from tests import factories

PEOPLE = 8
operations = st.lists(
    st.one_of(
        st.tuples(st.just("sign_up"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("cancel"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("capacity"), st.integers(1, 6)),
    ),
    min_size=1,
    max_size=25,
)


async def _check(shift_id: int, arrival: list[int]) -> None:
    shift = await Shift.get(id=shift_id)
    rows = await Signup.filter(shift_id=shift_id)
    holding = [r for r in rows if r.status in signups.SEAT_HOLDING]
    waiting = [r for r in rows if r.status == SignupStatus.WAITLISTED]
    assert shift.seats_taken == len(holding) <= shift.capacity
    assert shift.waitlist_count == len(waiting)
    assert not (waiting and shift.seats_taken < shift.capacity)
    positions = await waitlist_positions([r.id for r in waiting])
    ranked = sorted(waiting, key=lambda r: positions[r.id])
    assert [positions[r.id] for r in ranked] == list(range(1, len(waiting) + 1))
    # the waitlist is in arrival order (the order in which they joined it)
    order = [r.id for r in ranked]
    assert order == [i for i in arrival if i in set(order)]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, capacity=st.integers(1, 4))
async def test_invariants_hold_for_any_sequence(database, ops, capacity):
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(capacity,))
    shift = await Shift.get(event_id=event.id)
    people = [Actor(volunteer=await factories.volunteer(f"v{i}")) for i in range(PEOPLE)]
    organizer = Actor(volunteer=leader)
    arrival: list[int] = []  # sign-up ids in the order they joined the waitlist
    keys = 0
    for op, arg in ops:
        try:
            if op == "sign_up":
                keys += 1
                signup = await signups.sign_up(people[arg], shift.id, f"k{keys}")
                if signup.status == SignupStatus.WAITLISTED and signup.id not in arrival[-1:]:
                    arrival = [i for i in arrival if i != signup.id] + [signup.id]
            elif op == "cancel":
                mine = await Signup.get_or_none(shift_id=shift.id, volunteer_id=people[arg].id)
                if mine is not None:
                    await signups.cancel_signup(people[arg], mine.id)
            else:
                await signups.change_capacity(organizer, shift.id, arg)
        except DomainError:
            pass  # refusals (already signed up, below confirmed…) must change nothing
        await _check(shift.id, arrival)

"""Pages show the actions the domain allows: sign-up only while a shift takes sign-ups,
check-in only inside the check-in window."""

from datetime import timedelta

from api.http.ids import encode_id
from api.infra import clock
from api.models import Shift, Signup, SignupStatus
from tests import factories
from tests.factories import log_in_as


async def test_sign_up_button_disappears_when_the_shift_starts(client, database):
    event = await factories.event(await factories.team(), title="义诊")
    shift = await Shift.get(event_id=event.id)
    log_in_as(client, await factories.volunteer())
    url = f"/events/{encode_id('Event', event.id)}"
    assert 'data-action="SignUp"' in (await client.get(url)).text
    clock.set_clock(lambda: shift.starts_at + timedelta(minutes=5))
    assert 'data-action="SignUp"' not in (await client.get(url)).text


async def test_check_in_form_shows_only_inside_the_window(client, database):
    event = await factories.event(await factories.team(), hours=2)
    shift = await Shift.get(event_id=event.id)
    volunteer = await factories.volunteer()
    await Signup.create(
        shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED, idempotency_key="k"
    )
    log_in_as(client, volunteer)
    form = 'class="checkin" data-action="CheckIn"'
    clock.set_clock(lambda: shift.starts_at - timedelta(hours=2))
    assert form not in (await client.get("/me")).text
    clock.set_clock(lambda: shift.starts_at - timedelta(minutes=30))
    assert form in (await client.get("/me")).text
    clock.set_clock(lambda: shift.ends_at + timedelta(minutes=1))
    assert form not in (await client.get("/me")).text


async def test_forms_work_without_scripts(client, database):
    event = await factories.event(await factories.team(), capacities=(1,))
    shift = await Shift.get(event_id=event.id)
    volunteer = await factories.volunteer()
    log_in_as(client, volunteer)
    page = f"http://testserver/events/{encode_id('Event', event.id)}"
    same_site = {"Origin": "http://testserver", "Referer": page}
    signed = await client.post(
        "/me", data={"shiftId": encode_id("Shift", shift.id)}, headers=same_site
    )
    assert signed.status_code == 303 and signed.headers["location"] == page.removeprefix(
        "http://testserver"
    )
    signup = await Signup.get(volunteer_id=volunteer.id)
    assert signup.status == SignupStatus.CONFIRMED
    again = await client.post(
        "/me", data={"shiftId": encode_id("Shift", shift.id)}, headers=same_site
    )
    assert "notice=ALREADY_SIGNED_UP" in again.headers["location"]
    shown = await client.get(again.headers["location"])
    assert 'class="notice"' in shown.text
    assert await Signup.filter(volunteer_id=volunteer.id).count() == 1
    evil = await client.post(
        "/me",
        data={"signupId": encode_id("Signup", signup.id)},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    cancelled = await client.post(
        "/me", data={"signupId": encode_id("Signup", signup.id)}, headers=same_site
    )
    assert cancelled.status_code == 303
    await signup.refresh_from_db()
    assert signup.status == SignupStatus.CANCELLED

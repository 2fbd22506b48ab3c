"""Every page route that changes something refuses a cross-site browser request the same way:
403, a short page (or JSON for a JSON caller), and nothing done."""

from __future__ import annotations

import httpx

from api.http.ids import encode_id
from api.models import Event, Notification, NotificationKind, Shift, Signup
from tests import factories
from tests.factories import log_in_as

EVIL = {"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"}


async def test_cross_site_posts_are_refused_alike_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(2,))
    shift = await Shift.get(event_id=event.id)
    await Notification.create(
        volunteer=leader, kind=NotificationKind.REMINDER, message="提醒", source="test"
    )
    log_in_as(client, leader)
    posts = {
        "/me": f"shiftId={encode_id('Shift', shift.id)}",
        "/me/notifications/read": "",
        "/login": f"phone={leader.phone}&password=whatever-it-is",
        "/logout": "",
        f"/events/{encode_id('Event', event.id)}/organize": "action=publish",
        f"/teams/{encode_id('Team', team.id)}/events/new": "title=x&kind=HAIRCUT",
    }
    for path, body in posts.items():
        refused = await client.post(path, content=body, headers=EVIL)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html"), path
        assert "此请求来自其他网站" in refused.text and "another site" in refused.text, path
        assert "set-cookie" not in refused.headers, path
        as_json = await client.post(
            path, content=body, headers={**EVIL, "Accept": "application/json"}
        )
        assert as_json.status_code == 403, path
        assert as_json.json()["errors"][0]["extensions"]["code"] == "CROSS_SITE_REQUEST", path
    # Nothing happened: no sign-up, the notice still unread, no new event, still logged in.
    assert not await Signup.exists()
    assert await Notification.filter(read_at=None).count() == 1
    assert await Event.all().count() == 1
    me = await client.get("/me")
    assert me.status_code == 200 and "组长" in me.text
    # Sec-Fetch-Site alone is enough to refuse.
    fetched = await client.post("/logout", headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    # The same forms from this site work.
    same_site = await client.post("/logout", headers={"Origin": "http://testserver"})
    assert same_site.status_code == 303

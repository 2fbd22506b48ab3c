"""Outbox → notifications exactly once per recipient; outbound channels; marking read."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx

from api.domain import events, notifications, scheduling, signups
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.infra import channels, clock
from api.infra.i18n import render_stored
from api.jobs import delivery, scheduler
from api.models import DomainEvent, Notification, NotificationKind
from api.settings import load_settings
from tests import factories
from tests.sqlcount import count_sql


async def _full_shift_with_waitlist():
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(1,))
    shift = (await event.shifts.all())[0]
    first, second = await factories.volunteer("甲"), await factories.volunteer("乙")
    await signups.sign_up(Actor(volunteer=first), shift.id, "k1")
    await signups.sign_up(Actor(volunteer=second), shift.id, "k2")
    return Actor(volunteer=leader), event, shift, first, second


async def test_promotion_notifies_once(database, recorder) -> None:
    leader, event, shift, first, second = await _full_shift_with_waitlist()
    await signups.change_capacity(leader, shift.id, 2)  # raising the capacity promotes
    assert await notifications.dispatch_pending() == 1
    assert await notifications.dispatch_pending() == 0
    assert await delivery.deliver_pending() == 1
    assert await delivery.deliver_pending() == 0
    note = await Notification.get(volunteer_id=second.id)
    assert note.kind == NotificationKind.PROMOTED_FROM_WAITLIST
    assert note.event_id == event.id
    # It names the outbox row it came from.
    promotion = await DomainEvent.get(kind="PROMOTED_FROM_WAITLIST")
    assert note.source_event_id == promotion.id and note.source == f"event:{promotion.id}"
    assert "候补" in render_stored(note.message, "zh-CN")  # stored as id + parameters
    assert [m.volunteer_id for m in recorder.sent] == [second.id]
    assert recorder.sent[0].phone == second.phone


async def test_two_dispatchers_concurrently_make_one_notification_each(database, recorder) -> None:
    leader, event, shift, first, second = await _full_shift_with_waitlist()
    await events.cancel_event(leader, event.id, "台风预警")
    made = await asyncio.gather(*(notifications.dispatch_pending() for _ in range(4)))
    assert sum(made) == 2
    rows = await Notification.all().order_by("volunteer_id")
    assert [(n.volunteer_id, n.kind) for n in rows] == [
        (first.id, NotificationKind.EVENT_CANCELLED),
        (second.id, NotificationKind.EVENT_CANCELLED),
    ]
    assert all("台风预警" in render_stored(n.message, "zh-CN") for n in rows)
    cancelled = await DomainEvent.get(kind="EVENT_CANCELLED")
    assert {n.source_event_id for n in rows} == {cancelled.id}
    assert sum(await asyncio.gather(*(delivery.deliver_pending() for _ in range(4)))) == 2
    assert len(recorder.sent) == 2
    assert await DomainEvent.filter(processed_at__isnull=True).count() == 0


async def test_stale_claim_is_taken_over_without_duplicates(database, recorder) -> None:
    leader, event, shift, first, second = await _full_shift_with_waitlist()
    await events.cancel_event(leader, event.id, "场地维修")
    row = await DomainEvent.get(kind="EVENT_CANCELLED")
    # A worker claimed the row, made one notification, and died before finishing.
    await notifications.create(f"event:{row.id}", (await notifications.drafts_for(row))[:1])
    long_ago = row.created_at - timedelta(hours=1)
    await DomainEvent.filter(id=row.id).update(claimed_at=long_ago)
    assert await notifications.dispatch_pending() == 1
    assert await Notification.filter(kind=NotificationKind.EVENT_CANCELLED).count() == 2


async def test_time_change_notifies_those_signed_up_exactly_once(database, recorder) -> None:
    leader, event, shift, first, second = await _full_shift_with_waitlist()
    outsider = await factories.volunteer("旁人")
    later = event.starts_at + timedelta(days=1)
    await scheduling.update_event(leader, event.id, scheduling.EventChanges(starts_at=later))
    await scheduling.update_event(leader, event.id, scheduling.EventChanges(title="新标题"))
    await asyncio.gather(notifications.dispatch_pending(), notifications.dispatch_pending())
    rows = await Notification.filter(kind=NotificationKind.EVENT_CHANGED)
    assert sorted(n.volunteer_id for n in rows) == sorted([first.id, second.id])
    assert not await Notification.filter(volunteer_id=outsider.id).exists()


async def _cancel_with_signed_up(volunteers: int) -> list[str]:
    """Cancels an event with `volunteers` signed up; the statements its dispatch ran."""
    leader = await factories.volunteer("组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, capacities=(volunteers,))
    shift = (await event.shifts.all())[0]
    for i in range(volunteers):
        await signups.sign_up(Actor(volunteer=await factories.volunteer(f"v{i}")), shift.id, "k")
    await notifications.dispatch_pending()  # the sign-ups' own outbox rows (no one is told)
    await events.cancel_event(Actor(volunteer=leader), event.id, "场地维修")
    with count_sql() as statements:
        assert await notifications.dispatch_pending() == volunteers
    return statements


async def test_fan_out_to_many_recipients_costs_the_same_statements(database) -> None:
    few = await _cancel_with_signed_up(2)
    many = await _cancel_with_signed_up(25)
    assert len(many) == len(few)
    assert await Notification.filter(kind=NotificationKind.EVENT_CANCELLED).count() == 27


class FlakyGateway:
    """Refuses the first `failures` messages, then takes everything."""

    name = "gateway"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.taken: list[int] = []

    async def send(self, message: channels.OutboundMessage) -> bool:
        if self.failures > 0:
            self.failures -= 1
            return False
        self.taken.append(message.notification_id)
        return True


async def test_a_failed_delivery_is_retried_later_and_sent_once(database) -> None:
    gateway = FlakyGateway(failures=2)
    channels.set_channels([gateway])
    start = clock.now()
    try:
        leader, event, shift, first, second = await _full_shift_with_waitlist()
        await events.cancel_event(leader, event.id, "设备故障")
        result = await scheduler.tick()
        assert (result.notifications, result.delivered) == (2, 0)  # the gateway is down
        assert gateway.taken == []
        assert await scheduler.tick() == scheduler.TickResult(0, 0, 0)  # not due again yet
        clock.set_clock(lambda: start + delivery.retry_delay(1) + timedelta(seconds=5))
        assert (await scheduler.tick()).delivered == 2
        clock.set_clock(lambda: start + timedelta(days=1))
        assert (await scheduler.tick()).delivered == 0
        pending = await Notification.filter(delivered_at__isnull=True).count()
    finally:
        clock.set_clock(None)
        channels.set_channels(None)
    assert sorted(gateway.taken) == sorted(n.id for n in await Notification.all())
    assert pending == 0


async def test_a_delivery_cut_off_by_a_crash_is_sent_after_its_lease(database, recorder) -> None:
    leader, event, shift, first, second = await _full_shift_with_waitlist()
    await signups.change_capacity(leader, shift.id, 2)
    await notifications.dispatch_pending()
    note = await Notification.get(volunteer_id=second.id)
    # A worker leased the row and died before sending.
    now = clock.now()
    await Notification.filter(id=note.id).update(
        next_delivery_at=now + delivery.LEASE, delivery_attempts=1
    )
    assert await delivery.deliver_pending() == 0
    clock.set_clock(lambda: now + delivery.LEASE)
    try:
        assert await delivery.deliver_pending() == 1
    finally:
        clock.set_clock(None)
    assert [m.notification_id for m in recorder.sent] == [note.id]


async def test_delivery_gives_up_after_the_last_attempt(database) -> None:
    gateway = FlakyGateway(failures=1000)
    channels.set_channels([gateway])
    leader, event, shift, first, second = await _full_shift_with_waitlist()
    await signups.change_capacity(leader, shift.id, 2)
    await notifications.dispatch_pending()
    moment = clock.now()
    try:
        for _ in range(delivery.MAX_ATTEMPTS + 3):
            assert await delivery.deliver_pending() == 0
            moment += delivery.LONGEST_RETRY
            clock.set_clock(lambda at=moment: at)
    finally:
        clock.set_clock(None)
        channels.set_channels(None)
    note = await Notification.get(volunteer_id=second.id)
    assert note.delivered_at is None and note.delivery_attempts == delivery.MAX_ATTEMPTS
    assert gateway.failures == 1000 - delivery.MAX_ATTEMPTS


async def test_webhook_is_signed_and_retried() -> None:
    attempts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        return httpx.Response(503 if len(attempts) < 3 else 200)

    pauses: list[float] = []

    async def no_sleep(seconds: float) -> None:
        pauses.append(seconds)

    hook = channels.WebhookChannel(
        "https://gateway.example/sms",
        "s3cret",
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
    )
    message = channels.OutboundMessage(7, "REMINDER", 3, "13900000000", "提醒", 5, None)
    assert await hook.send(message)
    assert len(attempts) == 3
    assert pauses == [0.5, 1.0]  # exponential backoff
    last = attempts[-1]
    body = last.content
    assert json.loads(body)["message"] == "提醒"
    expected = channels.sign("s3cret", last.headers["x-linli-timestamp"], body)
    assert last.headers["x-linli-signature"] == expected


async def test_webhook_gives_up_on_client_errors() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(400)

    hook = channels.WebhookChannel(
        "https://x.example/", "k", transport=httpx.MockTransport(handler)
    )
    assert not await hook.send(channels.OutboundMessage(1, "REMINDER", 1, "", "m", None, None))
    assert calls == 1


def test_channels_from_environment(tmp_path) -> None:
    site = {"LINLI_SECRET_KEY": "site", "LINLI_DATA_DIR": str(tmp_path)}

    def configured(**env: str) -> list[channels.Channel]:
        return channels.configured_channels(load_settings({**site, **env}))

    hook = "https://gw.example/hook"
    assert [c.name for c in configured()] == ["log"]
    assert [c.name for c in configured(LINLI_WEBHOOK_URL=hook)] == ["log", "webhook"]
    only = configured(LINLI_WEBHOOK_URL=hook, LINLI_NOTIFY_CHANNELS="webhook")
    assert [c.name for c in only] == ["webhook"]
    assert [c.name for c in configured(LINLI_NOTIFY_CHANNELS="log,webhook")] == ["log"]
    webhook = configured(LINLI_WEBHOOK_URL=hook, LINLI_WEBHOOK_RETRIES="2")[1]
    assert isinstance(webhook, channels.WebhookChannel)
    assert (webhook.url, webhook.retries) == (hook, 2)
    # not the site's key: one generated for the webhook alone (tests/http/test_keys.py)
    assert webhook.secret != "site" and webhook.secret == (tmp_path / "webhook_secret").read_text()
    own = configured(LINLI_WEBHOOK_URL=hook, LINLI_WEBHOOK_SECRET="gw")[1]
    assert isinstance(own, channels.WebhookChannel) and own.secret == "gw"


async def test_notifications_over_graphql(client, gql, recorder) -> None:
    leader, event, shift, first, second = await _full_shift_with_waitlist()
    await events.cancel_event(leader, event.id, "暴雨")
    await notifications.dispatch_pending()
    query = """{ viewer { unreadNotificationCount
                 notifications(first: 5, unreadOnly: true) { totalCount
                   nodes { id kind message readAt event { title } } } } }"""
    factories.log_in_as(client, first)
    data = await gql.ok(query)
    viewer = data["viewer"]
    assert viewer["unreadNotificationCount"] == 1
    node = viewer["notifications"]["nodes"][0]
    assert node["kind"] == "EVENT_CANCELLED" and "暴雨" in node["message"]
    assert node["event"]["title"] == event.title
    # Nobody else reads it, not even through node(id:).
    factories.log_in_as(client, second)
    other = await gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": node["id"]})
    assert other["node"] is None
    factories.log_in_as(client, first)
    mine = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Notification { kind } } }", {"id": node["id"]}
    )
    assert mine["node"] == {"kind": "EVENT_CANCELLED"}
    marked = await gql.ok(
        """mutation($ids: [ID!]) { markNotificationsRead(input: {ids: $ids}) {
             count unreadCount userErrors { code } } }""",
        {"ids": [node["id"]]},
    )
    assert marked["markNotificationsRead"] == {"count": 1, "unreadCount": 0, "userErrors": []}
    data = await gql.ok(query)
    assert data["viewer"]["unreadNotificationCount"] == 0
    assert data["viewer"]["notifications"]["totalCount"] == 0
    # Someone else's notifications are never listed.
    factories.log_in_as(client, second)
    theirs = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Volunteer { notifications { totalCount } } } }",
        {"id": encode_id("Volunteer", first.id)},
    )
    assert theirs["node"] is None or theirs["node"]["notifications"]["totalCount"] == 0

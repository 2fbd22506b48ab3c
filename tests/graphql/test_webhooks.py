"""Webhooks for third parties, as their developer meets them: a real receiver on loopback
(uvicorn, `LINLI_WEBHOOK_ALLOW_PRIVATE=1`) gets each event once by `webhook-id`, signed as
Standard Webhooks says (checked with the `standardwebhooks` library); failures are retried with
backoff and a webhook failing for a day is disabled; the owner alone reads the delivery log and
redelivers; private destinations are refused; scopes and the per-account limit hold."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from api.domain import webhooks
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.infra import webhook_secrets
from api.jobs import delivery, scheduler
from api.models import EventStatus, Shift, Volunteer, Webhook, WebhookDelivery
from api.settings import get_settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.support.client import cookie_for
from tests.support.fakes import FakeClock
from tests.support.webhook_receiver import Receiver, serving

CREATE = """
mutation($url: String!, $events: [WebhookEvent!]!, $description: String) {
  createWebhook(input: {url: $url, events: $events, description: $description}) {
    secret webhook { id url events enabled } userErrors { code field message }
  }
}"""
MINE = """
{ viewer { webhooks { id enabled disabledReason failingSince
  deliveries(first: 10) { totalCount nodes { id event messageId status attemptCount
    lastStatusCode nextAttemptAt deliveredAt attempts { statusCode error } } } } } }"""
UPDATE = """
mutation($id: ID!, $enabled: Boolean) {
  updateWebhook(input: {id: $id, enabled: $enabled}) {
    webhook { enabled disabledReason } userErrors { code }
  }
}"""
REDELIVER = """
mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) {
  delivery { status attemptCount } userErrors { code } } }"""
DELETE = """
mutation($id: ID!) { deleteWebhook(input: {id: $id}) { deletedWebhookId userErrors { code } } }"""
PUBLISH = """
mutation($id: ID!) { publishEvent(input: {eventId: $id}) { userErrors { code } } }"""
SIGN_UP = """
mutation($shift: ID!) { signUp(input: {shiftId: $shift, idempotencyKey: "w1"}) {
  signup { id status } userErrors { code } } }"""
CANCEL_SIGNUP = """
mutation($id: ID!) { cancelSignup(input: {signupId: $id}) { userErrors { code } } }"""
RENAME = """
mutation($id: ID!) { updateEvent(input: {eventId: $id, title: "义剪服务（改期）"}) {
  userErrors { code } } }"""
CANCEL_EVENT = """
mutation($id: ID!) { cancelEvent(input: {eventId: $id, reason: "台风"}) { userErrors { code } } }"""
NODE = """
query($id: ID!) { node(id: $id) { id ... on Webhook { url } ... on WebhookDelivery { status } } }"""
ALL_EVENTS = [e.value for e in webhooks.WebhookEvent]
PUBLIC = ["EVENT_PUBLISHED", "EVENT_UPDATED", "EVENT_CANCELLED", "SHIFT_SEATS_CHANGED"]


def _allow_private(allowed: bool) -> None:
    import os

    if allowed:
        os.environ["LINLI_WEBHOOK_ALLOW_PRIVATE"] = "1"
    else:
        os.environ.pop("LINLI_WEBHOOK_ALLOW_PRIVATE", None)
    get_settings.cache_clear()


@pytest.fixture
def allow_private() -> Iterator[None]:
    """`LINLI_WEBHOOK_ALLOW_PRIVATE=1`: the receiver is on loopback, over http."""
    _allow_private(True)
    try:
        yield
    finally:
        _allow_private(False)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as running:
        yield running


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _ticks(n: int = 2) -> None:
    for _ in range(n):
        await scheduler.tick()


def _verified(receiver: Receiver, secret: str) -> list[tuple[str, dict[str, Any]]]:
    """(webhook-id, payload) of every request, each signature checked by the library."""
    verifier = Verifier(secret)
    return [
        (r.headers["webhook-id"], verifier.verify(r.body, r.headers)) for r in receiver.received
    ]


def _signed_with(receiver: Receiver, *secrets: str) -> list[list[tuple[str, dict[str, Any]]]]:
    """The verified messages of each secret, in arrival order; every message verifies with
    exactly one of them."""
    from standardwebhooks.webhooks import WebhookVerificationError

    found: list[list[tuple[str, dict[str, Any]]]] = [[] for _ in secrets]
    for r in receiver.received:
        matches = 0
        for i, secret in enumerate(secrets):
            try:
                found[i].append(
                    (r.headers["webhook-id"], Verifier(secret).verify(r.body, r.headers))
                )
                matches += 1
            except WebhookVerificationError:
                continue
        assert matches == 1
    return found


async def _create(gql: GraphQLClient, url: str, events: list[str], **headers: str) -> dict:
    body = await gql(CREATE, {"url": url, "events": events, "description": "区大屏"}, **headers)
    assert "errors" not in body, body
    made: dict[str, Any] = body["data"]["createWebhook"]
    return made


async def test_a_receiver_gets_each_event_once_with_a_valid_signature(
    client: httpx.AsyncClient, database, allow_private, receiver: Receiver
) -> None:
    gql = GraphQLClient(client)
    leader = await factories.volunteer("王组长")
    volunteer = await factories.volunteer("李阿姨")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, status=EventStatus.DRAFT, capacities=(1,))
    shift = await Shift.get(event_id=event.id)
    event_id, shift_id = encode_id("Event", event.id), encode_id("Shift", shift.id)

    factories.log_in_as(client, leader)
    made = await _create(gql, receiver.url, ALL_EVENTS)
    assert made["userErrors"] == [] and made["secret"].startswith("whsec_")
    assert sorted(made["webhook"]["events"]) == sorted(ALL_EVENTS)
    stored = (await Webhook.get(url=receiver.url)).secret  # sealed at rest, opened to sign
    assert made["secret"][6:] not in stored and webhook_secrets.reveal(stored) == made["secret"]
    # A volunteer who leads no team may not subscribe to sign-ups (their names are private).
    factories.log_in_as(client, volunteer)
    refused = await _create(gql, receiver.url, ["SIGNUP_CREATED"])
    assert refused["userErrors"][0]["code"] == "FORBIDDEN" and refused["secret"] is None
    public_only = await _create(gql, receiver.url, PUBLIC)
    assert public_only["userErrors"] == []

    factories.log_in_as(client, leader)
    assert (await gql.ok(PUBLISH, {"id": event_id}))["publishEvent"]["userErrors"] == []
    factories.log_in_as(client, volunteer)
    signed = (await gql.ok(SIGN_UP, {"shift": shift_id}))["signUp"]
    assert signed["signup"]["status"] == "CONFIRMED"
    await gql.ok(CANCEL_SIGNUP, {"id": signed["signup"]["id"]})
    factories.log_in_as(client, leader)
    assert (await gql.ok(RENAME, {"id": event_id}))["updateEvent"]["userErrors"] == []
    assert (await gql.ok(CANCEL_EVENT, {"id": event_id}))["cancelEvent"]["userErrors"] == []
    await _ticks()
    await _ticks()  # nothing left: every message went once

    # Two webhooks, two secrets: each message verifies with its own webhook's secret only.
    leader_got, public_got = _signed_with(receiver, made["secret"], public_only["secret"])
    assert len({mid for mid, _ in leader_got}) == len(leader_got)  # each event once
    assert [p["type"] for _, p in leader_got] == [
        "EVENT_PUBLISHED",
        "SIGNUP_CREATED",
        "SHIFT_SEATS_CHANGED",
        "SIGNUP_CANCELLED",
        "SHIFT_SEATS_CHANGED",
        "EVENT_UPDATED",
        "EVENT_CANCELLED",
    ]
    assert [p["type"] for _, p in public_got] == [
        "EVENT_PUBLISHED",
        "SHIFT_SEATS_CHANGED",
        "SHIFT_SEATS_CHANGED",
        "EVENT_UPDATED",
        "EVENT_CANCELLED",
    ]
    by_type = {p["type"]: p["data"] for _, p in leader_got}
    assert by_type["EVENT_PUBLISHED"]["event"]["id"] == event_id
    assert by_type["EVENT_UPDATED"]["changed"] == ["title"]
    assert by_type["EVENT_CANCELLED"]["event"]["status"] == "CANCELLED"
    signup = by_type["SIGNUP_CREATED"]["signup"]
    assert signup["volunteer"]["displayName"] == "李阿姨" and signup["shiftId"] == shift_id
    assert signup["status"] == "CONFIRMED"
    assert by_type["SIGNUP_CANCELLED"]["signup"]["status"] == "CANCELLED"
    seats = [p["data"]["shift"] for _, p in leader_got if p["type"] == "SHIFT_SEATS_CHANGED"]
    assert [s["id"] for s in seats] == [shift_id, shift_id]
    # Never a phone number, in any message to anyone.
    phones = {leader.phone, volunteer.phone}
    for r in receiver.received:
        assert not any(p in r.body.decode() for p in phones)
        assert "phone" not in r.body.decode()
        assert r.headers["webhook-signature"].startswith("v1,")
        assert r.headers["content-type"] == "application/json"

    log = (await gql.ok(MINE))["viewer"]["webhooks"][0]["deliveries"]
    assert log["totalCount"] == 7
    assert {d["status"] for d in log["nodes"]} == {"DELIVERED"}
    assert {d["messageId"] for d in log["nodes"]} == {mid for mid, _ in leader_got}


async def test_a_failing_receiver_is_retried_with_backoff_and_delivered_once(
    client: httpx.AsyncClient, database, allow_private, receiver: Receiver, fake_clock: FakeClock
) -> None:
    gql = GraphQLClient(client)
    leader = await factories.volunteer("王组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, status=EventStatus.DRAFT)
    factories.log_in_as(client, leader)
    made = await _create(gql, receiver.url, ["EVENT_PUBLISHED"])
    receiver.script = [500, 500]
    await gql.ok(PUBLISH, {"id": encode_id("Event", event.id)})

    await _ticks()
    assert len(receiver.received) == 1  # 500: tried again later, not at once
    pending = (await gql.ok(MINE))["viewer"]["webhooks"][0]["deliveries"]["nodes"][0]
    assert pending["status"] == "PENDING" and pending["lastStatusCode"] == 500
    assert pending["nextAttemptAt"] is not None and pending["attemptCount"] == 1
    fake_clock.advance(delivery.retry_delay(1) + timedelta(seconds=1))
    await _ticks()
    assert len(receiver.received) == 2
    fake_clock.advance(delivery.retry_delay(2) + timedelta(seconds=1))
    await _ticks()
    fake_clock.advance(timedelta(days=2))
    await _ticks()

    got = _verified(receiver, made["secret"])
    assert len(got) == 3 and len({mid for mid, _ in got}) == 1  # one message, three attempts
    assert [p for _, p in got] == [got[0][1]] * 3  # the same body each time
    done = (await gql.ok(MINE))["viewer"]["webhooks"][0]
    assert done["enabled"] is True and done["failingSince"] is None
    log = done["deliveries"]["nodes"][0]
    assert (log["status"], log["attemptCount"], log["nextAttemptAt"]) == ("DELIVERED", 3, None)
    assert [a["statusCode"] for a in log["attempts"]] == [500, 500, 200]
    assert [a["error"] for a in log["attempts"]] == ["HTTP 500", "HTTP 500", None]
    fake_clock.advance(webhooks.LOG_KEPT - timedelta(days=1))  # 31 days after the message
    await _ticks()  # the log keeps 30 days
    assert (await gql.ok(MINE))["viewer"]["webhooks"][0]["deliveries"]["totalCount"] == 0


async def test_a_webhook_failing_for_a_day_is_disabled_and_its_owner_enables_it_again(
    client: httpx.AsyncClient, database, allow_private, receiver: Receiver, fake_clock: FakeClock
) -> None:
    gql = GraphQLClient(client)
    leader = await factories.volunteer("王组长")
    team = await factories.team(leaders=(leader,))
    first = await factories.event(team, status=EventStatus.DRAFT)
    second = await factories.event(team, status=EventStatus.DRAFT, title="义诊")
    factories.log_in_as(client, leader)
    made = await _create(gql, receiver.url, ["EVENT_PUBLISHED"])
    receiver.script = [503] * 1000
    await gql.ok(PUBLISH, {"id": encode_id("Event", first.id)})
    await _ticks()
    for _ in range(6):  # retried ever more rarely; after a day of failures it is switched off
        fake_clock.advance(timedelta(hours=5))
        await _ticks()
    hook = (await gql.ok(MINE))["viewer"]["webhooks"][0]
    assert (hook["enabled"], hook["disabledReason"]) == (False, "FAILING")
    tried = len(receiver.received)
    assert 2 <= tried < delivery.MAX_ATTEMPTS

    await gql.ok(PUBLISH, {"id": encode_id("Event", second.id)})
    fake_clock.advance(timedelta(days=1))
    await _ticks()
    assert len(receiver.received) == tried  # a disabled webhook is left alone
    assert await WebhookDelivery.all().count() == 1  # and nothing new is queued for it

    receiver.script = []
    enabled = await gql.ok(UPDATE, {"id": made["webhook"]["id"], "enabled": True})
    assert enabled["updateWebhook"]["webhook"] == {"enabled": True, "disabledReason": None}
    await _ticks()
    got = _verified(receiver, made["secret"])
    assert len(receiver.received) == tried + 1  # the waiting message, at once
    assert len({mid for mid, _ in got}) == 1
    assert (await gql.ok(MINE))["viewer"]["webhooks"][0]["deliveries"]["nodes"][0][
        "status"
    ] == "DELIVERED"


async def test_the_owner_redelivers_with_the_same_webhook_id(
    client: httpx.AsyncClient, database, allow_private, receiver: Receiver, monkeypatch
) -> None:
    gql = GraphQLClient(client)
    leader = await factories.volunteer("王组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, status=EventStatus.DRAFT)
    factories.log_in_as(client, leader)
    made = await _create(gql, receiver.url, ["EVENT_PUBLISHED"])
    await gql.ok(PUBLISH, {"id": encode_id("Event", event.id)})
    await _ticks()
    delivery_id = (await gql.ok(MINE))["viewer"]["webhooks"][0]["deliveries"]["nodes"][0]["id"]

    stranger = await factories.volunteer("路人")
    factories.log_in_as(client, stranger)
    theirs = await gql.ok(REDELIVER, {"id": delivery_id})
    assert theirs["redeliverWebhook"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await gql.ok(MINE))["viewer"]["webhooks"] == []  # nor do they see the log
    not_theirs = await gql.ok(UPDATE, {"id": made["webhook"]["id"], "enabled": False})
    assert not_theirs["updateWebhook"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await gql.ok(DELETE, {"id": made["webhook"]["id"]}))["deleteWebhook"]["userErrors"][0][
        "code"
    ] == "NOT_FOUND"
    for hidden in (made["webhook"]["id"], delivery_id):
        assert (await gql.ok(NODE, {"id": hidden}))["node"] is None

    factories.log_in_as(client, leader)
    assert (await gql.ok(NODE, {"id": delivery_id}))["node"]["status"] == "DELIVERED"
    assert (await gql.ok(NODE, {"id": made["webhook"]["id"]}))["node"]["url"] == receiver.url
    again = (await gql.ok(REDELIVER, {"id": delivery_id}))["redeliverWebhook"]
    assert again == {"delivery": {"status": "PENDING", "attemptCount": 0}, "userErrors": []}
    await _ticks()
    got = _verified(receiver, made["secret"])
    assert len(got) == 2 and got[0] == got[1]  # the same id and body, signed again
    # redeliveries at once, beyond the hourly quota: refused, never sent beyond it
    monkeypatch.setattr(webhooks, "REDELIVERIES_PER_HOUR", 3)
    burst = await asyncio.gather(*(gql.ok(REDELIVER, {"id": delivery_id}) for _ in range(8)))
    refused = [
        b["redeliverWebhook"]["userErrors"] for b in burst if b["redeliverWebhook"]["userErrors"]
    ]
    assert len(refused) >= 6  # one was asked for above: at most two more
    assert {errors[0]["code"] for errors in refused} == {"RATE_LIMITED"}
    deleted = (await gql.ok(DELETE, {"id": made["webhook"]["id"]}))["deleteWebhook"]
    assert deleted == {"deletedWebhookId": made["webhook"]["id"], "userErrors": []}
    assert not await WebhookDelivery.exists()


async def test_private_destinations_are_refused_without_the_setting(
    client: httpx.AsyncClient, database
) -> None:
    gql = GraphQLClient(client)
    factories.log_in_as(client, await factories.volunteer())
    cases = {
        "http://127.0.0.1:9/hook": "HTTPS_REQUIRED",
        "https://127.0.0.1/hook": "PRIVATE_DESTINATION",
        "https://localhost:8443/hook": "PRIVATE_DESTINATION",
        "https://10.1.2.3/": "PRIVATE_DESTINATION",
        "https://169.254.169.254/latest/meta-data": "PRIVATE_DESTINATION",
        "https://[::1]/": "PRIVATE_DESTINATION",
        "https://[::ffff:192.168.1.1]/": "PRIVATE_DESTINATION",
        "https://[fe80::1]/": "PRIVATE_DESTINATION",
        "https://224.0.0.1/": "PRIVATE_DESTINATION",
        "https://0.0.0.0/": "PRIVATE_DESTINATION",
        "https://100.64.0.1/": "PRIVATE_DESTINATION",
        "ftp://example.com/": "INVALID_URL",
        "https://user:secret@example.com/": "INVALID_URL",
        "not a url": "INVALID_URL",
        "": "INVALID_URL",
        "https://" + "a" * 2100 + ".com/": "INVALID_URL",
        "https://no-such-host.invalid/": "UNRESOLVABLE_HOST",
    }
    for url, code in cases.items():
        made = await _create(gql, url, ["EVENT_PUBLISHED"])
        assert [(e["code"], e["field"]) for e in made["userErrors"]] == [(code, ["url"])], url
        assert made["webhook"] is None
    zh = await gql(
        CREATE, {"url": "https://127.0.0.1/", "events": PUBLIC}, **{"Accept-Language": "zh-CN"}
    )
    en = await gql(
        CREATE, {"url": "https://127.0.0.1/", "events": PUBLIC}, **{"Accept-Language": "en"}
    )
    zh_message = zh["data"]["createWebhook"]["userErrors"][0]["message"]
    en_message = en["data"]["createWebhook"]["userErrors"][0]["message"]
    assert zh_message != en_message and "公网" in zh_message and "public" in en_message
    assert not await Webhook.exists()


async def test_a_name_that_resolves_to_an_inside_address_later_is_refused_at_delivery(
    database, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """DNS rebinding: public when the webhook is made, loopback when it is sent: refused,
    and nothing reaches the inside address."""
    from api.infra import destinations

    answers = {"hooks.example.com": ["93.184.215.14"]}

    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]

    monkeypatch.setattr(destinations, "resolver", resolve)
    leader = await factories.volunteer("王组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, status=EventStatus.DRAFT)
    actor = Actor(volunteer=leader)
    port = receiver.url.split(":")[2].split("/")[0]
    _, hook = await webhooks.create_webhook(
        actor,
        f"https://hooks.example.com:{port}/hook",
        [webhooks.WebhookEvent.EVENT_PUBLISHED],
        None,
    )
    answers["hooks.example.com"] = ["127.0.0.1"]
    from api.domain import events

    await events.publish_event(actor, event.id)
    await _ticks()
    assert receiver.received == []
    message = await WebhookDelivery.get(webhook_id=hook.id)
    attempts = await webhooks.attempts_of(message)
    assert [(a.status_code, a.error) for a in attempts] == [(None, "refused: PRIVATE_DESTINATION")]
    answers["hooks.example.com"] = ["93.184.215.14", "::ffff:10.0.0.7"]  # one bad answer is enough
    refused = await webhook_sender_post(f"https://hooks.example.com:{port}/hook")
    assert refused.error == "refused: PRIVATE_DESTINATION"


async def webhook_sender_post(url: str):  # type: ignore[no-untyped-def]
    from api.infra import webhook_sender

    return await webhook_sender.post(url, "{}", {}, allow_private=False)


def test_addresses_inside_any_private_range_are_forbidden() -> None:
    import ipaddress

    from api.infra.destinations import is_forbidden

    inside = [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254", "100.64.1.1",
        "0.0.0.0", "224.0.0.251", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "2001:db8::1", "fec0::1",
    ]  # fmt: skip
    outside = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
    assert [a for a in inside if not is_forbidden(ipaddress.ip_address(a))] == []
    assert [a for a in outside if is_forbidden(ipaddress.ip_address(a))] == []


async def test_scopes_are_enforced(client: httpx.AsyncClient, database) -> None:
    from api.domain import api_tokens
    from api.domain.api_tokens import ApiScope

    gql = GraphQLClient(client)
    leader = await factories.volunteer("王组长")
    await factories.team(leaders=(leader,))
    reader, _ = await api_tokens.create_token_for(leader, "r", [ApiScope.READ_PUBLIC], None)
    hooks, _ = await api_tokens.create_token_for(
        leader, "h", [ApiScope.READ_PUBLIC, ApiScope.WEBHOOKS], None
    )
    personal, _ = await api_tokens.create_token_for(
        leader, "p", [ApiScope.READ_PERSONAL, ApiScope.WEBHOOKS], None
    )
    factories.log_in_as(client, None)
    url = "https://93.184.215.14/hook"
    refused = await gql(CREATE, {"url": url, "events": PUBLIC}, **_bearer(reader))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] is None
    made = await _create(gql, url, PUBLIC, **_bearer(hooks))
    assert made["userErrors"] == []
    no_personal = await _create(gql, url, ["SIGNUP_CREATED"], **_bearer(hooks))
    assert no_personal["userErrors"][0]["code"] == "FORBIDDEN"
    leader_token = await _create(gql, url, ["SIGNUP_CREATED"], **_bearer(personal))
    assert leader_token["userErrors"] == []
    listed = await gql("{ viewer { webhooks { url } } }", **_bearer(reader))
    assert listed["data"]["viewer"]["webhooks"] == []  # no WEBHOOKS scope: nothing to read
    listed = await gql("{ viewer { webhooks { url } } }", **_bearer(hooks))
    assert len(listed["data"]["viewer"]["webhooks"]) == 2
    for mutation, variables in (
        (UPDATE, {"id": made["webhook"]["id"], "enabled": False}),
        (DELETE, {"id": made["webhook"]["id"]}),
        (REDELIVER, {"id": encode_id("WebhookDelivery", 1)}),
    ):
        body = await gql(mutation, variables, **_bearer(reader))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_burst_of_creations_cannot_pass_the_limit(
    client: httpx.AsyncClient, database
) -> None:
    owner = await factories.volunteer("王组长")
    url = "https://93.184.215.14/hook"

    async def create() -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"url": url, "events": PUBLIC}},
            headers=cookie_for(owner.id),
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()["data"]["createWebhook"]
        return answer

    answers = await asyncio.gather(*(create() for _ in range(3 * webhooks.MAX_WEBHOOKS)))
    made = [a for a in answers if not a["userErrors"]]
    refused = {e["code"] for a in answers for e in a["userErrors"]}
    assert len(made) == webhooks.MAX_WEBHOOKS and refused == {"WEBHOOK_LIMIT_REACHED"}
    assert await Webhook.filter(volunteer_id=owner.id).count() == webhooks.MAX_WEBHOOKS
    assert await Volunteer.exists(id=owner.id)
    assert json.dumps(answers).count("whsec_") == webhooks.MAX_WEBHOOKS


async def test_one_attempt_follows_no_redirect_and_has_a_deadline(receiver: Receiver) -> None:
    from api.infra import webhook_sender

    headers = webhook_sender.signed_headers(webhook_secrets.new_secret(), "msg_1", "{}")
    receiver.script = [302]
    moved = await webhook_sender.post(receiver.url, "{}", headers, allow_private=True)
    assert (moved.status_code, moved.error, moved.delivered) == (302, "HTTP 302", False)
    assert len(receiver.received) == 1  # the Location was not followed
    receiver.answer_size = 5 * 1024 * 1024  # a huge answer: read up to the cap, still counted
    big = await webhook_sender.post(receiver.url, "{}", headers, allow_private=True)
    assert big.delivered
    receiver.answer_size, receiver.delay = 2, 2.0
    slow = await webhook_sender.post(receiver.url, "{}", headers, allow_private=True, seconds=0.2)
    assert (slow.status_code, slow.error) == (None, "timeout")
    refused = await webhook_sender.post(receiver.url, "{}", headers, allow_private=False)
    assert refused.error == "refused: HTTPS_REQUIRED"


async def test_a_secret_sealed_under_another_master_key_does_not_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = webhook_secrets.new_secret()
    sealed = webhook_secrets.seal(secret)
    assert webhook_secrets.reveal(sealed) == secret
    monkeypatch.setattr(webhook_secrets, "key_for", lambda purpose: b"k" * 32)  # a new master
    with pytest.raises(webhook_secrets.UnreadableSecret):
        webhook_secrets.reveal(sealed)
    with pytest.raises(webhook_secrets.UnreadableSecret):
        webhook_secrets.reveal(secret)  # never stored in the clear


async def test_the_connection_goes_to_the_checked_address_under_the_right_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from api.infra import destinations, webhook_sender

    async def resolve(host: str, port: int) -> list[str]:
        return ["2606:4700:4700::1111", "93.184.215.14"]

    monkeypatch.setattr(destinations, "resolver", resolve)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    outcome = await webhook_sender.post(
        "https://Hooks.Example.com/linli?x=1",
        "{}",
        {"webhook-id": "msg_1"},
        allow_private=False,
        transport=httpx.MockTransport(answer),
    )
    assert outcome.delivered
    (request,) = seen
    assert str(request.url) == "https://[2606:4700:4700::1111]/linli?x=1"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"

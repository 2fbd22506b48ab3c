"""Webhooks on the 开发者 page (`/me/developer`), as a volunteer with a phone and no script
meets them: make one (its signing secret once), see it listed, read its delivery log, have a
message sent again, turn it off and on, delete it — and nobody else's, whatever the id; an API
token meets the page with the scopes the API gives it."""

from __future__ import annotations

import re
from html import unescape

import httpx
from standardwebhooks.webhooks import Webhook as Verifier

from api.domain import api_tokens
from api.domain.api_tokens import ApiScope
from api.http.ids import encode_id
from api.infra import clock, webhook_secrets
from api.models import ApiToken, EventStatus, Webhook, WebhookDelivery
from tests import factories
from tests.conftest import GraphQLClient
from tests.graphql import test_webhooks as api_webhooks
from tests.graphql.test_webhooks import PUBLISH, _ticks
from tests.support.webhook_receiver import Receiver

# The API tests' fixtures: `LINLI_WEBHOOK_ALLOW_PRIVATE=1`, and a real receiver on loopback.
allow_private = api_webhooks.allow_private
receiver = api_webhooks.receiver

PAGE = "/me/developer"
PUBLIC_URL = "https://93.184.215.14/hook"  # a public address literal: nothing to resolve


def _secret(html: str) -> str:
    found = re.search(r'id="webhook-secret".*?<code class="secret">([^<]+)</code>', html, re.S)
    assert found, html
    return unescape(found.group(1))


def _text(html: str) -> str:
    """What a person reads (tags dropped, entities decoded)."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _log_path(webhook: Webhook) -> str:
    return f"{PAGE}/webhooks/{encode_id('Webhook', webhook.id)}"


async def _one_made(client: httpx.AsyncClient) -> Webhook:
    """A logged-in volunteer with one webhook (made on the page)."""
    me = await factories.volunteer()
    factories.log_in_as(client, me)
    await _make(client, PUBLIC_URL)
    return await Webhook.get(volunteer_id=me.id)


async def _make(client: httpx.AsyncClient, url: str, **fields: object) -> httpx.Response:
    data: dict[str, object] = {
        "action": "create_webhook",
        "url": url,
        "events": ["EVENT_PUBLISHED", "EVENT_UPDATED"],
        "description": "区志愿服务大屏",
        **fields,
    }
    return await client.post(PAGE, data=data)


async def test_a_webhook_is_made_its_secret_shown_once_and_listed(
    client: httpx.AsyncClient, database
) -> None:
    me = await factories.volunteer("王晓")
    factories.log_in_as(client, me)
    empty = await client.get(PAGE)
    assert empty.status_code == 200
    assert "还没有 Webhook" in empty.text
    # Sensible defaults: the published/changed/cancelled events ticked, not the seats.
    ticked = re.findall(r'name="events" value="(\w+)" checked', empty.text)
    assert ticked == ["EVENT_PUBLISHED", "EVENT_UPDATED", "EVENT_CANCELLED"]
    assert "SIGNUP_CREATED" not in empty.text  # a volunteer who leads no team is not offered it

    made = await _make(client, PUBLIC_URL)
    assert made.status_code == 200
    secret = _secret(made.text)
    assert secret.startswith("whsec_") and "只显示这一次" in made.text
    row = await Webhook.get(volunteer_id=me.id)
    assert webhook_secrets.reveal(row.secret) == secret  # the secret that signs its messages
    assert (row.url, row.description) == (PUBLIC_URL, "区志愿服务大屏")

    listed = await client.get(PAGE)
    assert listed.status_code == 200 and secret not in listed.text  # once only
    assert "webhook-secret" not in listed.text
    text = _text(listed.text)
    assert PUBLIC_URL in text and "区志愿服务大屏" in text
    assert "订阅：活动发布和活动变更" in text and "已启用" in text
    assert "创建于 20" in text and "还没有 Webhook" not in text
    assert _log_path(row) in listed.text


async def test_refusals_are_shown_in_chinese_and_nothing_is_made(
    client: httpx.AsyncClient, database
) -> None:
    factories.log_in_as(client, await factories.volunteer())
    private = await _make(client, "https://192.168.1.20/hook", description="内网")
    assert private.status_code == 422
    text = _text(private.text)
    assert "公网" in text  # the API's zh-CN message for PRIVATE_DESTINATION
    assert 'aria-invalid="true"' in private.text
    assert 'value="https://192.168.1.20/hook"' in private.text  # what was typed is kept
    assert 'value="内网"' in private.text
    assert "whsec_" not in private.text

    plain = await _make(client, "http://93.184.215.14/hook")
    assert plain.status_code == 422 and "https" in _text(plain.text)
    no_events = await _make(client, PUBLIC_URL, events=[])
    assert no_events.status_code == 422 and "至少" in _text(no_events.text)
    not_a_leader = await _make(client, PUBLIC_URL, events=["SIGNUP_CREATED"])
    assert not_a_leader.status_code == 422 and "负责人" in _text(not_a_leader.text)
    assert not await Webhook.exists()


async def test_a_leader_is_offered_sign_up_events(client: httpx.AsyncClient, database) -> None:
    leader = await factories.volunteer("王组长")
    await factories.team(leaders=(leader,))
    factories.log_in_as(client, leader)
    page = await client.get(PAGE)
    assert 'value="SIGNUP_CREATED"' in page.text and "有人报名" in page.text
    made = await _make(client, PUBLIC_URL, events=["SIGNUP_CREATED"])
    assert made.status_code == 200 and _secret(made.text)


async def test_the_delivery_log_shows_messages_and_redelivers(
    client: httpx.AsyncClient, database, allow_private, receiver: Receiver
) -> None:
    leader = await factories.volunteer("王组长")
    team = await factories.team(leaders=(leader,))
    event = await factories.event(team, status=EventStatus.DRAFT)
    factories.log_in_as(client, leader)
    secret = _secret((await _make(client, receiver.url)).text)
    row = await Webhook.get(volunteer_id=leader.id)

    empty = await client.get(_log_path(row))
    assert empty.status_code == 200 and "还没有消息" in empty.text

    await GraphQLClient(client).ok(PUBLISH, {"id": encode_id("Event", event.id)})
    await _ticks()
    assert len(receiver.received) == 1
    log = await client.get(_log_path(row))
    assert log.status_code == 200
    text = _text(log.text)
    assert "活动发布" in text and "已送达" in text and "HTTP 200" in text
    assert "尝试次数 1" in text
    delivery = await WebhookDelivery.get(webhook_id=row.id)
    local = delivery.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%H:%M") in text  # the time in Asia/Shanghai

    again = await client.post(
        _log_path(row), data={"deliveryId": encode_id("WebhookDelivery", delivery.id)}
    )
    assert again.status_code == 303
    shown = await client.get(again.headers["location"])
    assert "正在重新投递" in shown.text
    await _ticks()
    got = [
        (r.headers["webhook-id"], Verifier(secret).verify(r.body, r.headers))
        for r in receiver.received
    ]
    assert len(got) == 2 and got[0] == got[1]  # the same message (webhook-id), signed again

    # Turned off: no redelivery, and the page says why.
    off = await client.post(
        PAGE, data={"action": "disable_webhook", "id": encode_id("Webhook", row.id)}
    )
    assert off.status_code == 303
    assert "已停用" in _text((await client.get(PAGE)).text)
    log = await client.get(_log_path(row))
    assert "重新投递" not in _text(log.text).replace("不能重新投递", "")
    refused = await client.post(
        _log_path(row), data={"deliveryId": encode_id("WebhookDelivery", delivery.id)}
    )
    assert refused.status_code == 422 and "请先启用" in _text(refused.text)
    on = await client.post(
        PAGE, data={"action": "enable_webhook", "id": encode_id("Webhook", row.id)}
    )
    assert on.status_code == 303 and (await Webhook.get(id=row.id)).enabled


async def test_a_webhook_failing_shows_it(client: httpx.AsyncClient, database) -> None:
    row = await _one_made(client)
    await Webhook.filter(id=row.id).update(
        enabled=False, disabled_reason="FAILING", disabled_at=factories.soon(days=-1)
    )
    assert "因多次投递失败已自动停用" in _text((await client.get(PAGE)).text)


async def test_deleting_a_webhook_removes_it_and_its_log(
    client: httpx.AsyncClient, database
) -> None:
    row = await _one_made(client)
    deleted = await client.post(
        PAGE, data={"action": "delete_webhook", "id": encode_id("Webhook", row.id)}
    )
    assert deleted.status_code == 303
    assert not await Webhook.exists()
    assert "还没有 Webhook" in (await client.get(PAGE)).text
    assert (await client.get(_log_path(row))).status_code == 404


async def test_another_account_can_neither_see_nor_touch_a_webhook(
    client: httpx.AsyncClient, database
) -> None:
    owner = await factories.volunteer("王晓")
    other = await factories.volunteer("李四")
    factories.log_in_as(client, owner)
    await _make(client, PUBLIC_URL)
    row = await Webhook.get(volunteer_id=owner.id)
    delivered_at = clock.now()
    delivery = await WebhookDelivery.create(  # delivered: a redelivery would reset both
        webhook_id=row.id,
        event_type="EVENT_PUBLISHED",
        message_id="msg_x",
        payload="{}",
        delivered_at=delivered_at,
        delivery_attempts=3,
    )

    factories.log_in_as(client, other)
    mine = await client.get(PAGE)
    assert PUBLIC_URL not in mine.text and "还没有 Webhook" in mine.text
    page = await client.get(_log_path(row))
    assert page.status_code == 404 and PUBLIC_URL not in page.text
    assert (await client.get(f"{PAGE}/webhooks/{row.id}")).status_code == 404
    assert (await client.get(f"{PAGE}/webhooks/not-an-id")).status_code == 404
    redelivered = await client.post(
        _log_path(row), data={"deliveryId": encode_id("WebhookDelivery", delivery.id)}
    )
    assert redelivered.status_code == 404
    # The other's own webhook page cannot be used to redeliver the owner's message either.
    await _make(client, PUBLIC_URL)
    theirs = await Webhook.get(volunteer_id=other.id)
    borrowed = await client.post(
        _log_path(theirs), data={"deliveryId": encode_id("WebhookDelivery", delivery.id)}
    )
    assert borrowed.status_code == 404
    for action in ("disable_webhook", "enable_webhook", "delete_webhook"):
        answer = await client.post(
            PAGE, data={"action": action, "id": encode_id("Webhook", row.id)}
        )
        assert answer.status_code == 404, action
    still = await Webhook.get(id=row.id)
    assert still.enabled
    unchanged = await WebhookDelivery.get(id=delivery.id)
    assert (unchanged.delivery_attempts, unchanged.delivered_at) == (3, delivered_at)


async def test_a_form_from_another_site_is_refused(client: httpx.AsyncClient, database) -> None:
    factories.log_in_as(client, await factories.volunteer())
    forged = await client.post(
        PAGE,
        data={"action": "create_webhook", "url": PUBLIC_URL, "events": ["EVENT_PUBLISHED"]},
        headers={"Origin": "http://elsewhere.test", "Sec-Fetch-Site": "cross-site"},
    )
    assert forged.status_code == 403
    assert not await Webhook.exists()


async def test_api_tokens_meet_the_webhooks_scope_on_the_page_as_in_the_api(
    client: httpx.AsyncClient, database
) -> None:
    row = await _one_made(client)
    me = await row.volunteer
    client.cookies.clear()

    async def token(*scopes: ApiScope) -> dict[str, str]:
        secret, _ = await api_tokens.create_token_for(me, "t", list(scopes), None)
        return {"Authorization": f"Bearer {secret}"}

    reader = await token(ApiScope.READ_PUBLIC)
    hooks = await token(ApiScope.READ_PUBLIC, ApiScope.WEBHOOKS)
    hooks_only = await token(ApiScope.WEBHOOKS)
    gql = GraphQLClient(client)
    api_view = await gql("{ viewer { webhooks { url } } }", **reader)
    page = await client.get(PAGE, headers=reader)
    # Without WEBHOOKS: the API lists none, and neither does the page; the log is not found.
    assert api_view["data"]["viewer"]["webhooks"] == []
    assert page.status_code == 200 and PUBLIC_URL not in page.text
    assert (await client.get(_log_path(row), headers=reader)).status_code == 404
    made = await client.post(
        PAGE,
        data={"action": "create_webhook", "url": PUBLIC_URL, "events": ["EVENT_PUBLISHED"]},
        headers=reader,
    )
    assert made.status_code == 403
    off = await client.post(
        PAGE, data={"action": "delete_webhook", "id": encode_id("Webhook", row.id)}, headers=reader
    )
    assert off.status_code == 403 and await Webhook.filter(volunteer_id=me.id).count() == 1
    # With WEBHOOKS: what the API allows, the page allows.
    assert PUBLIC_URL in (await client.get(PAGE, headers=hooks)).text
    assert (await client.get(_log_path(row), headers=hooks)).status_code == 200
    made = await client.post(
        PAGE,
        data={"action": "create_webhook", "url": PUBLIC_URL, "events": ["EVENT_PUBLISHED"]},
        headers=hooks,
    )
    assert made.status_code == 200 and _secret(made.text)
    # No read scope: the API reads nothing, the page shows nothing (403, not a failure).
    assert (await gql("{ viewer { id } }", **hooks_only))["errors"][0]["extensions"][
        "code"
    ] == "FORBIDDEN"
    assert (await client.get(PAGE, headers=hooks_only)).status_code == 403


async def test_an_unknown_action_does_nothing(client: httpx.AsyncClient, database) -> None:
    """A made-up action (or the log page's redelivery sent here) used to fall through to the
    token form and create an API token; it is a 404 and nothing is made."""
    factories.log_in_as(client, await factories.volunteer("王晓"))
    for action in ("foo_webhook", "redeliver", "drop_everything"):
        answer = await client.post(PAGE, data={"action": action, "name": "看板"})
        assert answer.status_code == 404, action
    assert not await ApiToken.exists()
    assert not await Webhook.exists()

"""Verified phones: SMS one-time codes for registering, logging in and resetting a password."""

import asyncio
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime

import httpx

from api.infra import sms
from api.jobs import delivery
from api.models import PhoneCode, SmsMessage, Volunteer
from tests import factories
from tests.accounts.conftest import (
    GOOD_PASSWORD,
    LOG_IN,
    LOG_IN_WITH_CODE,
    REGISTER,
    RESET_PASSWORD,
    request_code,
)
from tests.conftest import GraphQLClient

PHONE = "13812345678"


async def test_registering_takes_the_code_sent_to_the_phone(client, database, sms_gateway):
    gql = GraphQLClient(client)
    sent = await request_code(gql, "+86 138-1234-5678")
    assert sent == {"retryAfterSeconds": 60, "userErrors": []}
    assert len(sms_gateway.to(PHONE)) == 1
    code = sms_gateway.code_for(PHONE)
    assert "【邻里】" in sms_gateway.to(PHONE)[0].text

    variables = {"phone": PHONE, "password": GOOD_PASSWORD, "name": "王阿姨"}
    no_code = await gql.ok(REGISTER, variables)
    assert [e["field"] for e in no_code["register"]["userErrors"]] == [["code"]]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    bad = await gql.ok(REGISTER, {**variables, "code": wrong})
    assert bad["register"]["userErrors"][0]["code"] == "BAD_PHONE_CODE"
    assert await Volunteer.all().count() == 0

    done = await gql.ok(REGISTER, {**variables, "code": code})
    assert done["register"]["userErrors"] == []
    assert done["register"]["volunteer"]["phone"] == PHONE
    assert (await gql.ok("{ viewer { displayName } }"))["viewer"]["displayName"] == "王阿姨"
    volunteer = await Volunteer.get(phone=PHONE)
    assert volunteer.phone_verified_at is not None
    # Only a hash of the code is kept; the SMS text is blanked once the gateway took it.
    row = await PhoneCode.get(phone=PHONE)
    assert code not in row.code_hash and row.used_at is not None
    assert {m.text for m in await SmsMessage.all()} == {""}

    client.cookies.clear()
    again = await gql.ok(REGISTER, {**variables, "phone": PHONE, "code": code})
    assert again["register"]["userErrors"][0]["code"] == "PHONE_CODE_EXPIRED"


async def test_the_answer_never_reveals_whether_a_number_is_registered(
    client, database, sms_gateway
):
    gql = GraphQLClient(client)
    owner = await factories.volunteer("李师傅")
    stranger = "13998765432"
    for purpose in ("REGISTER", "LOG_IN", "RESET_PASSWORD"):
        answers = [await request_code(gql, p, purpose) for p in (owner.phone, stranger)]
        assert answers[0] == answers[1] == {"retryAfterSeconds": 60, "userErrors": []}
        await PhoneCode.filter(phone__in=[owner.phone, stranger]).update(
            sent_at=datetime(2000, 1, 1, tzinfo=UTC)
        )
    # Every accepted request sent one SMS; a number that cannot use the purpose is told so
    # (no code), which only the phone's holder reads.
    assert len(sms_gateway.to(owner.phone)) == len(sms_gateway.to(stranger)) == 3
    has_code = [
        [bool(re.search(r"\b\d{6}\b", m.text)) for m in sms_gateway.to(p)]
        for p in (owner.phone, stranger)
    ]
    assert has_code == [[False, True, True], [True, False, False]]


async def test_cool_down_expiry_and_a_new_code_replacing_the_old(
    client, database, sms_gateway, frozen_clock
):
    gql = GraphQLClient(client)
    owner = await factories.volunteer("赵大姐")
    await request_code(gql, owner.phone, "LOG_IN")
    first = sms_gateway.code_for(owner.phone)
    frozen_clock.advance(seconds=20)
    early = await request_code(gql, owner.phone, "LOG_IN")
    assert early["userErrors"][0]["code"] == "RATE_LIMITED"
    assert early["retryAfterSeconds"] == 40
    assert len(sms_gateway.to(owner.phone)) == 1

    frozen_clock.advance(seconds=41)
    assert (await request_code(gql, owner.phone, "LOG_IN"))["userErrors"] == []
    second = sms_gateway.code_for(owner.phone)
    if first != second:
        old = await gql.ok(LOG_IN_WITH_CODE, {"phone": owner.phone, "code": first})
        assert old["logInWithCode"]["userErrors"][0]["code"] == "BAD_PHONE_CODE"

    frozen_clock.advance(minutes=5, seconds=1)
    late = await gql.ok(LOG_IN_WITH_CODE, {"phone": owner.phone, "code": second})
    assert late["logInWithCode"]["userErrors"][0]["code"] == "PHONE_CODE_EXPIRED"

    await request_code(gql, owner.phone, "LOG_IN")
    third = sms_gateway.code_for(owner.phone)
    ok = await gql.ok(LOG_IN_WITH_CODE, {"phone": owner.phone, "code": third})
    assert ok["logInWithCode"] == {"volunteer": {"displayName": "赵大姐"}, "userErrors": []}


async def test_daily_caps_per_phone_and_per_address(
    client, database, sms_gateway, frozen_clock, account_settings
):
    account_settings(LINLI_SMS_CODES_PER_PHONE="3", LINLI_SMS_CODES_PER_ADDRESS="5")
    gql = GraphQLClient(client)
    answers = []
    for _ in range(4):
        answers.append(await request_code(gql, PHONE))
        frozen_clock.advance(seconds=61)
    assert [a["userErrors"] for a in answers[:3]] == [[], [], []]
    assert answers[3]["userErrors"][0]["code"] == "RATE_LIMITED"
    assert answers[3]["retryAfterSeconds"] > 60
    assert len(sms_gateway.to(PHONE)) == 3

    others = [await request_code(gql, f"1370000000{i}") for i in range(4)]
    assert [bool(a["userErrors"]) for a in others] == [False, False, True, True]
    assert len(sms_gateway.sent) == 5

    frozen_clock.advance(days=1)
    assert (await request_code(gql, PHONE))["userErrors"] == []


async def test_twenty_parallel_requests_send_one_sms(client, database, sms_gateway):
    gql = GraphQLClient(client)
    answers = await asyncio.gather(*(request_code(gql, PHONE) for _ in range(20)))
    refused = [a for a in answers if a["userErrors"]]
    assert len(refused) == 19
    assert {a["userErrors"][0]["code"] for a in refused} == {"RATE_LIMITED"}
    assert len(sms_gateway.to(PHONE)) == 1
    assert await SmsMessage.filter(phone=PHONE).count() == 1


async def test_thirty_parallel_wrong_codes_get_only_the_tries_allowed(
    client, database, sms_gateway
):
    gql = GraphQLClient(client)
    owner = await factories.volunteer("钱老师")
    await request_code(gql, owner.phone, "LOG_IN")
    code = sms_gateway.code_for(owner.phone)
    wrong = [f"{(int(code) + i) % 10**6:06d}" for i in range(1, 31)]
    answers = await asyncio.gather(
        *(gql.ok(LOG_IN_WITH_CODE, {"phone": owner.phone, "code": w}) for w in wrong)
    )
    codes = sorted(a["logInWithCode"]["userErrors"][0]["code"] for a in answers)
    assert codes == ["BAD_PHONE_CODE"] * 5 + ["PHONE_CODE_EXPIRED"] * 25
    assert (await PhoneCode.get(phone=owner.phone)).attempts == 5
    right = await gql.ok(LOG_IN_WITH_CODE, {"phone": owner.phone, "code": code})
    assert right["logInWithCode"]["userErrors"][0]["code"] == "PHONE_CODE_EXPIRED"


async def test_a_right_code_works_once_even_in_parallel(client, database, sms_gateway):
    gql = GraphQLClient(client)
    owner = await factories.volunteer("孙阿姨")
    await request_code(gql, owner.phone, "LOG_IN")
    code = sms_gateway.code_for(owner.phone)
    answers = await asyncio.gather(
        *(gql.ok(LOG_IN_WITH_CODE, {"phone": owner.phone, "code": code}) for _ in range(5))
    )
    logged_in = [a for a in answers if a["logInWithCode"]["volunteer"]]
    assert len(logged_in) == 1


async def test_a_code_for_a_number_without_an_account_never_logs_in(client, database, sms_gateway):
    gql = GraphQLClient(client)
    await request_code(gql, PHONE, "REGISTER")
    code = sms_gateway.code_for(PHONE)
    answer = await gql.ok(LOG_IN_WITH_CODE, {"phone": PHONE, "code": code})
    assert answer["logInWithCode"]["volunteer"] is None
    assert answer["logInWithCode"]["userErrors"][0]["code"] in (
        "BAD_PHONE_CODE",
        "PHONE_CODE_EXPIRED",
    )


async def test_reset_password_by_code_ends_every_session(client, database, sms_gateway):
    gql = GraphQLClient(client)
    owner = await factories.volunteer("周师傅")
    other_browser = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    factories.log_in_as(other_browser, owner)
    assert (await GraphQLClient(other_browser).ok("{ viewer { id } }"))["viewer"] is not None

    await request_code(gql, owner.phone, "RESET_PASSWORD")
    code = sms_gateway.code_for(owner.phone)
    weak = await gql.ok(
        RESET_PASSWORD, {"phone": owner.phone, "code": code, "password": "password123"}
    )
    assert weak["resetPassword"]["userErrors"][0]["field"] == ["newPassword"]
    done = await gql.ok(
        RESET_PASSWORD, {"phone": owner.phone, "code": code, "password": GOOD_PASSWORD}
    )
    assert done["resetPassword"] == {"volunteer": {"displayName": "周师傅"}, "userErrors": []}
    assert (await gql.ok("{ viewer { displayName } }"))["viewer"]["displayName"] == "周师傅"
    assert (await GraphQLClient(other_browser).ok("{ viewer { id } }"))["viewer"] is None
    await other_browser.aclose()

    client.cookies.clear()
    old = await gql.ok(LOG_IN, {"phone": owner.phone, "password": factories.PASSWORD})
    assert old["logIn"]["userErrors"][0]["code"] == "BAD_CREDENTIALS"
    new = await gql.ok(LOG_IN, {"phone": owner.phone, "password": GOOD_PASSWORD})
    assert new["logIn"]["userErrors"] == []


async def test_without_phone_verification_registering_needs_no_code(
    client, database, account_settings
):
    account_settings(LINLI_PHONE_VERIFICATION="off")
    gql = GraphQLClient(client)
    answer = await gql.ok(REGISTER, {"phone": PHONE, "password": GOOD_PASSWORD, "name": "小陈"})
    assert answer["register"]["userErrors"] == []
    assert (await Volunteer.get(phone=PHONE)).phone_verified_at is None


async def test_existing_accounts_keep_logging_in_with_their_password(client, database):
    gql = GraphQLClient(client)
    owner = await factories.volunteer("老账号")  # made before phones were verified
    answer = await gql.ok(LOG_IN, {"phone": owner.phone, "password": factories.PASSWORD})
    assert answer["logIn"]["volunteer"] == {"displayName": "老账号"}


async def test_the_webhook_gateway_is_signed_and_durable(client, database, account_settings):
    secret = "sms-gateway-secret"
    received: list[httpx.Request] = []
    up = False

    def answer(request: httpx.Request) -> httpx.Response:
        if not up:
            return httpx.Response(503)
        received.append(request)
        return httpx.Response(200)

    sms.set_gateway(
        sms.WebhookGateway(
            "https://sms.example/send", secret, transport=httpx.MockTransport(answer)
        )
    )
    try:
        gql = GraphQLClient(client)
        assert (await request_code(gql, PHONE))["userErrors"] == []
        pending = await SmsMessage.get(phone=PHONE)
        assert pending.delivered_at is None and pending.delivery_attempts == 1
        # The gateway is back; the retry time has come.
        up = True
        await SmsMessage.filter(id=pending.id).update(next_delivery_at=None)
        assert await delivery.deliver_pending_sms() == 1
    finally:
        sms.set_gateway(None)
    [request] = received
    body = json.loads(request.content)
    assert body["phone"] == PHONE and body["purpose"] == "REGISTER" and "验证码" in body["text"]
    assert request.headers["Idempotency-Key"] == f"sms-{pending.id}"
    timestamp = request.headers["X-Linli-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256)
    assert request.headers["X-Linli-Signature"] == "sha256=" + expected.hexdigest()
    assert (await SmsMessage.get(id=pending.id)).text == ""


async def test_the_file_gateway_appends_json_lines(tmp_path):
    gateway = sms.FileGateway(tmp_path / "sms.jsonl")
    await gateway.send(sms.Sms(id=1, phone=PHONE, purpose="LOG_IN", text="验证码 123456"))
    await gateway.send(sms.Sms(id=2, phone=PHONE, purpose="LOG_IN", text="验证码 654321"))
    lines = [json.loads(x) for x in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert [(x["id"], x["phone"], x["text"]) for x in lines] == [
        (1, PHONE, "验证码 123456"),
        (2, PHONE, "验证码 654321"),
    ]
    assert (tmp_path / "sms.jsonl").stat().st_mode & 0o077 == 0


async def test_a_burst_from_one_address_never_passes_its_daily_cap(
    client, database, sms_gateway, account_settings
):
    account_settings(LINLI_SMS_CODES_PER_ADDRESS="5")
    gql = GraphQLClient(client)
    phones = [f"1360000{i:04d}" for i in range(12)]
    answers = await asyncio.gather(*(request_code(gql, p) for p in phones))
    sent = [a for a in answers if not a["userErrors"]]
    assert len(sms_gateway.sent) == len(sent) <= 5
    assert all(a["userErrors"][0]["code"] == "RATE_LIMITED" for a in answers if a not in sent)


async def test_the_scheduler_sends_what_the_gateway_could_not_take(
    client, database, sms_gateway, frozen_clock
):
    from api.jobs import scheduler

    sms_gateway.down = True
    gql = GraphQLClient(client)
    assert (await request_code(gql, PHONE))["userErrors"] == []
    assert sms_gateway.sent == []
    sms_gateway.down = False
    frozen_clock.advance(seconds=31)  # the first retry time
    await scheduler.tick()
    assert len(sms_gateway.to(PHONE)) == 1
    await scheduler.tick()  # sent once only
    assert len(sms_gateway.to(PHONE)) == 1


async def test_when_a_password_alone_no_longer_logs_in_the_sms_code_does(
    client, database, sms_gateway
):
    """Many wrong passwords for one phone from many addresses: the password log-in asks for
    a code (CODE_REQUIRED); logging in with the SMS code works and lifts that again."""
    owner = await factories.volunteer("卫阿姨")
    transport = client._transport
    for n in range(4):  # 3 wrong passwords from each of four addresses: 12 > 10 phone-wide
        at = httpx.ASGITransport(app=transport.app, client=(f"198.51.100.{n + 1}", 40000))
        async with httpx.AsyncClient(transport=at, base_url="http://testserver") as http:
            for _ in range(3):
                await GraphQLClient(http).ok(
                    LOG_IN, {"phone": owner.phone, "password": "nope-nope"}
                )
    gql = GraphQLClient(client)
    refused = await gql.ok(LOG_IN, {"phone": owner.phone, "password": factories.PASSWORD})
    assert refused["logIn"]["userErrors"][0]["code"] == "CODE_REQUIRED"

    await request_code(gql, owner.phone, "LOG_IN")
    code = sms_gateway.code_for(owner.phone)
    by_code = await gql.ok(LOG_IN_WITH_CODE, {"phone": owner.phone, "code": code})
    assert by_code["logInWithCode"]["volunteer"] == {"displayName": "卫阿姨"}
    client.cookies.clear()
    again = await gql.ok(LOG_IN, {"phone": owner.phone, "password": factories.PASSWORD})
    assert again["logIn"]["userErrors"] == []

"""One message model: texts are message ids with parameters, rendered in the reader's language.

* `userErrors.message` follows `Accept-Language` (English without it, as before);
* a notification is stored as id + parameters and read in the reader's language; SMS/webhook
  texts are in the recipient's language (`Volunteer.language`, set by the language switch) and
  in that one only;
* the English UI shows the same 24-hour clock as zh-CN.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.domain import notifications, reminders, signups
from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, ValidationErrors, Validator
from api.http.language import asked_language
from api.infra import channels, clock
from api.infra.i18n import N_, NP_, Text, fmt_datetime, fmt_time, loads, render_stored
from api.jobs import delivery
from api.models import Notification, Volunteer
from tests import factories
from tests.conftest import GraphQLClient
from tests.support.fakes import Recorder

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LOG_IN = """mutation { logIn(input: {phone: "13800000009", password: "not the password"}) {
             userErrors { code field message } } }"""
REGISTER = """mutation { register(input: {phone: "12", password: "x", displayName: ""}) {
               userErrors { code field message } } }"""


# The model -------------------------------------------------------------------------------


def test_a_text_renders_in_each_language_with_its_parameters() -> None:
    text = N_("%(label)s is required.", label=N_("The title"))
    assert text.render("en") == "The title is required."
    assert text.render("zh-CN") == "请填写标题。"
    assert str(text) == "The title is required."  # logs and the command line: English
    error = DomainError(ErrorCode.INVALID_INPUT, text, ["title"])
    assert error.message == "The title is required." and error.render("zh-CN") == "请填写标题。"


def test_plural_texts_and_moments() -> None:
    starts = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    one = NP_("Reminder: %(title)s (%(role)s) starts %(when)s, in about %(n)s hour, at %(place)s.",
              "Reminder: %(title)s (%(role)s) starts %(when)s, in about %(n)s hours, at %(place)s.",
              1, title="T", role="R", when=starts, place="P")  # fmt: skip
    assert one.render("en") == "Reminder: T (R) starts Sun, Mar 1 09:00, in about 1 hour, at P."
    two = NP_(one.msgid, one.plural or "", 2, **{k: v for k, v in one.params.items() if k != "n"})
    assert "in about 2 hours" in two.render("en")
    assert two.render("zh-CN") == "提醒：T（R）将于 3月1日周日 09:00 开始（约 2 小时后），地点：P。"


def test_stored_texts_round_trip_and_fit_their_column() -> None:
    text = N_("Changed: %(title)s, now %(when)s at %(place)s.", title="长" * 300,
              when=datetime(2026, 3, 1, 1, 0, tzinfo=UTC), place=N_("no place given"))  # fmt: skip
    stored = text.dumps(500)
    assert len(stored) <= 500
    back = loads(stored)
    assert back is not None and back.msgid == text.msgid
    assert render_stored(stored, "zh-CN").startswith("活动有变动：长")
    assert "未定地点" in render_stored(stored, "zh-CN")
    assert "no place given" in render_stored(stored, "en")
    assert render_stored("旧的通知 old text", "en") == "旧的通知 old text"  # rows from before


def test_every_validation_problem_is_a_text() -> None:
    v = Validator()
    v.text("", "title", max_length=10, label=N_("The title"))
    v.text("x" * 11, "role", max_length=10, label=N_("The role"))
    with pytest.raises(ValidationErrors) as caught:
        v.raise_if_any()
    assert [e.render("zh-CN") for e in caught.value.errors] == [
        "请填写标题。",
        "岗位名称最多 10 个字。",
    ]


def test_accept_language_is_negotiated() -> None:
    def asked(header: str) -> str | None:
        return asked_language(
            httpx.Request("GET", "http://x/", headers={"accept-language": header})
        )  # type: ignore[arg-type]

    assert asked("zh-CN") == "zh-CN" and asked("zh-Hans-CN,zh;q=0.9") == "zh-CN"
    assert asked("en-US,en;q=0.9") == "en"
    assert asked("fr, zh;q=0.5, en;q=0.4") == "zh-CN"
    assert asked("de, en;q=0") is None and asked("") is None


def test_english_ui_uses_the_24_hour_clock() -> None:
    evening = datetime(2026, 3, 1, 11, 30, tzinfo=UTC)  # 19:30 in Shanghai
    assert fmt_time(evening, language="en") == fmt_time(evening, language="zh-CN") == "19:30"
    assert "19:30" in fmt_datetime(evening, "short", "en")
    assert "PM" not in fmt_datetime(evening, "medium", "en")
    assert fmt_datetime(evening, "event", "en") == "Sun, Mar 1 19:30"


# userErrors -------------------------------------------------------------------------------


async def test_user_errors_follow_accept_language(client) -> None:
    gql = GraphQLClient(client)
    plain = await gql(LOG_IN)
    assert plain["data"]["logIn"]["userErrors"] == [
        {"code": "BAD_CREDENTIALS", "field": None, "message": "Wrong phone number or password."}
    ]  # no header: English, as API clients always had
    chinese = await gql(LOG_IN, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese["data"]["logIn"]["userErrors"][0]["message"] == "手机号或密码不正确。"
    english = await gql(LOG_IN, **{"Accept-Language": "en-GB"})
    assert (
        english["data"]["logIn"]["userErrors"][0]["message"]
        == plain["data"]["logIn"]["userErrors"][0]["message"]
    )
    several = (await gql(REGISTER, **{"Accept-Language": "zh-CN"}))["data"]["register"]
    assert len(several["userErrors"]) >= 3
    assert all(CJK.search(e["message"]) for e in several["userErrors"]), several
    assert {e["code"] for e in several["userErrors"]} == {"INVALID_INPUT"}


# Notifications, SMS, the switch ------------------------------------------------------------


async def _promotion(title: str, role: str, language: str) -> tuple[Volunteer, Volunteer]:
    leader = await factories.volunteer("Leader")
    team = await factories.team("Team", leaders=(leader,))
    event = await factories.event(team, title=title, capacities=(1,))
    await event.shifts.all().update(role=role)
    await type(event).filter(id=event.id).update(location_name=None)
    shift = (await event.shifts.all())[0]
    first = await factories.volunteer("First")
    second = await factories.volunteer("Second")
    await Volunteer.filter(id=second.id).update(language=language)
    second.language = language
    await signups.sign_up(Actor(volunteer=first), shift.id, "a")
    await signups.sign_up(Actor(volunteer=second), shift.id, "b")
    await signups.change_capacity(Actor(volunteer=leader), shift.id, 2)
    assert await notifications.dispatch_pending() == 1
    return first, second


@pytest.mark.parametrize(
    ("language", "title", "role"), [("en", "Haircuts", "Barber"), ("zh-CN", "义剪", "理发师")]
)
async def test_sms_is_in_the_recipients_language_only(database, language, title, role) -> None:
    _, second = await _promotion(title, role, language)
    recorder = Recorder()
    channels.set_channels([recorder])
    try:
        assert await delivery.deliver_pending() == 1
    finally:
        channels.set_channels(None)
    [sms] = recorder.sent
    assert sms.language == language
    if language == "en":
        assert sms.message.startswith(f"You are off the waitlist: {title} ({role}, ")
        assert not CJK.search(sms.message), sms.message
    else:
        assert sms.message.startswith(f"您已从候补转为确认：{title}（{role}，")
        assert not re.search(r"[A-Za-z]", sms.message), sms.message


async def test_webhook_body_says_its_language() -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(200)

    hook = channels.WebhookChannel(
        "https://gw.example/", "k", transport=httpx.MockTransport(handler)
    )
    message = channels.OutboundMessage(
        1, "REMINDER", 2, "13900000000", "Reminder", 3, None, language="en"
    )
    assert await hook.send(message)
    assert json.loads(bodies[0])["language"] == "en"


async def test_a_notification_is_read_in_the_readers_language(client) -> None:
    gql = GraphQLClient(client)
    _, second = await _promotion("Haircuts", "Barber", "zh-CN")
    stored = (await Notification.get(volunteer_id=second.id)).message
    assert loads(stored) is not None  # the id and parameters, not words
    factories.log_in_as(client, second)
    query = "{ viewer { notifications(first: 5) { nodes { message } } } }"

    async def read(**headers: str) -> str:
        data = await gql(query, **headers)
        return data["data"]["viewer"]["notifications"]["nodes"][0]["message"]

    assert (await read()).startswith("您已从候补转为确认：Haircuts")  # the recipient's language
    assert (await read(**{"Accept-Language": "en"})).startswith("You are off the waitlist")
    client.cookies.set("linli_lang", "en")
    page = (await client.get("/me")).text
    assert "You are off the waitlist: Haircuts (Barber" in page and "候补转为确认" not in page


async def test_the_language_switch_sets_the_language_of_notices(client) -> None:
    someone = await factories.volunteer("Someone")
    factories.log_in_as(client, someone)
    assert (await client.get("/lang/en?next=/me")).status_code == 303
    assert (await Volunteer.get(id=someone.id)).language == "en"
    other_site = {"Sec-Fetch-Site": "cross-site"}
    assert (await client.get("/lang/zh-CN", headers=other_site)).status_code == 303
    assert (await Volunteer.get(id=someone.id)).language == "en"  # another site's link: no
    await client.get("/lang/zh-CN")
    assert (await Volunteer.get(id=someone.id)).language == "zh-CN"
    await client.get("/lang/xx")
    assert (await Volunteer.get(id=someone.id)).language == "zh-CN"
    factories.log_in_as(client, None)
    assert (await client.get("/lang/en")).status_code == 303  # anonymous: the cookie only


async def test_reminders_in_the_recipients_language(database) -> None:
    leader = await factories.volunteer("Leader")
    team = await factories.team("Team", leaders=(leader,))
    event = await factories.event(team, title="Clinic", capacities=(5,))
    shift = (await event.shifts.all())[0]
    english = await factories.volunteer("E")
    await Volunteer.filter(id=english.id).update(language="en")
    chinese = await factories.volunteer("中")
    await signups.sign_up(Actor(volunteer=english), shift.id, "e")
    await signups.sign_up(Actor(volunteer=chinese), shift.id, "c")
    clock.set_clock(lambda: shift.starts_at - timedelta(hours=2))
    assert await reminders.send_due() == 2
    clock.set_clock(None)
    recorder = Recorder()
    channels.set_channels([recorder])
    try:
        assert await delivery.deliver_pending() == 2
    finally:
        channels.set_channels(None)
    texts = {m.volunteer_id: m.message for m in recorder.sent}
    assert texts[english.id].startswith("Reminder: Clinic (岗位1) starts ")
    assert "in about 2 hours" in texts[english.id]
    assert texts[chinese.id].startswith("提醒：Clinic（岗位1）将于 ")
    assert "约 2 小时后" in texts[chinese.id]
    assert isinstance(loads((await Notification.first()).message), Text)  # type: ignore[union-attr]


async def test_pages_follow_the_persons_language_until_this_browser_chooses(client) -> None:
    someone = await factories.volunteer("Someone")
    await Volunteer.filter(id=someone.id).update(language="en")  # chosen on another phone
    factories.log_in_as(client, someone)
    assert '<html lang="en">' in (await client.get("/me")).text
    client.cookies.set("linli_lang", "zh-CN")  # this browser's own choice wins
    assert '<html lang="zh-CN">' in (await client.get("/me")).text
    factories.log_in_as(client, None)
    assert '<html lang="zh-CN">' in (await client.get("/")).text  # anonymous: zh-CN

"""Everything a person reads is in one language: the walk.

Builds a small neighbourhood whose own data (names, titles, places) is written in the language
under test, then walks every page, error page, CSV export, notification (in the app, by
GraphQL and as sent by SMS/webhook), reminder and calendar feed as an anonymous visitor, a
volunteer, a team leader and an admin. In zh-CN nothing may read in English: no catalog
message id rendered unchanged, no English word at all (a few names excepted). In English
nothing may read in Chinese (but the language switch's "中文").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po

from api.domain import events, notifications, reminders, signups
from api.domain.actors import Actor
from api.domain.calendar_feed import token_of
from api.domain.checkin import mark_attendance
from api.http.ids import encode_id
from api.infra import channels, clock
from api.infra.i18n import LOCALE_DIR
from api.jobs import delivery
from api.models import EventKind, Shift, Signup, SignupStatus, Volunteer
from tests import factories
from tests.conftest import GraphQLClient
from tests.support.fakes import Recorder

#: Words that are the same in every language: the brand, the switch, codes people type (and
#: the test client's device name, "test harness", in the list of signed-in devices).
EVERY_LANGUAGE = {
    "Linli",
    "English",
    "QR",
    "CSV",
    "Excel",
    "test",
    "harness",
    "RRULE",
    "COUNT",
    "UNTIL",
    "DTSTART",
}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
SHOWN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "label"}

DATA = {
    "zh-CN": {
        "leader": "王组长",
        "volunteer": "李阿姨",
        "waiting": "陈伯",
        "admin": "管理员",
        "district": "东园镇",
        "team": "巾帼志愿者服务队",
        "event": "义剪服务",
        "cancelled": "消防演练",
        "role": "理发师",
        "place": "党群服务站",
        "address": "东园镇尊湖小区",
        "reason": "台风预警",
    },
    "en": {
        "leader": "Wang",
        "volunteer": "Auntie Li",
        "waiting": "Uncle Chen",
        "admin": "Admin",
        "district": "Dongyuan",
        "team": "Women volunteers",
        "event": "Free haircuts day",
        "cancelled": "Fire drill day",
        "role": "Barber",
        "place": "Service station",
        "address": "Zunhu compound",
        "reason": "typhoon warning",
    },
}


class ShownText(HTMLParser):
    """What a person reads on a page: text and the attributes that are shown or read out."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if value and (name in SHOWN_ATTRIBUTES or (tag == "meta" and name == "content")):
                if tag == "meta" and not dict(attrs).get("name") == "description":
                    continue
                self.parts.append(value)
            if (
                tag == "input"
                and name == "value"
                and dict(attrs).get("type")
                in (
                    "submit",
                    "button",
                )
            ):
                self.parts.append(value or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = ShownText()
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def catalog_ids() -> list[str]:
    """The message ids whose zh-CN words differ from the English (multi-word ones)."""
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    found = []
    for message in catalog:
        if not message.id:
            continue
        for msgid in [message.id] if isinstance(message.id, str) else message.id:
            literal = re.split(r"%\(\w+\)s", msgid)
            found += [part.strip() for part in literal if len(part.strip().split()) >= 2]
    return found


@dataclass
class Walk:
    language: str
    data: dict[str, str]
    problems: list[str]

    def check(self, where: str, text: str) -> None:
        """Fails the walk when `text` is not all in the walk's language."""
        if self.language == "zh-CN":
            for msgid in catalog_ids():
                if msgid in text:
                    self.problems.append(f"{where}: untranslated {msgid!r}")
            data_words = {w for v in self.data.values() for w in WORD.findall(v)}
            for word in WORD.findall(text):
                if word not in EVERY_LANGUAGE and word not in data_words:
                    at = text.find(word)
                    context = text[max(0, at - 30) : at + 40].replace("\n", " ")
                    self.problems.append(f"{where}: English {word!r} in …{context}…")
        else:
            for line in text.splitlines():
                cleaned = line.replace("中文", "")
                if CJK.search(cleaned):
                    self.problems.append(f"{where}: Chinese in {line.strip()!r}")

    def page(self, where: str, response: httpx.Response, status: int = 200) -> None:
        assert response.status_code == status, (where, response.status_code, response.text[:300])
        kind = response.headers.get("content-type", "")
        if "html" in kind:
            assert f'lang="{self.language}"' in response.text, where
            self.check(where, shown_text(response.text))
        elif "csv" in kind:
            rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
            self.check(where, "\n".join(" ".join(row) for row in rows))
        elif "calendar" in kind:
            unfolded = response.text.replace("\r\n ", "")
            shown = [
                line.split(":", 1)[1].replace("\\n", "\n").replace("\\,", ",")
                for line in unfolded.splitlines()
                if line.startswith(("SUMMARY", "DESCRIPTION", "X-WR-CALNAME", "LOCATION"))
            ]
            # the event's link is no text
            self.check(where, re.sub(r"https?://\S+", "", "\n".join(shown)))
        else:
            self.check(where, response.text)


async def _world(language: str, client: httpx.AsyncClient) -> dict[str, Any]:
    d = DATA[language]
    leader = await factories.volunteer(d["leader"])
    volunteer = await factories.volunteer(d["volunteer"])
    waiting = await factories.volunteer(d["waiting"])
    admin = await factories.volunteer(d["admin"], admin=True)
    district = await factories.community(d["district"])
    team = await factories.team(d["team"], leaders=(leader,), members=(volunteer,), place=district)
    event = await factories.event(
        team, title=d["event"], capacities=(1,), place=district, starts_at=factories.soon(days=1)
    )
    past = await factories.event(
        team,
        title=d["event"],
        kind=EventKind.CLEANUP,
        starts_at=factories.soon(days=-2),
        capacities=(3,),
        place=district,
    )
    cancelled = await factories.event(
        team, title=d["cancelled"], kind=EventKind.FIRE_DRILL, capacities=(3,), place=district
    )
    for e in (event, past, cancelled):
        e.location_name, e.location_address = d["place"], d["address"]
        await e.save(update_fields=["location_name", "location_address"])
        await Shift.filter(event_id=e.id).update(role=d["role"])
    shift = (await event.shifts.all())[0]
    past_shift = (await past.shifts.all())[0]
    cancelled_shift = (await cancelled.shifts.all())[0]

    # Everyone chooses the walk's language with the switch (their notices follow it).
    for who in (leader, volunteer, waiting, admin):
        factories.log_in_as(client, who)
        assert (await client.get(f"/lang/{language}")).status_code == 303
    assert await Volunteer.filter(language=language).count() == 4

    as_volunteer, as_waiting = Actor(volunteer=volunteer), Actor(volunteer=waiting)
    await signups.sign_up(as_volunteer, shift.id, "a")
    await signups.sign_up(as_waiting, shift.id, "b")  # waitlisted
    await signups.sign_up(as_volunteer, cancelled_shift.id, "c")
    # the past shift: attended, with hours
    came = await Signup.create(
        volunteer=volunteer, shift=past_shift, status=SignupStatus.CONFIRMED, idempotency_key="p"
    )
    await Shift.filter(id=past_shift.id).update(seats_taken=1)
    await mark_attendance(Actor(volunteer=leader), came.id, SignupStatus.ATTENDED, 2.0)
    await events.cancel_event(Actor(volunteer=leader), cancelled.id, d["reason"])
    await signups.change_capacity(Actor(volunteer=leader), shift.id, 2)  # promotes `waiting`
    await notifications.dispatch_pending()
    # a reminder: the shift starts within 24 hours
    clock.set_clock(lambda: shift.starts_at - timedelta(hours=20))
    assert await reminders.send_due() == 2
    clock.set_clock(None)
    return {
        "leader": leader,
        "volunteer": volunteer,
        "waiting": waiting,
        "admin": admin,
        "district": district,
        "team": team,
        "event": event,
        "cancelled": cancelled,
        "shift": shift,
    }


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_everything_reads_in_one_language(client, language: str) -> None:
    recorder = Recorder()
    channels.set_channels([recorder])
    try:
        await _walk(client, language)
    finally:
        channels.set_channels(None)
    assert recorder.sent == []  # delivery was run explicitly below


async def _walk(client: httpx.AsyncClient, language: str) -> None:
    w = await _world(language, client)
    walk = Walk(language, DATA[language], [])
    team_id, event_id = encode_id("Team", w["team"].id), encode_id("Event", w["event"].id)

    def as_(who: Volunteer | None) -> None:
        factories.log_in_as(client, who)
        client.cookies.set("linli_lang", language)

    # Anonymous ------------------------------------------------------------------------
    as_(None)
    walk.page("start", await client.get("/"))
    walk.page("event", await client.get(f"/events/{event_id}"))
    walk.page(
        "cancelled event", await client.get(f"/events/{encode_id('Event', w['cancelled'].id)}")
    )
    walk.page("team", await client.get(f"/teams/{team_id}"))
    walk.page("login", await client.get("/login"))
    walk.page("offline", await client.get("/offline"))
    app = (await client.get(f"/manifest.webmanifest?lang={language}")).json()
    assert app["lang"] == language
    walk.check("manifest", "\n".join([app["name"], app["short_name"], app["description"]]))
    walk.page("404 page", await client.get("/events/99999"), 404)
    walk.page("404 team", await client.get("/teams/nonsense"), 404)
    walk.page("roster 403", await client.get(f"/events/{w['event'].id}/roster.csv"), 403)
    walk.page("roster, anonymous", await client.get("/events/99999/roster.csv"), 403)
    walk.page("csv 403", await client.get(f"/teams/{w['team'].id}/dashboard.csv"), 403)
    walk.page("calendar 404", await client.get("/calendar/nope.ics"), 404)
    walk.page("team calendar", await client.get(f"/teams/{team_id}/calendar.ics"))
    register = {"action": "register", "phone": "123", "password": "x", "displayName": ""}
    walk.page("register errors", await client.post("/login", data=register), 400)
    wrong = {"action": "login", "phone": "13800000000", "password": "wrong password"}
    walk.page("log-in error", await client.post("/login", data=wrong), 400)
    cross = await client.post("/login", data=wrong, headers={"Origin": "https://evil.example"})
    walk.page("cross-site", cross, 403)

    # A volunteer -----------------------------------------------------------------------
    as_(w["volunteer"])
    walk.page("me", await client.get("/me"))
    walk.page("me, a notice", await client.get("/me?notice=SCHEDULE_CONFLICT"))
    walk.page("organize 403", await client.get(f"/events/{event_id}/organize"), 403)
    walk.page("new event 403", await client.get(f"/teams/{team_id}/events/new"), 403)
    walk.page("dashboard 403", await client.get(f"/teams/{w['team'].id}/dashboard.csv"), 403)
    walk.page("my calendar", await client.get(f"/calendar/{token_of(w['volunteer'])}.ics"))
    as_(w["waiting"])
    walk.page("promoted: me", await client.get("/me"))

    # GraphQL: notifications and userErrors in the language asked for ------------------
    gql = GraphQLClient(client)
    query = "{ viewer { notifications(first: 20) { nodes { kind message } } } }"
    for who in (w["volunteer"], w["waiting"]):
        as_(who)
        for headers in ({"Accept-Language": language}, {}):  # without: the recipient's
            data = await gql(query, **headers)
            nodes = data["data"]["viewer"]["notifications"]["nodes"]
            assert {n["kind"] for n in nodes} >= {"REMINDER"}
            walk.check("notifications (GraphQL)", "\n".join(n["message"] for n in nodes))
    kinds = set()
    for who in (w["volunteer"], w["waiting"]):
        as_(who)
        nodes = (await gql(query))["data"]["viewer"]["notifications"]["nodes"]
        kinds |= {n["kind"] for n in nodes}
    assert kinds == {"PROMOTED_FROM_WAITLIST", "EVENT_CANCELLED", "REMINDER"}
    mutation = """mutation($s: ID!) { signUp(input: {shiftId: $s, idempotencyKey: ""}) {
                  userErrors { code message } } }"""
    as_(w["volunteer"])
    answer = await gql(
        mutation, {"s": encode_id("Shift", w["shift"].id)}, **{"Accept-Language": language}
    )
    walk.check(
        "userErrors", "\n".join(e["message"] for e in answer["data"]["signUp"]["userErrors"])
    )

    # SMS / webhook: each recipient's texts in their language, and in that one only ----
    sms = Recorder()
    channels.set_channels([sms])
    assert await delivery.deliver_pending() >= 4
    channels.set_channels([])
    assert {m.language for m in sms.sent} == {language}
    for message in sms.sent:
        walk.check(f"SMS {message.kind}", message.message)

    # A team leader ---------------------------------------------------------------------
    as_(w["leader"])
    walk.page("organize", await client.get(f"/events/{event_id}/organize"))
    walk.page(
        "past organize",
        await client.get(f"/events/{encode_id('Event', w['cancelled'].id)}/organize"),
    )
    walk.page("dashboard", await client.get(f"/teams/{team_id}/dashboard"))
    walk.page("dashboard csv", await client.get(f"/teams/{team_id}/dashboard.csv"))
    walk.page("roster", await client.get(f"/events/{event_id}/roster.csv"))
    walk.page("new event", await client.get(f"/teams/{team_id}/events/new"))
    walk.page("members", await client.get(f"/teams/{team_id}/members"))
    walk.page("team hours", await client.get(f"/admin/hours.csv?team={team_id}"))
    bad_event = [
        ("title", ""),
        ("kind", "HAIRCUT"),
        ("date", "2031-05-10"),
        ("start", "10:00"),
        ("end", "09:00"),
        ("placeName", "x" * 201),
        ("weeks", "1"),
        ("shift_role", ""),
        ("shift_capacity", "0"),
        ("shift_start", ""),
        ("shift_end", ""),
    ]
    body = "&".join(f"{k}={v}" for k, v in bad_event)
    form = {"content-type": "application/x-www-form-urlencoded"}
    answer = await client.post(f"/teams/{team_id}/events/new", content=body, headers=form)
    walk.page("new event errors", answer, 400)
    unparsable = body.replace("date=2031-05-10", "date=soon").replace("0&", "many&")
    answer = await client.post(f"/teams/{team_id}/events/new", content=unparsable, headers=form)
    walk.page("new event, bad form", answer, 400)
    cancelled_id = encode_id("Event", w["cancelled"].id)
    publish = await client.post(
        f"/events/{cancelled_id}/organize", content="action=publish", headers=form
    )
    walk.page("publish refused", publish)

    # An admin --------------------------------------------------------------------------
    as_(w["admin"])
    district = encode_id("Community", w["district"].id)
    walk.page("community dashboard", await client.get(f"/communities/{district}/dashboard"))
    walk.page("community csv", await client.get(f"/communities/{district}/dashboard.csv"))
    walk.page("admin console", await client.get("/admin"))
    walk.page("hours report", await client.get("/admin/hours.csv"))
    walk.page("hours report, bad date", await client.get("/admin/hours.csv?from=soon"), 400)

    assert walk.problems == [], "\n".join(walk.problems)

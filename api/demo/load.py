"""Generated data for load tests: many volunteers, events, shifts and sign-ups, quickly.

``generate_load`` uses bulk inserts in batches and one password hash for everyone (the demo
password), so the API can be measured at scale. Every batch is one transaction that leaves the
shift counters consistent with the sign-up rows. ``linli demo --volunteers N --events M`` runs
it after `api.demo.neighbourhood.load_demo`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from api.demo.neighbourhood import DEMO_PASSWORD, Log, aware, shanghai_time
from api.infra.passwords import hash_password
from api.models import (
    Community,
    CommunityLevel,
    Event,
    EventKind,
    EventStatus,
    Shift,
    Signup,
    SignupStatus,
    Team,
    TeamMembership,
    TeamRole,
    Volunteer,
)
from api.settings import SHANGHAI

VOLUNTEER_BATCH = 10_000
EVENT_BATCH = 500
INSERT_BATCH = 5_000
LOAD_TEAMS = 20
LOAD_PHONE_PREFIX = "19"  # + the volunteer's id in 9 digits: unique, never a demo 138… phone

KIND_NAMES: dict[EventKind, str] = {
    EventKind.HAIRCUT: "义剪",
    EventKind.CLINIC: "中医义诊",
    EventKind.FIRE_DRILL: "消防演练",
    EventKind.LEGAL_AID: "普法宣传",
    EventKind.ANTI_FRAUD: "反诈宣传",
    EventKind.TUTORING: "课外辅导",
    EventKind.REPAIR: "义修",
    EventKind.CLEANUP: "环境卫生清理",
    EventKind.PATROL: "治安巡逻",
    EventKind.MEETING: "固定议事日",
    EventKind.OTHER: "文明劝导",
}
KIND_ROLES: dict[EventKind, tuple[str, ...]] = {
    EventKind.HAIRCUT: ("理发师", "引导员", "登记台"),
    EventKind.CLINIC: ("医生", "护士", "引导员", "登记台"),
    EventKind.FIRE_DRILL: ("疏散引导员", "灭火器教员", "登记台"),
    EventKind.LEGAL_AID: ("律师", "宣传员", "登记台"),
    EventKind.ANTI_FRAUD: ("宣讲员", "入户发放员", "登记台"),
    EventKind.TUTORING: ("辅导老师", "助教", "登记台"),
    EventKind.REPAIR: ("维修师傅", "助手", "登记台"),
    EventKind.CLEANUP: ("清理志愿者", "垃圾分类督导员", "物资发放"),
    EventKind.PATROL: ("巡逻队员", "值守员", "记录员"),
    EventKind.MEETING: ("记录员", "专业顾问", "引导员"),
    EventKind.OTHER: ("劝导员", "宣传员", "记录员"),
}
KINDS = tuple(EventKind)
_SURNAMES = "陈林黄王吴许蔡张李郑庄洪苏施杨曾刘肖郭谢柯傅颜骆卢周徐邱何方"
_GIVEN = "秀美丽淑雅惠建国志明文振华晓清泉家春伟宝少思立雪俊玉金水平辉婷芳敏强军"


def _load_name(rng: random.Random) -> str:
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(_SURNAMES) + given


async def _reserve_ids(db: BaseDBAsyncClient, table: str, count: int) -> list[int]:
    """Primary keys for ``count`` new rows of ``table``, so children can point at them.

    SQLite: above the current maximum (the transaction holds the write lock). PostgreSQL:
    taken from the table's sequence, which stays correct for everyone inserting afterwards.
    """
    if count == 0:
        return []
    dialect = db.capabilities.dialect
    if dialect == "sqlite":
        _, rows = await db.execute_query(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')
        top = int(rows[0][0])
        return list(range(top + 1, top + count + 1))
    if dialect == "postgres":
        _, rows = await db.execute_query(
            f"SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) "
            "FROM generate_series(1, $1)",
            [count],
        )
        return sorted(int(row[0]) for row in rows)
    raise NotImplementedError(f"generate_load does not support {dialect}")


@dataclass
class _ShiftPlan:
    """One generated shift and its sign-ups (volunteer ids in arrival order)."""

    role: str
    capacity: int
    confirmed: list[int] = field(default_factory=list)
    waitlisted: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)


@dataclass
class _EventPlan:
    title: str
    kind: EventKind
    status: EventStatus
    starts_at: datetime
    ends_at: datetime
    place: str
    community_id: int | None
    team_id: int
    shifts: list[_ShiftPlan]


async def _load_teams(count: int, compounds: Sequence[int]) -> list[int]:
    """The load-test teams (found by name, so a second run reuses them)."""
    ids = []
    for number in range(1, count + 1):
        name = f"压测志愿服务队 {number:02d}"
        team = await Team.filter(name=name).order_by("id").first()
        if team is None:
            team = await Team.create(
                name=name,
                description="generate_load 生成的负载测试队伍。",
                community_id=compounds[number % len(compounds)] if compounds else None,
            )
        ids.append(team.id)
    return ids


async def generate_load(
    volunteers: int,
    events: int,
    log: Log = print,
    seed: int = 2026,
    *,
    now: datetime | None = None,
) -> None:
    """Add ``volunteers`` volunteers and ``events`` events with shifts and sign-ups (~95 each).

    Volunteers get phones 19 + their id in nine digits, the demo password (hashed once) and a
    membership in one of the load-test teams. Events start over the next 90 days; about one in
    twenty stays a DRAFT without sign-ups. Shifts hold CONFIRMED sign-ups, a quarter are full
    with a short waitlist, and a few sign-ups were CANCELLED; the counters match the rows.
    Each batch is one transaction, consistent on its own.
    """
    now = aware(now)
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    compounds = await Community.filter(level=CommunityLevel.COMPOUND).values_list("id", "name")
    compound_names: dict[int, str] = {cid: name for cid, name in compounds}
    compound_ids = list(compound_names)
    team_ids = await _load_teams(min(LOAD_TEAMS, max(volunteers, events)), compound_ids)

    pool: list[int] = []
    done = 0
    while done < volunteers:
        size = min(VOLUNTEER_BATCH, volunteers - done)
        names = [_load_name(rng) for _ in range(size)]
        async with in_transaction() as db:
            ids = await _reserve_ids(db, "volunteer", size)
            phones = [f"{LOAD_PHONE_PREFIX}{i:09d}" for i in ids]
            taken = await Volunteer.filter(phone__in=phones).using_db(db).count()
            if taken:
                raise RuntimeError(f"{taken} generated phone numbers are already registered")
            await Volunteer.bulk_create(
                [
                    Volunteer(
                        id=i,
                        phone=phone,
                        password_hash=password_hash,
                        display_name=name,
                        created_at=now,
                    )
                    for i, phone, name in zip(ids, phones, names, strict=True)
                ],
                batch_size=INSERT_BATCH,
                using_db=db,
            )
            membership_ids = await _reserve_ids(db, "team_membership", size)
            await TeamMembership.bulk_create(
                [
                    TeamMembership(
                        id=m,
                        team_id=team_ids[i % len(team_ids)],
                        volunteer_id=i,
                        role=TeamRole.MEMBER,
                        joined_at=now,
                    )
                    for m, i in zip(membership_ids, ids, strict=True)
                ],
                batch_size=INSERT_BATCH,
                using_db=db,
            )
        pool.extend(ids)
        done += size
        log(f"volunteers {done}/{volunteers}")

    if events and not pool:
        pool = cast(list[int], await Volunteer.all().values_list("id", flat=True))
    today = now.astimezone(SHANGHAI).date()
    done = shifts_total = signups_total = 0
    while done < events:
        size = min(EVENT_BATCH, events - done)
        plans = [_plan_event(rng, today, compound_names, team_ids, pool) for _ in range(size)]
        async with in_transaction() as db:
            new_events = [
                Event(
                    id=event_id,
                    title=plan.title,
                    kind=plan.kind,
                    status=plan.status,
                    description=f"负载测试生成的{KIND_NAMES[plan.kind]}活动。",
                    starts_at=plan.starts_at,
                    ends_at=plan.ends_at,
                    location_name=f"{plan.place}便民服务点",
                    location_address=f"福建省泉州市{plan.place}",
                    community_id=plan.community_id,
                    team_id=plan.team_id,
                    created_at=now,
                )
                for plan, event_id in zip(plans, await _reserve_ids(db, "event", size), strict=True)
            ]
            await Event.bulk_create(new_events, batch_size=INSERT_BATCH, using_db=db)
            shift_plans = [
                (event, shift)
                for plan, event in zip(plans, new_events, strict=True)
                for shift in plan.shifts
            ]
            shift_ids = await _reserve_ids(db, "shift", len(shift_plans))
            await Shift.bulk_create(
                [
                    Shift(
                        id=shift_id,
                        event_id=event.id,
                        role=shift.role,
                        starts_at=event.starts_at,
                        ends_at=event.ends_at,
                        capacity=shift.capacity,
                        seats_taken=len(shift.confirmed),
                        waitlist_count=len(shift.waitlisted),
                        waitlist_ticket=len(shift.waitlisted),
                    )
                    for (event, shift), shift_id in zip(shift_plans, shift_ids, strict=True)
                ],
                batch_size=INSERT_BATCH,
                using_db=db,
            )
            rows = [
                row
                for (_, shift), shift_id in zip(shift_plans, shift_ids, strict=True)
                for row in _signup_rows(rng, shift, shift_id, now)
            ]
            signup_ids = await _reserve_ids(db, "signup", len(rows))
            await Signup.bulk_create(
                [
                    Signup(id=signup_id, **row)
                    for row, signup_id in zip(rows, signup_ids, strict=True)
                ],
                batch_size=INSERT_BATCH,
                using_db=db,
            )
        done += size
        shifts_total += len(shift_plans)
        signups_total += len(rows)
        log(f"events {done}/{events} (shifts {shifts_total}, sign-ups {signups_total})")


def _plan_event(
    rng: random.Random,
    today: date,
    compound_names: dict[int, str],
    team_ids: Sequence[int],
    pool: Sequence[int],
) -> _EventPlan:
    kind = rng.choice(KINDS)
    starts_at = shanghai_time(
        today + timedelta(days=rng.randint(1, 90)), time(rng.randint(8, 19), rng.choice((0, 30)))
    )
    community_id = rng.choice(list(compound_names)) if compound_names else None
    place = compound_names[community_id] if community_id is not None else "压测小区"
    published = rng.random() >= 0.05
    shifts = [
        _ShiftPlan(role, rng.randint(10, 90))
        for role in rng.sample(KIND_ROLES[kind], rng.randint(2, 3))
    ]
    if published and pool:
        _plan_signups(rng, shifts, pool)
    return _EventPlan(
        title=f"{KIND_NAMES[kind]}·{place}",
        kind=kind,
        status=EventStatus.PUBLISHED if published else EventStatus.DRAFT,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=rng.choice((90, 120, 150, 180))),
        place=place,
        community_id=community_id,
        team_id=rng.choice(team_ids),
        shifts=shifts,
    )


def _plan_signups(rng: random.Random, shifts: list[_ShiftPlan], pool: Sequence[int]) -> None:
    """Who signs up for an event's shifts: a quarter are full with a waitlist of 1–5."""
    wanted: list[tuple[int, int, int]] = []
    for shift in shifts:
        if rng.random() < 0.25:
            confirmed, waitlisted = shift.capacity, rng.randint(1, 5)
        else:
            confirmed, waitlisted = rng.randint(shift.capacity // 3, shift.capacity), 0
        wanted.append((confirmed, waitlisted, rng.randint(0, 2)))
    total = sum(map(sum, wanted))
    people = iter(rng.sample(pool, min(total, len(pool))))  # nobody twice per event
    for shift, (confirmed, waitlisted, cancelled) in zip(shifts, wanted, strict=True):
        shift.confirmed = list(islice(people, confirmed))
        if len(shift.confirmed) == shift.capacity:  # a waitlist only behind a full shift
            shift.waitlisted = list(islice(people, waitlisted))
        shift.cancelled = list(islice(people, cancelled))


def _signup_rows(
    rng: random.Random, shift: _ShiftPlan, shift_id: int, now: datetime
) -> list[dict[str, Any]]:
    """The shift's sign-up rows; arrival times increase, so tickets follow arrival order."""
    arrived = now - timedelta(days=rng.uniform(1, 7))
    rows: list[dict[str, Any]] = []
    for status, people in (
        (SignupStatus.CANCELLED, shift.cancelled),
        (SignupStatus.CONFIRMED, shift.confirmed),
        (SignupStatus.WAITLISTED, shift.waitlisted),
    ):
        for ticket, volunteer_id in enumerate(people, start=1):
            arrived += timedelta(seconds=rng.randint(1, 120))
            waitlisted = status is SignupStatus.WAITLISTED
            rows.append(
                {
                    "shift_id": shift_id,
                    "volunteer_id": volunteer_id,
                    "status": status,
                    "waitlist_ticket": ticket if waitlisted else None,
                    "idempotency_key": f"load-{shift_id}-{volunteer_id}",
                    "created_at": arrived,
                    "confirmed_at": None if waitlisted else arrived,
                    "cancelled_at": now if status is SignupStatus.CANCELLED else None,
                }
            )
    return rows

"""The demo neighbourhood: its places, teams, people, upcoming and past events, and `load_demo`.

``load_demo`` fills an empty (or already demo-filled) database with the places, teams, people
and service events of the Quanzhou reports in ``shared/context/``: Dongyuan Town (东园镇,
Taiwanese Investment Zone) and the Fengze (丰泽) and Donghu (东湖) sub-districts. The events are
upcoming from the next Saturday on, and the published ones were also held one and two weeks
earlier (COMPLETED, attendance taken, hours credited), so hours and dashboards show figures.
Nobody is signed up on two shifts at the same time. It is idempotent: every row is looked up by
its natural key first, so a second run adds nothing.

The generated data for load tests is `api.demo.load`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

from tortoise.transactions import in_transaction

from api.domain import hours
from api.domain.signups import SEAT_HOLDING
from api.infra import clock
from api.infra.passwords import hash_password
from api.models import (
    Community,
    CommunityLevel,
    Event,
    EventKind,
    EventStatus,
    HoursMethod,
    Shift,
    Signup,
    SignupStatus,
    Team,
    TeamMembership,
    TeamRole,
    Volunteer,
)
from api.settings import SHANGHAI

Log = Callable[[str], None]

ADMIN_PHONE = "13800000000"
ADMIN_PASSWORD = "linli-admin-2026"
ADMIN_NAME = "管理员"
DEMO_PASSWORD = "linli-demo-2026"
PAST_WEEKS = (1, 2)  # the events are also shown held this many weeks before

# ---------------------------------------------------------------------------------------------
# The places: district (镇 / 街道) → community (社区) → compound (小区).
# Compound names are the reports'. Of the communities only 源淮社区 (Fengze) is named there; the
# other two are named after their district.

_ADDRESS_PREFIX = {
    "东园镇": "福建省泉州市台商投资区东园镇",
    "丰泽街道": "福建省泉州市丰泽区丰泽街道",
    "东湖街道": "福建省泉州市丰泽区东湖街道",
}

PLACES: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "东园镇",
        (("东园社区", ("尊湖小区", "鸿盛名邸", "玉龙花苑", "凤林花苑", "锦青花苑", "旭峰花园")),),
    ),
    ("丰泽街道", (("源淮社区", ("兴淮花苑", "明鑫花苑")),)),
    ("东湖街道", (("东湖社区", ("东湖新村", "尚园小区", "太平洋花园", "国际星城")),)),
)

# ---------------------------------------------------------------------------------------------
# The people: phone → display name. Phones 13800000001… (13800000000 is the admin).

PEOPLE: tuple[tuple[str, str], ...] = (
    ("13800000001", "林秀珍"),
    ("13800000002", "陈美玲"),
    ("13800000003", "黄丽娟"),
    ("13800000004", "吴淑芬"),
    ("13800000005", "许雅琴"),
    ("13800000006", "蔡惠敏"),
    ("13800000007", "陈建国"),
    ("13800000008", "王志强"),
    ("13800000009", "郑国平"),
    ("13800000010", "庄明辉"),
    ("13800000011", "洪金水"),
    ("13800000012", "黄志明"),
    ("13800000013", "李文静"),
    ("13800000014", "苏振华"),
    ("13800000015", "施晓燕"),
    ("13800000016", "吴丽华"),
    ("13800000017", "杨清泉"),
    ("13800000018", "曾雅婷"),
    ("13800000019", "刘家豪"),
    ("13800000020", "肖春梅"),
    ("13800000021", "许文斌"),
    ("13800000022", "郭伟民"),
    ("13800000023", "谢宝珠"),
    ("13800000024", "柯志伟"),
    ("13800000025", "林少杰"),
    ("13800000026", "蔡振宇"),
    ("13800000027", "王思远"),
    ("13800000028", "陈立群"),
    ("13800000029", "黄建成"),
    ("13800000030", "傅晓红"),
    ("13800000031", "颜雪芳"),
    ("13800000032", "骆文俊"),
)


@dataclass(frozen=True)
class TeamSpec:
    name: str
    description: str
    district: str
    leader: str  # phone
    members: tuple[str, ...]  # phones


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        "巾帼志愿者服务队",
        "东园镇“巾帼+”工作模式的主力：深入物业服务企业和住宅小区开展宣讲学习，"
        "依托小区便民服务点为居民提供免费理发、中医义诊等便民服务，"
        "参与环境整治和议事协商，已化解楼上楼下漏水、楼道噪音、乱停车等矛盾纠纷约80件。",
        "东园镇",
        "13800000001",
        ("13800000002", "13800000003", "13800000004", "13800000005", "13800000006"),
    ),
    TeamSpec(
        "治安巡逻队",
        "由党员楼栋长、报到党员、物业管理人和热心居民组成的志愿服务小分队，"
        "常态化开展小区巡逻，排查私拉电线充电、消防通道堵塞等安全隐患，"
        "配合组织实战化消防演练，提升居民“黄金三分钟”应急能力。",
        "东园镇",
        "13800000007",
        ("13800000008", "13800000009", "13800000010", "13800000011", "13800000025"),
    ),
    TeamSpec(
        "法律咨询小分队",
        "凝聚律师、法官、民警等专业力量，进小区、进楼栋开展普法宣传、反诈宣传和法律咨询，"
        "依托“邻里议事厅”帮助居民化解物业费纠纷等矛盾问题。",
        "丰泽街道",
        "13800000012",
        ("13800000013", "13800000014", "13800000015", "13800000028"),
    ),
    TeamSpec(
        "绿色环保小分队",
        "住宅小区清洁的“领跑者”“践行者”和“代言人”：发布倡议书、宣传垃圾分类，"
        "开展环境卫生无死角清理行动，推动小区环境从“基础保洁”向“精细美颜”升级。",
        "东园镇",
        "13800000016",
        ("13800000017", "13800000018", "13800000019", "13800000020", "13800000002"),
    ),
    TeamSpec(
        "文明劝导小分队",
        "宣传引导、及时劝阻不文明行为：乱扔垃圾、私拉晾衣绳、不文明养犬、抢位乱停车等，"
        "配合“规划+整治”共同维护小区公共秩序。",
        "丰泽街道",
        "13800000021",
        ("13800000022", "13800000023", "13800000024", "13800000008"),
    ),
    TeamSpec(
        "厝边帮帮团",
        "东湖街道推选律师、会计师、工程师等专业技术人才组建的“厝边帮帮团”，"
        "通过“格下言事”“楼栋议事角”为小区管理提供专业咨询，也为邻里开展义修、课外辅导等公益服务。",
        "东湖街道",
        "13800000026",
        ("13800000027", "13800000028", "13800000029", "13800000030", "13800000031", "13800000032"),
    ),
)


@dataclass(frozen=True)
class ShiftSpec:
    role: str
    capacity: int
    confirmed: int = 0
    waitlisted: int = 0


@dataclass(frozen=True)
class EventSpec:
    team: str
    title: str
    kind: EventKind
    day: int  # days after the anchor Saturday
    start: time  # Asia/Shanghai wall-clock time
    end: time
    compound: str
    place: str  # where in the compound, read after its name: 尊湖小区 + 便民服务点
    description: str
    shifts: tuple[ShiftSpec, ...]
    status: EventStatus = EventStatus.PUBLISHED


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "巾帼志愿者服务队",
        "便民服务点义剪",
        EventKind.HAIRCUT,
        0,
        time(9, 0),
        time(11, 30),
        "尊湖小区",
        "便民服务点",
        "巾帼志愿者在小区便民服务点为居民免费理发，行动不便的老人可预约上门。",
        (ShiftSpec("理发师", 3, 3, 2), ShiftSpec("引导员", 4, 2), ShiftSpec("登记台", 2, 1)),
    ),
    EventSpec(
        "治安巡逻队",
        "周末夜间治安巡逻",
        EventKind.PATROL,
        0,
        time(19, 30),
        time(21, 30),
        "玉龙花苑",
        "正门门岗",
        "沿楼栋、地下车库和电动车充电棚巡查，重点排查私拉电线充电和消防通道堵塞。",
        (ShiftSpec("巡逻队员", 8, 4),),
    ),
    EventSpec(
        "绿色环保小分队",
        "小区环境卫生无死角清理",
        EventKind.CLEANUP,
        0,
        time(7, 30),
        time(10, 0),
        "锦青花苑",
        "中心花园",
        "清理绿化带和楼道杂物，劝导垃圾分类投放。工具由物业提供，请穿方便活动的衣服。",
        (ShiftSpec("清理志愿者", 30, 8), ShiftSpec("垃圾分类督导员", 6, 2)),
    ),
    EventSpec(
        "巾帼志愿者服务队",
        "中医义诊进小区",
        EventKind.CLINIC,
        1,
        time(8, 30),
        time(11, 30),
        "鸿盛名邸",
        "党群服务站",
        "邀请中医师为居民免费把脉问诊、测量血压血糖，并讲解季节养生知识。",
        (ShiftSpec("医生", 3, 2), ShiftSpec("引导员", 4, 2), ShiftSpec("登记台", 2, 1)),
    ),
    EventSpec(
        "法律咨询小分队",
        "普法宣传与法律咨询",
        EventKind.LEGAL_AID,
        1,
        time(14, 30),
        time(17, 0),
        "兴淮花苑",
        "邻里议事厅",
        "律师现场解答物业费纠纷、邻里漏水、房屋租赁等法律问题，并发放普法宣传资料。",
        (ShiftSpec("律师", 3, 2), ShiftSpec("宣传员", 6, 3), ShiftSpec("登记台", 2, 1)),
    ),
    EventSpec(
        "治安巡逻队",
        "消防演练：守住黄金三分钟",
        EventKind.FIRE_DRILL,
        7,
        time(15, 0),
        time(17, 0),
        "凤林花苑",
        "中心广场",
        "模拟楼栋火情，演练疏散逃生和灭火器、消防栓的使用，提升居民“黄金三分钟”应急能力。",
        (ShiftSpec("疏散引导员", 10, 4), ShiftSpec("灭火器教员", 4, 2), ShiftSpec("登记台", 2, 1)),
    ),
    EventSpec(
        "厝边帮帮团",
        "家电义修",
        EventKind.REPAIR,
        7,
        time(9, 0),
        time(11, 30),
        "尚园小区",
        "物业服务中心门前",
        "工程师和电工志愿者免费检修小家电、电动车充电器，顺带讲解家庭用电安全。",
        (ShiftSpec("维修师傅", 4, 3), ShiftSpec("登记台", 2, 1)),
    ),
    EventSpec(
        "厝边帮帮团",
        "课外辅导：周末作业答疑",
        EventKind.TUTORING,
        7,
        time(14, 30),
        time(16, 30),
        "东湖新村",
        "社区文化空间",
        "为小区中小学生提供作业答疑和阅读陪伴，家长可在一旁休息区等候。",
        (ShiftSpec("辅导老师", 6, 3), ShiftSpec("助教", 4, 1)),
    ),
    EventSpec(
        "法律咨询小分队",
        "反诈宣传进楼栋",
        EventKind.ANTI_FRAUD,
        8,
        time(9, 30),
        time(11, 30),
        "明鑫花苑",
        "党群服务站",
        "入户讲解冒充客服、刷单返利、养老投资等常见骗局，帮助居民安装国家反诈中心App。",
        (ShiftSpec("宣讲员", 4, 2), ShiftSpec("入户发放员", 8, 3)),
    ),
    EventSpec(
        "文明劝导小分队",
        "规范停车文明劝导",
        EventKind.OTHER,
        8,
        time(17, 30),
        time(19, 0),
        "兴淮花苑",
        "出入口",
        "晚高峰在出入口和消防通道旁劝导规范停车，引导电动车进入集中充电点。",
        (ShiftSpec("劝导员", 6, 3),),
    ),
    EventSpec(
        "巾帼志愿者服务队",
        "固定议事日：小区品质提升协商",
        EventKind.MEETING,
        11,
        time(19, 30),
        time(21, 0),
        "尊湖小区",
        "党支部议事室",
        "“37℃工作法”固定议事日：社区党组织、小区党支部（业委会）、物业三方与业主代表协商停车难等问题。",
        (ShiftSpec("记录员", 2, 1), ShiftSpec("引导员", 2, 1)),
    ),
    EventSpec(
        "厝边帮帮团",
        "格下言事·楼栋议事角",
        EventKind.MEETING,
        12,
        time(19, 30),
        time(21, 0),
        "太平洋花园",
        "楼栋议事角",
        "律师、会计师、工程师为业主解读公共收益公示、外墙脱落整治等事项，收集“金点子”。",
        (ShiftSpec("专业顾问", 4, 2), ShiftSpec("记录员", 2, 1)),
    ),
    EventSpec(
        "治安巡逻队",
        "夜间治安巡逻",
        EventKind.PATROL,
        13,
        time(19, 30),
        time(21, 30),
        "尊湖小区",
        "正门门岗",
        "巡查楼栋、车库和充电区域，劝导电动车违规充电。",
        (ShiftSpec("巡逻队员", 8, 3),),
    ),
    EventSpec(
        "绿色环保小分队",
        "垃圾分类宣传与楼道清理",
        EventKind.CLEANUP,
        14,
        time(8, 0),
        time(10, 0),
        "旭峰花园",
        "休闲亭",
        "发放垃圾分类倡议书，清理楼道堆放杂物，劝导不文明养犬。",
        (ShiftSpec("宣传员", 6, 2), ShiftSpec("清理志愿者", 20, 5)),
    ),
    EventSpec(
        "巾帼志愿者服务队",
        "义剪进国际星城",
        EventKind.HAIRCUT,
        14,
        time(9, 0),
        time(11, 30),
        "国际星城",
        "便民服务点",
        "巾帼志愿者为居民免费理发（筹备中，时间待物业确认）。",
        (ShiftSpec("理发师", 4), ShiftSpec("引导员", 2)),
        EventStatus.DRAFT,
    ),
    EventSpec(
        "巾帼志愿者服务队",
        "中医义诊·东湖新村",
        EventKind.CLINIC,
        15,
        time(8, 30),
        time(11, 0),
        "东湖新村",
        "社区文化空间",
        "中医师义诊，为老年居民免费测量血压并提供健康咨询。",
        (ShiftSpec("医生", 2, 1), ShiftSpec("登记台", 2, 1)),
    ),
    EventSpec(
        "治安巡逻队",
        "高层住宅消防演练",
        EventKind.FIRE_DRILL,
        21,
        time(15, 0),
        time(17, 0),
        "国际星城",
        "中心广场",
        "高层住宅疏散逃生演练（方案待消防部门审核）。",
        (ShiftSpec("疏散引导员", 10), ShiftSpec("登记台", 2)),
        EventStatus.DRAFT,
    ),
)


@dataclass
class DemoSummary:
    """What ``load_demo`` created this time (zero everywhere on a second run)."""

    communities: int = 0
    teams: int = 0
    volunteers: int = 0
    memberships: int = 0
    events: int = 0
    shifts: int = 0
    signups: int = 0
    hours_entries: int = 0

    @property
    def created(self) -> int:
        return (
            self.communities
            + self.teams
            + self.volunteers
            + self.memberships
            + self.events
            + self.shifts
            + self.signups
            + self.hours_entries
        )


def anchor_saturday(now: datetime) -> date:
    """The first Saturday after ``now``'s day in Asia/Shanghai: the same all day long."""
    today = now.astimezone(SHANGHAI).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def shanghai_time(day: date, at: time) -> datetime:
    """A wall-clock time in Asia/Shanghai, as UTC."""
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def aware(now: datetime | None) -> datetime:
    """``now`` (the clock's when None), with UTC assumed for a naive time."""
    now = now or clock.now()
    return now if now.tzinfo else now.replace(tzinfo=UTC)


async def _community(name: str, level: CommunityLevel, parent: Community | None) -> bool:
    """Create the community unless it exists; True when created."""
    query = Community.filter(name=name)
    query = query.filter(parent_id=parent.id) if parent else query.filter(parent_id__isnull=True)
    if await query.exists():
        return False
    await Community.create(name=name, level=level, parent=parent)
    return True


async def load_demo(now: datetime | None = None, log: Log = print) -> DemoSummary:
    """Load the demo neighbourhood; idempotent (rows are found by their natural keys)."""
    now = aware(now)
    summary = DemoSummary()
    phones = [ADMIN_PHONE, *(phone for phone, _ in PEOPLE)]
    existing_phones = set(await Volunteer.filter(phone__in=phones).values_list("phone", flat=True))
    # Hash outside the transaction (argon2 is slow on purpose), and only what is needed.
    admin_hash = hash_password(ADMIN_PASSWORD) if ADMIN_PHONE not in existing_phones else ""
    missing_people = any(phone not in existing_phones for phone, _ in PEOPLE)
    demo_hash = hash_password(DEMO_PASSWORD) if missing_people else ""

    async with in_transaction():
        # Places.
        compounds: dict[str, Community] = {}
        districts: dict[str, Community] = {}
        addresses: dict[str, str] = {}  # compound → address prefix
        for district_name, communities in PLACES:
            summary.communities += await _community(district_name, CommunityLevel.DISTRICT, None)
            district = await Community.get(name=district_name, parent_id__isnull=True)
            districts[district_name] = district
            for community_name, compound_names in communities:
                summary.communities += await _community(
                    community_name, CommunityLevel.COMMUNITY, district
                )
                community = await Community.get(name=community_name, parent_id=district.id)
                for compound_name in compound_names:
                    summary.communities += await _community(
                        compound_name, CommunityLevel.COMPOUND, community
                    )
                    compounds[compound_name] = await Community.get(
                        name=compound_name, parent_id=community.id
                    )
                    addresses[compound_name] = _ADDRESS_PREFIX[district_name]
        log(f"communities: {summary.communities} created ({len(compounds)} compounds)")

        # People.
        people: dict[str, Volunteer] = {}
        for phone, name, is_admin in [
            (ADMIN_PHONE, ADMIN_NAME, True),
            *((phone, name, False) for phone, name in PEOPLE),
        ]:
            volunteer = await Volunteer.get_or_none(phone=phone)
            if volunteer is None:
                volunteer = await Volunteer.create(
                    phone=phone,
                    display_name=name,
                    password_hash=admin_hash if is_admin else demo_hash,
                    is_admin=is_admin,
                )
                summary.volunteers += 1
            people[phone] = volunteer
        log(f"volunteers: {summary.volunteers} created (admin {ADMIN_PHONE})")

        # Teams and their members.
        teams: dict[str, Team] = {}
        rosters: dict[str, list[Volunteer]] = {}
        for spec in TEAMS:
            team = await Team.filter(name=spec.name).order_by("id").first()
            if team is None:
                team = await Team.create(
                    name=spec.name,
                    description=spec.description,
                    community=districts[spec.district],
                )
                summary.teams += 1
            teams[spec.name] = team
            roles = [(spec.leader, TeamRole.LEADER), *((p, TeamRole.MEMBER) for p in spec.members)]
            for phone, role in roles:
                volunteer = people[phone]
                if not await TeamMembership.exists(team_id=team.id, volunteer_id=volunteer.id):
                    await TeamMembership.create(team=team, volunteer=volunteer, role=role)
                    summary.memberships += 1
            rosters[spec.name] = [people[phone] for phone, _ in roles]
        log(f"teams: {summary.teams} created, {summary.memberships} memberships")

        # Events: the upcoming ones, then the same ones held one and two weeks earlier.
        demo = _Demo(
            now=now,
            summary=summary,
            teams=teams,
            rosters=rosters,
            leaders={spec.name: people[spec.leader] for spec in TEAMS},
            everyone=[people[phone] for phone, _ in PEOPLE],
            compounds=compounds,
            addresses=addresses,
            busy=await _busy_times(list(people.values())),
        )
        anchor = anchor_saturday(now)
        for event_spec in EVENTS:
            await demo.event(event_spec, anchor + timedelta(days=event_spec.day), held=False)
        log(
            f"events: {summary.events} created from {anchor.isoformat()}, "
            f"{summary.shifts} shifts, {summary.signups} sign-ups"
        )
        before = (summary.events, summary.shifts, summary.signups)
        for day, event_spec in past_occurrences(now):
            await demo.event(event_spec, day, held=True)
        log(
            f"past events: {summary.events - before[0]} created, "
            f"{summary.shifts - before[1]} shifts, {summary.signups - before[2]} sign-ups, "
            f"{summary.hours_entries} hours entries, {demo.no_shows} no-shows"
        )
    return summary


def past_occurrences(now: datetime) -> list[tuple[date, EventSpec]]:
    """The published events repeated one and two weeks earlier, on the days before today in
    Asia/Shanghai (so they have ended, and the list is the same all day long), in time order."""
    anchor = anchor_saturday(now)
    today = now.astimezone(SHANGHAI).date()
    found = [
        (day, spec)
        for weeks in PAST_WEEKS
        for spec in EVENTS
        if spec.status == EventStatus.PUBLISHED
        and (day := anchor + timedelta(days=spec.day - 7 * weeks)) < today
    ]
    return sorted(found, key=lambda found: (found[0], found[1].start, found[1].title))


Busy = dict[int, list[tuple[datetime, datetime]]]


async def _busy_times(volunteers: list[Volunteer]) -> Busy:
    """When each volunteer is already signed up (holding a seat or waiting for one)."""
    busy: Busy = {}
    rows = await Signup.filter(
        volunteer_id__in=[v.id for v in volunteers],
        status__in=[*SEAT_HOLDING, SignupStatus.WAITLISTED],
    ).values_list("volunteer_id", "shift__starts_at", "shift__ends_at")
    for volunteer_id, starts_at, ends_at in rows:
        busy.setdefault(volunteer_id, []).append((starts_at, ends_at))
    return busy


@dataclass
class _Demo:
    """What the events of the demo are made from, and who is already busy when."""

    now: datetime
    summary: DemoSummary
    teams: dict[str, Team]
    rosters: dict[str, list[Volunteer]]
    leaders: dict[str, Volunteer]
    everyone: list[Volunteer]
    compounds: dict[str, Community]
    addresses: dict[str, str]
    busy: Busy
    no_shows: int = 0

    def free(self, volunteer: Volunteer, starts_at: datetime, ends_at: datetime) -> bool:
        return not any(
            start < ends_at and starts_at < end for start, end in self.busy.get(volunteer.id, ())
        )

    async def event(self, spec: EventSpec, day: date, *, held: bool) -> None:
        """The event on that day unless it exists: its shifts and sign-ups; when `held`,
        COMPLETED with attendance taken and hours credited by the team's leader."""
        team = self.teams[spec.team]
        starts_at, ends_at = shanghai_time(day, spec.start), shanghai_time(day, spec.end)
        if await Event.exists(team_id=team.id, title=spec.title, starts_at=starts_at):
            return
        event = await Event.create(
            title=spec.title,
            kind=spec.kind,
            status=EventStatus.COMPLETED if held else spec.status,
            description=spec.description,
            starts_at=starts_at,
            ends_at=ends_at,
            location_name=f"{spec.compound}{spec.place}",
            location_address=f"{self.addresses[spec.compound]}{spec.compound}",
            community=self.compounds[spec.compound],
            team=team,
        )
        self.summary.events += 1
        # Team members sign up first, then other neighbours; nobody twice per event, nobody
        # on two shifts at the same time.
        roster = self.rosters[spec.team]
        order = [*roster, *(v for v in self.everyone if v not in roster)]
        queue = iter([v for v in order if self.free(v, starts_at, ends_at)])
        largest = max(range(len(spec.shifts)), key=lambda i: spec.shifts[i].confirmed)
        for index, shift_spec in enumerate(spec.shifts):
            shift = await Shift.create(
                event=event,
                role=shift_spec.role,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=shift_spec.capacity,
            )
            self.summary.shifts += 1
            if held:
                # No waitlist left on a held event; one no-show on its largest shift.
                shift_spec = ShiftSpec(shift_spec.role, shift_spec.capacity, shift_spec.confirmed)
            signups = await _sign_up(shift, shift_spec, queue, self.now)
            for signup in signups:
                self.busy.setdefault(signup.volunteer_id, []).append((starts_at, ends_at))
            self.summary.signups += len(signups)
            if held:
                confirmed = [s for s in signups if s.status == SignupStatus.CONFIRMED]
                no_show = confirmed[-1] if index == largest and len(confirmed) >= 4 else None
                await self._attendance(shift, confirmed, no_show, self.leaders[spec.team])

    async def _attendance(
        self, shift: Shift, signups: list[Signup], no_show: Signup | None, leader: Volunteer
    ) -> None:
        """Attendance as the leader took it: present ones credited the shift's length."""
        for position, signup in enumerate(signups):
            signup.confirmed_at = shift.starts_at - timedelta(days=2 + position % 5)
            if signup is no_show:
                signup.status = SignupStatus.NO_SHOW
                self.no_shows += 1
            else:
                signup.status = SignupStatus.ATTENDED
                signup.checked_in_at = shift.starts_at - timedelta(minutes=5 * (position % 4))
            await signup.save(update_fields=["status", "confirmed_at", "checked_in_at"])
            if signup is not no_show:
                entry = await hours.credit(
                    signup, hours.shift_centihours(shift), HoursMethod.LEADER, leader.id
                )
                self.summary.hours_entries += int(entry is not None)


async def _sign_up(
    shift: Shift, spec: ShiftSpec, queue: Iterator[Volunteer], now: datetime
) -> list[Signup]:
    """Demo sign-ups on a new shift, in arrival order, with the shift's counters to match (a
    waitlist only behind a full shift, should fewer people be free than planned)."""
    assert spec.confirmed <= spec.capacity
    assert spec.waitlisted == 0 or spec.confirmed == spec.capacity
    volunteers = list(islice(queue, spec.confirmed + spec.waitlisted))
    confirmed = min(spec.confirmed, len(volunteers))
    if confirmed < spec.capacity:
        volunteers = volunteers[:confirmed]
    signups = []
    for position, volunteer in enumerate(volunteers):
        waitlisted = position >= confirmed
        ticket = position - confirmed + 1 if waitlisted else None
        signups.append(
            await Signup.create(
                shift=shift,
                volunteer=volunteer,
                status=SignupStatus.WAITLISTED if waitlisted else SignupStatus.CONFIRMED,
                waitlist_ticket=ticket,
                idempotency_key=f"demo-{shift.id}-{volunteer.id}",
                confirmed_at=None if waitlisted else now,
            )
        )
    shift.seats_taken = confirmed
    shift.waitlist_count = shift.waitlist_ticket = len(volunteers) - confirmed
    await shift.save(update_fields=["seats_taken", "waitlist_count", "waitlist_ticket"])
    return signups

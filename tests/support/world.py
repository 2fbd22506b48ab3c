"""A small neighbourhood for comparing executors and measuring them: places, teams, published,
draft and cancelled events with shifts, a volunteer with confirmed and waitlisted sign-ups,
hours, notifications, a leader, an admin and an API token (in the open ORM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from api.domain import api_tokens, signups
from api.domain.actors import Actor
from api.http.ids import encode_id
from api.models import EventKind, EventStatus, Shift, Volunteer
from tests.support import factories


@dataclass
class World:
    volunteer: Volunteer
    leader: Volunteer
    admin: Volunteer
    token: str
    event_ids: list[int] = field(default_factory=list)
    shift_ids: list[int] = field(default_factory=list)
    team_ids: list[int] = field(default_factory=list)
    community_ids: list[int] = field(default_factory=list)

    def gid(self, kind: str, pk: int) -> str:
        return encode_id(kind, pk)


async def seeded_world(events: int = 30) -> World:
    district = await factories.community("东园镇")
    compound = await factories.community("尊湖小区", district)
    volunteer = await factories.volunteer("小林")
    leader = await factories.volunteer("组长")
    admin = await factories.volunteer("管理员", admin=True)
    others = [await factories.volunteer(f"邻居{i}") for i in range(4)]
    teams = [
        await factories.team("巾帼志愿者服务队", leaders=(leader,), members=(volunteer,)),
        await factories.team("青年突击队", place=district, members=tuple(others[:2])),
        await factories.team("银发服务队", place=compound),
    ]
    world = World(
        volunteer=volunteer,
        leader=leader,
        admin=admin,
        token="",
        team_ids=[t.id for t in teams],
        community_ids=[district.id, compound.id],
    )
    kinds = list(EventKind)
    for i in range(events):
        status = EventStatus.PUBLISHED
        if i % 11 == 5:
            status = EventStatus.DRAFT
        elif i % 13 == 7:
            status = EventStatus.CANCELLED
        event = await factories.event(
            teams[i % len(teams)],
            title=f"活动{i}",
            kind=kinds[i % len(kinds)],
            status=status,
            starts_at=factories.soon(days=1) + timedelta(hours=5 * i),
            capacities=(2, 3) if i % 2 else (1, 2, 4),
            place=(district, compound, None)[i % 3],
        )
        world.event_ids.append(event.id)
    shifts = await Shift.filter(event_id__in=world.event_ids).order_by("id")
    world.shift_ids = [s.id for s in shifts]
    # sign-ups: the volunteer on a few shifts (some full: waitlisted), others fill seats
    who = [volunteer, *others]
    for n, shift in enumerate(shifts[:24]):
        for k, person in enumerate(who[: 1 + n % 4]):
            try:
                await signups.sign_up(Actor(volunteer=person), shift.id, f"w-{n}-{k}")
            except Exception:  # a clash or a closed event: the world only needs some
                pass
    world.token, _ = await api_tokens.create_token(
        Actor(volunteer=volunteer),
        "integration",
        [api_tokens.ApiScope.READ_PUBLIC, api_tokens.ApiScope.READ_PERSONAL],
        None,
    )
    return world

"""The place tree (district → community → compound), kept by admins.

A place's level follows from its parent: no parent is a district (镇/街道), under a district a
community (社区), under a community a compound (小区). Names are unique among siblings. A
compound can move to another community; nothing moves under itself."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from api.domain.actors import Actor
from api.domain.errors import DomainError, ErrorCode, Validator
from api.models import Community, CommunityLevel

LEVEL_BELOW = {
    None: CommunityLevel.DISTRICT,
    CommunityLevel.DISTRICT: CommunityLevel.COMMUNITY,
    CommunityLevel.COMMUNITY: CommunityLevel.COMPOUND,
}


def _name(name: str) -> str:
    v = Validator()
    clean = v.text(name, "name", max_length=100, label="The name")
    v.raise_if_any()
    return clean or ""


async def _place(community_id: int, field: str = "communityId") -> Community:
    place = await Community.get_or_none(id=community_id)
    if place is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such place.", [field])
    return place


async def _level_under(parent_id: int | None) -> CommunityLevel:
    parent = await _place(parent_id, "parentId") if parent_id is not None else None
    level = LEVEL_BELOW.get(CommunityLevel(parent.level) if parent else None)
    if level is None:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Nothing can be placed under a compound.", ["parentId"]
        )
    return level


def _taken() -> DomainError:
    return DomainError(
        ErrorCode.INVALID_INPUT, "A place with this name already exists there.", ["name"]
    )


async def add_place(actor: Actor, name: str, parent_id: int | None) -> Community:
    actor.require_admin()
    clean = _name(name)
    level = await _level_under(parent_id)
    if await Community.exists(parent_id=parent_id, name=clean):
        raise _taken()
    try:
        return await Community.create(name=clean, parent_id=parent_id, level=level)
    except IntegrityError:
        raise _taken() from None


async def rename_place(actor: Actor, community_id: int, name: str) -> Community:
    actor.require_admin()
    clean = _name(name)
    place = await _place(community_id)
    if clean != place.name:
        if await Community.exists(parent_id=place.parent_id, name=clean):
            raise _taken()
        try:
            await Community.filter(id=place.id).update(name=clean)
        except IntegrityError:
            raise _taken() from None
    return await _place(community_id)


async def move_compound(actor: Actor, community_id: int, parent_id: int) -> Community:
    """A compound moves to another community (the only move the tree allows)."""
    actor.require_admin()
    place = await _place(community_id)
    if place.level != CommunityLevel.COMPOUND:
        raise DomainError(ErrorCode.INVALID_INPUT, "Only a compound can be moved.", ["communityId"])
    parent = await _place(parent_id, "parentId")
    if parent.level != CommunityLevel.COMMUNITY:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A compound belongs under a community.", ["parentId"]
        )
    if await Community.filter(parent_id=parent_id, name=place.name).exclude(id=place.id).exists():
        raise _taken()
    await Community.filter(id=place.id).update(parent_id=parent_id)
    return await _place(community_id)


async def place_tree(actor: Actor) -> list[tuple[Community, int]]:
    """Every place with its depth, depth-first in name order (the admin console's list)."""
    actor.require_admin()
    places = await Community.all().order_by("name", "id")
    children: dict[int | None, list[Community]] = {}
    for place in places:
        children.setdefault(place.parent_id, []).append(place)
    ordered: list[tuple[Community, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for place in children.get(parent_id, []):
            ordered.append((place, depth))
            walk(place.id, depth + 1)

    walk(None, 0)
    return ordered

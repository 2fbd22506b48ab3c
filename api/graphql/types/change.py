"""The change feed: `Query.changes` lists every create, update and delete of the public objects
(see `api.domain.changes` for who sees what, `api.infra.change_log` for the order)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

import strawberry
from strawberry import Parent

from api.domain import changes
from api.graphql.pagination import Connection, Edge, PageInfo
from api.graphql.types.node import Node
from api.http.ids import encode_id

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Written(Protocol):
    updated_at: datetime | None


def written_at(row: Written) -> datetime:
    """A row's `updated_at`, which the change log's triggers keep on every write (null only
    inside a raw INSERT that has not finished)."""
    return row.updated_at or EPOCH


UPDATED_AT = (
    "When it last changed (any write, whatever made it: the API, the pages, the jobs); "
    "the change feed lists the same change."
)


@strawberry.enum(description="What happened to an object (变更类型).")
class ChangeKind(Enum):
    CREATED = strawberry.enum_value(
        "CREATED",
        description="It appeared: made public, or published from a draft (to those who could "
        "not see the draft).",
    )
    UPDATED = strawberry.enum_value(
        "UPDATED",
        description="Its fields changed (seats taken, a cancellation, a new title…): read it "
        "again. Reading null means it is no longer visible to you.",
    )
    DELETED = strawberry.enum_value(
        "DELETED", description="It was deleted (a tombstone, kept as long as every change)."
    )


@strawberry.enum(description="The kinds of objects the change feed lists.")
class ChangeType(Enum):
    EVENT = strawberry.enum_value("EVENT", description="Events (活动).")
    SHIFT = strawberry.enum_value(
        "SHIFT", description="Shifts (岗位), whose seat counts change with every sign-up."
    )
    TEAM = strawberry.enum_value("TEAM", description="Teams (队伍).")
    COMMUNITY = strawberry.enum_value(
        "COMMUNITY", description="Places: districts, communities, compounds (社区)."
    )


def _change_id(root: Parent[changes.Change]) -> strawberry.ID:
    return strawberry.ID(encode_id("Change", root.entry_id))


@strawberry.type(
    description="One create, update or delete of an object, as the change feed lists it (变更)."
)
class Change(Node):
    id: strawberry.ID = strawberry.field(
        resolver=_change_id, description="A global, opaque id of this change."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, changes.Change)

    @strawberry.field(description="Whether the object was created, updated or deleted.")
    def kind(self, root: Parent[changes.Change]) -> ChangeKind:
        return ChangeKind[root.kind.name]

    @strawberry.field(description="The object's GraphQL type: Event, Shift, Team or Community.")
    def typename(self, root: Parent[changes.Change]) -> str:
        return root.typename

    @strawberry.field(
        description="The object's global id: read it with `node(id:)` or `nodes(ids:)` (null "
        "when it is gone)."
    )
    def node_id(self, root: Parent[changes.Change]) -> strawberry.ID:
        return strawberry.ID(encode_id(root.typename, root.object_id))

    @strawberry.field(
        description="When the change was made, by the database's clock (for a write to the "
        "object itself, its `updatedAt` then). Changes are listed in commit order, which these "
        "times need not follow exactly."
    )
    def at(self, root: Parent[changes.Change]) -> datetime:
        return root.at


@strawberry.type(
    name="ChangeConnection",
    description="A page of the change feed, oldest change first. Keep `pageInfo.endCursor` "
    "(or, on an empty page, the cursor you passed) and ask again with it as `after`.",
)
class ChangeConnection(Connection[Change]):
    current_cursor: str = strawberry.field(
        description="A cursor at the end of the feed now, whatever this page holds. A new "
        "client takes it first, then reads everything, then follows `changes(after:)` from it "
        "(changes made while it read are listed again: reading an object twice is harmless)."
    )


def change_type(value: ChangeType) -> changes.ChangeType:
    return changes.ChangeType[value.name]


def connection_of(page: changes.ChangePage) -> ChangeConnection:
    edges = [Edge(cursor=change.cursor, node=change) for change in page.changes]

    async def total() -> int:
        return await changes.count(page)

    return ChangeConnection(
        edges=edges,  # type: ignore[arg-type]
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=total,
        current_cursor=page.current_cursor,
    )

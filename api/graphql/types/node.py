"""The `Node` interface and the glue of global ids.

Every object type implements `Node`: its `id` is an opaque global id made of the type's name
and the row's id (`api.http.ids`), which `node(id:)` decodes to find the row again."""

from __future__ import annotations

from typing import Protocol

import strawberry
from strawberry import Parent

from api.http.ids import encode_id


class Row(Protocol):
    id: int


@strawberry.interface(description="An object with a global, opaque id; see `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global, opaque id (全局 ID): the same object always has the same id; "
        "pass it to `node(id:)`. Do not parse it."
    )


def global_id(type_name: str) -> strawberry.ID:
    """The `id` field of an object type whose rows are ORM rows of `type_name`."""

    def resolve(root: Parent[Row]) -> strawberry.ID:
        return strawberry.ID(encode_id(type_name, root.id))

    return strawberry.field(
        resolver=resolve,
        description="Global, opaque id: stable, usable with `node(id:)`; do not parse it.",
    )

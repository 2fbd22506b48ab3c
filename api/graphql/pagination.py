"""Keyset ("cursor") pagination: cursors stay correct when rows are inserted or removed."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from tortoise.expressions import Q, RawSQL
from tortoise.queryset import QuerySet

from api.http.errors import PublicError
from api.infra import rows
from api.settings import get_settings

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20

# The paging arguments every list takes (Relay's forward pagination), described once.
First = Annotated[
    int | None,
    strawberry.argument(
        description="Page size: how many items to return, 0 to 100 (default 20). The query "
        "cost counts this many items per list, so ask for what you show."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Opaque cursor: return the items after this one (`pageInfo.endCursor` or "
        "an edge's `cursor` of the previous page); omit for the first page."
    ),
]


@strawberry.type(description="Where a page sits in its list (Relay's PageInfo, 分页信息).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="True when more items follow: ask again with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="True when this page was asked for with `after` (items precede it)."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first item of this page; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item of this page, to pass as `after` for the next "
        "page; null when the page is empty."
    )


@strawberry.type(description="One item of a page and its cursor (Relay edge).")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque, durable position of this item: pass it as `after` to continue "
        "after it. Stays valid when items are added or removed."
    )
    node: T = strawberry.field(description="The item itself.")


@strawberry.type(
    description="A page of a list (Relay connection): `edges` with cursors or just `nodes`, "
    "`pageInfo` to page on, `totalCount` for the whole list. Keyset-paged: pages stay "
    "consistent while items are added."
)
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(
        description="The items of this page with their cursors, in the list's order."
    )
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The items of this page without cursors (same as edges.node).")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="How many items the whole list has (all pages). Costs one COUNT query: "
        "leave it out when you do not show it."
    )
    async def total_count(self) -> int:
        return await self._count()


def wants_total(info: Any) -> bool:
    """Whether the connection field being resolved selects `totalCount` (then the page's
    statement counts the whole list too: one statement instead of two)."""

    def selects(selections: Sequence[Any]) -> bool:
        for selection in selections:
            if getattr(selection, "name", None) == "totalCount":
                return True
            if getattr(selection, "name", "") in ("edges", "nodes", "pageInfo"):
                continue
            if selects(getattr(selection, "selections", ())):  # fragments
                return True
        return False

    return any(selects(field.selections) for field in info.selected_fields)


def wants_node_field(info: Any, name: str) -> bool:
    """Whether the connection field being resolved selects `name` on its nodes (`nodes { name }`
    or `edges { node { name } }`, fragments followed)."""

    def fields(selections: Sequence[Any]) -> list[Any]:
        found = []
        for selection in selections:
            if hasattr(selection, "name"):
                found.append(selection)
            else:  # a fragment
                found += fields(getattr(selection, "selections", ()))
        return found

    def under(selections: Sequence[Any], path: Sequence[str]) -> bool:
        for field in fields(selections):
            if not path:
                if field.name == name:
                    return True
            elif field.name == path[0] and under(field.selections, path[1:]):
                return True
        return False

    return any(
        under(field.selections, path)
        for field in info.selected_fields
        for path in (("nodes",), ("edges", "node"))
    )


def page_size(first: int | None) -> int:
    limit = get_settings().max_page_size
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 0 <= first <= limit:
        raise PublicError("INVALID_INPUT", f"`first` must be between 0 and {limit}.")
    return first


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, kinds: Sequence[type]) -> list[Any]:
    try:
        raw = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(raw.encode()))
        if not isinstance(plain, list) or len(plain) != len(kinds):
            raise ValueError
        values: list[Any] = []
        for value, kind in zip(plain, kinds, strict=True):
            if kind is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError
                values.append(parsed)
            elif kind is int and isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
            else:
                raise ValueError
        return values
    except (ValueError, TypeError, UnicodeDecodeError):
        raise PublicError("INVALID_INPUT", "`after` is not a cursor from this list.") from None


def _after(fields: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in the ascending order of `fields` (row comparison)."""
    condition = Q(**{f"{fields[-1]}__gt": values[-1]})
    for i in range(len(fields) - 2, -1, -1):
        condition = Q(**{f"{fields[i]}__gt": values[i]}) | (Q(**{fields[i]: values[i]}) & condition)
    return condition


async def paginate(
    queryset: QuerySet[Any],
    *,
    first: int | None,
    after: str | None,
    order: Sequence[tuple[str, type]] = (("id", int),),
    wrap: Callable[[Any], T] | None = None,
    with_total: bool = False,
) -> Connection[T]:
    """One page of `queryset` in ascending `order` (whose last field must be unique).

    `with_total`: the caller will want `totalCount`; on the first page the same statement
    counts the whole list (`COUNT(*) OVER ()`, computed before the LIMIT)."""
    size = page_size(first)
    fields = [name for name, _ in order]
    page_qs = queryset
    if after:
        page_qs = page_qs.filter(_after(fields, _decode(after, [kind for _, kind in order])))
    counted = with_total and not after and size > 0
    if counted:
        page_qs = page_qs.annotate(**{TOTAL: RawSQL("COUNT(*) OVER ()")})
    rows = await page_qs.order_by(*fields).limit(size + 1) if size else []
    has_next = len(rows) > size
    count: Callable[[], Awaitable[int]] = queryset.count
    if counted:
        count = _known(int(getattr(rows[0], TOTAL)) if rows else 0)
    return first_page(rows, size, fields, count, wrap=wrap, after=after, has_next=has_next)


@dataclass(frozen=True)
class RowList:
    """A list read the lean way (`api.infra.rows`): `SELECT {columns} FROM {source} WHERE
    {condition}` in the ascending order of `order` (SQL, the attribute holding it on an
    object, its type; the last one unique), each row made into its object by `build`."""

    columns: str
    source: str
    condition: str
    values: Sequence[Any]
    order: Sequence[tuple[str, str, type]]
    build: Callable[[Sequence[Any]], Any]


def table_list(
    reader: rows.Reader[Any],
    table: str,
    condition: str,
    values: Sequence[Any],
    order: Sequence[tuple[str, str, type]] | None = None,
) -> RowList:
    """The rows of one table (as `reader`'s model objects) matching `condition`, by id
    unless told otherwise."""
    return RowList(
        columns=reader.columns(table),
        source=f'"{table}"',
        condition=condition,
        values=values,
        order=order or [(f'"{table}"."id"', "id", int)],
        build=reader.converter(),
    )


def _after_sql(
    order: Sequence[tuple[str, str, type]], values: Sequence[Any]
) -> tuple[str, list[Any]]:
    """`_after` in SQL: rows strictly after `values` in the ascending `order`."""
    condition, bound = f"{order[-1][0]} > ?", [values[-1]]
    for i in range(len(order) - 2, -1, -1):
        condition = f"({order[i][0]} > ? OR ({order[i][0]} = ? AND {condition}))"
        bound = [values[i], values[i], *bound]
    return condition, bound


async def paginate_rows(
    listing: RowList, *, first: int | None, after: str | None, with_total: bool = False
) -> Connection[Any]:
    """`paginate` for a `RowList`: the same page, cursors and counts, with one statement
    written once per shape and no queryset (the first page with `with_total` counts the whole
    list in the same statement)."""
    size = page_size(first)
    order = listing.order
    condition, values = listing.condition, [*listing.values]
    if after:
        later, bound = _after_sql(order, _decode(after, [kind for _, _, kind in order]))
        condition = f"({condition}) AND {later}"
        values += bound
    counted = with_total and not after and size > 0
    found: Sequence[Sequence[Any]] = []
    if size:
        found = await rows.fetch(
            f"SELECT {listing.columns}{', COUNT(*) OVER ()' if counted else ''}"
            f" FROM {listing.source} WHERE {condition}"
            f" ORDER BY {','.join(f'{sql} ASC' for sql, _, _ in order)} LIMIT ?",
            [*values, size + 1],
        )
    count: Callable[[], Awaitable[int]]
    if counted:
        count = _known(int(found[0][-1]) if found else 0)
    else:

        async def count() -> int:
            sql = f"SELECT COUNT(*) FROM {listing.source} WHERE {listing.condition}"
            return int((await rows.fetch(sql, listing.values))[0][0])

    build = listing.build
    return first_page(
        [build(row) for row in found],
        size,
        [attribute for _, attribute, _ in order],
        count,
        after=after,
        has_next=len(found) > size,
    )


def first_page(
    rows: Sequence[Any],
    size: int,
    fields: Sequence[str],
    count: Callable[[], Awaitable[int]],
    *,
    wrap: Callable[[Any], T] | None = None,
    after: str | None = None,
    has_next: bool | None = None,
) -> Connection[T]:
    """The connection of `rows` (in order; more than `size` of them: there is a next page)."""
    if has_next is None:
        has_next = len(rows) > size
    edges = [
        Edge(cursor=_encode([getattr(row, f) for f in fields]), node=wrap(row) if wrap else row)
        for row in rows[:size]
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


def known_count(total: int) -> Callable[[], Awaitable[int]]:
    """A `totalCount` already known."""
    return _known(total)


TOTAL = "linli_total"


def _known(total: int) -> Callable[[], Awaitable[int]]:
    async def known() -> int:
        return total

    return known


def empty_connection() -> Connection[Any]:
    async def zero() -> int:
        return 0

    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
        _count=zero,
    )

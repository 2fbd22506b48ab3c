"""Lean reads for the hot paths: SQL text written once per shape, rows as tuples.

Tortoise builds every query afresh with pypika (copies of terms, quoting, joins) and turns
each row into a model through `_init_from_db`; on a page with a few statements that is most of
the database time in Python. The readers here skip both: the statement is a constant string
(`IN` lists: one text per length, cached), it runs through Tortoise's own client for the
current context (`connections.get("default")`: its transaction, its SQL log, its
exception translation, asyncpg's prepared-statement cache on PostgreSQL), and each row is put
straight into a model object's `__dict__` with the conversions Tortoise itself would apply to
those columns (its `db_native_fields`/`db_default_fields`/`db_complex_fields` split, per
backend), so resolvers, domain rules and `is_type_of` see the same objects and the same values.

Statements are written with `?` placeholders and no literal `?` or `$`; on PostgreSQL they are
rewritten to `$1, $2, …` once per text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from tortoise import connections
from tortoise.fields.data import CharEnumFieldInstance, DatetimeField
from tortoise.models import Model

M = TypeVar("M", bound=Model)

_NUMBERED: dict[str, str] = {}
_IN_LISTS: dict[int, str] = {}


def marks(count: int) -> str:
    """`?,?,…` for an `IN` list of `count` values (at least one: `IN ()` is not SQL)."""
    text = _IN_LISTS.get(count)
    if text is None:
        text = _IN_LISTS[count] = ",".join("?" * max(count, 1))
    return text


def _numbered(sql: str) -> str:
    text = _NUMBERED.get(sql)
    if text is None:
        parts = sql.split("?")
        text = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
        if len(_NUMBERED) < 4096:
            _NUMBERED[sql] = text
    return text


def client() -> Any:
    """The connection of the current context (a transaction's, when one is open)."""
    return connections.get("default")


def is_postgres(db: Any) -> bool:
    return db.capabilities.dialect == "postgres"


async def fetch(sql: str, values: Sequence[Any] = ()) -> Sequence[Sequence[Any]]:
    """The rows of a SELECT (indexable by position), through Tortoise's client."""
    db = client()
    if is_postgres(db):
        sql = _numbered(sql)
    _, rows = await db.execute_query(sql, list(values))
    return rows  # type: ignore[no-any-return]


_Converter = Callable[[Any], Any] | None


class Reader(Generic[M]):
    """Model objects of `model` from `fields` (default: every column), read from a run of
    columns of a row (`columns()` writes that run for a table alias). Worked out on first use,
    once Tortoise has finished the models (foreign-key columns are added then)."""

    __slots__ = ("_builds", "_columns", "_fields", "_names", "complete", "model")

    def __init__(self, model: type[M], fields: Iterable[str] | None = None) -> None:
        self.model = model
        self._fields = None if fields is None else list(fields)
        self._names: list[str] | None = None
        self.complete = fields is None
        self._builds: dict[str, Callable[..., M]] = {}
        self._columns: dict[str, str] = {}

    @property
    def names(self) -> list[str]:
        """The columns read, in order."""
        if self._names is None:
            projection = self.model._meta.fields_db_projection  # field → column
            wanted = list(projection) if self._fields is None else self._fields
            self.complete = set(wanted) == set(projection)
            self._names = [projection[f] for f in wanted]
        return self._names

    def columns(self, alias: str) -> str:
        """The columns read, qualified by `alias`, for a SELECT list."""
        text = self._columns.get(alias)
        if text is None:
            text = self._columns[alias] = ",".join(f'"{alias}"."{name}"' for name in self.names)
        return text

    def _plan(self) -> list[tuple[str, _Converter]]:
        meta = self.model._meta
        how: dict[str, tuple[str, _Converter]] = {}
        for column, attribute, _ in meta.db_native_fields:
            how[column] = (attribute, None)
        for column, attribute, field in meta.db_default_fields:
            how[column] = (attribute, _default(field.field_type))
        for column, attribute, field in meta.db_complex_fields:
            how[column] = (attribute, _complex(field))
        return [how[name] for name in self.names]

    def converter(self) -> Callable[..., M]:
        """A function making the model object from `row[start:start + len(fields)]`, for the
        backend of the current context (what `_init_from_db` sets, as straight-line code
        written once per reader and backend)."""
        dialect = client().capabilities.dialect
        build = self._builds.get(dialect)
        if build is None:
            build = self._builds[dialect] = self._compile(self._plan())
        return build

    def _compile(self, plan: list[tuple[str, _Converter]]) -> Callable[..., M]:
        model = self.model
        scope: dict[str, Any] = {
            "new": object.__new__,
            "model": model,
            "partial": not self.complete,
            "custom_pk": model._meta.db_pk_column not in model._meta.generated_db_fields,
        }
        items = []
        for index, (attribute, convert) in enumerate(plan):
            value = f"row[start + {index}]"
            if convert is not None:
                scope[f"convert{index}"] = convert
                value = f"convert{index}({value})"
            items.append(f"{attribute!r}: {value}")
        source = (
            "def build(row, start=0):\n"
            "    obj = new(model)\n"
            "    obj.__dict__.update({'_partial': partial, '_saved_in_db': True,"
            " '_custom_generated_pk': custom_pk, '_await_when_save': {}, "
            + ", ".join(items)
            + "})\n"
            "    return obj\n"
        )
        exec(compile(source, f"<rows.Reader {model.__name__}>", "exec"), scope)  # noqa: S102
        return scope["build"]  # type: ignore[no-any-return]


def _complex(field: Any) -> Callable[[Any], Any]:
    """`field.to_python_value`, with the same results faster for the two kinds every row
    has: enums looked up by value, and SQLite's timestamps (text) parsed once per distinct
    text (a datetime is immutable, so one object can serve every row with that text)."""
    convert: Callable[[Any], Any] = field.to_python_value
    if isinstance(field, CharEnumFieldInstance):
        members = {member.value: member for member in field.enum_type}

        def enum(value: Any) -> Any:
            if value is None:
                return None
            member = members.get(value)
            return member if member is not None else convert(value)

        return enum
    if isinstance(field, DatetimeField):

        def moment(value: Any) -> Any:
            if type(value) is not str:
                return convert(value)
            parsed = _MOMENTS.get(value)
            if parsed is None:
                if len(_MOMENTS) >= MOMENTS_KEPT:
                    _MOMENTS.clear()
                parsed = _MOMENTS[value] = convert(value)
            return parsed

        return moment
    return convert


# Timestamps as SQLite stores them (text) → the datetime Tortoise makes of them.
_MOMENTS: dict[str, Any] = {}
MOMENTS_KEPT = 50_000


def _default(kind: type) -> Callable[[Any], Any]:
    """As `_init_from_db` converts a field without its own `to_python_value`."""

    def convert(value: Any) -> Any:
        return None if value is None else kind(value)

    return convert


_READERS: dict[type[Model], Reader[Any]] = {}


def reader_of(model: type[M]) -> Reader[M]:
    """The reader of every column of `model` (one per model: its statements and code are
    written once)."""
    reader = _READERS.get(model)
    if reader is None:
        reader = _READERS[model] = Reader(model)
    return reader


async def by_ids(reader: Reader[M], table: str, ids: Iterable[int]) -> dict[int, M]:
    """The rows of `table` with these ids, by id (one statement)."""
    unique = list(set(ids))
    if not unique:
        return {}
    sql = f'SELECT {reader.columns(table)} FROM "{table}" WHERE "id" IN ({marks(len(unique))})'
    rows = await fetch(sql, unique)
    build = reader.converter()
    found = (build(row) for row in rows)
    return {obj.pk: obj for obj in found}


__all__ = ["Reader", "by_ids", "fetch", "is_postgres", "marks", "reader_of"]

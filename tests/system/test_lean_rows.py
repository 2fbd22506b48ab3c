"""Lean reads (`api.infra.rows`) make the same objects as the ORM: for every model with rows
in the demo neighbourhood, each field has the same value and type (timestamps, enums,
booleans, JSON, nulls) on SQLite and PostgreSQL, and the statements see the current
transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from api.demo.neighbourhood import load_demo
from api.infra import rows
from api.models import Team


def quiet(*_: Any) -> None:
    pass


def _fields(obj: Any) -> dict[str, tuple[type, Any]]:
    return {
        name: (type(getattr(obj, name)), getattr(obj, name))
        for name in type(obj)._meta.fields_db_projection
    }


async def test_every_model_reads_the_same_as_through_the_orm(database: str) -> None:
    await load_demo(datetime(2026, 3, 14, 2, 0, tzinfo=UTC), log=quiet)
    compared = 0
    for model in Tortoise.apps["models"].values():
        if model._meta.pk_attr != "id":
            continue
        expected = await model.all().order_by("id").limit(40)
        if not expected:
            continue
        found = await rows.by_ids(
            rows.reader_of(model), model._meta.db_table, [o.id for o in expected]
        )
        assert sorted(found) == [o.id for o in expected], model.__name__
        for orm_object in expected:
            lean = found[orm_object.id]
            assert type(lean) is model
            assert _fields(lean) == _fields(orm_object), model.__name__
            assert (lean._partial, lean._saved_in_db, lean._custom_generated_pk) == (
                orm_object._partial,
                orm_object._saved_in_db,
                orm_object._custom_generated_pk,
            )
        compared += 1
    assert compared >= 10  # events, shifts, sign-ups, volunteers, teams, places, hours…


async def test_statements_take_their_values_in_order_and_see_the_transaction(
    database: str,
) -> None:
    first = await Team.create(name="甲", description="")
    second = await Team.create(name="乙", description="")
    sql = f'SELECT "name" FROM "team" WHERE "id" IN ({rows.marks(2)}) AND "name" <> ? ORDER BY "id"'
    assert [r[0] for r in await rows.fetch(sql, [first.id, second.id, "乙"])] == ["甲"]
    async with in_transaction():
        await Team.filter(id=first.id).update(name="丙")
        assert [r[0] for r in await rows.fetch(sql, [first.id, second.id, "乙"])] == ["丙"]

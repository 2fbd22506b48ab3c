"""`LINLI_COMPILED_EXECUTION`: on by default; off, every query runs through graphql-core (the
`make test` second run of this directory relies on it)."""

from __future__ import annotations

import os

from api.graphql import compiled
from api.graphql.compiled.executor import is_planned
from api.graphql.schema import schema
from api.settings import load_settings


def test_the_setting_reads_on_and_off():
    assert load_settings({}).compiled_execution is True
    assert load_settings({"LINLI_COMPILED_EXECUTION": "off"}).compiled_execution is False
    assert load_settings({"LINLI_COMPILED_EXECUTION": "on"}).compiled_execution is True


def test_this_run_uses_the_executor_the_environment_asks_for():
    wanted = os.environ.get("LINLI_COMPILED_EXECUTION", "on").strip().lower() != "off"
    assert compiled.is_enabled() is wanted


FRESH = {"Cache-Control": "no-cache"}  # not from the response cache
EMPTY = {"viewer": None, "communities": {"totalCount": 0}}


async def test_switched_off_no_plan_is_made(gql, database):
    # a document of this run only: plans are cached per process, across both backends' runs
    query = f"query OnlyHere {{ viewer {{ id }} communities(first: 1) {{ totalCount }} }} # {database.split(':')[0]}"
    try:
        compiled.set_enabled(False)
        assert (await gql(query, {}, **FRESH))["data"] == EMPTY
        assert not is_planned(schema._schema, query, "OnlyHere")
        compiled.set_enabled(True)
        assert (await gql(query, {}, **FRESH))["data"] == EMPTY
        assert is_planned(schema._schema, query, "OnlyHere")
    finally:
        compiled.set_enabled(None)

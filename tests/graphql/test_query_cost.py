"""Query cost: a static bound on the objects an operation can return, refused over the limit
before any resolver runs; every answer reports its cost."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse

from api.graphql.cost import QUERY_TOO_COSTLY, query_cost
from api.graphql.schema import schema
from api.settings import get_settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.sqlcount import count_sql

OPERATIONS = Path(__file__).resolve().parents[2] / "schema" / "operations"
# The shape from the issue: 30 aliases of events → shifts → event → shifts.
NESTED = "events(first: 20) { nodes { shifts { event { shifts { id role } } } } }"
ATTACK = "{ " + " ".join(f"a{i}: {NESTED}" for i in range(30)) + " }"


def cost(query: str, variables: dict[str, object] | None = None) -> int:
    return query_cost(schema._schema, parse(query), None, variables)


async def test_the_nested_alias_attack_is_refused_before_execution(client, database) -> None:
    await factories.event(await factories.team(), capacities=(3, 3))
    with count_sql() as statements:
        response = await client.post("/graphql", json={"query": ATTACK})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    limit = get_settings().max_query_cost
    assert error["extensions"] == {
        "code": QUERY_TOO_COSTLY,
        "cost": 30 * (1 + 20 + 20 * 50 + 20 * 50 + 20 * 50 * 50),
        "limit": limit,
    }
    assert str(limit) in error["message"]
    assert not [s for s in statements if '"event"' in s or '"shift"' in s]


async def test_answers_report_their_cost(client, database) -> None:
    gql = GraphQLClient(client)
    await factories.event(await factories.team(), capacities=(3,))
    body = await gql(
        "query($n: Int) { events(first: $n) { nodes { id shifts { id } } } }", {"n": 3}
    )
    assert "errors" not in body
    # The connection (1), 3 events, 50 shifts each at most.
    assert body["extensions"]["cost"] == 1 + 3 + 3 * 50


def test_connections_lists_fragments_and_variables() -> None:
    # Default page size without `first`; `first` from a variable or a literal.
    assert cost("{ teams { nodes { id } } }") == 1 + 20
    assert cost("query($n: Int) { teams(first: $n) { nodes { id } } }", {"n": 5}) == 1 + 5
    assert cost("query($n: Int = 7) { teams(first: $n) { nodes { id } } }") == 1 + 7
    # pageInfo and totalCount do not multiply; edges and nodes do.
    assert cost("{ teams(first: 4) { pageInfo { hasNextPage } edges { node { id } } } }") == (
        1 + 1 + 4 + 4
    )
    inline = "{ events(first: 10) { nodes { shifts { event { id } } } } }"
    via_fragments = """
      { events(first: 10) { ...Page } }
      fragment Page on EventConnection { nodes { ... on Event { ...Shifts } } }
      fragment Shifts on Event { shifts { event { id } } }
    """
    assert cost(inline) == cost(via_fragments) == 1 + 10 + 10 * 50 + 10 * 50
    # node(id:) through a type condition, nodes(ids:) by the ids asked for.
    assert cost('{ node(id: "x") { ... on Event { shifts { id } } } }') == 1 + 50
    assert cost('{ nodes(ids: ["a", "b"]) { id } }') == 2
    assert cost("{ viewer { id displayName } }") == 1
    assert cost("{ __schema { types { name } } }") == 1


@pytest.mark.parametrize("path", sorted(OPERATIONS.glob("*.graphql")), ids=lambda p: p.stem)
def test_the_apps_own_operations_pass_with_margin(path: Path) -> None:
    largest = {"first": get_settings().max_page_size, "notifications": 100}
    value = query_cost(schema._schema, parse(path.read_text()), path.stem, largest)
    assert value <= get_settings().max_query_cost // 2, (path.stem, value)


async def test_a_huge_query_is_refused_by_its_tokens_before_the_cache_parses_it(
    client, database, monkeypatch
) -> None:
    from api.http import response_cache

    seen: list[object] = []
    real_parse = response_cache.parse

    def spying_parse(source: str, **options: object):  # type: ignore[no-untyped-def]
        seen.append(options.get("max_tokens"))
        return real_parse(source, **options)

    monkeypatch.setattr(response_cache, "parse", spying_parse)
    response_cache._only_queries.cache_clear()
    huge = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(11_000)) + " }"
    assert 200_000 < len(huge) < get_settings().max_body_size
    response = await client.post("/graphql", json={"query": huge})
    assert response.status_code == 200
    assert "token" in response.json()["errors"][0]["message"].lower()
    assert seen == []  # too long to be cached: the cache did not parse it at all
    # Shorter, but over the token limit: parsed by the cache only up to the limit.
    long = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(1_000)) + " }"
    assert len(long) < response_cache.MAX_CACHED_QUERY
    response = await client.post("/graphql", json={"query": long})
    assert "token" in response.json()["errors"][0]["message"].lower()
    assert seen == [get_settings().max_tokens]

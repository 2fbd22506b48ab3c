"""GraphQL over HTTP: 415 for a body that is not JSON, automatic persisted queries (the app's
own documents known from start-up), trusted documents only, and the
`application/graphql-response+json` media type with its status codes."""

import dataclasses
import hashlib
import json

import httpx
import pytest

from api.settings import PROJECT_ROOT, get_settings
from tests import factories

QUERY = "{ events(first: 1) { totalCount } }"


def _hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def test_a_post_that_is_not_json_answers_415(client: httpx.AsyncClient) -> None:
    answer = await client.post("/graphql", content=QUERY, headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    missing = await client.post("/graphql", content=json.dumps({"query": QUERY}))
    assert missing.status_code == 415


async def test_automatic_persisted_queries_round_trip(client: httpx.AsyncClient) -> None:
    await factories.event(await factories.team())
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": _hash(QUERY)}}
    first = await client.post("/graphql", json={"extensions": persisted})
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await client.post("/graphql", json={"query": QUERY, "extensions": persisted})
    assert registered.json()["data"]["events"]["totalCount"] == 1
    again = await client.post("/graphql", json={"extensions": persisted})
    assert again.json()["data"] == {"events": {"totalCount": 1}}
    by_get = await client.get(
        "/graphql",
        params={"extensions": json.dumps(persisted)},
        headers={"Accept": "application/json"},
    )
    assert by_get.json()["data"] == {"events": {"totalCount": 1}}
    wrong = await client.post(
        "/graphql",
        json={"query": "{ teams(first: 1) { totalCount } }", "extensions": persisted},
    )
    assert wrong.status_code == 400


async def test_the_apps_own_documents_are_known_from_start_up(client: httpx.AsyncClient) -> None:
    document = (PROJECT_ROOT / "schema" / "operations" / "UpcomingEvents.graphql").read_text()
    answer = await client.post(
        "/graphql",
        json={
            "operationName": "UpcomingEvents",
            "variables": {"first": 5},
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _hash(document)}},
        },
    )
    assert "errors" not in answer.json(), answer.text


async def test_trusted_documents_only_refuses_ad_hoc_documents(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = dataclasses.replace(get_settings(), trusted_documents_only="anonymous")
    monkeypatch.setattr("api.http.graphql_over_http.get_settings", lambda: strict)
    refused = await client.post("/graphql", json={"query": QUERY})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    factories.log_in_as(client, await factories.volunteer())
    assert (await client.post("/graphql", json={"query": QUERY})).status_code == 200


async def test_graphql_response_json_status_codes(client: httpx.AsyncClient) -> None:
    accept = {"Accept": "application/graphql-response+json"}
    ok = await client.post("/graphql", json={"query": QUERY}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    broken = await client.post("/graphql", json={"query": "{ events("}, headers=accept)
    assert broken.status_code == 400 and "data" not in broken.json()
    invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers=accept)
    assert invalid.status_code == 400 and invalid.json()["errors"]
    legacy = await client.post("/graphql", json={"query": "{ nope }"})
    assert legacy.headers["content-type"].startswith("application/json")

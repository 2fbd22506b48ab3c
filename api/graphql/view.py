"""GraphQL over HTTP: POST for everything, GET for queries only, GraphiQL for browsers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL

from api.graphql.context import Context
from api.graphql.schema import schema
from api.web.auth import actor_for


class LinliGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        actor = await actor_for(request, unsafe_method=request.method == "POST")
        return Context(request=request, response=response, actor=actor)


def make_graphql_app() -> LinliGraphQL:
    return LinliGraphQL(schema, graphql_ide="graphiql", allow_queries_via_get=True)


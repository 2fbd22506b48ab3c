"""GraphQL over HTTP: POST for everything, GET for queries only, GraphiQL for browsers."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette import status
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api.graphql.context import Context
from api.graphql.ide import graphiql_html
from api.graphql.schema import schema
from api.http import json_codec
from api.http.actor import InvalidBearerToken, actor_for
from api.http.language import asked_language
from api.http.security_headers import graphiql_policy


class LinliGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        actor = await actor_for(request, unsafe_method=request.method == "POST")
        return Context(
            request=request, response=response, actor=actor, language=asked_language(request)
        )

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return await super().run(request, *args, **kwargs)
        except InvalidBearerToken as exc:
            if isinstance(request, WebSocket):
                await request.close(code=1008, reason=exc.detail)  # policy violation
                return None
            error = {"message": exc.detail, "extensions": {"code": "UNAUTHENTICATED"}}
            return JSONResponse({"errors": [error]}, status_code=401, headers=exc.headers)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json_codec.loads(data)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            raise HTTPException(400, "Unable to parse request body as JSON") from None

    def encode_json(self, data: object) -> str:
        # Text (WebSocket frames must be text frames); HTTP answers skip it: create_response.
        return json_codec.dumps(data).decode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """Strawberry's answer, encoded once with orjson (api.http.json_codec)."""
        response = Response(
            json_codec.dumps(response_data),
            status_code=sub_response.status_code or status.HTTP_200_OK,
            media_type="application/json",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        html = graphiql_html()
        return HTMLResponse(html, headers={"Content-Security-Policy": graphiql_policy(html)})

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                # A mutation over GET: the method is what is wrong.
                raise HTTPException(405, "Mutations must be sent with POST.") from exc
            raise


def make_graphql_app() -> LinliGraphQL:
    return LinliGraphQL(
        schema,
        graphql_ide="graphiql",
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )

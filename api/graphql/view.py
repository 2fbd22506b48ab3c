"""GraphQL over HTTP: POST for everything, GET for queries only, GraphiQL for browsers; live
subscriptions over WebSocket (`graphql-transport-ws`, see `api.graphql.subscription`).

A WebSocket acts for the session cookie sent with its handshake, or for the API token in its
`connection_init` payload (`{"authorization": "Bearer …"}`; an unknown, expired or revoked
token closes it with 4403). A handshake from another site is refused (403) before anything
else, as is one more WebSocket from an address that has `websockets_per_address` open (429);
one more subscription than `subscriptions_per_connection` on a connection is an error."""

from __future__ import annotations

import contextlib
import json
import logging
from collections import Counter
from typing import Any

from cross_web import HTTPException
from starlette import status
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from api.domain import api_tokens, sessions
from api.domain.actors import Actor
from api.graphql.context import Context
from api.graphql.ide import graphiql_html
from api.graphql.schema import schema
from api.http import json_codec
from api.http.actor import InvalidBearerToken, actor_for
from api.http.cross_site import refuse_cross_site
from api.http.language import asked_language
from api.http.security_headers import graphiql_policy
from api.http.sessions import SESSION_COOKIE
from api.infra.faults import is_unavailable, reason_of
from api.settings import get_settings

TOO_MANY_WEBSOCKETS = "TOO_MANY_WEBSOCKETS"
log = logging.getLogger("linli.graphql")


class LiveTransport(BaseGraphQLTransportWSHandler[Context, None]):
    """`graphql-transport-ws`, sending a subscription's answer only when it differs from the
    one sent before (a change elsewhere in the database, or in a part not selected, wakes
    the subscription but tells the client nothing new)."""

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: Any
    ) -> None:
        previous: str | None = None
        first = True
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            first = False
            errors = [e.formatted for e in result.errors or ()]
            answer = json.dumps([result.data, errors], sort_keys=True, default=str)
            if answer != previous:
                previous = answer
                await operation.send_next(result)


class LinliGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = LiveTransport

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.websockets_by_address: Counter[str] = Counter()

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if isinstance(request, WebSocket):
            return await self._websocket_context(request)
        actor = await actor_for(request, unsafe_method=request.method == "POST")
        assert isinstance(response, Response)
        return Context(
            request=request, response=response, actor=actor, language=asked_language(request)
        )

    async def _websocket_context(self, websocket: WebSocket) -> Context:
        """The handshake's cookie (or `Authorization` header) acts until `connection_init`
        names a token; the credential is checked again while the connection lasts."""
        actor = await actor_for(websocket)  # cross-site handshakes never get here
        context = Context(
            request=websocket, response=None, actor=actor, language=asked_language(websocket)
        )
        scheme, _, secret = websocket.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer":
            context.credential_check = _token_check(secret.strip())
        elif actor.session_id is not None:
            context.credential_check = _session_check(
                websocket.cookies.get(SESSION_COOKIE, ""), actor.session_id
            )
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | None | dict[str, object]:
        params = context.connection_params or {}
        given = params.get("authorization", params.get("Authorization"))
        if given is None:
            return UNSET
        scheme, _, secret = str(given).strip().partition(" ")
        found = await api_tokens.bearer(secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        context.actor = Actor(volunteer=found.volunteer, scopes=found.scopes)
        context.credential_check = _token_check(secret.strip())
        return UNSET

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(request, WebSocket):
            return await self._run_websocket(request, *args, **kwargs)
        return await self._run(request, *args, **kwargs)

    async def _run_websocket(self, websocket: WebSocket, *args: Any, **kwargs: Any) -> Any:
        refusal = refuse_cross_site(websocket)
        if refusal is None and self.websockets_by_address[_address(websocket)] >= (
            get_settings().websockets_per_address
        ):
            error = {
                "message": "Too many WebSockets from this address.",
                "extensions": {"code": TOO_MANY_WEBSOCKETS},
            }
            refusal = JSONResponse({"errors": [error]}, status_code=429)
        if refusal is not None:
            if "websocket.http.response" in websocket.scope.get("extensions", {}):
                await websocket.send_denial_response(refusal)
            else:
                await websocket.close(code=1008)  # before accepting: the handshake gets 403
            return None
        address = _address(websocket)
        self.websockets_by_address[address] += 1
        try:
            return await self._run(websocket, *args, **kwargs)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            # the database is away while the socket starts: "try again later", no traceback
            log.warning("WebSocket closed: database unavailable (%s)", reason_of(exc))
            with contextlib.suppress(Exception):
                await websocket.close(code=1013)
            return None
        finally:
            self.websockets_by_address[address] -= 1
            if self.websockets_by_address[address] <= 0:
                del self.websockets_by_address[address]

    async def _run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
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
            cause = exc.__cause__
            if isinstance(cause, InvalidOperationTypeError) and (
                cause.operation_type == OperationType.SUBSCRIPTION
            ):
                raise HTTPException(
                    400, "Subscriptions are served over WebSocket (graphql-transport-ws)."
                ) from exc
            if isinstance(cause, InvalidOperationTypeError):
                # A mutation over GET: the method is what is wrong.
                raise HTTPException(405, "Mutations must be sent with POST.") from exc
            raise


def _address(websocket: WebSocket) -> str:
    return websocket.client.host if websocket.client else "local"


def _token_check(secret: str) -> Any:
    async def check() -> bool:
        return await api_tokens.bearer(secret) is not None

    return check


def _session_check(cookie: str, session_id: int) -> Any:
    async def check() -> bool:
        session = await sessions.resume(cookie)
        return session is not None and session.id == session_id

    return check


def make_graphql_app() -> LinliGraphQL:
    return LinliGraphQL(
        schema,
        graphql_ide="graphiql",
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=get_settings().subscriptions_per_connection,
    )

"""The one door from the pages into GraphQL: run a named operation of `schema/operations/`
in-process, as the given caller. `api.web` imports nothing else from `api.graphql`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.domain.actors import Actor
from api.graphql.context import Context
from api.graphql.errors import is_removed_meanwhile
from api.graphql.schema import schema
from api.graphql.unavailable import is_unavailable_error
from api.infra.faults import ServiceUnavailable
from api.settings import PROJECT_ROOT

OPERATIONS_DIR = PROJECT_ROOT / "schema" / "operations"


class OperationFailed(RuntimeError):
    """A page's own operation answered errors: a bug, never an expected failure."""


@lru_cache(maxsize=64)
def operation(name: str) -> str:
    """The text of `schema/operations/<name>.graphql`."""
    return (OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8")


async def execute_operation(
    name: str,
    variables: dict[str, Any] | None,
    *,
    actor: Actor,
    request: Request | None = None,
    response: Response | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The operation's `data`, executed with the caller's identity (texts in `language`).

    A mutation whose answer names a row another request removed right after the change
    (`RemovedMeanwhile`): the change was made, and the answer, with that row nulled, still
    carries its userErrors."""
    result = await schema.execute(
        operation(name),
        variable_values=variables or {},
        context_value=Context(request=request, response=response, actor=actor, language=language),
        operation_name=name,
    )
    if result.errors:
        if any(is_unavailable_error(e) for e in result.errors):
            raise ServiceUnavailable("database")  # the page answers 503 "稍后再试"
        removed = all(is_removed_meanwhile(e) for e in result.errors)
        if not (removed and operation(name).lstrip().startswith("mutation")):
            raise OperationFailed(f"{name}: {result.errors[0].message}")
    return result.data or {}

"""Pages get their data through the same GraphQL operations third parties use:
`schema/operations/<Name>.graphql`, executed in-process with the caller's identity."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request

from api.graphql.context import Context
from api.graphql.schema import schema
from api.settings import PROJECT_ROOT
from api.web.auth import actor_for

OPERATIONS_DIR = PROJECT_ROOT / "schema" / "operations"


@lru_cache(maxsize=64)
def operation(name: str) -> str:
    return (OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8")


async def run_operation(
    request: Request, name: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    actor = await actor_for(request)
    result = await schema.execute(
        operation(name),
        variable_values=variables or {},
        context_value=Context(request=request, response=None, actor=actor),
        operation_name=name,
    )
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors[0].message}")
    return result.data or {}

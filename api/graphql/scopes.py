"""API token scopes, checked once per operation before anything runs: a mutation outside the
token's scopes, or a read by a token with no read scope, is refused with `FORBIDDEN`."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from api.domain import api_tokens


class TokenScopes(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        actor = getattr(context, "actor", None)
        refusal = _refusal(self.execution_context, actor) if actor is not None else None
        if refusal is not None:
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError(refusal, extensions={"code": "FORBIDDEN"})]
            )
        yield


def _refusal(execution_context: object, actor: object) -> str | None:
    scopes = getattr(actor, "scopes", None)
    if scopes is None:
        return None
    document = getattr(execution_context, "graphql_document", None)
    name = getattr(execution_context, "operation_name", None)
    operation = _operation(document, name)
    if operation is None:
        return None  # graphql-core reports the missing operation itself
    if operation.operation == OperationType.MUTATION:
        fragments = {
            d.name.value: d
            for d in getattr(document, "definitions", [])
            if isinstance(d, FragmentDefinitionNode)
        }
        fields = _root_fields(operation.selection_set, fragments, set())
        return api_tokens.missing_scope(actor, fields)  # type: ignore[arg-type]
    return api_tokens.read_refusal(actor)  # type: ignore[arg-type]


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> list[str]:
    """The root fields, also those behind fragment spreads and inline fragments (a mutation
    hidden in a fragment needs its scope like any other)."""
    found: list[str] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            found.append(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            found += _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                found += _root_fields(fragment.selection_set, fragments, seen)
    return found


def _operation(document: object, name: str | None) -> OperationDefinitionNode | None:
    definitions = getattr(document, "definitions", None) or []
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None

"""Query cost: a static bound on how many objects an operation can return, computed from the
validated document before anything is resolved (the way GitHub's node limit works).

Every field that returns an object counts once per object it can return. A connection
(`…Connection`) can return `first` items (or the default page size), so its `edges` and
`nodes` multiply what they select by that; a plain list multiplies by its declared bound
(`LIST_BOUNDS`, enforced by the domain: an event has at most `MAX_SHIFTS` shifts, a series at
most `MAX_OCCURRENCES` events…). Fragments and inline fragments are followed; variables are
resolved. Scalars cost nothing; introspection costs one per root field.

An operation over `LINLI_MAX_QUERY_COST` answers one error, `extensions.code =
"QUERY_TOO_COSTLY"` with `cost` and `limit`, and no resolver runs. Every answer reports its
cost in `extensions.cost`. An operation within the limit is then charged to its caller's
rate-limit budget (`api.http.rate_limits`) in points; refused, it answers `RATE_LIMITED` and
no resolver runs (mutations included)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
    is_list_type,
    value_from_ast,
)
from graphql.execution.values import get_variable_values
from graphql.language import DocumentNode
from graphql.pyutils import Undefined
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from api.domain.appointments import MAX_SLOTS
from api.domain.events import MAX_SHIFTS
from api.domain.rate_limits import points_for
from api.domain.recurrence import MAX_OCCURRENCES
from api.domain.stats import BUSIEST
from api.domain.teams import MAX_TEAMS_PER_VOLUNTEER
from api.domain.webhooks import ATTEMPTS_SHOWN, MAX_WEBHOOKS
from api.graphql.pagination import DEFAULT_PAGE_SIZE
from api.graphql.query import MAX_NODES
from api.http.rate_limits import ticket_of
from api.models import EventKind
from api.settings import get_settings

QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"

# The declared bound of every plain list that returns objects: (type, field) → most items.
LIST_BOUNDS: dict[tuple[str, str], int] = {
    ("Event", "shifts"): MAX_SHIFTS,
    ("Event", "appointmentSlots"): MAX_SLOTS,
    ("ServiceStats", "residentsServedByKind"): len(EventKind),
    ("CancelSeriesPayload", "events"): MAX_OCCURRENCES,
    ("Volunteer", "teams"): MAX_TEAMS_PER_VOLUNTEER,
    ("ServiceStats", "busiestVolunteers"): BUSIEST,
    ("ServiceStats", "eventsByKind"): len(EventKind),
    ("ServiceStats", "eventsByMonth"): 120,
    ("Query", "nodes"): MAX_NODES,  # or the number of ids asked for
    ("Volunteer", "webhooks"): MAX_WEBHOOKS,
    ("WebhookDelivery", "attempts"): ATTEMPTS_SHOWN,
}
# User errors are small and few; any other list not declared above counts as a page.
USER_ERRORS_BOUND = 10
DEFAULT_LIST_BOUND = 100
PAGE_FIELDS = frozenset({"edges", "nodes"})


class _Costing:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = dict(variables)
        self.max_page = get_settings().max_page_size

    def selection_set(
        self,
        selections: SelectionSetNode | None,
        parent: GraphQLNamedType,
        multiplier: int,
        page: int,
        seen: frozenset[str] = frozenset(),
    ) -> int:
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, multiplier, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.selection_set(
                    selection.selection_set, condition or parent, multiplier, page, seen
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue  # validation refuses both; never loop
                condition = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_set(
                    fragment.selection_set, condition or parent, multiplier, page, seen | {name}
                )
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType, multiplier: int, page: int) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0 if name == "__typename" else multiplier
        fields = getattr(parent, "fields", None)
        definition = fields.get(name) if fields else None
        if definition is None:
            return 0
        returns = get_named_type(definition.type)
        if not is_composite_type(returns):
            return 0
        count = 1
        inner_page = page
        if _is_list(definition.type):
            count = self.list_bound(node, parent.name, name, page)
        if returns.name.endswith("Connection") and isinstance(returns, GraphQLObjectType):
            inner_page = self.page_size(node)
        objects = multiplier * count
        return objects + self.selection_set(node.selection_set, returns, objects, inner_page)

    def list_bound(self, node: FieldNode, parent: str, name: str, page: int) -> int:
        if parent.endswith("Connection") and name in PAGE_FIELDS:
            return page
        if name == "userErrors":
            return USER_ERRORS_BOUND
        if (parent, name) == ("Query", "nodes"):
            ids = self.argument(node, "ids", GraphQLList(GraphQLNonNull(GraphQLID)))
            if isinstance(ids, list):
                return min(len(ids), MAX_NODES)
        return LIST_BOUNDS.get((parent, name), DEFAULT_LIST_BOUND)

    def page_size(self, node: FieldNode) -> int:
        first = self.argument(node, "first", GraphQLInt)
        if isinstance(first, int) and not isinstance(first, bool):
            return max(0, min(first, self.max_page))
        return DEFAULT_PAGE_SIZE

    def argument(self, node: FieldNode, name: str, type_: Any) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                try:
                    value = value_from_ast(argument.value, type_, self.variables)
                except (TypeError, ValueError):  # a wrong value: execution will say so
                    return None
                return None if value is Undefined else value
        return None


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return is_list_type(type_)


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The most objects the operation can return (0 when there is no such operation)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Costing(schema, fragments, _variables(schema, operation, variables)).selection_set(
        operation.selection_set, root, 1, DEFAULT_PAGE_SIZE
    )


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    coerced_variables: Mapping[str, Any],
) -> int:
    """`query_cost` of an operation under way (a subscription's resolver: its variables are
    coerced already)."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Costing(schema, fragments, coerced_variables).selection_set(
        operation.selection_set, root, 1, DEFAULT_PAGE_SIZE
    )


def _variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, given: Mapping[str, Any] | None
) -> Mapping[str, Any]:
    """The coerced variables with their defaults; what cannot be coerced is left out (the
    execution reports it, and the cost assumes the default page size)."""
    values = get_variable_values(schema, operation.variable_definitions or (), dict(given or {}))
    coerced = getattr(values, "coerced", values)  # graphql-core 3.3 wraps them
    return coerced if isinstance(coerced, dict) else {}


def too_costly(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"This query could return up to {cost} objects; the limit is {limit}. "
        "Ask for fewer items (`first`) or fewer nested lists.",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "limit": limit},
    )


# The cost of a (document, operation, variables) is computed once per worker: the app sends
# the same few documents over and over, and walking one costs about as much as a small answer.
MAX_REMEMBERED_COSTS = 1024
_costs: OrderedDict[tuple[str, str | None, bytes, int], int] = OrderedDict()


def remembered_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    query: str | None,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """`query_cost`, remembered by the document's text, the operation and the variables."""
    if query is None:
        return query_cost(schema, document, operation_name, variables)
    try:
        variables_json = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # variables orjson cannot write (integers beyond 64 bits)
        return query_cost(schema, document, operation_name, variables)
    key = (query, operation_name, variables_json, get_settings().max_page_size)
    found = _costs.get(key)
    if found is None:
        found = _costs[key] = query_cost(schema, document, operation_name, variables)
        if len(_costs) > MAX_REMEMBERED_COSTS:
            _costs.popitem(last=False)
    return found


class QueryCostLimiter(SchemaExtension):
    """Refuses operations over the cost limit before execution; reports every answer's cost."""

    cost: int | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            schema = context.schema._schema
            self.cost = remembered_cost(
                schema, document, context.query, context.operation_name, context.variables
            )
            limit = get_settings().max_query_cost
            if self.cost > limit:
                context.result = ExecutionResult(data=None, errors=[too_costly(self.cost, limit)])
            else:
                refusal = await _charge(context.context, self.cost)
                if refusal is not None:
                    context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": self.cost}


async def _charge(context: Any, cost: int) -> GraphQLError | None:
    """Charges the operation to the caller's rate-limit budget (HTTP requests to `/graphql`
    only); the error when the budget does not allow it."""
    request = getattr(context, "request", None)
    ticket = ticket_of(request.scope) if request is not None else None
    if ticket is None or await ticket.charge(points_for(cost)):
        return None
    error = ticket.error()
    return GraphQLError(str(error["message"]), extensions=error["extensions"])  # type: ignore[arg-type]

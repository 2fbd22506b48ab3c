"""The compiled executor: graphql-core's executor class, with queries run from a cached plan.

`CompiledExecutor` is handed to Strawberry as `execution_context_class`, so parsing,
validation, the schema extensions (scopes, cost, masking, metrics…) and variable coercion
stay exactly as they are. Only `execute_operation` changes: a query whose plan compiles runs
the plan, level by level — every field of every object of one level is resolved in one pass,
the async resolvers of the level are awaited together (so DataLoaders batch a whole level into
one statement), and the values are completed inline into the answer. Anything else (mutations,
subscriptions, operations a plan cannot express) runs through graphql-core as before.

The answer is the same either way: key order, `null` propagation to the nearest nullable
position, error messages, paths and locations (graphql-core's own `located_error` and error
collection are used), so the schema extensions see identical results."""

from __future__ import annotations

import weakref
from asyncio import Future, get_running_loop, isfuture, wait
from collections import OrderedDict
from contextvars import copy_context
from types import CoroutineType
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationType, located_error
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, inspect, is_iterable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments

from api.graphql.compiled import is_enabled
from api.graphql.compiled.plan import (
    ABSTRACT,
    ATTRIBUTE,
    BOOLEAN,
    INT,
    LEAF,
    OBJECT,
    RESOLVER,
    STRING,
    TYPENAME,
    Completion,
    FieldPlan,
    NotCompilable,
    ObjectPlan,
    OperationPlan,
    compile_operation,
    condition_variables,
)

PLAN_CACHE_SIZE = 256
#: The most plans per document: one per combination of the values @skip/@include read.
PLAN_VARIANTS = 16
_NOT_COMPILABLE = object()


class _Entry:
    """The plans of one (document, operation): by the values of `variables` (the variables
    @skip and @include read; none for most documents)."""

    __slots__ = ("plans", "variables")

    def __init__(self, variables: tuple[str, ...]) -> None:
        self.variables = variables
        self.plans: dict[tuple[Any, ...], Any] = {}


_plans: weakref.WeakKeyDictionary[GraphQLSchema, OrderedDict[tuple[str, str | None], _Entry]] = (
    weakref.WeakKeyDictionary()
)


def cached_plans(schema: GraphQLSchema) -> int:
    """How many plans (and refusals) are cached for `schema` (for tests)."""
    return len(_plans.get(schema, ()))


def is_planned(schema: GraphQLSchema, document: str, operation_name: str | None) -> bool:
    """Whether a plan for the operation is cached (for tests)."""
    cache = _plans.get(schema)
    entry = cache.get((document, operation_name)) if cache is not None else None
    return entry is not None and any(isinstance(p, OperationPlan) for p in entry.plans.values())


class _Slot:
    """A position holding an object (or a list of objects) still being completed: where it
    sits, whether it may be null, and the position around it (for null propagation)."""

    __slots__ = ("container", "key", "nullable", "parent", "path")

    def __init__(
        self,
        container: Any,
        key: Any,
        nullable: bool,
        parent: _Slot | None,
        path: Path | None,
    ) -> None:
        self.container = container
        self.key = key
        self.nullable = nullable
        self.parent = parent
        self.path = path


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    _next: list[tuple[ObjectPlan, Any, dict[str, Any], _Slot]]

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._plan() if serially is None else None
        if plan is None:
            return super().execute_operation(serially)
        return self._execute_plan(plan)

    # The plan ---------------------------------------------------------------------------

    def _plan(self) -> OperationPlan | None:
        operation = self.operation
        if (
            operation.operation is not OperationType.QUERY
            or not is_enabled()
            or self.abort_signal is not None
            or self.hooks is not None
            or self.enable_early_execution
            or (
                self.middleware_manager is not None
                and self.middleware_manager._middleware_resolvers is not None
            )
            or operation.loc is None
        ):
            return None
        schema = self.schema
        cache = _plans.get(schema)
        if cache is None:
            cache = _plans[schema] = OrderedDict()
        # The document's text is its key (Python keeps the string's hash).
        key = (operation.loc.source.body, operation.name.value if operation.name else None)
        entry = cache.get(key)
        if entry is None:
            entry = cache[key] = _Entry(condition_variables(operation, self.fragment_definitions))
            if len(cache) > PLAN_CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        variant: tuple[Any, ...] = ()
        if entry.variables:
            coerced = self.variable_values.coerced
            variant = tuple(coerced.get(name) for name in entry.variables)
            try:
                hash(variant)
            except TypeError:
                return None
        plan = entry.plans.get(variant)
        if plan is None:
            if len(entry.plans) >= PLAN_VARIANTS:
                return None
            try:
                plan = compile_operation(
                    schema,
                    self.fragment_definitions,
                    operation,
                    getattr,
                    self.variable_values,
                    self.hide_suggestions,
                )
            except NotCompilable:
                plan = _NOT_COMPILABLE
            entry.plans[variant] = plan
        return plan if isinstance(plan, OperationPlan) else None

    # Running it -------------------------------------------------------------------------

    async def _execute_plan(self, plan: OperationPlan) -> Any:
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        self._info_class = strawberry_schema.config.info_class
        self._strawberry_config = strawberry_schema.config
        self._scalar_registry = strawberry_schema.schema_converter.scalar_registry
        self._root_nulled = False
        data: dict[str, Any] = {}
        await self._run_levels(plan.root, data)
        return self.build_response(None if self._root_nulled else data)

    async def _run_levels(self, root: ObjectPlan, data: dict[str, Any]) -> None:
        errors = self.collected_errors
        level = [(root, self.root_value, data, _Slot(None, None, False, None, None))]
        is_awaitable = self.is_awaitable
        value: Any
        while level:
            self._next = []
            pending: list[tuple[Any, FieldPlan, dict[str, Any], _Slot]] = []
            for plan, source, result, slot in level:
                if errors._error_positions and errors.has_nulled_position(slot.path):
                    continue
                for field in plan.fields:
                    kind = field.kind
                    if kind == ATTRIBUTE:
                        try:
                            value = getattr(source, field.attribute)
                        except Exception as raw:
                            self._field_failed(raw, field, result, slot)
                            continue
                        if field.completion.kind != LEAF and is_awaitable(value):  # type: ignore[union-attr]
                            result[field.key] = None
                            pending.append((value, field, result, slot))
                            continue
                    elif kind == TYPENAME:
                        result[field.key] = field.type_name
                        continue
                    else:
                        try:
                            value = self._call(field, source, slot)
                        except Exception as raw:
                            self._field_failed(raw, field, result, slot)
                            continue
                        if field.is_async or is_awaitable(value):
                            result[field.key] = None  # its place in the answer's key order
                            pending.append((value, field, result, slot))
                            continue
                    # A leaf already of its wire type (most of an answer): `_leaf`, inlined.
                    completion = field.completion
                    wire = completion.wire  # type: ignore[union-attr]
                    if wire is not None:
                        if value is None:
                            if completion.nullable:  # type: ignore[union-attr]
                                result[field.key] = None
                                continue
                        elif type(value) is wire and (
                            wire is not int or -2147483648 <= value <= 2147483647  # type: ignore[operator]
                        ):
                            result[field.key] = value
                            continue
                    self._complete_field(field, value, result, slot)
            if pending:
                outcomes = await self._settle([p[0] for p in pending])
                for (_, field, result, slot), outcome in zip(pending, outcomes, strict=True):
                    if errors._error_positions and errors.has_nulled_position(slot.path):
                        continue
                    if isinstance(outcome, BaseException):
                        if not isinstance(outcome, Exception):
                            raise outcome
                        self._field_failed(outcome, field, result, slot)
                    else:
                        self._complete_field(field, outcome, result, slot)
            level = self._next

    @staticmethod
    async def _settle(awaitables: list[Any]) -> list[Any]:
        """The outcome (value or exception) of each awaitable, run concurrently.

        Each coroutine runs as a task in a context of its own, all started in the same loop
        iteration, so the level's DataLoader loads are one batch; `CancelledError` and other
        non-`Exception`s propagate after the others."""
        outcomes: list[Any] = [None] * len(awaitables)
        # (a DataLoader gives the same future to every load of one key: one entry, many places)
        waiting: dict[Future[Any], list[int]] = {}
        loop = None
        task: Future[Any]
        for index, awaitable in enumerate(awaitables):
            if type(awaitable) is CoroutineType:
                # A task of its own from the first step: code that captures the current task
                # (asyncio.timeout inside a database driver) must capture this one, never the
                # request's task, or its timeout would cancel the whole request.
                if loop is None:
                    loop = get_running_loop()
                task = loop.create_task(awaitable, context=copy_context())
            elif isfuture(awaitable):
                if awaitable.done():  # a DataLoader's value already known: no waiting
                    try:
                        outcomes[index] = awaitable.result()
                    except BaseException as exc:
                        outcomes[index] = exc
                    continue
                task = awaitable  # not ours to cancel
            else:
                if loop is None:
                    loop = get_running_loop()
                task = loop.create_task(_awaited(awaitable))
            places = waiting.get(task)
            if places is None:
                waiting[task] = [index]
            else:
                places.append(index)
        if waiting:
            try:
                await wait(waiting)
            except BaseException:
                for unfinished, places in waiting.items():
                    if unfinished is not awaitables[places[0]]:  # the tasks made here
                        unfinished.cancel()
                raise
            for finished, places in waiting.items():
                try:
                    outcome = finished.result()
                except BaseException as exc:
                    outcome = exc
                for index in places:
                    outcomes[index] = outcome
        return outcomes

    def _resolve_info(self, field: FieldPlan, path: Path) -> Any:
        return self.build_resolve_info(
            field.field_def,  # type: ignore[arg-type]
            field.nodes,
            field.parent_type,
            path,
        )

    def _call(self, field: FieldPlan, source: Any, slot: _Slot) -> Any:
        """The field's resolver, called as Strawberry calls it (arguments converted to their
        Python types, the parent and `Info` passed where the resolver asks for them)."""
        kwargs: dict[str, Any]
        info = None
        if field.args or field.info_name is not None:
            raw_info = self._resolve_info(field, Path(slot.path, field.key, field.parent_name))
            info = self._info_class(_raw_info=raw_info, _field=field.strawberry_field)
        if field.args:
            kwargs = convert_arguments(
                get_argument_values(
                    field.field_def,  # type: ignore[arg-type]
                    field.nodes[0],
                    self.variable_values,
                    None,
                    self.hide_suggestions,
                ),
                field.strawberry_field.arguments,
                scalar_registry=self._scalar_registry,
                config=self._strawberry_config,
                info=info,
            )
        else:
            kwargs = {}
        for name in field.root_names:
            kwargs[name] = source
        if field.info_name is not None:
            kwargs[field.info_name] = info
        function = field.function
        assert function is not None
        if field.pass_self:
            return function(source, **kwargs)
        return function(**kwargs)

    # Completing values ------------------------------------------------------------------

    def _field_failed(self, raw: Exception, field: FieldPlan, result: Any, slot: _Slot) -> None:
        path = Path(slot.path, field.key, field.parent_name)
        error = located_error(raw, field.nodes, path.as_list())
        completion = field.completion
        if completion is None or completion.nullable or not self.error_propagation:
            result[field.key] = None
            self.collected_errors.add(error, path)
            return
        self._propagate(error, slot)

    def _propagate(self, error: GraphQLError, slot: _Slot) -> None:
        """A non-null position failed inside the object at `slot`: the nearest nullable
        position around it becomes null (the whole answer's data if there is none)."""
        position: _Slot | None = slot
        while position is not None:
            if position.container is None:
                break
            if position.nullable:
                position.container[position.key] = None
                self.collected_errors.add(error, position.path)
                return
            position = position.parent
        self._root_nulled = True
        self.collected_errors.add(error, None)

    def _complete_field(self, field: FieldPlan, value: Any, result: Any, slot: _Slot) -> None:
        completion = field.completion
        assert completion is not None
        try:
            if completion.kind == LEAF:
                result[field.key] = self._leaf(completion, value, field)
            else:
                self._complete(
                    completion,
                    value,
                    result,
                    field.key,
                    slot,
                    Path(slot.path, field.key, field.parent_name),
                    field,
                )
        except Exception as raw:
            self._field_failed(raw, field, result, slot)

    @staticmethod
    def _leaf(completion: Completion, value: Any, field: FieldPlan) -> Any:
        if value is None:
            if completion.nullable:
                return None
            raise TypeError(field.null_message)
        fast = completion.fast
        if fast:
            kind = type(value)
            if fast == STRING:
                if kind is str:
                    return value
            elif fast == INT:
                if kind is int and -2147483648 <= value <= 2147483647:
                    return value
            elif fast == BOOLEAN and kind is bool:
                return value
        if isinstance(value, Exception):
            raise value
        leaf = completion.leaf
        assert leaf is not None
        coerced = leaf.coerce_output_value(value)
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{inspect(leaf)}.coerce_output_value("
                f"{inspect(value)})` to return non-nullable value, returned:"
                f" {inspect(coerced)}"
            )
        return coerced

    def _complete(
        self,
        completion: Completion,
        value: Any,
        container: Any,
        key: Any,
        parent: _Slot,
        path: Path,
        field: FieldPlan,
    ) -> None:
        """Puts the completed `value` at `container[key]`; raises what graphql-core would raise
        at this position (the caller decides where the error lands)."""
        if value is None:
            if completion.nullable:
                container[key] = None
                return
            raise TypeError(field.null_message)
        if isinstance(value, Exception):
            raise value
        kind = completion.kind
        if kind == LEAF:
            container[key] = self._leaf(completion, value, field)
            return
        if kind == OBJECT or kind == ABSTRACT:
            if kind == OBJECT:
                plan = completion.object
                assert plan is not None
            else:
                plan = self._runtime_plan(completion, value, path, field)
            type_ = plan.type
            # (is_type_of gets no info: Strawberry's and ours never read it)
            is_type_of: Any = type_.is_type_of
            if is_type_of is not None and not is_type_of(value, None):
                raise invalid_return_type_error(type_, value, field.details)
            result: dict[str, Any] = {}
            container[key] = result
            self._next.append(
                (plan, value, result, _Slot(container, key, completion.nullable, parent, path))
            )
            return
        # a list
        if not is_iterable(value):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field"
                f" '{field.parent_name}.{field.name}'."
            )
        item = completion.item
        assert item is not None
        items: list[Any] = []
        container[key] = items
        add_error = self.collected_errors.add
        if item.kind == LEAF:
            leaf = self._leaf
            for index, each in enumerate(value):
                try:
                    items.append(leaf(item, each, field))
                except Exception as raw:
                    item_path = Path(path, index, None)
                    error = located_error(raw, field.nodes, item_path.as_list())
                    if not item.nullable and self.error_propagation:
                        raise error from None
                    add_error(error, item_path)
                    items.append(None)
            return
        slot = _Slot(container, key, completion.nullable, parent, path)
        for index, each in enumerate(value):
            items.append(None)
            item_path = Path(path, index, None)
            try:
                self._complete(item, each, items, index, slot, item_path, field)
            except Exception as raw:
                error = located_error(raw, field.nodes, item_path.as_list())
                if not item.nullable and self.error_propagation:
                    raise error from None
                add_error(error, item_path)
                items[index] = None

    def _runtime_plan(
        self, completion: Completion, value: Any, path: Path, field: FieldPlan
    ) -> ObjectPlan:
        abstract = completion.abstract
        assert abstract is not None
        info = self._resolve_info(field, path)
        resolve_type = abstract.resolve_type or self.type_resolver
        runtime = resolve_type(value, info, abstract)
        if self.is_awaitable(runtime):
            close = getattr(runtime, "close", None)
            if close is not None:
                close()
            raise NotCompilable("asynchronous resolve_type")
        type_ = self.ensure_valid_runtime_type(runtime, abstract, field.details, info, value)
        return completion.plans[type_.name]


__all__ = ["RESOLVER", "CompiledExecutor", "cached_plans", "is_planned"]

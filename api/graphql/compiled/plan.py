"""Execution plans: a validated query operation turned, once, into a tree of fields to resolve.

A plan says for every object type the operation reaches which fields to produce, in answer
order, and how: the type's name (`__typename`), a plain attribute of the row (a Strawberry field
without a resolver), or the field's own resolver called directly (same arguments, same `Info`
when it asks for one). Each field carries how to complete its value: a leaf serialised by its
scalar or enum, a list, an object (its own plan) or an abstract type (a plan per possible type).

`@skip` and `@include` are decided while compiling, with the request's variables: a plan is
made for each combination of the values of the variables those directives read
(`condition_variables`), so a plan never depends on anything but its key.

What a plan cannot express raises `NotCompilable`, and the operation runs through graphql-core:
other directives (@defer, @stream, operation and fragment directives), fragment variables,
introspection fields, fields with Strawberry field extensions (permission classes included) or
exception handlers, and fields whose resolver is not Strawberry's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLIncludeDirective,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    type_from_ast,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import VariableValues, get_argument_values

# Field kinds
TYPENAME = 0
ATTRIBUTE = 1
RESOLVER = 2

# Completion kinds
LEAF = 0
LIST = 1
OBJECT = 2
ABSTRACT = 3

# Leaf fast paths: the Python type a value of the scalar already has on the wire.
STRING = 1
INT = 2
BOOLEAN = 3
FLOAT = 4
OTHER = 0

BACKREF = "strawberry-definition"
STRAWBERRY_RESOLVERS = frozenset({"_resolver", "_async_resolver"})


class NotCompilable(Exception):
    """The operation (or a field of it) is left to graphql-core."""


class Completion:
    """How the value at one position (a field, or an item of a list) is completed."""

    __slots__ = (
        "abstract",
        "fast",
        "item",
        "kind",
        "leaf",
        "nullable",
        "object",
        "plans",
        "wire",
    )

    def __init__(self, kind: int, nullable: bool) -> None:
        self.kind = kind
        self.nullable = nullable
        self.fast = OTHER
        # The Python type a leaf's value has when it goes out unchanged (str, int, bool),
        # None for other completions and scalars.
        self.wire: type | None = None
        self.leaf: GraphQLLeafType | None = None
        self.item: Completion | None = None
        self.object: ObjectPlan | None = None
        self.abstract: GraphQLAbstractType | None = None
        self.plans: dict[str, ObjectPlan] = {}


class FieldPlan:
    """One entry of an object's answer."""

    __slots__ = (
        "args",
        "attribute",
        "completion",
        "details",
        "field_def",
        "function",
        "info_name",
        "is_async",
        "key",
        "kind",
        "name",
        "nodes",
        "null_message",
        "parent_name",
        "parent_type",
        "pass_self",
        "root_names",
        "strawberry_field",
        "type_name",
    )

    def __init__(self, key: str, name: str, nodes: list[FieldNode], parent: GraphQLObjectType):
        self.key = key
        self.name = name
        self.nodes = nodes
        self.details = [FieldDetails(node, None) for node in nodes]
        self.parent_type = parent
        self.parent_name = parent.name
        self.null_message = f"Cannot return null for non-nullable field {parent.name}.{name}."
        self.kind = TYPENAME
        self.type_name = parent.name
        self.attribute = ""
        self.field_def: GraphQLField | None = None
        self.strawberry_field: Any = None
        self.function: Callable[..., Any] | None = None
        self.args = False
        self.pass_self = False
        self.root_names: tuple[str, ...] = ()
        self.info_name: str | None = None
        self.is_async = False
        self.completion: Completion | None = None


class ObjectPlan:
    __slots__ = ("fields", "type")

    def __init__(self, type_: GraphQLObjectType) -> None:
        self.type = type_
        self.fields: list[FieldPlan] = []


class OperationPlan:
    __slots__ = ("root",)

    def __init__(self, root: ObjectPlan) -> None:
        self.root = root


class Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        default_resolver: Callable[[Any, str], Any],
        variable_values: VariableValues | None = None,
        hide_suggestions: bool = False,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.default_resolver = default_resolver
        self.variable_values = variable_values
        self.hide_suggestions = hide_suggestions

    def operation(self, operation: OperationDefinitionNode) -> OperationPlan:
        if operation.directives:
            raise NotCompilable("operation directives")
        for fragment in self.fragments.values():
            if fragment.variable_definitions or fragment.directives:
                raise NotCompilable("fragment variables or directives")
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            raise NotCompilable("no root type")
        return OperationPlan(self.object(root, [operation.selection_set]))

    # Field collection, as graphql-core's collect_fields does it without directives.
    def collect(
        self, type_: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect(type_, selection_set, grouped, visited)
        return grouped

    def _collect(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives and not self._included(selection.directives):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if not self._matches(selection, type_):
                    continue
                self._collect(type_, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or not self._matches(fragment, type_):
                    continue
                self._collect(type_, fragment.selection_set, grouped, visited)
            else:  # pragma: no cover - the language has no other selection
                raise NotCompilable("selection")

    def _included(self, directives: Sequence[DirectiveNode]) -> bool:
        """@skip and @include, decided as graphql-core decides them (@skip first)."""
        skip = include = None
        for directive in directives:
            name = directive.name.value
            if name == GraphQLSkipDirective.name:
                skip = directive
            elif name == GraphQLIncludeDirective.name:
                include = directive
            else:
                raise NotCompilable(f"directive @{name}")
        if self.variable_values is None:
            raise NotCompilable("directives need the variables")
        try:
            if skip is not None and get_argument_values(
                GraphQLSkipDirective, skip, self.variable_values, None, self.hide_suggestions
            ).get("if"):
                return False
            if include is not None and not get_argument_values(
                GraphQLIncludeDirective, include, self.variable_values, None, self.hide_suggestions
            ).get("if"):
                return False
        except Exception:  # graphql-core reports it as it always has
            raise NotCompilable("directive arguments") from None
        return True

    def _matches(
        self, fragment: FragmentDefinitionNode | InlineFragmentNode, type_: GraphQLObjectType
    ) -> bool:
        condition_node = fragment.type_condition
        if not condition_node:
            return True
        condition = type_from_ast(self.schema, condition_node)
        if condition is type_:
            return True
        if is_abstract_type(condition):
            return self.schema.is_sub_type(condition, type_)  # type: ignore[arg-type]
        return False

    def object(
        self, type_: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> ObjectPlan:
        plan = ObjectPlan(type_)
        for key, nodes in self.collect(type_, selection_sets).items():
            name = nodes[0].name.value
            field = FieldPlan(key, name, nodes, type_)
            if name == "__typename":
                field.kind = TYPENAME
                plan.fields.append(field)
                continue
            if name.startswith("__"):
                raise NotCompilable("introspection")
            field_def = type_.fields.get(name)
            if field_def is None:
                continue  # graphql-core leaves it out too
            field.field_def = field_def
            self.resolution(field, field_def)
            sub = [n.selection_set for n in nodes if n.selection_set]
            field.completion = self.completion(field_def.type, sub)
            plan.fields.append(field)
        return plan

    def resolution(self, field: FieldPlan, field_def: GraphQLField) -> None:
        definition = (field_def.extensions or {}).get(BACKREF)
        resolve = field_def.resolve
        if definition is None or resolve is None:
            raise NotCompilable("not a Strawberry field")
        if definition.extensions:
            raise NotCompilable("field extension")
        field.strawberry_field = definition
        name = getattr(resolve, "__name__", "")
        if name == "_get_basic_result":
            if definition.default_resolver is not getattr:
                raise NotCompilable("custom default resolver")
            field.kind = ATTRIBUTE
            field.attribute = definition.python_name
            return
        if name not in STRAWBERRY_RESOLVERS or definition.base_resolver is None:
            raise NotCompilable("custom resolver")
        resolver = definition.base_resolver
        function = resolver.wrapped_func
        if not callable(function):
            raise NotCompilable("uncallable resolver")
        field.kind = RESOLVER
        field.function = function
        field.is_async = bool(definition.is_async)
        field.args = bool(field_def.args) or any(n.arguments for n in field.nodes)
        field.pass_self = resolver.self_parameter is not None
        field.root_names = tuple(
            p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
        )
        info = resolver.info_parameter
        field.info_name = info.name if info is not None else None

    def completion(
        self, type_: GraphQLOutputType, selection_sets: Sequence[SelectionSetNode]
    ) -> Completion:
        nullable = True
        if is_non_null_type(type_):
            nullable = False
            type_ = type_.of_type  # type: ignore[union-attr]
        if is_list_type(type_):
            completion = Completion(LIST, nullable)
            completion.item = self.completion(type_.of_type, selection_sets)  # type: ignore[union-attr]
            return completion
        if is_leaf_type(type_):
            completion = Completion(LEAF, nullable)
            completion.leaf = type_  # type: ignore[assignment]
            completion.fast = {
                GraphQLString.name: STRING,
                GraphQLID.name: STRING,
                GraphQLInt.name: INT,
                GraphQLBoolean.name: BOOLEAN,
                GraphQLFloat.name: FLOAT,
            }.get(type_.name, OTHER)  # type: ignore[union-attr]
            if completion.fast and self.schema.get_type(type_.name) is not _SPECIFIED[type_.name]:  # type: ignore[union-attr]
                completion.fast = OTHER  # a schema overriding a built-in scalar
            completion.wire = {STRING: str, INT: int, BOOLEAN: bool}.get(completion.fast)
            return completion
        if is_object_type(type_):
            completion = Completion(OBJECT, nullable)
            completion.object = self.object(type_, selection_sets)  # type: ignore[arg-type]
            return completion
        if is_abstract_type(type_):
            completion = Completion(ABSTRACT, nullable)
            completion.abstract = type_  # type: ignore[assignment]
            for possible in self.schema.get_possible_types(type_):  # type: ignore[arg-type]
                completion.plans[possible.name] = self.object(possible, selection_sets)
            return completion
        raise NotCompilable("output type")  # pragma: no cover


_SPECIFIED = {
    t.name: t for t in (GraphQLString, GraphQLID, GraphQLInt, GraphQLBoolean, GraphQLFloat)
}


def compile_operation(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    default_resolver: Callable[[Any, str], Any],
    variable_values: VariableValues | None = None,
    hide_suggestions: bool = False,
) -> OperationPlan:
    return Compiler(
        schema, fragments, default_resolver, variable_values, hide_suggestions
    ).operation(operation)


def condition_variables(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """The variables that @skip and @include read in the operation and its fragments: their
    values are part of a plan's key."""
    found: list[str] = []

    def scan(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value in (
                    GraphQLSkipDirective.name,
                    GraphQLIncludeDirective.name,
                ):
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            name = argument.value.name.value
                            if name not in found:
                                found.append(name)
            scan(getattr(selection, "selection_set", None))

    scan(operation.selection_set)
    for fragment in fragments.values():
        scan(fragment.selection_set)
    return tuple(found)


__all__ = [
    "ABSTRACT",
    "ATTRIBUTE",
    "LEAF",
    "LIST",
    "OBJECT",
    "RESOLVER",
    "TYPENAME",
    "Completion",
    "FieldPlan",
    "NotCompilable",
    "ObjectPlan",
    "OperationPlan",
    "compile_operation",
    "condition_variables",
]

"""Every type, field, argument, input field and enum value of the public schema is described.

A third party reads the schema (GraphiQL's docs, codegen comments) before any page of ours, so
an undescribed name is a hole in the contract. This test names each hole, so that whoever adds
a field in parallel learns it at once (graphql-eslint's recommended rules only insist on types
and root fields; this is stricter)."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
    is_specified_scalar_type,
)

from api.graphql.schema import schema

MIN_LENGTH = 8  # "The id." is not a description a caller can act on


def _described(text: str | None) -> bool:
    return bool(text) and len((text or "").strip()) >= MIN_LENGTH


def _holes(named: GraphQLNamedType) -> list[str]:
    holes: list[str] = []
    if not _described(named.description):
        holes.append(named.name)
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in named.fields.items():
            where = f"{named.name}.{field_name}"
            if not _described(field.description):
                holes.append(where)
            holes.extend(
                f"{where}({arg_name}:)"
                for arg_name, arg in field.args.items()
                if not _described(arg.description)
            )
    elif isinstance(named, GraphQLInputObjectType):
        holes.extend(
            f"{named.name}.{field_name}"
            for field_name, field in named.fields.items()
            if not _described(field.description)
        )
    elif isinstance(named, GraphQLEnumType):
        holes.extend(
            f"{named.name}.{value_name}"
            for value_name, value in named.values.items()
            if not _described(value.description)
        )
    elif isinstance(named, GraphQLUnionType):
        pass  # the union's own description covers it
    return holes


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    holes: list[str] = []
    for name, named in sorted(schema._schema.type_map.items()):
        if name.startswith("__") or is_specified_scalar_type(named):
            continue  # introspection and the built-in scalars are described by graphql-core
        holes.extend(_holes(named))
    assert not holes, (
        f"{len(holes)} schema names lack a description (add description= in the Strawberry "
        "definition, then `make schema`):\n  " + "\n  ".join(holes)
    )


def test_the_checker_sees_a_hole() -> None:
    bare = GraphQLEnumType("Bare", {"A": None})
    assert _holes(bare) == ["Bare", "Bare.A"]

"""The client view is derived from the one schema; the permission classes guard the rest."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLField, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema
from strawberry.types.field import StrawberryField

from resolvers.views import client_schema, staff_schema
from schema.directives import is_principal
from schema.permissions import IsStaff

STAFF = staff_schema()
CLIENT = client_schema()


def _fields(schema: GraphQLSchema) -> Iterator[tuple[str, str, GraphQLField]]:
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                yield type_name, field_name, field


def _definition(field: GraphQLField) -> StrawberryField:
    definition = field.extensions["strawberry-definition"]
    assert isinstance(definition, StrawberryField)
    return definition


def test_the_client_view_has_a_field_exactly_when_it_is_principal() -> None:
    """Of every type a client can reach; the others (PersonConnection, say) are not there."""
    client_fields = {(t, f) for t, f, _ in _fields(CLIENT._schema)}
    for type_name, field_name, field in _fields(STAFF._schema):
        if type_name not in CLIENT._schema.type_map:
            continue
        principal = is_principal(_definition(field))
        assert ((type_name, field_name) in client_fields) == principal, (type_name, field_name)
    staff_fields = {(t, f): field for t, f, field in _fields(STAFF._schema)}
    for key in client_fields:
        assert is_principal(_definition(staff_fields[key])), key


def test_the_client_view_has_no_mutation_type() -> None:
    assert CLIENT._schema.mutation_type is None
    assert "Mutation" not in CLIENT._schema.type_map


def test_types_reached_only_by_staff_fields_do_not_exist_for_clients() -> None:
    for name in ("Task", "PortalAccess", "OutboxMessage", "Invitation", "PersonInput"):
        assert name in STAFF._schema.type_map
        assert name not in CLIENT._schema.type_map


def test_the_printed_client_view_has_no_permission_marks() -> None:
    printed = CLIENT.as_str()
    assert "Staff" not in printed.replace("StaffMember", "")
    assert "permission" not in printed.lower()


def test_every_field_a_client_may_not_see_is_guarded_by_is_staff() -> None:
    unguarded = [
        (type_name, field_name)
        for type_name, field_name, field in _fields(STAFF._schema)
        if (type_name == "Mutation" or not is_principal(_definition(field)))
        and IsStaff not in _definition(field).permission_classes
    ]
    assert unguarded == []


def test_principal_fields_carry_no_permission_class() -> None:
    guarded = [
        (type_name, field_name)
        for type_name, field_name, field in _fields(STAFF._schema)
        if is_principal(_definition(field)) and _definition(field).permission_classes
    ]
    assert guarded == []

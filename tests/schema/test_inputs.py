"""Each mutation input matches the db/ model it becomes, field for field and by spelling."""

from __future__ import annotations

import uuid

import pytest
import strawberry
from graphql import GraphQLInputObjectType, GraphQLNonNull, Undefined
from sqlmodel import SQLModel

from db.inputs import CaseCreate, CaseUpdate, MovementCreate, PersonCreate, PersonUpdate, TaskCreate
from domain.errors import InvalidValue
from domain.fields import camel
from resolvers.views import staff_schema
from schema.ids import global_id
from schema.inputs import CaseUpdateInput, PersonUpdateInput, TaskInput, written

STAFF = staff_schema()

PAIRS = [
    ("PersonInput", PersonCreate),
    ("PersonUpdateInput", PersonUpdate),
    ("CaseInput", CaseCreate),
    ("CaseUpdateInput", CaseUpdate),
    ("MovementInput", MovementCreate),
    ("TaskInput", TaskCreate),
]


def _input_type(name: str) -> GraphQLInputObjectType:
    graphql_type = STAFF._schema.type_map[name]
    assert isinstance(graphql_type, GraphQLInputObjectType)
    return graphql_type


@pytest.mark.parametrize(("input_name", "model"), PAIRS)
def test_an_input_has_the_fields_of_its_model_spelled_by_camel(
    input_name: str, model: type[SQLModel]
) -> None:
    """So that an error naming ``camel(column)`` names the field the caller sent."""
    fields = _input_type(input_name).fields

    assert set(fields) == {camel(name) for name in model.model_fields}


@pytest.mark.parametrize(("input_name", "model"), PAIRS)
def test_an_input_requires_exactly_the_fields_its_model_requires(
    input_name: str, model: type[SQLModel]
) -> None:
    fields = _input_type(input_name).fields
    required = {
        name
        for name, field in fields.items()
        if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
    }

    assert required == {camel(n) for n, f in model.model_fields.items() if f.is_required()}


def test_fields_left_unset_stay_unset_and_an_explicit_null_is_kept() -> None:
    changes = written(PersonUpdateInput(notes=None, phone="11 5555-0000"), PersonUpdate)

    assert changes.given() == {"notes": None, "phone": "11 5555-0000"}
    assert written(PersonUpdateInput(), PersonUpdate).given() == {}


def test_ids_are_parsed_on_the_way_in() -> None:
    lawyer = uuid.uuid4()

    given = CaseUpdateInput(responsible_lawyer_id=global_id("StaffMember", lawyer))
    changes = written(given, CaseUpdate)

    assert changes.given() == {"responsible_lawyer_id": lawyer}


def test_an_id_that_is_not_one_is_refused_under_its_graphql_name() -> None:
    with pytest.raises(InvalidValue) as refused:
        written(TaskInput(title="Prazo", assignee_id=strawberry.ID("ana")), TaskCreate)

    assert refused.value.field == "assigneeId"
    assert refused.value.message == "assigneeId is not an id given by this API: 'ana'."

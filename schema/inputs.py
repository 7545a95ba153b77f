"""Inputs of the mutations; absent fields (UNSET) are left as they are."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

import strawberry
from strawberry import UNSET

from db.inputs import (
    CaseCreate,
    CaseUpdate,
    DocumentUpdate,
    MovementCreate,
    MovementUpdate,
    PersonCreate,
    PersonUpdate,
    TaskCreate,
    TaskUpdate,
)
from domain.fields import camel
from schema.enums import CaseStatus, LossRisk, PersonKind, Role, Source
from schema.ids import parse_id

REFERENCES = ("responsible_lawyer_id", "assignee_id")  # each a StaffMember's id

Written = TypeVar(
    "Written",
    PersonCreate,
    PersonUpdate,
    CaseCreate,
    CaseUpdate,
    MovementCreate,
    MovementUpdate,
    DocumentUpdate,
    TaskCreate,
    TaskUpdate,
)


def written(data: object, model: type[Written]) -> Written:
    """The input as db/ takes it: the fields the caller set (an explicit null among
    them), ids parsed; the fields left UNSET stay unset in the model."""
    given = {
        f.name: getattr(data, f.name)
        for f in dataclasses.fields(data)  # type: ignore[arg-type]
        if getattr(data, f.name) is not UNSET
    }
    for name in REFERENCES:
        if given.get(name) is not None:
            given[name] = parse_id(given[name], field=camel(name), type_name="StaffMember")
    return model.model_validate(given)


@strawberry.input
class PersonInput:
    name: str
    kind: PersonKind | None = UNSET
    tax_id: str | None = strawberry.field(default=UNSET, description="CPF or CNPJ, checked.")
    email: str | None = UNSET
    phone: str | None = UNSET
    notes: str | None = UNSET


@strawberry.input
class PersonUpdateInput:
    name: str | None = UNSET
    kind: PersonKind | None = UNSET
    tax_id: str | None = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    notes: str | None = UNSET


@strawberry.input
class CaseUpdateInput:
    title: str | None = UNSET
    folder: str | None = strawberry.field(default=UNSET, description="Numbered when absent.")
    cnj_number: str | None = UNSET
    court: str | None = UNSET
    court_division: str | None = UNSET
    district: str | None = UNSET
    instance: str | None = UNSET
    case_class: str | None = UNSET
    subject: str | None = UNSET
    filed_on: date | None = UNSET
    claim_value: Decimal | None = UNSET
    status: CaseStatus | None = UNSET
    phase: str | None = UNSET
    responsible_lawyer_id: strawberry.ID | None = UNSET
    internal_notes: str | None = UNSET
    loss_risk: LossRisk | None = UNSET
    fee_agreement: str | None = UNSET


@strawberry.input
class CaseInput(CaseUpdateInput):
    title: str


@strawberry.input
class MovementInput:
    occurred_at: datetime
    description: str
    source: Source
    code: int | None = UNSET


@strawberry.input(description="The fields to change; those left out stay as they are.")
class MovementUpdateInput:
    occurred_at: datetime | None = UNSET
    description: str | None = UNSET
    source: Source | None = strawberry.field(
        default=UNSET, description="INTERNAL takes it out of the clients' sight."
    )
    code: int | None = UNSET


@strawberry.input(description="The fields to change; those left out stay as they are.")
class DocumentUpdateInput:
    title: str | None = UNSET
    source: Source | None = strawberry.field(
        default=UNSET, description="INTERNAL takes it out of the clients' sight."
    )


@strawberry.input(description="The fields to change; those left out stay as they are.")
class TaskUpdateInput:
    title: str | None = UNSET
    due_on: date | None = UNSET
    done: bool | None = UNSET
    assignee_id: strawberry.ID | None = UNSET


@strawberry.input
class TaskInput:
    title: str
    due_on: date | None = UNSET
    done: bool = False
    assignee_id: strawberry.ID | None = UNSET


@strawberry.input
class StaffMemberInput:
    name: str
    email: str = strawberry.field(description="The login; the invitation is sent to it.")
    role: Role

"""What the write functions take: one Create (and Update) model per written table.

A model holds the caller's values as typed, and knows which fields the caller set: a
field left out is left as it is (or to its column's default), a field set to None is
written as null, or refused where the column needs a value. The rules that name a field
in an error (lengths, check digits, dates, references) are the write functions', since
some of them need the database or the row as it stands.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig  # the type of SQLModel.model_config

from db.tables import CaseStatus, LossRisk, PersonKind, Source


class _Written(SQLModel):
    model_config = SQLModelConfig(frozen=True, extra="forbid")

    def given(self) -> dict[str, Any]:
        """The fields the caller set, those set to None among them, by column name."""
        return self.model_dump(exclude_unset=True)


class PersonBase(_Written):
    name: str | None = None
    kind: PersonKind | None = None  # absent or None on creation: told by the tax id
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    notes: str | None = None


class PersonCreate(PersonBase):
    name: str


class PersonUpdate(PersonBase):
    pass


class CaseBase(_Written):
    title: str | None = None
    folder: str | None = None  # absent or None on creation: the office's next number
    cnj_number: str | None = None
    court: str | None = None
    court_division: str | None = None
    district: str | None = None
    instance: str | None = None
    case_class: str | None = None
    subject: str | None = None
    filed_on: date | None = None
    claim_value: Decimal | None = None
    status: CaseStatus | None = None  # absent on creation: ACTIVE
    phase: str | None = None
    responsible_lawyer_id: uuid.UUID | None = None
    internal_notes: str | None = None
    loss_risk: LossRisk | None = None
    fee_agreement: str | None = None


class CaseCreate(CaseBase):
    title: str


class CaseUpdate(CaseBase):
    pass


class MovementBase(_Written):
    occurred_at: datetime | None = None
    description: str | None = None
    source: Source | None = None
    code: int | None = None


class MovementCreate(MovementBase):
    occurred_at: datetime
    description: str
    source: Source


class MovementUpdate(MovementBase):
    pass


class DocumentUpdate(_Written):
    title: str | None = None
    source: Source | None = None


class TaskBase(_Written):
    title: str | None = None
    due_on: date | None = None
    done: bool | None = None
    assignee_id: uuid.UUID | None = None


class TaskCreate(TaskBase):
    title: str
    done: bool = False


class TaskUpdate(TaskBase):
    pass

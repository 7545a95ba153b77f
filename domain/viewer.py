"""Who is asking: built from a checked access token and a live session."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    LAWYER = "LAWYER"
    CLIENT = "CLIENT"


STAFF_ROLES = frozenset({Role.ADMIN, Role.LAWYER})


@dataclass(frozen=True, slots=True)
class Viewer:
    account_id: uuid.UUID
    office_id: uuid.UUID
    role: Role
    email: str
    name: str
    session_id: uuid.UUID
    person_id: uuid.UUID | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

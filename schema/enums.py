"""The domain's enums, exposed to GraphQL under their own names."""

from __future__ import annotations

import strawberry

from db.tables import (
    CaseStatus,
    LossRisk,
    OutboxStatus,
    PartyRole,
    PersonKind,
    PortalAction,
    Source,
)
from domain.viewer import Role

for kind in (CaseStatus, LossRisk, OutboxStatus, PartyRole, PersonKind, PortalAction, Role, Source):
    strawberry.enum(kind)

__all__ = [
    "CaseStatus",
    "LossRisk",
    "OutboxStatus",
    "PartyRole",
    "PersonKind",
    "PortalAction",
    "Role",
    "Source",
]

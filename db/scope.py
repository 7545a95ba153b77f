"""What each viewer may read: the third lock, applied by every query in db/.

Every office-owned table's rule is here, and no query in db/ writes its own. Staff read
their office. A client reads the cases where a party with their person carries the
client tag, but for those the office archived, of those only what came from the court,
and the names of the office's staff (a case's responsible lawyer is on its Principal
tab). Another office is never visible.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from db.tables import (
    CaseStatus,
    Source,
    accounts,
    case_parties,
    cases,
    documents,
    movements,
    outbox_messages,
    persons,
    portal_activities,
    removals,
    tasks,
)
from domain.viewer import STAFF_ROLES, Role, Viewer


def client_case_ids(viewer: Viewer) -> sa.Select[Any]:
    """The cases where the client carries the client tag, but for archived ones (as
    ``causa_client_cases()`` lists them for row-level security, migration 0009)."""
    # An alias: the statements this goes into often read ``case`` too, and must not be
    # correlated with it.
    case = cases.alias("client_case")
    return (
        sa.select(case_parties.c.case_id)
        .join(
            case,
            sa.and_(
                case.c.office_id == case_parties.c.office_id, case.c.id == case_parties.c.case_id
            ),
        )
        .where(
            case_parties.c.office_id == viewer.office_id,
            case_parties.c.person_id == viewer.person_id,
            case_parties.c.is_client,
            case.c.status != CaseStatus.ARCHIVED,
        )
    )


def one_of(column: sa.ColumnElement[Any], ids: sa.Select[Any]) -> sa.ColumnElement[bool]:
    """``column = ANY (ARRAY(ids))``: PostgreSQL computes the ids once per statement and
    drives an index from them, where ``column IN (ids)`` is a join that it may run again
    for each row (for each case's movements, in a statement that reads many cases)."""
    return column == sa.any_(sa.func.array(ids.scalar_subquery()))


def visible_cases(viewer: Viewer) -> sa.ColumnElement[bool]:
    same_office = cases.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    return sa.and_(same_office, one_of(cases.c.id, client_case_ids(viewer)))


def visible_persons(viewer: Viewer) -> sa.ColumnElement[bool]:
    same_office = persons.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    parties_of_my_cases = sa.select(case_parties.c.person_id).where(
        case_parties.c.office_id == viewer.office_id,
        one_of(case_parties.c.case_id, client_case_ids(viewer)),
    )
    return sa.and_(same_office, one_of(persons.c.id, parties_of_my_cases))


def _case_children(viewer: Viewer, table: sa.Table) -> sa.ColumnElement[bool]:
    same_office = table.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    return sa.and_(
        same_office,
        table.c.source == Source.COURT,
        one_of(table.c.case_id, client_case_ids(viewer)),
    )


def visible_movements(viewer: Viewer) -> sa.ColumnElement[bool]:
    return _case_children(viewer, movements)


def visible_documents(viewer: Viewer) -> sa.ColumnElement[bool]:
    return _case_children(viewer, documents)


def visible_parties(viewer: Viewer) -> sa.ColumnElement[bool]:
    same_office = case_parties.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    return sa.and_(same_office, one_of(case_parties.c.case_id, client_case_ids(viewer)))


def visible_tasks(viewer: Viewer) -> sa.ColumnElement[bool]:
    """Tasks are the office's own work: no client reads them."""
    return sa.and_(tasks.c.office_id == viewer.office_id, sa.literal(viewer.is_staff))


def visible_staff(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The office's lawyers and admins (to a client, only their names are exposed)."""
    return sa.and_(accounts.c.office_id == viewer.office_id, accounts.c.role.in_(STAFF_ROLES))


def visible_portal_accounts(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The office's client accounts: staff business only."""
    return sa.and_(
        accounts.c.office_id == viewer.office_id,
        accounts.c.person_id.is_not(None),
        sa.literal(viewer.is_staff),
    )


def visible_outbox_messages(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The office's e-mails, to staff; to a lawyer, not those carrying an admin's secret."""
    same_office = sa.and_(
        outbox_messages.c.office_id == viewer.office_id, sa.literal(viewer.is_staff)
    )
    if viewer.role == Role.ADMIN:
        return same_office
    return sa.and_(same_office, sa.not_(outbox_messages.c.admin_only))


def visible_activity(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The office's access log, to staff; to a client, their own doings."""
    same_office = portal_activities.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    return sa.and_(same_office, portal_activities.c.account_id == viewer.account_id)


def visible_removals(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The record of what staff removed: staff business only."""
    return sa.and_(removals.c.office_id == viewer.office_id, sa.literal(viewer.is_staff))


def in_office(viewer: Viewer, table: sa.Table) -> sa.ColumnElement[bool]:
    """All of the viewer's office, whatever the role: for checks that span the office
    (a login or tax id already taken) and for rows locked before a staff-only write."""
    return table.c.office_id == viewer.office_id

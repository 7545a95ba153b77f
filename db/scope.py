"""What each viewer may read: the third lock, applied by every query in db/.

Staff read their office. A client reads the cases where a party with their person
carries the client tag, and of those only what came from the court.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from db.tables import Source, case_parties, cases, documents, movements, persons, tasks
from domain.viewer import Viewer


def client_case_ids(viewer: Viewer) -> sa.Select[Any]:
    return sa.select(case_parties.c.case_id).where(
        case_parties.c.office_id == viewer.office_id,
        case_parties.c.person_id == viewer.person_id,
        case_parties.c.is_client,
    )


def visible_cases(viewer: Viewer) -> sa.ColumnElement[bool]:
    same_office = cases.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    return sa.and_(same_office, cases.c.id.in_(client_case_ids(viewer)))


def visible_persons(viewer: Viewer) -> sa.ColumnElement[bool]:
    same_office = persons.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    parties_of_my_cases = sa.select(case_parties.c.person_id).where(
        case_parties.c.office_id == viewer.office_id,
        case_parties.c.case_id.in_(client_case_ids(viewer)),
    )
    return sa.and_(same_office, persons.c.id.in_(parties_of_my_cases))


def _case_children(viewer: Viewer, table: sa.Table) -> sa.ColumnElement[bool]:
    same_office = table.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    return sa.and_(
        same_office,
        table.c.source == Source.COURT,
        table.c.case_id.in_(client_case_ids(viewer)),
    )


def visible_movements(viewer: Viewer) -> sa.ColumnElement[bool]:
    return _case_children(viewer, movements)


def visible_documents(viewer: Viewer) -> sa.ColumnElement[bool]:
    return _case_children(viewer, documents)


def visible_parties(viewer: Viewer) -> sa.ColumnElement[bool]:
    same_office = case_parties.c.office_id == viewer.office_id
    if viewer.is_staff:
        return same_office
    return sa.and_(same_office, case_parties.c.case_id.in_(client_case_ids(viewer)))


def visible_tasks(viewer: Viewer) -> sa.ColumnElement[bool]:
    """Tasks are the office's own work: no client reads them."""
    return sa.and_(tasks.c.office_id == viewer.office_id, sa.literal(viewer.is_staff))

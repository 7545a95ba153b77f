"""Tasks and deadlines of a case: internal to the office."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db.cases import require_case
from db.inputs import TaskCreate
from db.scope import visible_tasks
from db.session import Db
from db.staff import require_staff
from db.tables import tasks
from domain.fields import camel, required
from domain.viewer import Viewer

OPEN_FIRST = (tasks.c.done, tasks.c.due_on.asc().nulls_last(), tasks.c.created_at)


def tasks_query(viewer: Viewer) -> sa.Select[Any]:
    """The visible tasks, in no order (``OPEN_FIRST`` is theirs)."""
    return sa.select(tasks).where(visible_tasks(viewer))


async def tasks_of_cases(
    db: Db, *, viewer: Viewer, case_ids: Sequence[uuid.UUID]
) -> list[list[RowMapping]]:
    """Open tasks first, by due date (undated last)."""
    rows = await db.rows(
        tasks_query(viewer).where(tasks.c.case_id.in_(case_ids)).order_by(*OPEN_FIRST)
    )
    grouped: dict[uuid.UUID, list[RowMapping]] = {case_id: [] for case_id in case_ids}
    for row in rows:
        grouped[row["case_id"]].append(row)
    return [grouped[case_id] for case_id in case_ids]


async def create_task(
    db: Db, *, viewer: Viewer, case_id: uuid.UUID, task: TaskCreate
) -> RowMapping:
    await require_case(db, viewer=viewer, case_id=case_id)
    cleaned = task.given()
    required(cleaned, "title", 300)
    await require_staff(db, viewer=viewer, account_id=task.assignee_id, field=camel("assignee_id"))
    row = await db.row(
        sa.insert(tasks)
        .values(office_id=viewer.office_id, case_id=case_id, **cleaned)
        .returning(*tasks.c)
    )
    assert row is not None
    return row

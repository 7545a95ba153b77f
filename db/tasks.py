"""Tasks and deadlines of a case: internal to the office."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db import removals
from db.cases import require_case
from db.inputs import TaskCreate, TaskUpdate
from db.scope import visible_tasks
from db.session import Db
from db.staff import require_staff
from db.tables import tasks
from domain.errors import InvalidValue, Missing
from domain.fields import camel, required
from domain.viewer import Viewer

TITLE_LIMIT = 300  # characters
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
    required(cleaned, "title", TITLE_LIMIT)
    await require_staff(db, viewer=viewer, account_id=task.assignee_id, field=camel("assignee_id"))
    row = await db.row(
        sa.insert(tasks)
        .values(office_id=viewer.office_id, case_id=case_id, **cleaned)
        .returning(*tasks.c)
    )
    assert row is not None
    return row


async def update_task(
    db: Db, *, viewer: Viewer, task_id: uuid.UUID, changes: TaskUpdate
) -> RowMapping:
    cleaned = changes.given()
    required(cleaned, "title", TITLE_LIMIT)
    if "done" in cleaned and cleaned["done"] is None:
        raise InvalidValue("done", "done must not be null.")
    await require_staff(
        db, viewer=viewer, account_id=changes.assignee_id, field=camel("assignee_id")
    )
    found = visible_tasks(viewer), tasks.c.id == task_id
    if not cleaned:
        row = await db.row(sa.select(tasks).where(*found))
    else:
        row = await db.row(sa.update(tasks).where(*found).values(**cleaned).returning(*tasks.c))
    if row is None:
        raise Missing("id", "No task has that id.")
    return row


async def remove_task(db: Db, *, viewer: Viewer, task_id: uuid.UUID) -> RowMapping:
    """The task goes, and its removal is recorded; the removed row is answered."""
    row = await db.row(
        sa.delete(tasks).where(visible_tasks(viewer), tasks.c.id == task_id).returning(*tasks.c)
    )
    if row is None:
        raise Missing("id", "No task has that id.")
    await removals.record(
        db,
        viewer=viewer,
        type_name="Task",
        key=row["id"],
        text=row["title"],
        case_id=row["case_id"],
    )
    return row

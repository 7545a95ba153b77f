"""Mutations that correct what the office recorded, and so what its clients see: change
or remove a movement, document or task, finish a task, archive or remove a case, remove
a person. Each removal is recorded for staff (``Query.removals``)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db import cases, documents, movements, persons, tasks
from db.inputs import DocumentUpdate, MovementUpdate, TaskUpdate
from schema.case import (
    ArchiveCasePayload,
    Case,
    CompleteTaskPayload,
    Document,
    Movement,
    RemoveCasePayload,
    RemoveDocumentPayload,
    RemoveMovementPayload,
    RemovePersonPayload,
    RemoveTaskPayload,
    Task,
    UpdateDocumentPayload,
    UpdateMovementPayload,
    UpdateTaskPayload,
)
from schema.context import Context
from schema.ids import global_id, parse_id
from schema.inputs import DocumentUpdateInput, MovementUpdateInput, TaskUpdateInput, written
from schema.permissions import ADMIN_ONLY, STAFF_ONLY
from schema.rows import from_row
from storage import removals as stored


@strawberry.type
class CorrectionMutation:
    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Changes a movement, checked as addMovement checks it; source INTERNAL "
        "takes it out of the clients' sight.",
    )
    async def update_movement(
        self, info: Info[Context, None], id: strawberry.ID, input: MovementUpdateInput
    ) -> UpdateMovementPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await movements.update_movement(
            db,
            viewer=viewer,
            movement_id=parse_id(id, field="id", type_name="Movement"),
            changes=written(input, MovementUpdate),
        )
        return UpdateMovementPayload(case_key=row["case_id"], movement=from_row(Movement, row))

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Removes a movement (recorded in removals). One imported from the court "
        "comes back with the next import that carries it: make it INTERNAL instead.",
    )
    async def remove_movement(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RemoveMovementPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await movements.remove_movement(
            db, viewer=viewer, movement_id=parse_id(id, field="id", type_name="Movement")
        )
        return RemoveMovementPayload(
            case_key=row["case_id"], removed_id=global_id("Movement", row["id"])
        )

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Renames a document or reclassifies it: INTERNAL takes it out of the "
        "clients' sight, COURT shows it to them.",
    )
    async def update_document(
        self, info: Info[Context, None], id: strawberry.ID, input: DocumentUpdateInput
    ) -> UpdateDocumentPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await documents.update_document(
            db,
            viewer=viewer,
            document_id=parse_id(id, field="id", type_name="Document"),
            changes=written(input, DocumentUpdate),
        )
        return UpdateDocumentPayload(case_key=row["case_id"], document=from_row(Document, row))

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Removes a document (recorded in removals); its stored file is deleted "
        "once the removal has committed.",
    )
    async def remove_document(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RemoveDocumentPayload:
        context = info.context
        row = await stored.remove_document(
            context.db,
            viewer=context.viewer,
            document_id=parse_id(id, field="id", type_name="Document"),
            store=context.store,
        )
        return RemoveDocumentPayload(
            case_key=row["case_id"], removed_id=global_id("Document", row["id"])
        )

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def update_task(
        self, info: Info[Context, None], id: strawberry.ID, input: TaskUpdateInput
    ) -> UpdateTaskPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await tasks.update_task(
            db,
            viewer=viewer,
            task_id=parse_id(id, field="id", type_name="Task"),
            changes=written(input, TaskUpdate),
        )
        return UpdateTaskPayload(case_key=row["case_id"], task=from_row(Task, row))

    @strawberry.mutation(permission_classes=STAFF_ONLY, description="Marks the task done.")
    async def complete_task(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> CompleteTaskPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await tasks.update_task(
            db,
            viewer=viewer,
            task_id=parse_id(id, field="id", type_name="Task"),
            changes=TaskUpdate(done=True),
        )
        return CompleteTaskPayload(case_key=row["case_id"], task=from_row(Task, row))

    @strawberry.mutation(
        permission_classes=STAFF_ONLY, description="Removes a task (recorded in removals)."
    )
    async def remove_task(self, info: Info[Context, None], id: strawberry.ID) -> RemoveTaskPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await tasks.remove_task(
            db, viewer=viewer, task_id=parse_id(id, field="id", type_name="Task")
        )
        return RemoveTaskPayload(case_key=row["case_id"], removed_id=global_id("Task", row["id"]))

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Puts the case away: status ARCHIVED, and no client reads it or anything "
        "in it any more. updateCase with another status brings it back.",
    )
    async def archive_case(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> ArchiveCasePayload:
        db, viewer = info.context.db, info.context.viewer
        row = await cases.archive_case(
            db, viewer=viewer, case_id=parse_id(id, field="id", type_name="Case")
        )
        return ArchiveCasePayload(case=from_row(Case, row))

    @strawberry.mutation(
        permission_classes=ADMIN_ONLY,
        description="Removes a case opened by mistake, with its parties and tasks (recorded "
        "in removals). Refused for a case with movements or documents: archive it instead.",
    )
    async def remove_case(self, info: Info[Context, None], id: strawberry.ID) -> RemoveCasePayload:
        db, viewer = info.context.db, info.context.viewer
        row = await cases.remove_case(
            db, viewer=viewer, case_id=parse_id(id, field="id", type_name="Case")
        )
        return RemoveCasePayload(removed_id=global_id("Case", row["id"]))

    @strawberry.mutation(
        permission_classes=ADMIN_ONLY,
        description="Removes a person (recorded in removals), with their revoked portal "
        "access. Refused while their access is open or they are a party to any case.",
    )
    async def remove_person(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RemovePersonPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await persons.remove_person(
            db, viewer=viewer, person_id=parse_id(id, field="id", type_name="Person")
        )
        return RemovePersonPayload(removed_id=global_id("Person", row["id"]))

"""Importing DataJud processes into the office's folders (the SQL is db/court.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from court.datajud import (
    CASE_FIELDS,
    CaseImport,
    CourtProcess,
    ImportReport,
    Rejected,
    read_payload,
)
from db import court, court_news
from db.cases import get_case
from db.session import Db
from domain.errors import InvalidValue, Missing
from domain.viewer import Viewer


async def import_processes(
    db: Db, *, viewer: Viewer, processes: Iterable[CourtProcess | Rejected], report: ImportReport
) -> None:
    """Import a batch of processes into every folder of the office with their CNJ number.

    Each process is one savepoint: it lands whole or not at all. The transaction must act
    as ``viewer`` (db/session.py: act_as) for row-level security.
    """
    batch = list(processes)
    added_before = report.movements_added
    numbers = {p.cnj_number for p in batch if isinstance(p, CourtProcess)}
    folders = await court.folders_by_number(db, viewer=viewer, numbers=numbers, fields=CASE_FIELDS)
    for process in batch:
        report.processes += 1
        if isinstance(process, Rejected):
            report.errors.append(process)
            continue
        targets = folders.get(process.cnj_number)
        if not targets:
            report.not_matched(process.cnj_number)
            continue
        async with db.atomic():
            outcomes = [await _import_into(db, viewer, folder, process) for folder in targets]
        report.matched += 1
        for added, filled in outcomes:
            report.movements_added += added
            report.movements_already_present += len(process.movements) - added
            report.fields_filled += len(filled)
    if report.movements_added > added_before:
        await court_news.wake(db, office_id=viewer.office_id, gather=False)


async def import_into_case(
    db: Db, *, viewer: Viewer, case_id: uuid.UUID, payload: object
) -> CaseImport:
    """Import a DataJud answer about this folder's process (and no other) into the folder."""
    case = await get_case(db, viewer=viewer, case_id=case_id)
    if case is None:
        raise Missing("caseId", "No case has that id.")
    if case["cnj_number"] is None:
        raise InvalidValue("caseId", "The case has no CNJ number to match court data with.")
    processes = [_about(process, case["cnj_number"]) for process in read_payload(payload)]
    if not processes:
        raise InvalidValue("payload", "The payload holds no process.")
    folder = dict(case)
    added = present = 0
    filled: list[str] = []
    for process in processes:
        count, fields = await _import_into(db, viewer, folder, process)
        added, present = added + count, present + len(process.movements) - count
        filled.extend(CASE_FIELDS[name] for name in fields)
    if added:
        await court_news.wake(db, office_id=viewer.office_id, gather=False)
    updated = await get_case(db, viewer=viewer, case_id=case_id)
    assert updated is not None
    return CaseImport(updated, added, present, tuple(filled))


def _about(process: CourtProcess | Rejected, cnj_number: str) -> CourtProcess:
    """The process, if it is sound and has this number."""
    if isinstance(process, Rejected):
        raise InvalidValue("payload", f"The payload's {process}")
    if process.cnj_number != cnj_number:
        raise InvalidValue(
            "payload",
            f"The payload is about process {process.cnj_number}, not this case's {cnj_number}.",
        )
    return process


async def _import_into(
    db: Db, viewer: Viewer, folder: dict[str, Any], process: CourtProcess
) -> tuple[int, tuple[str, ...]]:
    """Movements added, and the fields filled (``folder`` is updated to match)."""
    added = 0
    if process.movements:
        added = await court.add_court_movements(
            db,
            viewer=viewer,
            case_id=folder["id"],
            movements=[(m.occurred_at, m.description, m.code, m.key) for m in process.movements],
        )
    empty = {k: v for k, v in process.case_fields().items() if folder[k] is None}
    if empty:
        await court.fill_empty_fields(db, viewer=viewer, case_id=folder["id"], values=empty)
        folder.update(empty)
    return added, tuple(empty)

"""Case folders and their parties."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects.postgresql import insert

from db import removals
from db.inputs import CaseCreate, CaseUpdate
from db.keyset import Order
from db.pages import Page, Window, fetch_page, fetch_pages_by
from db.persons import get_person
from db.scope import in_office, visible_cases, visible_parties
from db.search import SearchBinds, matching, search_terms
from db.session import Db
from db.staff import require_staff
from db.tables import (
    CaseStatus,
    PartyRole,
    case_parties,
    cases,
    documents,
    movements,
    offices,
    persons,
)
from domain import validators
from domain.errors import InvalidValue, Missing
from domain.fields import camel, money, past_date, texts
from domain.viewer import Viewer

TEXT_LIMITS = {
    "folder": 40,
    "title": 300,
    "court": 200,
    "court_division": 200,
    "district": 200,
    "instance": 100,
    "case_class": 200,
    "subject": 500,
    "phase": 200,
    "internal_notes": 20_000,
    "fee_agreement": 5_000,
}
NEWEST_FIRST = (cases.c.created_at.desc(), cases.c.id.desc())
PAGE_ORDER = Order.of(NEWEST_FIRST)
PARTIES_IN_ORDER = (case_parties.c.created_at, persons.c.name)  # plaintiffs first


SEARCH_MIN_DIGITS = 4  # of a CNJ number


def cases_query(
    viewer: Viewer, *, search: SearchBinds, status: sa.ColumnElement[Any]
) -> sa.Select[Any]:
    """The visible cases that ``search`` finds, of ``status`` unless it is NULL; newest
    first."""
    return (
        sa.select(cases)
        .where(
            visible_cases(viewer),
            matching(search, text=[cases.c.folder, cases.c.title], digits_of=cases.c.cnj_number),
            sa.or_(status.is_(None), cases.c.status == status),
        )
        .order_by(*NEWEST_FIRST)
    )


async def list_cases(
    db: Db, *, viewer: Viewer, search: str | None, status: CaseStatus | None, window: Window
) -> Page:
    terms = search_terms(search, min_digits=SEARCH_MIN_DIGITS)
    query = cases_query(
        viewer, search=SearchBinds.of(terms), status=sa.literal(status, sa.String())
    )
    return await fetch_page(db, query, order=PAGE_ORDER, window=window)


async def get_case(db: Db, *, viewer: Viewer, case_id: uuid.UUID) -> RowMapping | None:
    return await db.row(sa.select(cases).where(visible_cases(viewer), cases.c.id == case_id))


def cases_of_persons_query(viewer: Viewer) -> sa.Select[Any]:
    """The visible cases, once for each visible party to them (``case_parties.c.person_id``
    tells whose)."""
    return (
        sa.select(cases)
        .join(
            case_parties,
            sa.and_(
                case_parties.c.office_id == cases.c.office_id, case_parties.c.case_id == cases.c.id
            ),
        )
        .where(visible_cases(viewer), visible_parties(viewer))
    )


async def cases_of_persons(
    db: Db, *, viewer: Viewer, person_ids: Sequence[uuid.UUID], window: Window
) -> dict[uuid.UUID, Page]:
    return await fetch_pages_by(
        db,
        cases_of_persons_query(viewer),
        key=case_parties.c.person_id,
        keys=person_ids,
        order=PAGE_ORDER,
        window=window,
    )


def parties_query(viewer: Viewer) -> sa.Select[Any]:
    """The visible parties, each with its person's columns prefixed ``person_``; in
    order by ``PARTIES_IN_ORDER``."""
    return (
        sa.select(
            case_parties.c.case_id,
            case_parties.c.role,
            case_parties.c.is_client,
            *[column.label(f"person_{column.name}") for column in persons.c],
        )
        .join(
            persons,
            sa.and_(
                persons.c.office_id == case_parties.c.office_id,
                persons.c.id == case_parties.c.person_id,
            ),
        )
        .where(visible_parties(viewer))
    )


async def parties_of_cases(
    db: Db, *, viewer: Viewer, case_ids: Sequence[uuid.UUID]
) -> list[list[RowMapping]]:
    """Each case's parties with their persons, plaintiffs first."""
    rows = await db.rows(
        parties_query(viewer)
        .where(case_parties.c.case_id.in_(case_ids))
        .order_by(*PARTIES_IN_ORDER)
    )
    grouped: dict[uuid.UUID, list[RowMapping]] = {case_id: [] for case_id in case_ids}
    for row in rows:
        grouped[row["case_id"]].append(row)
    return [grouped[case_id] for case_id in case_ids]


async def _clean(db: Db, viewer: Viewer, values: dict[str, Any]) -> dict[str, Any]:
    cleaned = texts(values, TEXT_LIMITS, required_field="title")
    if cleaned.get("cnj_number") is not None:
        cleaned["cnj_number"] = validators.cnj_number(cleaned["cnj_number"])
    if "claim_value" in cleaned:
        cleaned["claim_value"] = money(cleaned["claim_value"], field=camel("claim_value"))
    if "filed_on" in cleaned:
        cleaned["filed_on"] = past_date(cleaned["filed_on"], field=camel("filed_on"))
    if "status" in cleaned and cleaned["status"] is None:
        raise InvalidValue("status", "status must not be null.")
    await require_staff(
        db,
        viewer=viewer,
        account_id=cleaned.get("responsible_lawyer_id"),
        field=camel("responsible_lawyer_id"),
    )
    return cleaned


async def _next_folder(db: Db, viewer: Viewer) -> str:
    number = await db.scalar(
        sa.update(offices)
        .where(offices.c.id == viewer.office_id)
        .values(last_folder_number=offices.c.last_folder_number + 1)
        .returning(offices.c.last_folder_number)
    )
    return f"{number:05d}"


async def create_case(db: Db, *, viewer: Viewer, case: CaseCreate) -> RowMapping:
    cleaned = await _clean(db, viewer, case.given())
    numbered = cleaned.get("folder") is None
    for _ in range(1000):  # skip numbers that staff already typed by hand
        if numbered:
            cleaned["folder"] = await _next_folder(db, viewer)
        row = await db.row(
            insert(cases)
            .values(office_id=viewer.office_id, **cleaned)
            .on_conflict_do_nothing(index_elements=["office_id", "folder"])
            .returning(*cases.c)
        )
        if row is not None:
            return row
        if not numbered:
            break
    raise _folder_taken(cleaned["folder"])


async def update_case(
    db: Db, *, viewer: Viewer, case_id: uuid.UUID, changes: CaseUpdate
) -> RowMapping:
    if await get_case(db, viewer=viewer, case_id=case_id) is None:
        raise Missing("id", "No case has that id.")
    cleaned = await _clean(db, viewer, changes.given())
    if "folder" in cleaned and cleaned["folder"] is None:
        raise InvalidValue("folder", "folder must not be null.")
    if cleaned.get("folder") is not None:
        taken = await db.scalar(
            sa.select(cases.c.id).where(
                in_office(viewer, cases),
                cases.c.folder == cleaned["folder"],
                cases.c.id != case_id,
            )
        )
        if taken:
            raise _folder_taken(cleaned["folder"])
    row = await db.row(
        sa.update(cases)
        .where(visible_cases(viewer), cases.c.id == case_id)
        .values(**cleaned, updated_at=sa.func.now())
        .returning(*cases.c)
    )
    assert row is not None
    return row


async def archive_case(db: Db, *, viewer: Viewer, case_id: uuid.UUID) -> RowMapping:
    """The case put away: its status ARCHIVED, and out of its clients' sight (db/scope.py)
    with everything in it. Staff still read it, and make it ACTIVE again with updateCase."""
    row = await db.row(
        sa.update(cases)
        .where(visible_cases(viewer), cases.c.id == case_id)
        .values(status=CaseStatus.ARCHIVED, updated_at=sa.func.now())
        .returning(*cases.c)
    )
    if row is None:
        raise Missing("id", "No case has that id.")
    return row


async def remove_case(db: Db, *, viewer: Viewer, case_id: uuid.UUID) -> RowMapping:
    """A case opened by mistake goes, with its parties and tasks, and its removal is
    recorded. A case with movements or documents has a history: it is archived, never
    removed, and the refusal says so.

    The case's row is locked first, so that no movement or document can be added to it
    between the count and the removal (adding one locks the case's key)."""
    row = await db.row(
        sa.select(cases).where(visible_cases(viewer), cases.c.id == case_id).with_for_update()
    )
    if row is None:
        raise Missing("id", "No case has that id.")
    held = [
        _count(await _children(db, viewer, table, case_id), noun)
        for table, noun in ((movements, "movement"), (documents, "document"))
    ]
    if any(held):
        history = " and ".join(filter(None, held))
        raise InvalidValue(
            "id",
            f"The case {row['folder']} has {history}: archive it instead (archiveCase), "
            "or remove them first.",
        )
    await db.execute(sa.delete(cases).where(visible_cases(viewer), cases.c.id == case_id))
    await removals.record(
        db,
        viewer=viewer,
        type_name="Case",
        key=case_id,
        text=f"{row['folder']} {row['title']}",
        case_id=case_id,
    )
    return row


async def _children(db: Db, viewer: Viewer, table: sa.Table, case_id: uuid.UUID) -> int:
    found = sa.select(sa.func.count()).where(in_office(viewer, table), table.c.case_id == case_id)
    return int(await db.scalar(found))


def _count(number: int, noun: str) -> str:
    return "" if number == 0 else f"{number} {noun}{'' if number == 1 else 's'}"


def _folder_taken(folder: str) -> InvalidValue:
    return InvalidValue("folder", f"The folder {folder} is already used by another case.")


async def require_case(db: Db, *, viewer: Viewer, case_id: uuid.UUID) -> None:
    if await get_case(db, viewer=viewer, case_id=case_id) is None:
        raise Missing(camel("case_id"), "No case has that id.")


async def add_party(
    db: Db,
    *,
    viewer: Viewer,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    role: PartyRole,
    is_client: bool,
) -> Mapping[str, Any]:
    """Adds the person to the case, or changes their role and client tag if already there."""
    await require_case(db, viewer=viewer, case_id=case_id)
    person = await get_person(db, viewer=viewer, person_id=person_id)
    if person is None:
        raise Missing(camel("person_id"), "No person has that id.")
    statement = insert(case_parties).values(
        office_id=viewer.office_id,
        case_id=case_id,
        person_id=person_id,
        role=role,
        is_client=is_client,
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["office_id", "case_id", "person_id"],
            set_={"role": statement.excluded.role, "is_client": statement.excluded.is_client},
        )
    )
    await _touch(db, viewer, case_id)
    party = {"case_id": case_id, "role": role, "is_client": is_client}
    return {**party, **{f"person_{key}": value for key, value in person.items()}}


async def remove_party(db: Db, *, viewer: Viewer, case_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    await require_case(db, viewer=viewer, case_id=case_id)
    removed = await db.scalar(
        sa.delete(case_parties)
        .where(
            visible_parties(viewer),
            case_parties.c.case_id == case_id,
            case_parties.c.person_id == person_id,
        )
        .returning(case_parties.c.person_id)
    )
    if removed is not None:
        await _touch(db, viewer, case_id)
    return removed is not None


async def _touch(db: Db, viewer: Viewer, case_id: uuid.UUID) -> None:
    await db.execute(
        sa.update(cases)
        .where(visible_cases(viewer), cases.c.id == case_id)
        .values(updated_at=sa.func.now())
    )

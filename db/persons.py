"""Persons: the office's clients, opposing parties and everyone else in its cases."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects.postgresql import insert

from db import removals
from db.inputs import PersonCreate, PersonUpdate
from db.keyset import Order
from db.pages import Page, Window, fetch_page
from db.scope import in_office, visible_persons
from db.search import SearchBinds, matching, search_terms
from db.session import Db
from db.tables import PersonKind, accounts, case_parties, persons
from domain import validators
from domain.errors import InvalidValue, Missing
from domain.fields import camel, texts
from domain.viewer import Viewer

TEXT_LIMITS = {"name": 300, "phone": 40, "notes": 10_000}


SEARCH_MIN_DIGITS = 3  # of a CPF or CNPJ
BY_NAME = (persons.c.name, persons.c.id)
PAGE_ORDER = Order.of(BY_NAME)


def persons_query(viewer: Viewer, *, search: SearchBinds) -> sa.Select[Any]:
    """The visible persons that ``search`` finds, by name."""
    return (
        sa.select(persons)
        .where(
            visible_persons(viewer),
            matching(search, text=[persons.c.name], digits_of=persons.c.tax_id),
        )
        .order_by(*BY_NAME)
    )


async def list_persons(db: Db, *, viewer: Viewer, search: str | None, window: Window) -> Page:
    terms = search_terms(search, min_digits=SEARCH_MIN_DIGITS)
    query = persons_query(viewer, search=SearchBinds.of(terms))
    return await fetch_page(db, query, order=PAGE_ORDER, window=window)


async def persons_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[RowMapping | None]:
    rows = await db.rows(sa.select(persons).where(visible_persons(viewer), persons.c.id.in_(ids)))
    by_id = {row["id"]: row for row in rows}
    return [by_id.get(i) for i in ids]


async def get_person(db: Db, *, viewer: Viewer, person_id: uuid.UUID) -> RowMapping | None:
    return await db.row(
        sa.select(persons).where(visible_persons(viewer), persons.c.id == person_id)
    )


def _clean(values: dict[str, Any], *, kind: PersonKind) -> dict[str, Any]:
    cleaned = texts(values, TEXT_LIMITS, required_field="name")
    if cleaned.get("email") is not None:
        cleaned["email"] = validators.email(cleaned["email"])
    if cleaned.get("tax_id") is not None:
        cleaned["tax_id"] = validators.tax_id(cleaned["tax_id"], kind=kind.value)
    return cleaned


def _kind_of(tax_id: str | None) -> PersonKind:
    """Without an explicit kind, a tax id of 14 letters or digits is a CNPJ (letters since
    July 2026); anything else a person."""
    characters = re.sub(r"[^0-9A-Za-z]", "", tax_id or "")
    return PersonKind.LEGAL if len(characters) == 14 else PersonKind.NATURAL


async def create_person(db: Db, *, viewer: Viewer, person: PersonCreate) -> RowMapping:
    kind = person.kind or _kind_of(person.tax_id)
    cleaned = _clean({**person.given(), "kind": kind}, kind=kind)
    row = await db.row(
        insert(persons)
        .values(office_id=viewer.office_id, **cleaned)
        .on_conflict_do_nothing()
        .returning(*persons.c)
    )
    if row is None:
        raise _duplicate_tax_id(cleaned["tax_id"])
    return row


async def update_person(
    db: Db, *, viewer: Viewer, person_id: uuid.UUID, changes: PersonUpdate
) -> RowMapping:
    current = await get_person(db, viewer=viewer, person_id=person_id)
    if current is None:
        raise Missing("id", "No person has that id.")
    values = changes.given()
    if "kind" in values and changes.kind is None:
        raise InvalidValue("kind", "kind must not be null.")
    kind = changes.kind or current["kind"]
    if "kind" in values and "tax_id" not in values and current["tax_id"] is not None:
        values["tax_id"] = current["tax_id"]  # re-check the tax id against the new kind
    cleaned = _clean(values, kind=kind)
    if not cleaned:
        return current
    taken = cleaned.get("tax_id") and await db.scalar(
        sa.select(persons.c.id).where(
            in_office(viewer, persons),
            persons.c.tax_id == cleaned["tax_id"],
            persons.c.id != person_id,
        )
    )
    if taken:
        raise _duplicate_tax_id(cleaned["tax_id"])
    row = await db.row(
        sa.update(persons)
        .where(visible_persons(viewer), persons.c.id == person_id)
        .values(**cleaned, updated_at=sa.func.now())
        .returning(*persons.c)
    )
    assert row is not None
    return row


def _duplicate_tax_id(tax_id: str) -> InvalidValue:
    message = f"Another person of this office already has the tax id {tax_id}."
    return InvalidValue(camel("tax_id"), message)


async def remove_person(db: Db, *, viewer: Viewer, person_id: uuid.UUID) -> RowMapping:
    """A person who has no part in the office's work any more goes, and their removal is
    recorded; a revoked portal access goes with them (its account, and with it its
    sessions and invitations).

    Refused while the person can still sign in to the portal, or is a party to any case:
    their access is revoked, and they are taken out of those cases, first. The person's
    row is locked first, so that no case or access can name them meanwhile."""
    row = await db.row(
        sa.select(persons)
        .where(visible_persons(viewer), persons.c.id == person_id)
        .with_for_update()
    )
    if row is None:
        raise Missing("id", "No person has that id.")
    client = sa.and_(in_office(viewer, accounts), accounts.c.person_id == person_id)
    open_access = await db.scalar(
        sa.select(accounts.c.id).where(client, accounts.c.disabled_at.is_(None))
    )
    cases = await db.scalar(
        sa.select(sa.func.count()).where(
            in_office(viewer, case_parties), case_parties.c.person_id == person_id
        )
    )
    first = [
        *(["revoke their portal access"] if open_access else []),
        *([f"remove them from {cases} case{'' if cases == 1 else 's'}"] if cases else []),
    ]
    if first:
        raise InvalidValue(
            "id", f"{row['name']} cannot be removed yet: {' and '.join(first)} first."
        )
    await db.execute(sa.delete(accounts).where(client))
    await db.execute(sa.delete(persons).where(visible_persons(viewer), persons.c.id == person_id))
    await removals.record(
        db, viewer=viewer, type_name="Person", key=person_id, text=row["name"], case_id=None
    )
    return row

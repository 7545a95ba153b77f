"""Offices and their staff accounts (bootstrap and administration)."""

from __future__ import annotations

import re
import unicodedata
import uuid

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects.postgresql import insert

from auth.passwords import check_strength, new_hash
from db.accounts import act_for_office
from db.session import Db
from db.tables import accounts, offices
from domain import validators
from domain.errors import InvalidValue
from domain.viewer import Role


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "office"


async def ensure_office(db: Db, *, name: str) -> RowMapping:
    """The office of this name, created on first use."""
    name = validators.required_text(name, field="office", max_length=200)
    slug = slugify(name)
    await db.execute(insert(offices).values(name=name, slug=slug).on_conflict_do_nothing())
    row = await db.row(sa.select(offices).where(offices.c.slug == slug))
    assert row is not None
    return row


async def create_account(
    db: Db,
    *,
    office_id: uuid.UUID,
    email: str,
    name: str,
    role: Role,
    password: str,
    person_id: uuid.UUID | None = None,
) -> RowMapping:
    email = validators.email(email).lower()
    check_strength(password, email=email, name=name)
    await act_for_office(db, office_id=office_id)  # no viewer yet: the office's first accounts
    row = await db.row(
        insert(accounts)
        .values(
            office_id=office_id,
            email=email,
            name=validators.required_text(name, field="name", max_length=200),
            role=role,
            password_hash=await new_hash(password),
            person_id=person_id,
            granted_at=None if person_id is None else sa.func.now(),
        )
        .on_conflict_do_nothing()
        .returning(*accounts.c)
    )
    if row is None:
        raise InvalidValue("email", f"The office already has an account for {email}.")
    return row

"""Free-text search: substrings of text columns, or digits of a formatted number."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from domain import validators
from domain.errors import InvalidValue

MAX_TERM = 200  # characters: longer than any name, title or number searched for


def matching(
    term: str,
    *,
    text: Sequence[sa.ColumnElement[Any]],
    digits_of: sa.ColumnElement[Any],
    min_digits: int,
) -> sa.ColumnElement[bool]:
    """Rows where a ``text`` column contains ``term`` (any case), or, when ``term`` has
    at least ``min_digits`` digits, where those digits appear in ``digits_of`` with its
    punctuation ignored ("123.456" finds "123.456.789-09", and so does "123456"). Letters
    count too, in any case, when ``term`` mixes them with digits: "12abc" finds the
    alphanumeric CNPJ "12.ABC.345/01DE-35"."""
    if len(term) > MAX_TERM:  # each row is matched against the whole pattern
        raise InvalidValue(
            "search", f"search must be at most {MAX_TERM} characters long, not {len(term)}."
        )
    if "\x00" in term:  # PostgreSQL text cannot hold NUL, so nothing matches
        return sa.false()
    validators.encodable(term, field="search")
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"
    conditions: list[sa.ColumnElement[bool]] = [
        column.ilike(pattern, escape="\\") for column in text
    ]
    digits = re.sub(r"[^0-9]", "", term)
    if len(digits) >= min_digits:
        bare = sa.func.regexp_replace(digits_of, "[^0-9]", "", "g")
        conditions.append(bare.contains(digits, autoescape=True))
    characters = re.sub(r"[^0-9A-Za-z]", "", term).upper()
    if digits and len(characters) >= min_digits and characters != digits:
        # An alphanumeric CNPJ (stored in upper case) is found by its letters too, in any case.
        bare = sa.func.regexp_replace(sa.func.upper(digits_of), "[^0-9A-Z]", "", "g")
        conditions.append(bare.contains(characters, autoescape=True))
    return sa.or_(*conditions)

"""Free-text search: substrings of text columns, or digits of a formatted number.

A search is read in Python (``search_terms``: its length checked, its pattern escaped)
and matched in SQL (``matching``) through three values that may be bound parameters:
the same statement then serves every search, which the compiled read path needs
(schema/compiled.py), and both paths match alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from domain import validators
from domain.errors import InvalidValue

MAX_TERM = 200  # characters: longer than any name, title or number searched for


@dataclass(frozen=True, slots=True)
class Terms:
    """What a search matches: None where a kind of match does not apply."""

    pattern: str | None  # ILIKE pattern of the whole term
    digits: str | None  # the term's digits, matched in the number with punctuation ignored
    characters: str | None  # its letters and digits, for an alphanumeric CNPJ


NOTHING = Terms(None, None, None)


def search_terms(search: str | None, *, min_digits: int) -> Terms | None:
    """The terms of ``search``; None when there is no search (absent or blank).

    A text column matches when it contains the term (any case); the number matches
    when the term has at least ``min_digits`` digits and those appear in it with its
    punctuation ignored ("123.456" finds "123.456.789-09", and so does "123456").
    Letters count too, in any case, when the term mixes them with digits: "12abc"
    finds the alphanumeric CNPJ "12.ABC.345/01DE-35".
    """
    if not search or not search.strip():
        return None
    term = search.strip()
    if len(term) > MAX_TERM:  # each row is matched against the whole pattern
        raise InvalidValue(
            "search", f"search must be at most {MAX_TERM} characters long, not {len(term)}."
        )
    if "\x00" in term:  # PostgreSQL text cannot hold NUL, so nothing matches
        return NOTHING
    validators.encodable(term, field="search")
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"
    digits = re.sub(r"[^0-9]", "", term)
    characters = re.sub(r"[^0-9A-Za-z]", "", term).upper()
    return Terms(
        pattern=pattern,
        digits=digits if len(digits) >= min_digits else None,
        characters=(
            characters
            if digits and len(characters) >= min_digits and characters != digits
            else None
        ),
    )


@dataclass(frozen=True, slots=True)
class SearchBinds:
    """A search's values in SQL: ``everything`` true when there is no search."""

    everything: sa.ColumnElement[bool]
    pattern: sa.ColumnElement[str]
    digits: sa.ColumnElement[str]
    characters: sa.ColumnElement[str]

    @classmethod
    def of(cls, terms: Terms | None) -> SearchBinds:
        found = terms or NOTHING
        return cls(
            everything=sa.literal(terms is None, sa.Boolean),
            pattern=sa.literal(found.pattern, sa.String),
            digits=sa.literal(found.digits, sa.String),
            characters=sa.literal(found.characters, sa.String),
        )


def parameters(
    bind: Callable[[str, sa.types.TypeEngine[Any]], sa.BindParameter[Any]],
) -> SearchBinds:
    """A search's values as parameters, named as ``values`` names them."""
    return SearchBinds(
        everything=bind("everything", sa.Boolean()),
        pattern=bind("pattern", sa.String()),
        digits=bind("digits", sa.String()),
        characters=bind("characters", sa.String()),
    )


def values(terms: Terms | None) -> dict[str, Any]:
    """The values of a ``SearchBinds`` of parameters, by its field names."""
    found = terms or NOTHING
    return {
        "everything": terms is None,
        "pattern": found.pattern,
        "digits": found.digits,
        "characters": found.characters,
    }


def matching(
    search: SearchBinds,
    *,
    text: Sequence[sa.ColumnElement[Any]],
    digits_of: sa.ColumnElement[Any],
) -> sa.ColumnElement[bool]:
    """Rows that ``search`` finds (all of them when there is no search).

    A term that does not apply is NULL, and so is its comparison, which then finds
    nothing; the statement is the same for every search.
    """
    bare = sa.func.regexp_replace(digits_of, "[^0-9]", "", "g")
    alphanumeric = sa.func.regexp_replace(sa.func.upper(digits_of), "[^0-9A-Z]", "", "g")
    return sa.or_(
        search.everything,
        *(column.ilike(search.pattern, escape="\\") for column in text),
        sa.func.strpos(bare, search.digits) > 0,
        sa.func.strpos(alphanumeric, search.characters) > 0,
    )

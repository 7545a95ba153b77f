"""Date, DateTime and Decimal as the API writes them, read strictly.

Strawberry's own scalars accept whatever Python's parsers do: "20240101" and "2024-W01-1"
as dates, full-width digits, "1_000" and " 1 " as amounts. Here a date is ASCII
YYYY-MM-DD, a date and time is ISO 8601 in its extended form, and an amount is ASCII
``-?digits[.digits]``; a date lies between 1900 and 2100. What each field allows beyond
that (two decimals, no future filing date) is checked in db/.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from decimal import Decimal

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import (
    DateDefinition,
    DateTimeDefinition,
    DecimalDefinition,
)
from strawberry.types.scalar import ScalarDefinition

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_MAX_AMOUNT_LENGTH = 40


def _refused(kind: str, value: object, expected: str) -> StrawberryInputCoercionError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:59] + "…"
    return StrawberryInputCoercionError(f"{shown} is not a {kind}: {expected}.")


def _in_range(day: date, kind: str, value: object) -> None:
    if not EARLIEST <= day <= LATEST:
        raise _refused(kind, value, f"it must lie between {EARLIEST} and {LATEST}")


def parse_date(value: object) -> date:
    expected = "write it as YYYY-MM-DD, for example 2024-03-15"
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _refused("date", value, expected)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _refused("date", value, "there is no such day") from None
    _in_range(day, "date", value)
    return day


def parse_date_time(value: object) -> datetime:
    expected = (
        "write it as YYYY-MM-DDTHH:MM:SS with an offset, for example 2024-03-15T14:30:00-03:00"
    )
    match = _DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _refused("date and time", value, expected)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _refused("date and time", value, "there is no such day or time") from None
    return moment  # its range, once in UTC, is the field's to check (db/movements.py)


def parse_decimal(value: object) -> Decimal:
    # A JSON number is read as written (1.5 as "1.5"); true and false are not numbers.
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    expected = 'write it with ASCII digits and a point, for example "1234.56"'
    if not isinstance(text, str) or len(text) > _MAX_AMOUNT_LENGTH or not _AMOUNT.fullmatch(text):
        raise _refused("number", value, expected)
    return Decimal(text)


SCALARS: dict[object, ScalarDefinition] = {
    date: dataclasses.replace(DateDefinition, parse_value=parse_date),
    datetime: dataclasses.replace(DateTimeDefinition, parse_value=parse_date_time),
    Decimal: dataclasses.replace(DecimalDefinition, parse_value=parse_decimal),
}

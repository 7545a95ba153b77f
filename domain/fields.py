"""Cleaning of written values: each rule raises InvalidValue naming the GraphQL field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from domain import validators
from domain.errors import InvalidValue

MAX_MONEY = Decimal("99999999999999.99")
# Free text of several lines; every other text field is one line (names, titles, codes).
MULTILINE = frozenset({"notes", "internal_notes", "fee_agreement", "description"})


def camel(name: str) -> str:
    """The GraphQL name of a Python field name (``responsible_lawyer_id`` is
    ``responsibleLawyerId``), as Strawberry spells it; the one place where an error's
    ``extensions.field`` gets its spelling (tests/schema/test_inputs.py holds the two equal)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def money(value: Decimal | None, *, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        if not value.is_finite() or value < 0 or value > MAX_MONEY:
            raise InvalidValue(field, f"{field} must be between 0 and {MAX_MONEY}, not {value}.")
        if value != value.quantize(Decimal("0.01")):
            raise InvalidValue(field, f"{field} has at most two decimal places, not {value}.")
    except InvalidOperation:
        raise InvalidValue(field, f"{field} is not an amount of money: {value}.") from None
    return value.quantize(Decimal("0.01"))


def past_date(value: date | None, *, field: str) -> date | None:
    if value is not None and value > date.today():
        raise InvalidValue(field, f"{field} cannot be in the future ({value.isoformat()}).")
    return value


def texts(
    values: dict[str, Any], limits: dict[str, int], *, required_field: str | None = None
) -> dict[str, Any]:
    """Strip the free-text fields present in ``values``; blank becomes null, but for
    ``required_field``, which must not be null or blank ("" is empty, not null)."""
    cleaned = dict(values)
    if required_field is not None:
        required(cleaned, required_field, limits[required_field])
    for name, limit in limits.items():
        if name in cleaned and name != required_field:
            cleaned[name] = validators.optional_text(
                cleaned[name], field=camel(name), max_length=limit, multiline=name in MULTILINE
            )
    return cleaned


def required(values: dict[str, Any], name: str, limit: int = 500) -> None:
    """A required text field, when present, must not be null or blank."""
    if name in values:
        if values[name] is None:
            raise InvalidValue(camel(name), f"{camel(name)} must not be null.")
        values[name] = validators.required_text(
            values[name], field=camel(name), max_length=limit, multiline=name in MULTILINE
        )

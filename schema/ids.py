"""GraphQL ids: read from what a client sent, refused by the argument's name."""

from __future__ import annotations

import uuid

from domain.errors import InvalidValue


def parse_id(value: str, *, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidValue(field, f"{field} is not a valid id: {value!r}.") from None

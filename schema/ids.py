"""GraphQL ids: written as global ids, read from what a client sent, refused by the argument's name.

A global id is Relay's opaque form, as Strawberry writes it: base64 of ``Type:key``,
so that one id names one object of one type, whatever the type.
"""

from __future__ import annotations

import base64
import uuid

from domain.errors import InvalidValue


def global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def parse_id(value: str, *, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidValue(field, f"{field} is not a valid id: {value!r}.") from None

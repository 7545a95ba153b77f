"""``@principal``: the mark of a field that a client may see (the folder's Principal tab)."""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location
from strawberry.types.field import StrawberryField


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="Visible to client-role viewers: part of the folder's Principal tab.",
)
class Principal:
    pass


PRINCIPAL: list[object] = [Principal()]


def is_principal(field: StrawberryField) -> bool:
    return any(isinstance(directive, Principal) for directive in field.directives)

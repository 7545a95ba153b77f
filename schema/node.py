"""The ``Node`` interface of Relay's object identification: every object with an id
implements it, and ``node(id:)`` fetches any of them again by that id."""

from __future__ import annotations

import strawberry

from schema.directives import PRINCIPAL


@strawberry.interface(description="An object with a global id, which node(id:) fetches again.")
class Node:
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)

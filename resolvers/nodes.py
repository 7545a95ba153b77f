"""``node(id:)`` and ``nodes(ids:)``: any object again by its global id, in the viewer's
view and scope.

A type that the viewer's view does not have (a client's view has no Task) and an id
that nothing visible answers are both null, exactly as ``case(id:)`` answers an
out-of-scope case: whether an id exists is never told. A malformed id is the caller's
error (BAD_USER_INPUT).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping
from strawberry.types import Info

from db import nodes, oauth_clients
from db.session import Db
from domain.errors import InvalidValue
from domain.viewer import Viewer
from schema.case import Case, Document, Movement, Person, PortalActivity, Task, party
from schema.context import Context
from schema.ids import key_uuid, read_global_id
from schema.node import Node
from schema.oauth import OAuthClient
from schema.portal import OutboxMessage, portal_access
from schema.removal import removal
from schema.rows import from_row
from schema.staff import StaffMember

Fetch = Callable[..., Awaitable[dict[Any, RowMapping]]]


@dataclass(frozen=True, slots=True)
class Kind:
    fetch: Fetch
    build: Callable[[Hashable, RowMapping], Node]
    read_key: Callable[[str, str, str], Hashable]  # (key, field, the id as sent)


def _uuid(key: str, field: str, value: str) -> Hashable:
    return key_uuid(key, field=field, value=value)


def _party_key(key: str, field: str, value: str) -> Hashable:
    case_key, _, person_key = key.partition(":")
    return (
        key_uuid(case_key, field=field, value=value),
        key_uuid(person_key, field=field, value=value),
    )


def _rows_of(cls: type[Node]) -> Callable[[Hashable, RowMapping], Node]:
    return lambda key, row: from_row(cls, row)


KINDS: dict[str, Kind] = {
    "Case": Kind(nodes.cases_by_ids, _rows_of(Case), _uuid),
    "Person": Kind(nodes.persons_by_ids, _rows_of(Person), _uuid),
    "Movement": Kind(nodes.movements_by_ids, _rows_of(Movement), _uuid),
    "Document": Kind(nodes.documents_by_ids, _rows_of(Document), _uuid),
    "Task": Kind(nodes.tasks_by_ids, _rows_of(Task), _uuid),
    "StaffMember": Kind(nodes.staff_by_ids, _rows_of(StaffMember), _uuid),
    "OutboxMessage": Kind(nodes.messages_by_ids, _rows_of(OutboxMessage), _uuid),
    "OAuthClient": Kind(oauth_clients.clients_by_ids, _rows_of(OAuthClient), _uuid),
    "PortalActivity": Kind(nodes.activity_by_ids, _rows_of(PortalActivity), _uuid),
    "Removal": Kind(nodes.removals_by_ids, lambda key, row: removal(row), _uuid),
    "CaseParty": Kind(nodes.parties_by_keys, lambda key, row: party(row), _party_key),
    "PortalAccess": Kind(
        nodes.access_by_persons,
        lambda key, row: portal_access(row, uuid.UUID(str(key))),
        _uuid,
    ),
}


async def find(info: Info[Context, None], ids: Sequence[str], *, field: str) -> list[Node | None]:
    """The objects that ``ids`` name, in their order, null where none is visible; one
    statement per kind asked."""
    view = info.schema
    wanted: list[tuple[str, Hashable] | None] = []
    by_kind: dict[str, list[Hashable]] = defaultdict(list)
    for value in ids:
        type_name, key = read_global_id(value, field=field)
        kind = KINDS.get(type_name)
        if kind is None or view.get_type_by_name(type_name) is None:
            wanted.append(None)
            continue
        read = kind.read_key(key, field, value)
        wanted.append((type_name, read))
        by_kind[type_name].append(read)
    found = {
        type_name: await _fetch(info.context.db, info.context.viewer, type_name, keys)
        for type_name, keys in by_kind.items()
    }
    answered = [None if w is None else found[w[0]].get(w[1]) for w in wanted]
    for node in answered:
        if isinstance(node, Case):
            info.context.viewed_case(node.key)
    return answered


async def _fetch(
    db: Db, viewer: Viewer, type_name: str, keys: list[Hashable]
) -> dict[Hashable, Node]:
    kind = KINDS[type_name]
    rows = await kind.fetch(db, viewer=viewer, ids=list(dict.fromkeys(keys)))
    return {key: kind.build(key, row) for key, row in rows.items()}


def check_count(ids: Sequence[str], *, limit: int) -> None:
    if len(ids) > limit:
        raise InvalidValue("ids", f"ids may name at most {limit} objects, not {len(ids)}.")

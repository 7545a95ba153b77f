"""What a request works with: what the lifespan made once (``State``), and per request
the transaction, the viewer and the DataLoaders (``Context``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from strawberry.asgi import GraphQL
from strawberry.dataloader import DataLoader

from auth.links import DownloadLinks, PreferenceLinks
from auth.tokens import Signer
from db import activity, cases, documents, movements, nodes, persons, portal, staff, tasks
from db.activity import Visit
from db.invitations import InvitationPolicy
from db.pages import Page, Window
from db.session import Db
from db.tables import PortalAction
from domain.viewer import Role, Viewer
from mail.smtp import Mailer
from schema.reads import Reads
from schema.trusted_documents import Manifests
from settings import Settings
from storage.stores import Store

WindowedFetch = Callable[..., Awaitable[dict[uuid.UUID, Page]]]


def _windowed(
    db: Db, viewer: Viewer, fetch: WindowedFetch, ids_name: str
) -> DataLoader[tuple[uuid.UUID, Window], Page]:
    """One statement per distinct window, however many parents ask."""

    async def load(keys: Sequence[tuple[uuid.UUID, Window]]) -> list[Page]:
        by_window: dict[Window, list[uuid.UUID]] = defaultdict(list)
        for parent_id, window in keys:
            by_window[window].append(parent_id)
        pages: dict[tuple[uuid.UUID, Window], Page] = {}
        for window, ids in by_window.items():
            found = await fetch(db, viewer=viewer, window=window, **{ids_name: ids})
            pages.update({(parent_id, window): page for parent_id, page in found.items()})
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def _by_id(
    db: Db, viewer: Viewer, fetch: Callable[..., Awaitable[Sequence[Any]]], ids_name: str
) -> DataLoader[uuid.UUID, Any]:
    async def load(keys: Sequence[uuid.UUID]) -> Sequence[Any]:
        return await fetch(db, viewer=viewer, **{ids_name: list(keys)})

    return DataLoader(load_fn=load)


def _by_key(
    db: Db, viewer: Viewer, fetch: Callable[..., Awaitable[Mapping[Any, RowMapping]]]
) -> DataLoader[uuid.UUID, RowMapping | None]:
    """The visible row of each id (db/nodes.py), or None."""

    async def load(keys: Sequence[uuid.UUID]) -> list[RowMapping | None]:
        found = await fetch(db, viewer=viewer, ids=list(keys))
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    db: Db
    viewer: Viewer
    person: DataLoader[uuid.UUID, RowMapping | None] = field(init=False)
    portal_access: DataLoader[uuid.UUID, RowMapping | None] = field(init=False)
    staff: DataLoader[uuid.UUID, RowMapping | None] = field(init=False)
    parties: DataLoader[uuid.UUID, list[RowMapping]] = field(init=False)
    tasks: DataLoader[uuid.UUID, list[RowMapping]] = field(init=False)
    movements: DataLoader[tuple[uuid.UUID, Window], Page] = field(init=False)
    documents: DataLoader[tuple[uuid.UUID, Window], Page] = field(init=False)
    person_cases: DataLoader[tuple[uuid.UUID, Window], Page] = field(init=False)
    activity: DataLoader[tuple[uuid.UUID, Window], Page] = field(init=False)
    case: DataLoader[uuid.UUID, RowMapping | None] = field(init=False)
    document: DataLoader[uuid.UUID, RowMapping | None] = field(init=False)

    def __post_init__(self) -> None:
        db, viewer = self.db, self.viewer
        self.person = _by_id(db, viewer, persons.persons_by_ids, "ids")
        self.portal_access = _by_id(db, viewer, portal.access_of_persons, "person_ids")
        self.staff = _by_id(db, viewer, staff.staff_by_ids, "ids")
        self.parties = _by_id(db, viewer, cases.parties_of_cases, "case_ids")
        self.tasks = _by_id(db, viewer, tasks.tasks_of_cases, "case_ids")
        self.movements = _windowed(db, viewer, movements.movements_of_cases, "case_ids")
        self.documents = _windowed(db, viewer, documents.documents_of_cases, "case_ids")
        self.person_cases = _windowed(db, viewer, cases.cases_of_persons, "person_ids")
        self.activity = _windowed(db, viewer, activity.activity_of_persons, "person_ids")
        self.case = _by_key(db, viewer, nodes.cases_by_ids)
        self.document = _by_key(db, viewer, nodes.documents_by_ids)


class State(TypedDict):
    """Made once by the lifespan (app.py), read by every request as ``request.state``."""

    settings: Settings
    engine: AsyncEngine
    signer: Signer
    mailer: Mailer | None
    invitations: InvitationPolicy
    views: dict[bool, GraphQL[Context, None]]  # by viewer.is_staff
    store: Store
    downloads: DownloadLinks
    preferences: PreferenceLinks  # the links that turn e-mails about court news off
    reads: Reads | None  # the compiled read path; None when it is switched off
    manifests: Manifests  # the apps' trusted documents
    access_log: activity.Recorder  # the portal's access log, written in batches


@dataclass
class Context:
    request: Request[State]
    db: Db
    viewer: Viewer
    loaders: Loaders = field(init=False)
    page_size: int = field(init=False)
    # Set when a field met a database that cannot serve: the request then answers 503.
    database_error: BaseException | None = None
    # What a client's operation read, for the access log (endpoints/activity.py).
    visits: list[Visit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.viewer)
        self.page_size = self.request.state["settings"].limits_for(self.viewer.role).page_size

    def listed_cases(self) -> None:
        """A client listed their folders (``cases``)."""
        self._visited(Visit(PortalAction.CASE_LIST))

    def viewed_case(self, case_id: uuid.UUID) -> None:
        """A client read a folder (``case(id:)``, ``node(id:)``, ``nodes(ids:)``)."""
        self._visited(Visit(PortalAction.CASE_VIEW, case_id=case_id))

    def _visited(self, visit: Visit) -> None:
        if self.viewer.role is Role.CLIENT and visit not in self.visits:
            self.visits.append(visit)

    def forget_loaded(self) -> None:
        """New DataLoaders, which read rows afresh: a mutation's answer shows its own write,
        not rows that an earlier mutation of the operation loaded before it."""
        self.loaders = Loaders(self.db, self.viewer)

    @property
    def invitations(self) -> InvitationPolicy:
        return self.request.state["invitations"]

    @property
    def mailer(self) -> Mailer | None:
        return self.request.state["mailer"]

    @property
    def store(self) -> Store:
        return self.request.state["store"]

    def download_url(self, document_id: uuid.UUID) -> str:
        return self.request.state["downloads"].url(self.viewer, document_id)

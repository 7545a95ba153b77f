"""The ASGI application: what is made once (the lifespan) and the routes that use it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.types import ExceptionHandler

import tracing
from auth.links import DownloadLinks, PreferenceLinks
from auth.tokens import Signer
from db import activity, migrate
from db.engine import DATABASE_ERRORS, create_engine
from db.invitations import InvitationPolicy
from db.roles import check_runtime_role
from domain.viewer import STAFF_ROLES, Role
from endpoints import (
    authorize,
    court_news,
    downloads,
    errors,
    graphql,
    health,
    invitations,
    metadata,
    metrics,
    passwords,
    portal,
    static,
    token,
)
from endpoints.middleware import Compression, LayeredStarlette, RequestId, cors
from jobs import queue
from mail.smtp import configured_mailer
from postgres import embedded
from resolvers.views import client_schema, staff_schema
from schema.compiled import Compiler
from schema.context import State
from schema.limits import limits_rule
from schema.reads import AnswerCache, Reads
from schema.trusted_documents import Manifests
from settings import Settings
from storage.stores import open_store


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    traces = tracing.exporter()
    if traces is not None:
        tracing.start(traces)
    extra = [tracing.graphql_extension()] if traces else []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        # The embedded server, if used, is restarted when it dies and left on every exit.
        data_dir = settings.data_dir if settings.embedded else None
        async with embedded.supervised(data_dir), resources(app) as state:
            yield state

    @asynccontextmanager
    async def resources(app: Starlette) -> AsyncIterator[State]:
        # The embedded server, if used, is started and migrated here.
        urls = await asyncio.to_thread(embedded.database_urls, settings)
        engine = create_engine(
            urls.runtime,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout=settings.database_pool_timeout,
            statement_timeout=settings.statement_timeout,
            idle_in_transaction_timeout=settings.idle_in_transaction_timeout,
        )
        if traces is not None:
            tracing.trace_engine(engine)
        store = await open_store(
            settings.storage_url,
            data_dir=settings.data_dir,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
        views = {
            True: staff_schema(settings.staff_limits, extra),
            False: client_schema(settings.client_limits, extra),
        }
        manifests = Manifests.load(settings.trusted_documents)
        reads = compiled_reads(settings, engine, views) if settings.compiled_reads else None
        if reads is not None:
            reads.prepare(manifests.documents())
        recorder = activity.Recorder(engine)
        mailer = configured_mailer(settings)
        try:
            await migrate.check_current(engine)
            await check_runtime_role(engine)
            async with (
                recorder.running(),
                metrics.LIVE.watching(engine, reads),
                metrics.apart(
                    settings.metrics_host, settings.metrics_port, engine, settings.metrics_token
                ),
                in_process_worker(settings, engine, urls.runtime),
            ):
                yield {
                    "settings": settings,
                    "engine": engine,
                    "signer": Signer(
                        settings.signing_key,
                        settings.access_token_ttl,
                        issuer=settings.base_url,
                        audience=settings.audience,
                    ),
                    "mailer": mailer,
                    "invitations": InvitationPolicy(settings.base_url, settings.invitation_ttl),
                    "views": {
                        True: graphql.view(views[True], uploads=True),
                        False: graphql.view(views[False], uploads=False),
                    },
                    "store": store,
                    "downloads": DownloadLinks.derive(
                        settings.signing_key,
                        ttl=settings.download_url_ttl,
                        base_url=settings.base_url,
                    ),
                    "preferences": PreferenceLinks.derive(
                        settings.signing_key, base_url=settings.base_url
                    ),
                    "reads": reads,
                    "manifests": manifests,
                    "access_log": recorder,
                }
        finally:
            await store.close()
            await engine.dispose()

    return LayeredStarlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers=HANDLERS,
        # The request id and CORS wrap the error handling too: even a 500 carries them.
        outer=[
            *([Middleware(tracing.request_spans())] if traces else []),
            Middleware(RequestId),
            *cors(settings.cors_origins),
        ],
        middleware=[Middleware(Compression)],
    )


@asynccontextmanager
async def in_process_worker(
    settings: Settings, engine: AsyncEngine, runtime_url: str
) -> AsyncIterator[None]:
    """The job-queue worker in this process, when the settings ask for one."""
    if not settings.in_process_worker:
        yield
        return
    async with queue.worker(queue.resources(settings, engine), runtime_url):
        yield


def compiled_reads(
    settings: Settings, engine: AsyncEngine, views: dict[bool, strawberry.Schema]
) -> Reads:
    """A compiler per role, over the role's view and by its limits."""
    compilers = {}
    for role in Role:
        limits = settings.limits_for(role)
        compilers[role] = Compiler(
            schema=views[role in STAFF_ROLES]._schema,
            role=role,
            dialect=engine.dialect,
            rules=(limits_rule(limits),),
            max_tokens=limits.tokens,
        )
    cache_bytes = settings.answer_cache_mb * 1024 * 1024
    return Reads(
        compilers=compilers,
        page_sizes={role: settings.limits_for(role).page_size for role in Role},
        cache=AnswerCache(cache_bytes) if cache_bytes else None,
    )


ROUTES = [
    *graphql.routes,
    *token.routes,
    *authorize.routes,
    *metadata.routes,
    *invitations.routes,
    *passwords.routes,
    *portal.routes,
    *court_news.routes,
    *metrics.routes,
    *downloads.routes,
    *health.routes,
    *static.routes,
]
HANDLERS: dict[Any, ExceptionHandler] = {
    HTTPException: errors.http_error,
    **dict.fromkeys(DATABASE_ERRORS, errors.database_error),
}

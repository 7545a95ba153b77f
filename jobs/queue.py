"""The job queue (procrastinate, on Causa's own PostgreSQL) and the work it runs.

Jobs are queued in the transaction of the work they follow (db/jobs.py), run by any
worker of any replica (``causa worker``, or the one ``causa serve --demo`` runs), and
retried with backoff when they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from procrastinate import App, Blueprint, JobContext, PsycopgConnector, RetryStrategy
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.links import PreferenceLinks
from db import activity, court_news, invitations, jobs
from db.accounts import act_for_office
from db.invitations import InvitationPolicy
from db.outbox import Renewal
from db.session import transaction
from db.tables import OutboxStatus
from jobs import court_news as news
from mail import delivery
from mail.smtp import Mailer, configured_mailer
from settings import Settings

logger = logging.getLogger("causa.jobs")

# Retried after 2 s, 4 s, 8 s … the twelfth and last retry 68 min after the eleventh:
# 2 h 16 min in all.
MAIL_RETRIES = RetryStrategy(max_attempts=12, exponential_wait=2)
ONE_WEEK = 7 * 24


class NotDelivered(RuntimeError):
    """The SMTP server refused the message or could not be reached; it is tried again."""


@dataclass(frozen=True, slots=True)
class Resources:
    """What the jobs use, made once per worker process."""

    settings: Settings
    engine: AsyncEngine
    mailer: Mailer | None
    links: PreferenceLinks
    renew: Renewal  # an invitation's e-mail, sent again with a new link


def resources(settings: Settings, engine: AsyncEngine) -> Resources:
    return Resources(
        settings=settings,
        engine=engine,
        mailer=configured_mailer(settings),
        links=PreferenceLinks.derive(settings.signing_key, base_url=settings.base_url),
        renew=invitations.renewal(InvitationPolicy(settings.base_url, settings.invitation_ttl)),
    )


def connector_url(runtime_url: str) -> str:
    """The runtime role's URL as libpq (psycopg) takes it."""
    return make_url(runtime_url).set(drivername="postgresql").render_as_string(hide_password=False)


def new_app(runtime_url: str) -> App:
    """The queue's app on ``runtime_url`` (a SQLAlchemy URL), with Causa's tasks."""
    connector = PsycopgConnector(conninfo=connector_url(runtime_url), min_size=1, max_size=4)
    app = App(connector=connector)
    app.add_tasks_from(tasks, namespace="")
    return app


def _resources(context: JobContext) -> Resources:
    resources: Resources = context.additional_context["causa"]
    return resources


tasks = Blueprint()


@tasks.task(name=jobs.DELIVER_MAIL, pass_context=True, retry=MAIL_RETRIES)
async def deliver_mail(context: JobContext, office_id: str, message_id: str) -> None:
    """Send one message of the outbox (an invitation with a new link: the outbox keeps
    none); a refusal is recorded there and tried again."""
    resources = _resources(context)
    if resources.mailer is None:
        logger.info("no SMTP server (CAUSA_SMTP_URL): message %s stays in the outbox", message_id)
        return
    office, message = uuid.UUID(office_id), uuid.UUID(message_id)
    async with transaction(resources.engine) as db:
        await act_for_office(db, office_id=office)
        row = await delivery.deliver_queued(
            db,
            office_id=office,
            message_id=message,
            mailer=resources.mailer,
            renew=resources.renew,
        )
    if row is not None and row["status"] == OutboxStatus.FAILED:
        # named by its id: the server's answer, which may quote the address, stays in the
        # outbox, out of the job's log line
        raise NotDelivered(f"message {message_id} was not delivered; the outbox says why")


@tasks.task(name=court_news.TASK, pass_context=True, retry=RetryStrategy(max_attempts=5, wait=30))
async def send_court_news(context: JobContext, office_id: str) -> None:
    """Queue the e-mails about the office's court news that are due."""
    resources = _resources(context)
    office = uuid.UUID(office_id)
    async with transaction(resources.engine) as db:
        await act_for_office(db, office_id=office)
        queued = await news.send(db, office_id=office, links=resources.links)
    if queued:
        logger.info("court news: %d e-mails queued for office %s", queued, office_id)


@tasks.periodic(cron="* * * * *", periodic_id="court-news")
@tasks.task(name="causa.court_news_sweep", pass_context=True)
async def court_news_sweep(context: JobContext, timestamp: int) -> None:
    """Every minute: wake the news of every office that has some waiting (news held back
    by the ten quiet minutes, or queued by a process that died before its job ran)."""
    async with transaction(_resources(context).engine) as db:
        for office_id in await court_news.offices_with_news(db):
            await court_news.wake(db, office_id=office_id, gather=False)


@tasks.periodic(cron="17 3 * * *", periodic_id="access-log")
@tasks.task(name="causa.purge_access_log", pass_context=True)
async def purge_access_log(context: JobContext, timestamp: int) -> None:
    """Every night: the access log's records past their retention go."""
    resources = _resources(context)
    days = resources.settings.access_log_retention_days
    async with transaction(resources.engine) as db:
        purged = await activity.purge(db, keep_days=days)
    logger.info("access log: %d records older than %d days deleted", purged, days)


@tasks.periodic(cron="47 3 * * *", periodic_id="old-jobs")
@tasks.task(name="causa.remove_old_jobs", pass_context=True)
async def remove_old_jobs(context: JobContext, timestamp: int) -> None:
    """Every night: finished jobs older than a week go (the outbox keeps the e-mails)."""
    await context.app.job_manager.delete_old_jobs(nb_hours=ONE_WEEK, include_failed=True)


async def run_worker(resources: Resources, runtime_url: str, *, concurrency: int) -> None:
    """A worker, until the process is told to stop (SIGINT, SIGTERM)."""
    app = new_app(runtime_url)
    async with app.open_async():
        await app.run_worker_async(concurrency=concurrency, additional_context={"causa": resources})


@asynccontextmanager
async def worker(
    resources: Resources, runtime_url: str, *, concurrency: int = 2
) -> AsyncIterator[None]:
    """A worker running in this process's event loop while the block runs."""
    app = new_app(runtime_url)
    async with app.open_async():
        running = asyncio.create_task(
            app.run_worker_async(
                concurrency=concurrency,
                install_signal_handlers=False,
                additional_context={"causa": resources},
            )
        )
        try:
            yield
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

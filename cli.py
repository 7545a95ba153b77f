"""Causa: the GraphQL API of a law office, and its clients' portal."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import logs
from settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from tqdm import tqdm

    from court.datajud import ImportReport

T = TypeVar("T")
IMPORT_BATCH = 200  # processes per transaction of import-datajud


def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``work`` on an engine of the runtime role (the embedded server migrated)."""
    from db import migrate
    from db.engine import create_engine
    from postgres.embedded import database_urls

    urls = database_urls(settings)
    if settings.embedded:
        migrate.upgrade(urls.owner)

    async def run() -> T:
        engine = create_engine(urls.runtime, pool_size=1)
        try:
            await migrate.check_current(engine)
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _in_transaction(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    """Run ``work`` in one transaction as the runtime role."""
    from db.session import transaction

    async def in_one(engine: AsyncEngine) -> T:
        async with transaction(engine) as db:
            return await work(db)

    return _with_engine(settings, in_one)


async def _check_ready(url: str) -> None:
    from db import migrate
    from db.engine import create_engine
    from db.roles import check_runtime_role

    engine = create_engine(url, pool_size=1)
    try:
        await migrate.check_current(engine)
        await check_runtime_role(engine)
    finally:
        await engine.dispose()


def serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from app import create_app

    if args.workers > 1 and settings.metrics_port is not None:
        # each process would serve its own figures there, and all but one fail to bind it
        raise ConfigurationError(
            "CAUSA_METRICS_PORT serves one process's metrics, and --workers starts several: "
            "run one process per container, each scraped, or leave CAUSA_METRICS_PORT unset"
        )
    _check_free(args.host, args.port)
    if args.demo:
        seed_demo(settings, args)
        settings = settings.model_copy(update={"in_process_worker": True})
    elif settings.database_url:
        asyncio.run(_check_ready(settings.database_url))
    served = served_url(args.host, args.port)
    if "public_url" not in settings.model_fields_set:
        # the links Causa writes (invitations, downloads, its OAuth issuer) lead here
        settings = settings.model_copy(update={"public_url": served})
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": settings.log_level.lower(),
        "log_config": None,  # logs.py's handlers, set up in main()
        "access_log": False,  # each request's line is Causa's own (endpoints/middleware.py)
        **forwarded_headers(settings),
    }
    if args.workers > 1:
        # Each worker process makes its own app from the environment (app_factory).
        os.environ["CAUSA_PUBLIC_URL"] = settings.public_url
        if args.demo:
            os.environ["CAUSA_IN_PROCESS_WORKER"] = "true"
        print(f"GraphiQL: {served}/graphql", flush=True)
        uvicorn.run("cli:app_factory", factory=True, workers=args.workers, **options)
        return

    class Answering(uvicorn.Server):
        """uvicorn's server, giving GraphiQL's address once it answers, not before."""

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                print(f"GraphiQL: {served}/graphql", flush=True)

    server = Answering(uvicorn.Config(create_app(settings), **options))
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the app did not start (its error is logged)


def _check_free(host: str, port: int) -> None:
    """Refuses, before anything starts, an address this process could not listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            hint = ": choose another with --port" if error.errno == errno.EADDRINUSE else ""
            raise ConfigurationError(
                f"cannot listen on {served_url(host, port)} ({error.strerror}){hint}"
            ) from None


def served_url(host: str, port: int) -> str:
    """Where this machine reaches ``causa serve --host host --port port``."""
    if host in {"", "0.0.0.0"}:  # noqa: S104  (naming the address, not binding to it)
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def app_factory() -> Any:
    """The app of one of ``serve --workers``'s processes, its logs set up as main() does."""
    from app import create_app

    settings = Settings()
    logs.configure(settings.log_format, settings.log_level)
    return create_app(settings)


def worker(settings: Settings, args: argparse.Namespace) -> None:
    """Run the job queue's worker: e-mail delivery, court news, the nightly purges."""
    from db import migrate
    from db.engine import create_engine
    from jobs import queue
    from postgres import embedded

    async def run() -> None:
        async with embedded.supervised(settings.data_dir if settings.embedded else None):
            urls = await asyncio.to_thread(embedded.database_urls, settings)
            engine = create_engine(urls.runtime, pool_size=args.concurrency)
            try:
                await migrate.check_current(engine)
                resources = queue.resources(settings, engine)
                print(f"Worker running ({args.concurrency} jobs at a time).", flush=True)
                await queue.run_worker(resources, urls.runtime, concurrency=args.concurrency)
            finally:
                await engine.dispose()

    asyncio.run(run())


def forwarded_headers(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for X-Forwarded-For and -Proto: believed from CAUSA_TRUSTED_PROXIES only.

    uvicorn by itself believes them from 127.0.0.1 (or FORWARDED_ALLOW_IPS), so that
    anything on the same host could pose as any client to the login throttle.
    """
    trusted = list(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


def migrate_command(settings: Settings, args: argparse.Namespace) -> None:
    from db import migrate
    from postgres.embedded import database_urls

    migrate.upgrade(database_urls(settings).owner)
    print("The database is up to date.")


def make_migration(settings: Settings, args: argparse.Namespace) -> None:
    from db import migrate
    from postgres.embedded import database_urls

    url = database_urls(settings).owner
    migrate.upgrade(url)
    migrate.make_revision(url, args.message)


def create_admin(settings: Settings, args: argparse.Namespace) -> None:
    from db import offices
    from db.session import Db
    from domain.viewer import Role

    password = args.password or os.environ.get("CAUSA_ADMIN_PASSWORD")
    if not password:
        raise SystemExit("causa: give --password or set CAUSA_ADMIN_PASSWORD")

    async def work(db: Db) -> str:
        office = await offices.ensure_office(db, name=args.office)
        await offices.create_account(
            db,
            office_id=office["id"],
            email=args.email,
            name=args.name or args.email,
            role=Role.ADMIN,
            password=password,
        )
        return str(office["slug"])

    slug = _in_transaction(settings, work)
    print(f"Administrator {args.email} created in office {args.office!r} (slug {slug}).")


def oauth_client(settings: Settings, args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from db import oauth_clients
    from db.session import Db
    from db.tables import OAuthClientType, offices
    from domain.errors import InvalidValue

    async def work(db: Db) -> tuple[str, str | None]:
        office_id = await db.scalar(sa.select(offices.c.id).where(offices.c.slug == args.office))
        if office_id is None:
            raise InvalidValue(
                "office",
                f"No office has the slug {args.office!r} (`causa create-admin` prints it).",
            )
        row, secret = await oauth_clients.register_for_office(
            db,
            office_id=office_id,
            name=args.name,
            type=OAuthClientType(args.type),
            redirect_uris=args.redirect_uri,
        )
        return row["client_id"], secret

    client_id, secret = _in_transaction(settings, work)
    print(f"client_id: {client_id}")
    if secret is not None:
        print(f"client_secret: {secret}")
        print("Keep the secret now: it is not stored and cannot be shown again.")


def purge_access_log(settings: Settings, args: argparse.Namespace) -> None:
    """Delete the access log's records older than CAUSA_ACCESS_LOG_RETENTION_DAYS."""
    from db import activity
    from db.session import Db

    days = settings.access_log_retention_days

    async def work(db: Db) -> int:
        return await activity.purge(db, keep_days=days)

    purged = _in_transaction(settings, work)
    print(f"Access log: {purged} records older than {days} days deleted.")


def seed_demo(settings: Settings, args: argparse.Namespace) -> None:
    from demo import seed as demo

    logins = _in_transaction(settings, demo.seed)
    print("Demo office ready. Sign in with:")
    for login in logins:
        print(f"  {login.role:<7} {login.email:<32} password: {login.password}")


class _Progress:
    """A binary file whose reads advance a progress bar of bytes.

    It offers only ``read``, so that ijson reads through it rather than by ``readinto``.
    """

    def __init__(self, file: BinaryIO, bar: tqdm) -> None:
        self._file = file
        self._bar = bar

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._file.read(size)
        self._bar.update(len(chunk))
        return chunk


def import_datajud(settings: Settings, args: argparse.Namespace) -> None:
    """Import a DataJud file into an office's folders, one transaction per batch of processes.

    Batches keep transactions (and the locks on the folders they fill) short on a file of
    hundreds of MB. Each process lands whole or not at all, and importing again adds only
    what is missing, so a file that stops short can be imported again once complete.
    """
    from tqdm import tqdm

    path = Path(args.file)
    try:
        file = path.open("rb")
    except OSError as error:
        raise SystemExit(f"causa: cannot read {path}: {error.strerror}") from None
    bar = tqdm(
        total=os.fstat(file.fileno()).st_size,
        desc=path.name,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=None,  # no bar when stderr is not a terminal
    )
    with file, bar:
        report = _with_engine(settings, _importer(_Progress(file, bar), args.office))
    _print_report(report)


def _importer(stream: _Progress, slug: str) -> Callable[[AsyncEngine], Awaitable[ImportReport]]:
    from court import datajud, imports
    from db import court
    from db.session import act_as, transaction

    async def work(engine: AsyncEngine) -> ImportReport:
        async with transaction(engine) as db:
            viewer = await court.office_importer(db, slug=slug)
        report = datajud.ImportReport()
        processes = datajud.read_stream(stream)
        try:
            while batch := list(islice(processes, IMPORT_BATCH)):
                async with transaction(engine) as db:
                    await act_as(db, viewer)
                    await imports.import_processes(
                        db, viewer=viewer, processes=batch, report=report
                    )
        except datajud.NotDataJud as error:
            if not report.processes:
                raise
            raise datajud.NotDataJud(
                f"{error} The {report.processes} processes before it were imported; "
                "importing the whole file again adds only what is missing."
            ) from None
        return report

    return work


def _print_report(report: ImportReport) -> None:
    print(f"Processes read: {report.processes}, matched to folders: {report.matched}.")
    added, present = report.movements_added, report.movements_already_present
    print(f"Movements added: {added}, already present: {present}.")
    print(f"Case fields filled: {report.fields_filled}.")
    if report.unmatched:
        print(f"No folder has these CNJ numbers ({len(report.unmatched)}):")
        for number in report.unmatched:
            print(f"  {number}")
    if report.errors:
        print(f"Rejected, nothing of them imported ({len(report.errors)}):")
        for rejected in report.errors:
            print(f"  {rejected}")


def check_config(settings: Settings, args: argparse.Namespace) -> None:
    """Print every setting as Causa reads it (a refused one stops before this, in main)."""
    from settings import effective

    for name, value, origin in effective(settings):
        print(f"{name}={value}  ({origin})")


def export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from resolvers.views import client_schema, staff_schema

    schema = client_schema() if args.view == "client" else staff_schema()
    sys.stdout.write(schema.as_str() + "\n")


def _at_least_one(option: str) -> Callable[[str], int]:
    def number(value: str) -> int:
        given = int(value) if value.lstrip("-").isdigit() else 0
        if given < 1:
            raise argparse.ArgumentTypeError(f"{option} must be 1 or more, not {value}")
        return given

    return number


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="causa",
        description=__doc__,
        epilog="Settings come from CAUSA_* environment variables: `causa check-config` "
        "prints them, README.md explains each.",
    )
    commands = root.add_subparsers(dest="command", required=True)

    command = commands.add_parser(
        "serve",
        help="run the API (GraphiQL at /graphql)",
        description="Serve the GraphQL API, GraphiQL, the portal and the sign-in pages. "
        "Without CAUSA_DATABASE_URL, on an embedded PostgreSQL in CAUSA_DATA_DIR; links "
        "in e-mails point at CAUSA_PUBLIC_URL, or at this host and port when it is unset.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    command.add_argument("--port", type=int, default=8000, help="the port to listen on")
    command.add_argument("--demo", action="store_true", help="create the demo office first")
    command.add_argument(
        "--workers",
        type=_at_least_one("--workers"),
        default=1,
        help="processes answering requests on the one port",
    )
    command.set_defaults(run=serve)

    command = commands.add_parser(
        "worker", help="run the job queue's worker (e-mail, court news, purges)"
    )
    command.add_argument(
        "--concurrency", type=_at_least_one("--concurrency"), default=4, help="jobs at a time"
    )
    command.set_defaults(run=worker)

    commands.add_parser("migrate", help="apply the schema migrations").set_defaults(
        run=migrate_command
    )

    command = commands.add_parser("make-migration", help="write a migration from the models")
    command.add_argument("message")
    command.set_defaults(run=make_migration)

    command = commands.add_parser("create-admin", help="create an office's administrator")
    command.add_argument("--office", required=True, help="office name (created if missing)")
    command.add_argument("--email", required=True)
    command.add_argument("--password", help="or set CAUSA_ADMIN_PASSWORD")
    command.add_argument("--name", help="display name (default: the e-mail)")
    command.set_defaults(run=create_admin)

    command = commands.add_parser("oauth-client", help="register an app that signs accounts in")
    command.add_argument("--office", required=True, help="the office's slug")
    command.add_argument("--name", required=True, help="the app's name, shown on sign-in")
    command.add_argument("--type", required=True, choices=["public", "confidential"])
    command.add_argument(
        "--redirect-uri", required=True, nargs="+", help="https, http on loopback, or app.scheme:/"
    )
    command.set_defaults(run=oauth_client)

    commands.add_parser(
        "seed-demo", help="create the demo office and print its logins"
    ).set_defaults(run=seed_demo)
    commands.add_parser(
        "purge-access-log",
        help="delete the access log's records older than CAUSA_ACCESS_LOG_RETENTION_DAYS",
    ).set_defaults(run=purge_access_log)
    command = commands.add_parser(
        "import-datajud", help="import a DataJud answer's court movements into an office"
    )
    command.add_argument("file", help="a DataJud public-API answer (JSON)")
    command.add_argument("--office", required=True, help="the office's slug")
    command.set_defaults(run=import_datajud)
    command = commands.add_parser(
        "check-config", help="print the settings as read from CAUSA_* (secrets masked)"
    )
    command.set_defaults(run=check_config)
    command = commands.add_parser("export-schema", help="print the GraphQL SDL")
    command.add_argument(
        "--view",
        choices=["staff", "client"],
        default="staff",
        help="the full schema (schema.graphql) or what a client sees (schema.client.graphql)",
    )
    command.set_defaults(run=export_schema)
    return root


def _exit_on_signal(number: int, frame: object) -> None:
    """SIGTERM ends the command as an exception would, so that the embedded server it
    started is left (and stopped, if nothing else uses it) on the way out. While serving,
    uvicorn takes the signal first, shuts down, and raises it again here."""
    raise SystemExit(128 + number)


def main(argv: Sequence[str] | None = None) -> None:
    from pydantic import ValidationError

    signal.signal(signal.SIGTERM, _exit_on_signal)
    args = parser().parse_args(argv)
    try:
        settings = Settings()
        # A one-off command prints its own result: the libraries' INFO lines (alembic's,
        # say) would only bury it, unless CAUSA_LOG_LEVEL asks for them.
        service = args.run in (serve, worker) or "log_level" in settings.model_fields_set
        logs.configure(settings.log_format, settings.log_level if service else "WARNING")
        args.run(settings, args)
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise SystemExit(130) from None  # Ctrl-C: stopped as asked, nothing to report
    except ConfigurationError as error:
        raise SystemExit(f"causa: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"CAUSA_{'_'.join(map(str, problem['loc'])).upper()}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SystemExit(f"causa: invalid configuration: {problems}") from None
    except Exception as error:
        from sqlalchemy.exc import DBAPIError

        from db.migrate import MigrationRefused, NotMigrated
        from db.roles import UnsafeRole
        from domain.errors import InvalidValue

        if isinstance(error, InvalidValue | NotMigrated | UnsafeRole | MigrationRefused):
            raise SystemExit(f"causa: {error}") from None
        if isinstance(error, OSError | DBAPIError):
            raise SystemExit(f"causa: cannot reach the database: {error}") from None
        raise


if __name__ == "__main__":
    main()

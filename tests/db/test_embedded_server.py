"""The embedded PostgreSQL's life: restarted when it dies, recovered from stale lock files,
stopped when the last process using it leaves, however it leaves."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import create_engine
from postgres import embedded
from postgres.embedded import EmbeddedServer, postmaster
from tests.processes import ROOT, causa_env, causa_serving, server_processes


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """A data directory of this module's tests, made (initdb) once. Not one of pytest's
    numbered folders, which pytest removes while a server may be running in them."""
    return Path(tempfile.mkdtemp(prefix="causa-embedded-")) / "data"


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie has)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


async def answers(url: str) -> bool:
    """Whether the server of ``url`` accepts a connection and answers a query."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return bool((await connection.execute(text("SELECT 1"))).scalar() == 1)
    except (OSError, DBAPIError):
        return False
    finally:
        await engine.dispose()


async def test_a_killed_server_is_started_again_while_supervised(data_dir: Path) -> None:
    async with embedded.supervised(data_dir, interval=0.2):
        server = embedded.server(data_dir)
        urls = await asyncio.to_thread(server.open)
        killed = postmaster(server.pgdata)
        assert killed is not None
        killed.kill()
        await asyncio.to_thread(killed.wait, 10)

        began = time.monotonic()
        while not await answers(urls.runtime):
            assert time.monotonic() - began < 20, "not answering 20 s after the kill"
            await asyncio.sleep(0.05)
        assert postmaster(server.pgdata).pid != killed.pid  # type: ignore[union-attr]
    assert server_processes(server.pgdata) == []


async def test_a_pid_file_naming_another_program_is_cleared_at_start(data_dir: Path) -> None:
    server = EmbeddedServer(data_dir)
    await asyncio.to_thread(server.open)
    pid_file = server.pgdata / "postmaster.pid"
    lines = pid_file.read_text().split("\n")
    server.close()
    assert server_processes(server.pgdata) == []
    other = await asyncio.create_subprocess_exec("sleep", "60")  # the number it names
    try:
        pid_file.write_text("\n".join([str(other.pid), *lines[1:]]))
        (Path(lines[4]) / f".s.PGSQL.{lines[3]}.lock").write_text(f"{other.pid}\n")

        urls = await asyncio.to_thread(server.open)

        assert await answers(urls.runtime)
        assert postmaster(server.pgdata).pid != other.pid  # type: ignore[union-attr]
        assert other.returncode is None  # left alone
    finally:
        server.close()
        other.kill()
        await other.wait()
    assert server_processes(server.pgdata) == []


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stopped_by_a_signal_leaves_no_postgres_process(
    data_dir: Path, stop: signal.Signals
) -> None:
    pgdata = data_dir.resolve() / "pgdata"
    with causa_serving(data_dir) as (process, _):
        server = postmaster(pgdata)
        assert server is not None
        process.send_signal(stop)
        assert process.wait(timeout=60) in {0, 128 + stop}

    assert gone(server.pid)
    assert not Path(f"/proc/{server.pid}").exists() or gone(server.pid)
    assert not (pgdata / "postmaster.pid").exists()
    assert server_processes(pgdata) == []


def test_a_command_run_while_serving_leaves_the_server_to_serve(data_dir: Path) -> None:
    pgdata = data_dir.resolve() / "pgdata"
    with causa_serving(data_dir) as (process, base):
        server = postmaster(pgdata)
        assert server is not None

        migrate = subprocess.run(
            [sys.executable, "-m", "cli", "migrate"],
            cwd=ROOT,
            env=causa_env(data_dir),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        assert migrate.returncode == 0, migrate.stderr
        assert postmaster(pgdata).pid == server.pid  # type: ignore[union-attr]
        assert httpx.get(f"{base}/readyz").status_code == 200
        process.terminate()
        process.wait(timeout=60)
    assert server_processes(pgdata) == []

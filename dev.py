#!/usr/bin/env python3
"""One command per common task; needs only Python 3.11+.

    python3 dev.py demo                 run Causa with demo data (embedded PostgreSQL)
    python3 dev.py test [pytest args]   run the whole test suite
    python3 dev.py serve [causa args]   run Causa (see `causa serve --help`)
    python3 dev.py lint                 ruff format + ruff check --fix + mypy + lint-imports
    python3 dev.py schema               rewrite schema.graphql and schema.client.graphql
    python3 dev.py migration MESSAGE    write a migration from the changed tables
    python3 dev.py causa ARGS...        any other `causa` command
    python3 dev.py bench WHAT           print speed and memory figures (see bench.py)
    python3 dev.py lock                 write requirements/*.lock again from pyproject.toml

The first run creates .venv and installs into it exactly what a lock file in
requirements/ names, checked by hash: `demo` the service and the embedded PostgreSQL
(demo.lock), every other task the test and lint tools too (dev.lock). Later runs
reinstall only when pyproject.toml or a lock file changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".causa-installed"
LOCKS = ROOT / "requirements"
# Each lock file: the extras of pyproject.toml it holds.
KITS = {"demo": "embedded", "server": "s3", "dev": "dev"}


def ensure_environment(kit: str) -> None:
    """.venv with ``kit``'s lock installed (``dev`` holds ``demo``'s too)."""
    if sys.version_info < (3, 11):  # noqa: UP036  (says so clearly on an older Python)
        sys.exit(f"Causa needs Python 3.11 or newer, not {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    for lock in sorted(LOCKS.glob("*.lock")):
        digest.update(lock.read_bytes())
    have = STAMP.read_text().split() if STAMP.exists() else []
    if have[1:] == [digest.hexdigest()] and have[0] in {kit, "dev"}:
        return
    what = "Causa" if kit == "demo" else "Causa and its development tools"
    print(f"Installing {what} into .venv (requirements/{kit}.lock) ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--require-hashes", "-r", str(LOCKS / f"{kit}.lock")], check=True)
    install_project(str(BIN / "python")).check_returncode()
    STAMP.write_text(f"{kit} {digest.hexdigest()}")
    print("Installed.", flush=True)


def install_project(python: str) -> subprocess.CompletedProcess[bytes]:
    """Causa itself, editable (the code in this folder is what runs), quietly: setuptools'
    warnings about editable installs are for package authors, not for whoever runs this."""
    command = [python, "-m", "pip", "install", "--quiet", "--no-deps", "--editable", str(ROOT)]
    return subprocess.run(command, env={**os.environ, "PYTHONWARNINGS": "ignore"}, check=False)


def lock() -> int:
    """requirements/<kit>.lock for each kit: every package pinned with its hashes, for
    Python 3.11 and newer on any platform."""
    for kit, extra in KITS.items():
        command = [str(BIN / "uv"), "pip", "compile", "pyproject.toml", "--extra", extra]
        command += ["--generate-hashes", "--universal", "--python-version", "3.11", "--quiet"]
        if subprocess.call([*command, "-o", f"requirements/{kit}.lock"], cwd=ROOT):
            return 1
    return 0


def run(*command: str) -> int:
    return subprocess.call([str(BIN / command[0]), *command[1:]], cwd=ROOT)


TASKS = {"demo", "test", "lint", "lock", "serve", "schema", "migration", "causa", "bench"}


def main(args: list[str]) -> int:
    task, rest = (args[0], args[1:]) if args else ("help", [])
    if task in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    if task not in TASKS:  # before anything is installed for it
        print(f"unknown task {task!r}\n{__doc__}", file=sys.stderr)
        return 2
    ensure_environment("demo" if task == "demo" else "dev")
    if task == "lock":
        return lock()
    if task == "demo":
        return run("causa", "serve", "--demo", *rest)
    if task == "serve":
        return run("causa", "serve", *rest)
    if task == "test":
        return run("python", "-m", "pytest", *rest)
    if task == "lint":
        return (
            run("ruff", "format", ".")
            or run("ruff", "check", "--fix", ".")
            or run("mypy", ".")
            or run("lint-imports")
        )
    if task == "schema":
        for view, name in (("staff", "schema.graphql"), ("client", "schema.client.graphql")):
            with (ROOT / name).open("w") as out:
                command = [str(BIN / "causa"), "export-schema", "--view", view]
                if subprocess.call(command, cwd=ROOT, stdout=out):
                    return 1
        return 0
    if task == "migration":
        return run("causa", "make-migration", *rest)
    if task == "causa":
        return run("causa", *rest)
    assert task == "bench"
    return run("python", str(ROOT / "bench.py"), *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

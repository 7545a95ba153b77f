"""Causa and its embedded PostgreSQL as processes of their own, for the tests of their life."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]


def server_processes(pgdata: Path) -> list[int]:
    """The live processes working in ``pgdata``: a server's postmaster and its children."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() != psutil.STATUS_ZOMBIE and process.cwd() == str(pgdata):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def causa_env(data_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CAUSA_")}
    return {**environment, "CAUSA_DATA_DIR": str(data_dir)}


def wait_until_ready(
    process: subprocess.Popen[Any], base: str, said: Callable[[], str] = lambda: ""
) -> None:
    """Until ``causa serve`` at ``base`` answers /readyz 200; it must not end meanwhile
    (``said``: what it wrote, for the failure's message), nor take over 60 s."""
    began = time.monotonic()
    while True:
        assert process.poll() is None, said()
        assert time.monotonic() - began < 60, "causa serve did not answer in 60 s"
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)


@contextmanager
def causa_serving(data_dir: Path, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``causa serve`` in a process of its own on the embedded server of ``data_dir``,
    answering; stopped by SIGTERM at the end if a test left it running."""
    port = free_port()
    log = data_dir.parent / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env=causa_env(data_dir),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base, lambda: log.read_text())
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

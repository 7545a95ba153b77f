#!/usr/bin/env python3
"""Figures for the README and the notes, measured on this machine (not a test).

    python3 dev.py bench documents [--megabytes 200]
        upload and download throughput of one large file through a running server,
        and the server's peak memory while doing it.

The server runs as `causa serve` in a process of its own, on an embedded PostgreSQL in
a temporary folder; its peak memory is the kernel's high-water mark (VmHWM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent
CAUSA = str(Path(sys.executable).parent / "causa")
EMAIL, PASSWORD = "bench@causa.example", "bench password for figures 2026"
UPLOAD = (
    "mutation($f: Upload!, $c: ID!) { uploadDocument(caseId: $c, file: $f, source: COURT) "
    "{ sizeBytes downloadUrl } }"
)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _peak_megabytes(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def server(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    subprocess.run(
        [CAUSA, "create-admin", "--office", "Bench", "--email", EMAIL, "--password", PASSWORD],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _port()
    process = subprocess.Popen(
        [CAUSA, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def documents(megabytes: int) -> None:
    with tempfile.TemporaryDirectory(prefix="causa-bench-") as folder:
        env = {
            **os.environ,
            "CAUSA_DATA_DIR": folder,
            "CAUSA_MAX_UPLOAD_BYTES": str((megabytes + 10) * 1024 * 1024),
            "CAUSA_PUBLIC_URL": "http://127.0.0.1",
        }
        env.pop("CAUSA_DATABASE_URL", None)
        big = Path(folder) / "big.pdf"
        with big.open("wb") as out:
            out.write(b"%PDF-1.7\n")
            for _ in range(megabytes):
                out.write(os.urandom(1024 * 1024))
        size = big.stat().st_size
        with server(env) as (base, process), httpx.Client(base_url=base, timeout=600) as http:
            token = http.post(
                "/auth/token",
                data={"grant_type": "password", "username": EMAIL, "password": PASSWORD},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            created = http.post(
                "/graphql",
                json={"query": 'mutation { createCase(input: {title: "Bench"}) { id } }'},
                headers=headers,
            ).json()
            case_id = created["data"]["createCase"]["id"]
            idle = _peak_megabytes(process.pid)
            operations = {"query": UPLOAD, "variables": {"f": None, "c": case_id}}
            started = time.perf_counter()
            with big.open("rb") as source:
                answer = http.post(
                    "/graphql",
                    data={"operations": json.dumps(operations), "map": '{"0": ["variables.f"]}'},
                    files={"0": ("big.pdf", source, "application/pdf")},
                    headers=headers,
                ).json()
            upload_seconds = time.perf_counter() - started
            document = answer["data"]["uploadDocument"]
            assert document["sizeBytes"] == size, answer
            url = document["downloadUrl"].replace("http://127.0.0.1", base)
            started, received = time.perf_counter(), 0
            with http.stream("GET", url) as response:
                for chunk in response.iter_bytes(1024 * 1024):
                    received += len(chunk)
            download_seconds = time.perf_counter() - started
            assert received == size
            peak = _peak_megabytes(process.pid)
        mb = size / (1024 * 1024)
        print(f"file: {mb:.0f} MB")
        print(f"upload:   {upload_seconds:6.2f} s  {mb / upload_seconds:7.1f} MB/s")
        print(f"download: {download_seconds:6.2f} s  {mb / download_seconds:7.1f} MB/s")
        print(f"server peak memory (VmHWM): {idle:.0f} MB before, {peak:.0f} MB after")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("documents", help="upload/download throughput and memory")
    command.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args(argv)
    if args.command == "documents":
        documents(args.megabytes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

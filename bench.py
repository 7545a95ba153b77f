#!/usr/bin/env python3
"""Figures for the README and the notes, measured on this machine (not a test).

    python3 dev.py bench documents [--megabytes 200]
        upload and download throughput of one large file through a running server,
        and the server's peak memory while doing it.
    python3 dev.py bench datajud [--processes 1000] [--movements 100]
        `causa import-datajud` on a generated DataJud file: movements per second and
        the command's peak memory.
    python3 dev.py bench slow-uploads [--uploads 25]
        the latency of other requests (GraphQL, the token endpoint) while that many
        uploads trickle in one byte every 2 seconds.

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
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _sign_in(http: httpx.Client) -> dict[str, Any]:
    """The bench admin's grant: access and refresh tokens."""
    grant: dict[str, Any] = http.post(
        "/auth/token", data={"grant_type": "password", "username": EMAIL, "password": PASSWORD}
    ).json()
    return grant


def _new_case(http: httpx.Client, headers: dict[str, str], cnj_number: str | None = None) -> str:
    created = http.post(
        "/graphql",
        json={
            "query": "mutation($n: String) { createCase(input: "
            '{title: "Bench", cnjNumber: $n}) { id } }',
            "variables": {"n": cnj_number},
        },
        headers=headers,
    )
    created.raise_for_status()
    case_id: str = created.json()["data"]["createCase"]["id"]
    return case_id


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
            out.write(b"\n%%EOF\n")  # a PDF ends there: nothing may follow
        size = big.stat().st_size
        with server(env) as (base, process), httpx.Client(base_url=base, timeout=600) as http:
            headers = {"Authorization": f"Bearer {_sign_in(http)['access_token']}"}
            case_id = _new_case(http, headers)
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
            assert answer.get("data"), answer
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


def _datajud_file(path: Path, numbers: list[str], movements: int) -> None:
    """A DataJud answer with ``movements`` movements for each process, written streaming."""
    with path.open("w") as out:
        out.write('{"hits": {"hits": [')
        for n, number in enumerate(numbers):
            moves = [
                {
                    "codigo": 11010 + m % 7,
                    "nome": "Mero expediente",
                    "dataHora": f"2023-{1 + m % 12:02d}-{1 + m % 28:02d}T10:{m % 60:02d}:00.000Z",
                    "complementosTabelados": [
                        {"codigo": 3, "valor": m, "nome": f"item {m}", "descricao": "x"}
                    ],
                }
                for m in range(movements)
            ]
            source = {
                "numeroProcesso": number.replace("-", "").replace(".", ""),
                "movimentos": moves,
            }
            out.write(("," if n else "") + json.dumps({"_source": source}))
        out.write("]}}")


def _run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, peak memory (MB, the kernel's high-water mark) and output of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0
    while process.poll() is None:
        with contextlib.suppress(OSError):
            peak = max(peak, _peak_megabytes(process.pid))
        time.sleep(0.05)
    output = (process.stdout.read() if process.stdout else b"").decode()
    return time.perf_counter() - started, peak, output


def datajud(processes: int, movements: int) -> None:
    from domain.validators import make_cnj

    numbers = [make_cnj(n + 1, 2023, 8, 26, 100) for n in range(processes)]
    with tempfile.TemporaryDirectory(prefix="causa-bench-") as folder:
        env = {**os.environ, "CAUSA_DATA_DIR": folder}
        env.pop("CAUSA_DATABASE_URL", None)
        with server(env) as (base, _), httpx.Client(base_url=base, timeout=60) as http:
            headers = {"Authorization": f"Bearer {_sign_in(http)['access_token']}"}
            for number in numbers:
                _new_case(http, headers, number)
        path = Path(folder) / "datajud.json"
        _datajud_file(path, numbers, movements)
        megabytes = path.stat().st_size / 2**20
        command = [CAUSA, "import-datajud", str(path), "--office", "bench"]
        seconds, peak, output = _run_measured(command, env)
        again, _, repeated = _run_measured(command, env)
    total = processes * movements
    print(f"{processes} processes x {movements} movements = {total} movements, {megabytes:.0f} MB")
    print(f"import:    {seconds:6.1f} s  {total / seconds:8.0f} movements/s  peak {peak:.0f} MB")
    print(f"reimport:  {again:6.1f} s  (adds nothing)")
    print(output.strip())
    print("again:", " ".join(repeated.split()[:12]))


def _trickling_upload(base: str, token: str, case_id: str) -> socket.socket:
    """An upload whose headers are sent and whose body then arrives a byte at a time."""
    operations = json.dumps({"query": UPLOAD, "variables": {"f": None, "c": case_id}})
    body = (
        b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        + operations.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        + b'{"0": ["variables.f"]}\r\n--b\r\nContent-Disposition: form-data; name="0"; '
        + b'filename="slow.pdf"\r\n\r\n%PDF-1.7\n'
        + b"x" * 1000
        + b"\r\n--b--\r\n"
    )
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:200]
    )
    return sock


def slow_uploads(uploads: int) -> None:
    with tempfile.TemporaryDirectory(prefix="causa-bench-") as folder:
        env = {**os.environ, "CAUSA_DATA_DIR": folder}
        env.pop("CAUSA_DATABASE_URL", None)
        with server(env) as (base, _), httpx.Client(base_url=base, timeout=120) as http:
            grant = _sign_in(http)
            headers = {"Authorization": f"Bearer {grant['access_token']}"}
            case_id = _new_case(http, headers)

            def latencies(rounds: int) -> tuple[list[float], list[int]]:
                times, statuses = [], []
                refresh = grant["refresh_token"]
                for n in range(rounds):
                    started = time.perf_counter()
                    if n % 4 == 3:
                        answer = http.post(
                            "/auth/token",
                            data={"grant_type": "refresh_token", "refresh_token": refresh},
                        )
                        refresh = answer.json().get("refresh_token", refresh)
                    else:
                        answer = http.post(
                            "/graphql", json={"query": "{ cases { totalCount } }"}, headers=headers
                        )
                    times.append((time.perf_counter() - started) * 1000)
                    statuses.append(answer.status_code)
                grant["refresh_token"] = refresh
                return times, statuses

            quiet, _ = latencies(40)
            sockets = [
                _trickling_upload(base, grant["access_token"], case_id) for _ in range(uploads)
            ]
            stop = threading.Event()

            def trickle() -> None:
                while not stop.wait(2):
                    for sock in sockets:
                        with contextlib.suppress(OSError):
                            sock.send(b"x")

            sender = threading.Thread(target=trickle)
            sender.start()
            try:
                time.sleep(3)
                busy, statuses = latencies(40)
            finally:
                stop.set()
                sender.join()
                for sock in sockets:
                    sock.close()
    quiet.sort()
    busy.sort()
    print(f"{uploads} uploads open, each sending 1 byte every 2 s")
    print(f"without them: median {quiet[20]:.1f} ms, max {quiet[-1]:.1f} ms")
    print(f"with them:    median {busy[20]:.1f} ms, max {busy[-1]:.1f} ms")
    print(f"statuses with them: {sorted(set(statuses))} over {len(statuses)} requests")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("documents", help="upload/download throughput and memory")
    command.add_argument("--megabytes", type=int, default=200)
    command = commands.add_parser("datajud", help="DataJud import rate and memory")
    command.add_argument("--processes", type=int, default=1000)
    command.add_argument("--movements", type=int, default=100)
    command = commands.add_parser("slow-uploads", help="latency while slow uploads are open")
    command.add_argument("--uploads", type=int, default=25)
    args = parser.parse_args(argv)
    if args.command == "documents":
        documents(args.megabytes)
    elif args.command == "datajud":
        datajud(args.processes, args.movements)
    else:
        slow_uploads(args.uploads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Figures for the README and the notes, measured on this machine (not a test).

    python3 dev.py bench documents [--megabytes 200]
        upload and download throughput of one large file through a running server,
        and the server's peak memory while doing it.
    python3 dev.py bench datajud [--processes 1000] [--movements 100] [--with-client]
        `causa import-datajud` on a generated DataJud file: movements per second and
        the command's peak memory; with a portal client tagged in every folder, whose
        court news the import notes too.
    python3 dev.py bench slow-uploads [--uploads 25]
        the latency of other requests (GraphQL, the token endpoint) while that many
        uploads trickle in one byte every 2 seconds.
    python3 dev.py bench portal [--seconds 10] [--cases 10000]
        the client portal's read (20 cases, 10 court movements each) and the staff read
        (50 cases with parties, movements, tasks) on a generated office (10,000 cases,
        200,000 movements of which 120,000 from the court; the client on 20 cases), with
        Causa on core 0 and PostgreSQL on core 1: per phase (16 and 1 concurrent
        keep-alive connections, answer cache off then on) requests per second, p50/p99,
        the server's CPU per request (/proc/<pid>/stat over the phase), the driver's own,
        the share of failed answers, compiled/executor/cached reads (from /healthz),
        round trips per request (statements logged by PostgreSQL), and a raw asyncpg floor
        for the client read's rows. Its parts are in bench_portal.py.

The server runs as `causa serve` in a process of its own, on an embedded PostgreSQL in
a temporary folder; its peak memory is the kernel's high-water mark (VmHWM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
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
from sqlalchemy.engine import make_url

from schema.ids import global_id

ROOT = Path(__file__).resolve().parent
CAUSA = str(Path(sys.executable).parent / "causa")
EMAIL, PASSWORD = "bench@causa.example", "bench password for figures 2026"
UPLOAD = (
    "mutation($f: Upload!, $c: ID!) { uploadDocument(caseId: $c, file: $f, source: COURT) "
    "{ document { sizeBytes downloadUrl } } }"
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
def server(
    env: dict[str, str], *, admin: bool = True, cpus: set[int] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``causa serve`` on a free port, ready; first the bench office and its admin (unless
    ``admin`` is false: made before), and the server pinned to ``cpus`` if given."""
    from bench_portal import pin

    if admin:
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
    if cpus:
        pin(process.pid, cpus)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            time.sleep(0.1)
        if cpus:
            pin(process.pid, cpus)  # and the threads it has made since
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
            '{title: "Bench", cnjNumber: $n}) { case { id } } }',
            "variables": {"n": cnj_number},
        },
        headers=headers,
    )
    created.raise_for_status()
    case_id: str = created.json()["data"]["createCase"]["case"]["id"]
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
            document = answer["data"]["uploadDocument"]["document"]
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


def _news_client(http: httpx.Client, headers: dict[str, str]) -> str:
    """A person with portal access and a password: the client of the bench's folders."""

    def ask(query: str, variables: dict[str, Any]) -> Any:
        answer = http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        return answer.json()["data"]

    person = ask('mutation { createPerson(input: {name: "Cliente"}) { person { id } } }', {})
    person_id: str = person["createPerson"]["person"]["id"]
    granted = ask(
        'mutation($p: ID!) { grantPortalAccess(personId: $p, email: "c@bench.example") { token } }',
        {"p": person_id},
    )
    token = granted["grantPortalAccess"]["token"]
    http.post("/auth/invitations/accept", json={"token": token, "password": "uma senha longa 2026"})
    return person_id


def datajud(processes: int, movements: int, with_client: bool = False) -> None:
    from domain.validators import make_cnj

    numbers = [make_cnj(n + 1, 2023, 8, 26, 100) for n in range(processes)]
    tag = (
        "mutation($c: ID!, $p: ID!) { addCaseParty(caseId: $c, personId: $p, role: PLAINTIFF, "
        "isClient: true) { case { id } } }"
    )
    with tempfile.TemporaryDirectory(prefix="causa-bench-") as folder:
        env = {**os.environ, "CAUSA_DATA_DIR": folder}
        env.pop("CAUSA_DATABASE_URL", None)
        with server(env) as (base, _), httpx.Client(base_url=base, timeout=60) as http:
            headers = {"Authorization": f"Bearer {_sign_in(http)['access_token']}"}
            client = _news_client(http, headers) if with_client else None
            for number in numbers:
                case_id = _new_case(http, headers, number)
                if client is not None:  # the client's news is noted on import (court_news)
                    variables = {"c": case_id, "p": client}
                    http.post(
                        "/graphql", json={"query": tag, "variables": variables}, headers=headers
                    )
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


GRANT = "mutation($p: ID!, $e: String!) { grantPortalAccess(personId: $p, email: $e) { token } }"
CLIENT_EMAIL, CLIENT_PASSWORD = "cliente@bench.example", "client password for figures 2026"
REFERENCE = "PostGraphile 4.14.1 (issue 11): client read 3.2 ms CPU/request, staff read 9-12 ms"


def _portal_client(http: httpx.Client, admin_token: str, person: str) -> str:
    """Portal access for ``person`` as staff give it, the invitation accepted; the client's
    access token."""
    granted = http.post(
        "/graphql",
        json={"query": GRANT, "variables": {"p": global_id("Person", person), "e": CLIENT_EMAIL}},
        headers={"Authorization": f"Bearer {admin_token}"},
    ).json()
    assert granted.get("data"), granted
    token = granted["data"]["grantPortalAccess"]["token"]
    accepted = http.post(
        "/auth/invitations/accept", json={"token": token, "password": CLIENT_PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    signed_in = http.post(
        "/auth/token",
        data={"grant_type": "password", "username": CLIENT_EMAIL, "password": CLIENT_PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    access: str = signed_in.json()["access_token"]
    return access


def _shape(http: httpx.Client, token: str, document: str) -> str:
    """What a read answers: its cases, and the movements, parties and tasks among them."""
    answer = http.post(
        "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert "errors" not in answer, answer
    nodes = [edge["node"] for edge in answer["data"]["cases"]["edges"]]
    moves = sum(len(node["movements"]["edges"]) for node in nodes)
    parties = sum(len(node.get("parties", [])) for node in nodes)
    tasks = sum(len(node.get("tasks", [])) for node in nodes)
    return f"{len(nodes)} cases, {moves} movements, {parties} parties, {tasks} tasks"


def _phase_line(phase: Any, trips: float | None) -> str:
    counts = phase.counts
    reads = (
        "/".join(str(counts.get(k, "n/a")) for k in ("compiled", "executor", "cached"))
        if counts is not None
        else "n/a"
    )
    failed = phase.failures / phase.requests if phase.requests else 1.0
    return (
        f"| {phase.name:<13} | {phase.workers:>2} | {phase.rate:7.1f} | "
        f"{phase.percentile(0.5):7.1f} | {phase.percentile(0.99):7.1f} | "
        f"{phase.cpu_ms(phase.server_cpu):6.2f} | {phase.cpu_ms(phase.driver_cpu):5.2f} | "
        f"{failed:4.0%} | {reads:>20} | {'' if trips is None else f'{trips:.1f}':>5} |"
    )


TABLE_HEAD = (
    "| phase         |  c |   req/s |  p50 ms |  p99 ms | CPU ms | drv ms | fail "
    "| compiled/exec/cached | trips |"
)


def portal(seconds: float, cases: int, warmup: float = 2.0) -> None:
    """The portal read, cold and warm, and the staff read (issue 11's measurement)."""
    import asyncio

    import bench_portal as bp
    from postgres import embedded

    split = len(os.sched_getaffinity(0)) >= 2  # Causa on core 0; PostgreSQL, driver on 1
    server_cpus, database_cpus = ({0}, {1}) if split else (None, None)
    lines: list[tuple[Any, float | None]] = []

    def show(phase: Any, trips: float | None = None) -> None:
        lines.append((phase, trips))
        print(_phase_line(phase, trips), flush=True)
        if phase.first_failure:
            print("  first error:", phase.first_failure, flush=True)

    with tempfile.TemporaryDirectory(prefix="causa-bench-") as folder:
        data_dir = Path(folder)
        started = time.perf_counter()
        urls = embedded.start(data_dir)  # started and migrated, as `causa serve` does
        try:
            postmaster = embedded.postmaster(data_dir / "pgdata")
            assert postmaster is not None
            if database_cpus:
                for process in (postmaster, *postmaster.children(recursive=True)):
                    bp.pin(process.pid, database_cpus)
                os.sched_setaffinity(0, database_cpus)
            log = data_dir / "pgdata" / "log"
            env = {
                **os.environ,
                "CAUSA_DATA_DIR": str(data_dir / "data"),
                "CAUSA_DATABASE_URL": urls.runtime,
                "CAUSA_MIGRATION_DATABASE_URL": urls.owner,
                "CAUSA_SECRET_KEY": secrets.token_urlsafe(48),
                # one audience for the tokens, though the two servers listen on two ports
                "CAUSA_PUBLIC_URL": "http://bench.causa.test",
                # a connection for each of the 16 concurrent requests: no overflow
                # connection opened and closed again and again
                "CAUSA_DATABASE_POOL_SIZE": "16",
            }
            subprocess.run([CAUSA, "migrate"], env=env, check=True, capture_output=True)
            runtime_user = make_url(urls.runtime).username or ""
            cold = {**env, "CAUSA_ANSWER_CACHE_MB": "0"}
            with server(cold, cpus=server_cpus) as (base, process):
                with httpx.Client(base_url=base, timeout=60) as http:
                    admin = _sign_in(http)["access_token"]
                    office, person, took = asyncio.run(bp.fill_office(urls.owner, cases))
                    client = _portal_client(http, admin, person)
                    print("client read:", _shape(http, client, bp.CLIENT_READ))
                    print("staff read: ", _shape(http, admin, bp.STAFF_READ))
                counts = asyncio.run(bp.count_rows(urls.owner))
                print(f"office generated in {took:.1f} s:", counts, flush=True)
                address = ("127.0.0.1", int(base.rsplit(":", 1)[1]))
                host = f"{address[0]}:{address[1]}"
                client_read = bp.graphql_request(host, client, bp.CLIENT_READ)
                staff_read = bp.graphql_request(host, admin, bp.STAFF_READ)
                print(TABLE_HEAD, flush=True)

                def run(name: str, payload: bytes, workers: int, pid: int) -> Any:
                    return asyncio.run(
                        bp.drive(
                            name,
                            address=address,
                            pid=pid,
                            payload=payload,
                            workers=workers,
                            seconds=seconds,
                            warmup=warmup,
                        )
                    )

                def trips(payload: bytes) -> float:
                    return asyncio.run(
                        bp.round_trips(log, urls.owner, runtime_user, address, payload, 50)
                    )

                show(run("client cold", client_read, 16, process.pid), trips(client_read))
                show(run("client cold", client_read, 1, process.pid))
                show(run("staff cold", staff_read, 16, process.pid), trips(staff_read))
            with server(env, admin=False, cpus=server_cpus) as (base, process):
                address = ("127.0.0.1", int(base.rsplit(":", 1)[1]))
                show(run("client warm", client_read, 16, process.pid), trips(client_read))
                show(run("client warm", client_read, 1, process.pid))
            if server_cpus:  # the floor's client where Causa ran, PostgreSQL where it was
                os.sched_setaffinity(0, server_cpus)
            account = asyncio.run(bp.client_account(urls.owner, person))
            rate, found, moved = asyncio.run(
                bp.floor(urls.runtime, office, person, account, seconds)
            )
        finally:
            embedded.server(data_dir).close()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    print(
        f"\nraw asyncpg floor (c=16, pool of 16, {found} cases + {moved} movements per "
        f"iteration): {rate:.0f} iterations/s"
    )
    print(
        f"\nmachine: {os.cpu_count()} cores ({cpu}); Causa pinned to {server_cpus}, "
        f"PostgreSQL and the driver to {database_cpus}; {cases} cases; "
        f"{seconds:g} s per phase after {warmup:g} s warm-up; "
        f"whole run {time.perf_counter() - started:.0f} s"
    )
    print(f"reference: {REFERENCE}\n")
    print(TABLE_HEAD)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for phase, round_trips in lines:
        print(_phase_line(phase, round_trips))
    print(f"| asyncpg floor | 16 | {rate:7.1f} | - | - | - | - | - | - | 5 |")
    print(
        "\nc: concurrent connections; CPU ms: the server's CPU time per request; drv ms: the "
        "load driver's own; fail: answers not 200 or with errors; trips: statements per "
        "request as PostgreSQL logged them (the floor's: BEGIN, the viewer's settings, "
        "cases, movements, COMMIT); the floor's req/s are iterations/s."
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("documents", help="upload/download throughput and memory")
    command.add_argument("--megabytes", type=int, default=200)
    command = commands.add_parser("datajud", help="DataJud import rate and memory")
    command.add_argument("--processes", type=int, default=1000)
    command.add_argument("--movements", type=int, default=100)
    command.add_argument(
        "--with-client", action="store_true", help="a portal client tagged in every folder"
    )
    command = commands.add_parser("slow-uploads", help="latency while slow uploads are open")
    command.add_argument("--uploads", type=int, default=25)
    command = commands.add_parser("portal", help="the portal and staff reads: speed, CPU")
    command.add_argument("--seconds", type=float, default=10.0, help="of each phase")
    command.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.command == "portal":
        portal(args.seconds, args.cases)
    elif args.command == "documents":
        documents(args.megabytes)
    elif args.command == "datajud":
        datajud(args.processes, args.movements, args.with_client)
    else:
        slow_uploads(args.uploads)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The parts of ``bench.py portal``: the office it generates, its load driver, the count of
round trips and the raw asyncpg floor (bench.py runs them in order and prints the table).
"""

# ruff: noqa: S608  (its SQL is made of this module's constants and counts, never of input)

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

CLIENT_READ = (
    "{ cases(first: 20) { edges { node { id folder title cnjNumber court status "
    "movements(first: 10) { edges { node { occurredAt description code } } } } } } }"
)
STAFF_READ = (
    "{ cases(first: 50) { edges { node { id folder title status "
    "parties { role isClient person { name } } "
    "movements(first: 10) { edges { node { occurredAt description code source } } } "
    "tasks { title dueOn done } } } } }"
)
# Codes of the CNJ's unified procedural tables (TPU), as a court sends them.
TPU_CODES = "{26,36,51,60,85,123,132,193,196,198,200,219,246,581,848,861,970,11009,11010,12164}"
CLIENT_CASES = 20
MOVEMENTS_PER_CASE = 20  # 12 of each 20 from the court
TASKS_PER_CASE = 2
PEOPLE = 2_000  # clients and opponents the office's cases share


# --- the office -------------------------------------------------------------------------


OFFICE = "current_setting('bench.office')::uuid"
CLIENT = "current_setting('bench.client')::uuid"
ADMIN = "current_setting('bench.admin')::uuid"


def office_statements(cases: int) -> list[str]:
    """SQL, run as the owner once ``bench.office``, ``bench.client`` and ``bench.admin``
    name the office, the client person and its admin, that fills the office: ``cases``
    cases, 20 movements each of which 12 from the court, two parties each (a client and
    an opponent), two tasks each; the bench's client tagged on 20 cases."""
    every = max(cases // CLIENT_CASES, 1)  # the client's cases, spread over the years
    court = "k % 5 < 3"  # movement k (0..19) of a case
    return [
        "CREATE TEMP TABLE bench_case AS "
        f"SELECT n, gen_random_uuid() AS id FROM generate_series(1, {cases}) AS n",
        "CREATE TEMP TABLE bench_person AS "
        f"SELECT n, gen_random_uuid() AS id FROM generate_series(1, {2 * PEOPLE}) AS n",
        "INSERT INTO person (office_id, id, name, kind, tax_id) "
        f"SELECT {OFFICE}, id, CASE WHEN n % 3 = 0 THEN 'Empresa ' || n || ' Ltda' "
        "ELSE 'Pessoa ' || n END, CASE WHEN n % 3 = 0 THEN 'LEGAL' ELSE 'NATURAL' END, "
        "lpad(n::text, 11, '0') FROM bench_person",
        "INSERT INTO person (office_id, id, name, kind, email) "
        f"VALUES ({OFFICE}, {CLIENT}, 'Maria Cliente', 'NATURAL', 'cliente@bench.example')",
        # CNJ numbers NNNNNNN-DD.2023.8.26.0100, check digits computed (ISO 7064 mod 97-10)
        'INSERT INTO "case" (office_id, id, folder, title, cnj_number, court, status, '
        "responsible_lawyer_id, created_at, updated_at) "
        f"SELECT {OFFICE}, id, lpad(n::text, 5, '0'), 'Ação de cobrança ' || n, "
        "lpad(n::text, 7, '0') || '-' || lpad((98 - (lpad(n::text, 7, '0') "
        "|| '2023826010000')::numeric % 97)::text, 2, '0') || '.2023.8.26.0100', 'TJSP', "
        f"(ARRAY['ACTIVE','ACTIVE','ACTIVE','SUSPENDED','CLOSED'])[1 + n % 5], {ADMIN}, "
        "timestamptz '2026-01-01' - n * interval '7 hours', "
        "timestamptz '2026-01-01' - n * interval '7 hours' FROM bench_case",
        f"UPDATE office SET last_folder_number = {cases} WHERE id = {OFFICE}",
        # each case: a client (the bench's own on every `every`-th case) and an opponent
        "INSERT INTO case_party (office_id, case_id, person_id, role, is_client) "
        f"SELECT {OFFICE}, c.id, CASE WHEN c.n % {every} = 0 AND c.n / {every} <= "
        f"{CLIENT_CASES} THEN {CLIENT} ELSE p.id END, 'PLAINTIFF', true FROM bench_case c "
        f"JOIN bench_person p ON p.n = 1 + c.n % {PEOPLE}",
        "INSERT INTO case_party (office_id, case_id, person_id, role, is_client) "
        f"SELECT {OFFICE}, c.id, p.id, 'DEFENDANT', false FROM bench_case c "
        f"JOIN bench_person p ON p.n = {PEOPLE + 1} + c.n % {PEOPLE}",
        # over eight years, TPU codes on the court's
        "INSERT INTO movement (office_id, case_id, occurred_at, description, code, source, "
        "created_by_id) "
        f"SELECT {OFFICE}, c.id, timestamptz '2026-01-01' - "
        "((c.n * 7919 + k * 104729) % 70080) * interval '1 hour', "
        f"CASE WHEN {court} THEN 'Juntada de petição ' || k "
        "ELSE 'Anotação interna ' || k END, "
        f"CASE WHEN {court} THEN ('{TPU_CODES}'::int[])[1 + (c.n + k) % 20] END, "
        f"CASE WHEN {court} THEN 'COURT' ELSE 'INTERNAL' END, "
        f"CASE WHEN {court} THEN NULL ELSE {ADMIN} END "
        f"FROM bench_case c CROSS JOIN generate_series(0, {MOVEMENTS_PER_CASE - 1}) AS k",
        "INSERT INTO task (office_id, case_id, title, due_on, done, assignee_id) "
        f"SELECT {OFFICE}, c.id, 'Prazo ' || k, date '2026-01-01' + (c.n + k) % 400, "
        f"(c.n + k) % 3 = 0, {ADMIN} FROM bench_case c "
        f"CROSS JOIN generate_series(1, {TASKS_PER_CASE}) AS k",
        "DROP TABLE bench_case",
        "DROP TABLE bench_person",
    ]


async def fill_office(owner_url: str, cases: int) -> tuple[str, str, float]:
    """Fill the bench office (made by ``causa create-admin``); its id, the client
    person's id and the seconds it took (ANALYZE included)."""
    started = time.perf_counter()
    connection = await asyncpg.connect(owner_url)
    try:
        office = await connection.fetchval("SELECT id FROM office WHERE slug = 'bench'")
        admin = await connection.fetchval(
            "SELECT id FROM account WHERE office_id = $1 AND role = 'ADMIN'", office
        )
        person = uuid.uuid4()
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('bench.office', $1, true), "
                "set_config('bench.client', $2, true), set_config('bench.admin', $3, true)",
                str(office),
                str(person),
                str(admin),
            )
            for statement in office_statements(cases):
                await connection.execute(statement)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return str(office), str(person), time.perf_counter() - started


async def count_rows(owner_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(owner_url)
    try:
        counts = {}
        for table in ("case", "movement", "person", "case_party", "task"):
            counts[table] = await connection.fetchval(f'SELECT count(*) FROM "{table}"')
        counts["movement COURT"] = await connection.fetchval(
            "SELECT count(*) FROM movement WHERE source = 'COURT'"
        )
        return counts
    finally:
        await connection.close()


# --- the load driver --------------------------------------------------------------------


class Http:
    """One keep-alive HTTP/1.1 connection, written and read as bytes: the driver shares
    a core with PostgreSQL and must cost far less than the server it measures."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Http:
        return cls(*await asyncio.open_connection(host, port))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status, length, chunked = int(head[9:12]), 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        body = bytearray()
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += await self.reader.readexactly(size + 2)
            del body[-2:]
        await self.reader.readuntil(b"\r\n")
        return status, bytes(body)

    def close(self) -> None:
        self.writer.close()


def request(method: str, path: str, host: str, body: bytes = b"", token: str = "") -> bytes:
    headers = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    if body:
        headers += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def graphql_request(host: str, token: str, document: str) -> bytes:
    return request("POST", "/graphql", host, json.dumps({"query": document}).encode(), token)


def cpu_seconds(pid: int) -> float:
    """A process's CPU time (user + system, all its threads) from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def read_counts(host: str, port: int) -> dict[str, int] | None:
    """The server's compiled / executor / cached read counts from /healthz, if it has them."""
    http = await Http.open(host, port)
    try:
        status, body = await http.send(request("GET", "/healthz", f"{host}:{port}"))
    finally:
        http.close()
    reads = json.loads(body).get("reads") if status == 200 else None
    return reads if isinstance(reads, dict) else None


@dataclass
class Phase:
    name: str
    workers: int
    requests: int
    seconds: float
    latencies: list[float]
    failures: int
    first_failure: str
    server_cpu: float
    driver_cpu: float
    counts: dict[str, int] | None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def cpu_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.requests if self.requests else float("nan")


async def drive(
    name: str,
    *,
    address: tuple[str, int],
    pid: int,
    payload: bytes,
    workers: int,
    seconds: float,
    warmup: float,
) -> Phase:
    """``workers`` connections sending ``payload`` back to back: ``warmup`` seconds, then
    ``seconds`` measured (latency, statuses, the server's and this process's CPU)."""
    host, port = address
    connections = [await Http.open(host, port) for _ in range(workers)]
    latencies: list[float] = []
    failures: list[bytes] = []
    measuring, stopping = asyncio.Event(), asyncio.Event()

    async def work(http: Http) -> None:
        while not stopping.is_set():
            started = time.perf_counter()
            status, body = await http.send(payload)
            if measuring.is_set() and not stopping.is_set():
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200 or b'"errors"' in body:
                    failures.append(f"{status} {body[:500]!r}".encode())

    tasks = [asyncio.create_task(work(http)) for http in connections]
    try:
        await asyncio.sleep(warmup)
        before = await read_counts(host, port)
        server, driver, started = cpu_seconds(pid), time.process_time(), time.perf_counter()
        measuring.set()
        await asyncio.sleep(seconds)
        stopping.set()
        elapsed = time.perf_counter() - started
        server, driver = cpu_seconds(pid) - server, time.process_time() - driver
        after = await read_counts(host, port)
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for http in connections:
            http.close()
    counts = None
    if before is not None and after is not None:
        counts = {key: int(after.get(key, 0)) - int(before.get(key, 0)) for key in after}
    return Phase(
        name=name,
        workers=workers,
        requests=len(latencies),
        seconds=elapsed,
        latencies=latencies,
        failures=len(failures),
        first_failure=failures[0].decode(errors="replace") if failures else "",
        server_cpu=server,
        driver_cpu=driver,
        counts=counts,
    )


# --- round trips ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def statements_logged(owner_url: str) -> Any:
    """Log every statement, each line prefixed by its role and process, while the block
    runs."""
    connection = await asyncpg.connect(owner_url)
    try:
        await connection.execute("ALTER SYSTEM SET log_statement = 'all'")
        await connection.execute("ALTER SYSTEM SET log_line_prefix = '%u|%p|'")
        await connection.execute("SELECT pg_reload_conf()")
        await asyncio.sleep(0.3)  # each backend rereads the file at its next command
        yield
    finally:
        await connection.execute("ALTER SYSTEM RESET log_statement")
        await connection.execute("ALTER SYSTEM RESET log_line_prefix")
        await connection.execute("SELECT pg_reload_conf()")
        await connection.close()


def count_statements(lines: str, user: str) -> int:
    """Statements run by ``user``: each logged once as ``statement:`` (simple protocol)
    or ``execute <name>:`` (extended); their parameters' DETAIL lines are not counted.

    PostgreSQL logs no empty statement: SQLAlchemy's pre-ping (``BEGIN``, ``;``,
    ``ROLLBACK``) shows as a ROLLBACK right after a BEGIN on one connection, and its
    ``;`` is counted from that.
    """
    prefix, count = f"{user}|", 0
    last: dict[str, str] = {}
    for line in lines.splitlines():
        if not line.startswith(prefix):
            continue
        pid, _, message = line[len(prefix) :].partition("|LOG:  ")
        if not message.startswith(("statement:", "execute ")):
            continue
        text = message.partition(": ")[2].strip().rstrip(";").upper()
        count += 1 + (text == "ROLLBACK" and last.get(pid) == "BEGIN")
        last[pid] = text
    return count


async def round_trips(
    log: Path, owner_url: str, user: str, address: tuple[str, int], payload: bytes, n: int
) -> float:
    """Statements per request over ``n`` requests one after the other."""
    host, port = address
    http = await Http.open(host, port)
    try:
        for _ in range(3):  # the connections' first use is not what is measured
            await http.send(payload)
        async with statements_logged(owner_url):
            start = await asyncio.to_thread(lambda: log.stat().st_size)
            for _ in range(n):
                status, _body = await http.send(payload)
                assert status == 200, _body[:300]
            await asyncio.sleep(0.5)
            text = await asyncio.to_thread(_tail, log, start)
    finally:
        http.close()
    return count_statements(text, user) / n


def _tail(path: Path, start: int) -> str:
    with path.open("rb") as file:
        file.seek(start)
        return file.read().decode(errors="replace")


# --- the floor: the same rows, raw asyncpg ------------------------------------------------

FLOOR_SCOPE = "SELECT set_config('causa.office_id', $1, true), set_config('causa.account_id', "
FLOOR_SCOPE += "$2, true), set_config('causa.role', 'CLIENT', true), "
FLOOR_SCOPE += "set_config('causa.person_id', $3, true)"
FLOOR_CASES = """
SELECT c.id, c.folder, c.title, c.cnj_number, c.court, c.status FROM "case" c
WHERE c.office_id = $1 AND c.id IN (SELECT case_id FROM case_party
  WHERE office_id = $1 AND person_id = $2 AND is_client)
ORDER BY c.created_at DESC, c.id DESC LIMIT 20
"""
FLOOR_MOVEMENTS = """
SELECT m.case_id, m.occurred_at, m.description, m.code FROM unnest($3::uuid[]) AS k(case_id),
LATERAL (SELECT case_id, occurred_at, description, code FROM movement
  WHERE office_id = $1 AND case_id = k.case_id AND source = 'COURT'
    AND case_id IN (SELECT case_id FROM case_party
      WHERE office_id = $1 AND person_id = $2 AND is_client)
  ORDER BY occurred_at DESC, id DESC LIMIT 10) AS m
"""


async def _kept_as_is(connection: Any) -> None:
    """Nothing to reset on a connection given back: the viewer's settings were local to
    the transaction (asyncpg's default reset would cost a round trip more)."""


async def floor(
    runtime_url: str, office: str, person: str, account: str, seconds: float, workers: int = 16
) -> tuple[float, int, int]:
    """Iterations per second of the client read's rows fetched by asyncpg alone (BEGIN,
    the viewer's settings, cases, movements, COMMIT); the rows of the last iteration."""
    pool = await asyncpg.create_pool(
        runtime_url, min_size=workers, max_size=workers, reset=_kept_as_is
    )
    office_id, person_id = uuid.UUID(office), uuid.UUID(person)
    done, shape = 0, (0, 0)
    try:

        async def once() -> tuple[int, int]:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(FLOOR_SCOPE, office, account, person)
                found = await connection.fetch(FLOOR_CASES, office_id, person_id)
                ids = [row["id"] for row in found]
                moved = await connection.fetch(FLOOR_MOVEMENTS, office_id, person_id, ids)
                return len(found), len(moved)

        shape = await once()
        deadline = time.perf_counter() + seconds

        async def work() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await once()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(work() for _ in range(workers)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    return done / elapsed, *shape


async def client_account(owner_url: str, person: str) -> str:
    connection = await asyncpg.connect(owner_url)
    try:
        account = await connection.fetchval(
            "SELECT id FROM account WHERE person_id = $1", uuid.UUID(person)
        )
        return str(account)
    finally:
        await connection.close()


def pin(pid: int, cpus: set[int]) -> None:
    """Pin every thread of a process (a thread made later inherits its maker's cores)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(task.name), cpus)

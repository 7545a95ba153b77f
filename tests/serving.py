"""The app under test with its lifespan running, and HTTP clients of it."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import Receive, Scope, Send

from app import create_app
from settings import Settings
from tests.processes import free_port


class Served:
    """The app with its lifespan running, as a server would host it."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.state: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(self.state)
        await self.app(scope, receive, send)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Served]:
    """The app of ``settings`` with its lifespan running."""
    served = Served(settings)
    async with served.app.router.lifespan_context(served.app) as state:
        served.state.update(state or {})
        yield served


_addresses = itertools.count(1)


@asynccontextmanager
async def http_client(app: Served) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` from an address of its own, so that login throttling by
    address in one test never reaches another."""
    n = next(_addresses)
    address = f"198.18.{n // 250 % 250}.{n % 250 + 1}"
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://causa.test") as client:
        yield client


@contextmanager
def live(settings: Settings, port: int | None = None) -> Iterator[str]:
    """The app of ``settings`` served by uvicorn on a loopback port (``port``, else a free
    one): its base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

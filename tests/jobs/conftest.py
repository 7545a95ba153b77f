"""A job-queue worker beside the app under test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from jobs import queue
from settings import Settings


@pytest.fixture(scope="module")
async def worker(settings: Settings, engine: AsyncEngine, database_url: str) -> AsyncIterator[None]:
    """A job-queue worker, as ``causa worker`` runs it, beside the app under test."""
    async with queue.worker(queue.resources(settings, engine), database_url):
        yield

"""Where document bytes live: a folder of the data directory, or an S3-compatible bucket.

``CAUSA_STORAGE_URL`` picks the store: unset for the local folder (one server), or
``s3://bucket/prefix`` for deployments with more than one server.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

CHUNK = 1024 * 1024


class Store(Protocol):
    async def put(self, key: str, source: IO[bytes], size: int) -> None:
        """Store ``size`` bytes read from ``source`` (at its start) under ``key``."""

    def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes ``start`` to ``end`` (inclusive) of ``key``, in chunks."""

    async def delete(self, key: str) -> None: ...

    async def close(self) -> None: ...


@dataclass
class LocalStore:
    """Files under one folder; each written to a temporary name and renamed into place."""

    root: Path

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"bad storage key {key!r}")
        return path

    async def put(self, key: str, source: IO[bytes], size: int) -> None:
        await asyncio.to_thread(self._put, self._path(key), source)

    @staticmethod
    def _put(path: Path, source: IO[bytes]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        source.seek(0)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        with await asyncio.to_thread(self._path(key).open, "rb") as source:
            await asyncio.to_thread(source.seek, start)
            left = end - start + 1
            while left > 0:
                chunk = await asyncio.to_thread(source.read, min(CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def close(self) -> None:
        return None


@dataclass
class S3Store:
    """An S3-compatible bucket (AWS, MinIO, Ceph…), through aiobotocore."""

    bucket: str
    prefix: str
    client: Any
    exits: AsyncExitStack

    @classmethod
    async def open(cls, url: str, *, endpoint_url: str | None, region: str | None) -> S3Store:
        from aiobotocore.session import get_session

        parts = urlsplit(url)
        exits = AsyncExitStack()
        client = await exits.enter_async_context(
            get_session().create_client("s3", endpoint_url=endpoint_url, region_name=region)
        )
        return cls(parts.netloc, parts.path.strip("/"), client, exits)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, source: IO[bytes], size: int) -> None:
        source.seek(0)
        await self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=source, ContentLength=size
        )

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        answer = await self.client.get_object(
            Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end}"
        )
        async with answer["Body"] as body:
            while chunk := await body.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def close(self) -> None:
        await self.exits.aclose()


async def open_store(
    url: str | None, *, data_dir: Path, endpoint_url: str | None, region: str | None
) -> Store:
    if url is None:
        return LocalStore(data_dir / "documents")
    return await S3Store.open(url, endpoint_url=endpoint_url, region=region)

"""Stored files in tests: the files a local store wrote, and an S3-compatible server (moto)
on a loopback port for the S3 store's tests."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from settings import Settings

BUCKET = "causa-test"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "causa-test",
    "AWS_SECRET_ACCESS_KEY": "causa-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def files_under(root: Path) -> list[Path]:
    """Every file below ``root``, sorted; none if it does not exist."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored_files(settings: Settings) -> list[Path]:
    """The documents the local store holds under ``settings.data_dir``."""
    return files_under(settings.data_dir / "documents")


@contextmanager
def s3_server() -> Iterator[str]:
    """Start the server, create the bucket; the endpoint URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

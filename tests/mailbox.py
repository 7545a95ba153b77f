"""A real SMTP server on a loopback port that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Mailbox:
    """The handler of the test SMTP server: keeps messages, or refuses them when told to."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refusing = False
        self.controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusing:
            return "554 5.7.1 Refused by the test server"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    @contextmanager
    def refused(self) -> Iterator[None]:
        """The server refuses every message while the block runs."""
        self.refusing = True
        try:
            yield
        finally:
            self.refusing = False

    def to(self, recipient: str, *, count: int = 1, wait: float = 0.0) -> list[EmailMessage]:
        """The messages received for ``recipient``, waiting up to ``wait`` seconds for ``count``."""
        deadline = time.monotonic() + wait
        while True:
            found = [m for m in self.messages if m["To"] == recipient]
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)

"""Sending e-mail over SMTP (``CAUSA_SMTP_URL``)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from mail.letters import Letter
from settings import Settings, SmtpServer

SEND_TIMEOUT = 10.0

DeliveryError = (aiosmtplib.SMTPException, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Mailer:
    server: SmtpServer

    async def send(self, letter: Letter) -> None:
        """Raises one of ``DeliveryError`` when the server refuses or cannot be reached."""
        message = EmailMessage()
        server = self.server
        message["From"] = server.sender
        message["To"] = letter.recipient
        message["Subject"] = letter.subject
        message.set_content(letter.body)
        await aiosmtplib.send(
            message,
            hostname=server.hostname,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            start_tls=server.start_tls,
            timeout=SEND_TIMEOUT,
        )


def configured_mailer(settings: Settings) -> Mailer | None:
    """The SMTP server for outgoing e-mail; None keeps e-mails in the outbox only."""
    return None if settings.smtp_server is None else Mailer(settings.smtp_server)

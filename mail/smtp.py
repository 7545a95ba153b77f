"""Sending e-mail over SMTP (``CAUSA_SMTP_URL``)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP

import aiosmtplib

from mail.letters import Letter
from settings import Settings, SmtpServer

SEND_TIMEOUT = 10.0
# Headers fold at 78 characters, but a long link with no space in it (List-Unsubscribe)
# would be folded into encoded words that no mail client opens: RFC 5322 allows 998.
POLICY = SMTP.clone(max_line_length=998)

DeliveryError = (aiosmtplib.SMTPException, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Mailer:
    server: SmtpServer

    async def send(self, letter: Letter) -> None:
        """Raises one of ``DeliveryError`` when the server refuses or cannot be reached."""
        message = EmailMessage(policy=POLICY)
        server = self.server
        message["From"] = server.sender
        message["To"] = letter.recipient
        message["Subject"] = letter.subject
        if letter.unsubscribe_url is not None:
            message["List-Unsubscribe"] = f"<{letter.unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
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

"""Sending e-mail over SMTP (``CAUSA_SMTP_URL``)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib

from mail.letters import Letter
from settings import ConfigurationError, Settings

SEND_TIMEOUT = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

DeliveryError = (aiosmtplib.SMTPException, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Mailer:
    """An SMTP server: ``smtp://`` (STARTTLS when offered), ``smtp+starttls://`` or ``smtps://``."""

    sender: str
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None

    @classmethod
    def from_url(cls, url: str, *, sender: str) -> Mailer:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                "CAUSA_SMTP_URL must look like smtp://user:password@host:port "
                "(or smtp+starttls://, smtps://)"
            )
        if "@" not in parseaddr(sender)[1]:
            raise ValueError(f"CAUSA_MAIL_FROM is not an e-mail address: {sender!r}")
        return cls(
            sender=sender,
            hostname=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=True if parts.scheme == "smtp+starttls" else None,
        )

    async def send(self, letter: Letter) -> None:
        """Raises one of ``DeliveryError`` when the server refuses or cannot be reached."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = letter.recipient
        message["Subject"] = letter.subject
        message.set_content(letter.body)
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=SEND_TIMEOUT,
        )


def configured_mailer(settings: Settings) -> Mailer | None:
    """The SMTP server for outgoing e-mail; None keeps e-mails in the outbox only."""
    if settings.smtp_url is None:
        return None
    try:
        return Mailer.from_url(settings.smtp_url.get_secret_value(), sender=settings.mail_from)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None

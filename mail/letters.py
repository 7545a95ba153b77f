"""The e-mails Causa sends, and their delivery over SMTP (``CAUSA_SMTP_URL``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import aiosmtplib

BRASILIA = ZoneInfo("America/Sao_Paulo")
SEND_TIMEOUT = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

DeliveryError = (aiosmtplib.SMTPException, OSError, TimeoutError)


# In place of a single-use link, in the copy of an e-mail that the outbox keeps.
WITHHELD_LINK = "[link de uso único: enviado somente ao destinatário]"


@dataclass(frozen=True, slots=True)
class Letter:
    recipient: str
    subject: str
    body: str
    admin_only: bool = False  # only the office's admins may read it in the outbox
    secret: str | None = None  # a link in the body that only the recipient may have

    @property
    def kept_body(self) -> str:
        """The body as the outbox keeps and shows it: without the secret."""
        if self.secret is None:
            return self.body
        return self.body.replace(self.secret, WITHHELD_LINK)


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


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _when(moment: datetime) -> str:
    local = moment.astimezone(BRASILIA)
    return local.strftime("%d/%m/%Y às %H:%M") + " (horário de Brasília)"


def portal_invitation(
    *, recipient: str, name: str, office: str, url: str, expires_at: datetime
) -> Letter:
    body = f"""Olá, {name}.

{office} liberou para você o acesso ao portal do cliente, onde você acompanha as
pastas processuais em que é cliente: os dados principais de cada processo e as
movimentações e documentos vindos do tribunal.

Seu login é este e-mail: {recipient}

Para criar sua senha e entrar, abra o link abaixo:

{url}

O link pode ser usado uma única vez e vale até
{_when(expires_at)}.
Se ele expirar, peça ao escritório um novo convite.

Se você não esperava esta mensagem, ignore-a: nada será liberado sem que a senha
seja criada por este link.

{office}
"""
    subject = f"Seu acesso ao portal do cliente — {_one_line(office)}"
    return Letter(recipient, subject, body, secret=url)


def staff_invitation(
    *, recipient: str, name: str, office: str, url: str, expires_at: datetime
) -> Letter:
    body = f"""Olá, {name}.

Você foi cadastrado(a) na equipe de {office} no Causa.

Seu login é este e-mail: {recipient}

Para criar sua senha, abra o link abaixo:

{url}

O link pode ser usado uma única vez e vale até
{_when(expires_at)}.

{office}
"""
    subject = f"Seu acesso à equipe — {_one_line(office)}"
    return Letter(recipient, subject, body, admin_only=True, secret=url)

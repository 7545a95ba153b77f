"""The e-mails Causa sends: what each says, and the copy the outbox keeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

BRASILIA = ZoneInfo("America/Sao_Paulo")

# In place of a single-use link, in the copy of an e-mail that the outbox keeps.
WITHHELD_LINK = "[link de uso único: enviado somente ao destinatário]"


@dataclass(frozen=True, slots=True)
class Letter:
    recipient: str
    subject: str
    body: str
    admin_only: bool = False  # only the office's admins may read it in the outbox
    secret: str | None = None  # a link in the body that only the recipient may have
    unsubscribe_url: str | None = None  # List-Unsubscribe (RFC 2369, one-click RFC 8058)

    @property
    def kept_body(self) -> str:
        """The body as the outbox keeps and shows it: without the secret."""
        if self.secret is None:
            return self.body
        return self.body.replace(self.secret, WITHHELD_LINK)


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


def password_reset(
    *,
    recipient: str,
    name: str,
    office: str,
    url: str,
    expires_at: datetime,
    admin_only: bool = False,
) -> Letter:
    body = f"""Olá, {name}.

Recebemos um pedido para criar uma nova senha para o seu acesso a {office}.

Seu login é este e-mail: {recipient}

Para criar a nova senha, abra o link abaixo:

{url}

O link pode ser usado uma única vez e vale até
{_when(expires_at)}.
Ao criar a nova senha, todas as sessões abertas com a senha antiga são encerradas.

Se não foi você quem pediu, ignore esta mensagem: sua senha continua a mesma.

{office}
"""
    subject = f"Criar uma nova senha — {_one_line(office)}"
    return Letter(recipient, subject, body, admin_only=admin_only, secret=url)


ITEMS_SHOWN = 10  # of a folder's news in one e-mail; the portal has them all


@dataclass(frozen=True, slots=True)
class CourtItem:
    """A movement (``explanation`` in plain language, when its code has one) or a
    document from the court."""

    when: datetime | date | None
    text: str
    explanation: str | None = None
    document: bool = False


@dataclass(frozen=True, slots=True)
class FolderNews:
    title: str
    folder: str
    cnj_number: str | None
    url: str  # the folder in the portal
    items: Sequence[CourtItem]


def _day(moment: datetime | date | None) -> str:
    if moment is None:
        return "sem data"
    if isinstance(moment, datetime):
        moment = moment.astimezone(BRASILIA).date()
    return moment.strftime("%d/%m/%Y")


def _item(item: CourtItem) -> str:
    if item.document:
        return f"- Documento: {_one_line(item.text)} ({_day(item.when)})"
    line = f"- {_day(item.when)}: {_one_line(item.text)}"
    if item.explanation:
        line += f"\n  O que significa: {item.explanation}"
    return line


def _folder(news: FolderNews) -> str:
    number = f"Processo nº {news.cnj_number} · " if news.cnj_number else ""
    items = "\n".join(_item(item) for item in news.items[:ITEMS_SHOWN])
    if len(news.items) > ITEMS_SHOWN:
        items += f"\n- e mais {len(news.items) - ITEMS_SHOWN} novidades, que estão no portal."
    return f"""{_one_line(news.title)}
{number}pasta {news.folder}

{items}

Ver no portal: {news.url}"""


def court_news(
    *,
    recipient: str,
    name: str,
    office: str,
    folders: Sequence[FolderNews],
    unsubscribe_url: str,
) -> Letter:
    """One e-mail to a client about what came from the court to their folders."""
    where = "em um dos seus processos" if len(folders) == 1 else "em alguns dos seus processos"
    sections = "\n\n".join(_folder(news) for news in folders)
    body = f"""Olá, {name}.

Há novidades vindas do tribunal {where}:

{sections}

Para ver tudo, entre no portal do cliente com este e-mail: {recipient}

Você recebe este aviso porque {office} liberou para você o acesso ao portal.
Para não receber mais avisos por e-mail, abra:
{unsubscribe_url}

{office}
"""
    subject = (
        f"Novidades no processo {folders[0].cnj_number or folders[0].title}"
        if len(folders) == 1
        else f"Novidades em {len(folders)} processos"
    )
    subject = f"{_one_line(subject)} — {_one_line(office)}"
    return Letter(recipient, subject, body, unsubscribe_url=unsubscribe_url)

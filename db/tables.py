"""The tables. Every row belongs to one office, and ``office_id`` leads every key.

Keys are composite ``(office_id, id)`` and every foreign key carries ``office_id``, so a
row can never point into another office and the schema can be distributed on
``office_id`` (Citus) without change.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.viewer import Role


class PersonKind(enum.StrEnum):
    NATURAL = "NATURAL"
    LEGAL = "LEGAL"


class CaseStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"
    ARCHIVED = "ARCHIVED"


class LossRisk(enum.StrEnum):
    REMOTE = "REMOTE"
    POSSIBLE = "POSSIBLE"
    PROBABLE = "PROBABLE"


class PartyRole(enum.StrEnum):
    PLAINTIFF = "PLAINTIFF"
    DEFENDANT = "DEFENDANT"
    THIRD_PARTY = "THIRD_PARTY"
    ASSISTANT = "ASSISTANT"
    OTHER = "OTHER"


class Source(enum.StrEnum):
    COURT = "COURT"
    INTERNAL = "INTERNAL"


def _enum(kind: type[enum.StrEnum], length: int = 16, **kwargs: Any) -> Any:
    return Field(
        sa_type=sa.Enum(kind, native_enum=False, length=length, validate_strings=True), **kwargs
    )


def _now() -> Any:
    """Set by the database; clock_timestamp() keeps rows made in one transaction in order."""
    return Field(
        default=None,
        sa_type=sa.DateTime(timezone=True),
        sa_column_kwargs={"server_default": sa.text("clock_timestamp()"), "nullable": False},
    )


def _id() -> Any:
    return Field(
        default_factory=uuid.uuid4,
        primary_key=True,
        sa_column_kwargs={"server_default": sa.text("gen_random_uuid()")},
    )


def _flag() -> Any:
    return Field(default=False, sa_column_kwargs={"server_default": sa.false()})


def _trigram(name: str, column: str) -> sa.Index:
    """An index for ILIKE '%...%' search (extension pg_trgm)."""
    return sa.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def _same_office(
    columns: list[str], target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    """A foreign key into ``target`` that also matches ``office_id``.

    Only a case owns rows (``ondelete="CASCADE"``); accounts and persons are
    disabled rather than deleted while anything refers to them.
    """
    return sa.ForeignKeyConstraint(
        ["office_id", *columns], [f"{target}.office_id", f"{target}.id"], ondelete=ondelete
    )


class Office(SQLModel, table=True):
    id: uuid.UUID = _id()
    name: str
    slug: str = Field(unique=True)
    last_folder_number: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _now()


class OfficeDataVersion(SQLModel, table=True):
    """How many times the office's data has changed: every write to a table whose rows a
    read can show moves it, in the writing transaction (triggers, migration 0007)."""

    __tablename__ = "office_data_version"
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    version: int = Field(sa_type=sa.BigInteger)


class OutboxStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class Account(SQLModel, table=True):
    """A login: staff (ADMIN, LAWYER), or a client (CLIENT) bound to one person.

    A client account is the person's portal access: ``granted_at`` is when it was
    last granted, ``disabled_at`` when it was revoked.
    """

    __table_args__ = (
        sa.UniqueConstraint("office_id", "email"),
        _same_office(["person_id"], "person"),
        sa.Index(
            "uq_account_person",
            "office_id",
            "person_id",
            unique=True,
            postgresql_where=sa.text("person_id IS NOT NULL"),
        ),
        sa.CheckConstraint(
            "(role = 'CLIENT') = (person_id IS NOT NULL)", name="ck_account_client_person"
        ),
        sa.CheckConstraint("email = lower(email)", name="ck_account_email_lower"),
    )
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    id: uuid.UUID = _id()
    email: str
    name: str
    role: Role = _enum(Role)
    password_hash: str | None = None
    person_id: uuid.UUID | None = None
    disabled_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_login_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    granted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = _now()
    # When a client turned the e-mails about court news off (the link in each of them).
    court_news_off_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class AuthSession(SQLModel, table=True):
    """One sign-in; every access token names it, so revoking it ends them all."""

    __tablename__ = "auth_session"
    __table_args__ = (_same_office(["account_id"], "account", "CASCADE"),)
    office_id: uuid.UUID = Field(primary_key=True)
    id: uuid.UUID = _id()
    account_id: uuid.UUID = Field(index=True)
    address: str | None = None
    user_agent: str | None = None
    # The OAuth client it was opened for ("causa": the password grant) and its scope.
    client_id: str = Field(
        default="causa", sa_type=sa.Text, sa_column_kwargs={"server_default": "causa"}
    )
    scope: str | None = None
    created_at: datetime = _now()
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class RefreshToken(SQLModel, table=True):
    """Refresh tokens are opaque; only their SHA-256 is kept. Each is used once."""

    __tablename__ = "refresh_token"
    __table_args__ = (_same_office(["session_id"], "auth_session", "CASCADE"),)
    office_id: uuid.UUID = Field(primary_key=True)
    token_hash: bytes = Field(primary_key=True)
    session_id: uuid.UUID = Field(index=True)
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = _now()


class Invitation(SQLModel, table=True):
    """A single-use link that lets an account set its password; only its SHA-256 is kept."""

    __table_args__ = (
        _same_office(["account_id"], "account", "CASCADE"),
        _same_office(["message_id"], "outbox_message"),
        sa.Index("ix_invitation_account", "office_id", "account_id"),
        sa.Index("ix_invitation_message", "office_id", "message_id"),
    )
    office_id: uuid.UUID = Field(primary_key=True)
    token_hash: bytes = Field(primary_key=True)
    account_id: uuid.UUID
    message_id: uuid.UUID | None = None  # the e-mail that carries it
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = _now()


class OAuthClientType(enum.StrEnum):
    PUBLIC = "public"  # a mobile or browser app: no secret, PKCE required
    CONFIDENTIAL = "confidential"  # a server: authenticates with its secret


class OAuthClient(SQLModel, table=True):
    """An app that signs accounts in (OAuth 2.1), registered by the office's admins.

    ``client_id`` is unique across offices: a sign-in names the app before any office
    is known. A confidential client's secret is kept as its SHA-256 only.
    """

    __tablename__ = "oauth_client"
    __table_args__ = (
        sa.CheckConstraint(
            "(type = 'confidential') = (secret_hash IS NOT NULL)", name="ck_oauth_client_secret"
        ),
    )
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    id: uuid.UUID = _id()
    client_id: str = Field(sa_type=sa.Text, unique=True)
    name: str
    type: str = Field(sa_type=sa.String(16))
    secret_hash: bytes | None = None
    redirect_uris: list[str] = Field(sa_type=sa.ARRAY(sa.Text))
    created_at: datetime = _now()
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class OAuthCode(SQLModel, table=True):
    """An authorization code (RFC 6749 §4.1.2), single-use and short-lived; only its
    SHA-256 is kept. ``session_id``: the session opened from it, revoked if it comes back."""

    __tablename__ = "oauth_code"
    __table_args__ = (
        _same_office(["client_id"], "oauth_client", "CASCADE"),
        _same_office(["account_id"], "account", "CASCADE"),
        _same_office(["session_id"], "auth_session", "CASCADE"),
        sa.Index("ix_oauth_code_account", "office_id", "account_id"),
    )
    office_id: uuid.UUID = Field(primary_key=True)
    code_hash: bytes = Field(primary_key=True)
    client_id: uuid.UUID  # the oauth_client row's id
    account_id: uuid.UUID
    redirect_uri: str = Field(sa_type=sa.Text)
    code_challenge: str | None = None
    code_challenge_method: str | None = Field(default=None, sa_type=sa.String(8))
    scope: str
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    session_id: uuid.UUID | None = None
    created_at: datetime = _now()


class OutboxMessage(SQLModel, table=True):
    """An e-mail Causa sends (or, with no SMTP server configured, keeps for staff to read).

    ``admin_only`` messages (a staff invitation, whose link sets a staff password) are
    never shown to lawyers.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_message_created", "office_id", sa.text("created_at DESC"), "id"),
    )
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    id: uuid.UUID = _id()
    recipient: str
    subject: str
    body: str
    admin_only: bool = _flag()
    status: OutboxStatus = _enum(
        OutboxStatus, default=OutboxStatus.QUEUED, sa_column_kwargs={"server_default": "QUEUED"}
    )
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = None
    created_at: datetime = _now()
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # The List-Unsubscribe URL sent with it (RFC 2369, RFC 8058), for e-mails a client may
    # turn off.
    unsubscribe_url: str | None = None


class PortalAction(enum.StrEnum):
    SIGN_IN = "SIGN_IN"
    CASE_LIST = "CASE_LIST"
    CASE_VIEW = "CASE_VIEW"
    DOCUMENT_DOWNLOAD = "DOCUMENT_DOWNLOAD"


class PortalActivity(SQLModel, table=True):
    """What a client did in the portal: signed in, listed or read folders, downloaded a
    document; kept for Marco Civil art. 15 (who, what, when, from which address).

    ``account_id``, ``person_id``, ``case_id`` and ``document_id`` are who read what then,
    kept as they were: no foreign key, so that the record outlives what it names (a
    removed person's log stays for its retention period, then the purge takes it).
    """

    __tablename__ = "portal_activity"
    __table_args__ = (
        sa.Index(
            "ix_portal_activity_person",
            "office_id",
            "person_id",
            sa.text("occurred_at DESC"),
            sa.text("id DESC"),
        ),
        sa.Index(
            "ix_portal_activity_account",
            "office_id",
            "account_id",
            sa.text("occurred_at DESC"),
            sa.text("id DESC"),
        ),
        sa.Index("ix_portal_activity_occurred", "occurred_at"),
    )
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    id: uuid.UUID = _id()
    occurred_at: datetime = _now()
    account_id: uuid.UUID
    person_id: uuid.UUID | None = None
    action: PortalAction = _enum(PortalAction, length=24)
    case_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=500)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per e-mail, keyed by a hash of it, and those still being checked.

    Sign-in comes before any office is known, so this table is the one not keyed
    by office. ``last_failure_at`` is when the row was made until a failure comes;
    ``pending`` attempts are being checked, the latest admitted at ``pending_since``.
    """

    __tablename__ = "login_throttle"
    key: bytes = Field(primary_key=True)
    failures: int
    last_failure_at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    locked_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    pending: int = 0
    pending_since: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class AddressThrottle(SQLModel, table=True):
    """Failed and successful sign-ins per client address, as counts that fade out.

    Each count loses the address limit's worth per window (db/throttle.py), so it
    measures the recent past only: a sliding window kept in one row per address.
    ``pending`` attempts are being checked, the latest admitted at ``pending_since``.
    """

    __tablename__ = "address_throttle"
    key: bytes = Field(primary_key=True)
    failures: float
    successes: float
    counted_at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    pending: int = 0
    pending_since: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Person(SQLModel, table=True):
    __table_args__ = (
        sa.Index(
            "uq_person_tax_id",
            "office_id",
            "tax_id",
            unique=True,
            postgresql_where=sa.text("tax_id IS NOT NULL"),
        ),
        sa.Index("ix_person_name", "office_id", "name"),
        _trigram("ix_person_name_trgm", "name"),
    )
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    id: uuid.UUID = _id()
    name: str
    kind: PersonKind = _enum(PersonKind)
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    notes: str | None = None
    created_at: datetime = _now()
    updated_at: datetime = _now()


class Case(SQLModel, table=True):
    __tablename__ = "case"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "folder"),
        sa.Index("ix_case_cnj_number", "office_id", "cnj_number"),
        sa.Index("ix_case_created", "office_id", sa.text("created_at DESC"), "id"),
        _trigram("ix_case_title_trgm", "title"),
        _same_office(["responsible_lawyer_id"], "account"),
    )
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    id: uuid.UUID = _id()
    folder: str
    title: str
    cnj_number: str | None = None
    court: str | None = None
    court_division: str | None = None
    district: str | None = None
    instance: str | None = None
    case_class: str | None = None
    subject: str | None = None
    filed_on: date | None = None
    claim_value: Decimal | None = Field(default=None, sa_type=sa.Numeric(16, 2))
    status: CaseStatus = _enum(
        CaseStatus, default=CaseStatus.ACTIVE, sa_column_kwargs={"server_default": "ACTIVE"}
    )
    phase: str | None = None
    responsible_lawyer_id: uuid.UUID | None = None
    internal_notes: str | None = None
    loss_risk: LossRisk | None = _enum(LossRisk, default=None, nullable=True)
    fee_agreement: str | None = None
    created_at: datetime = _now()
    updated_at: datetime = _now()


class CaseParty(SQLModel, table=True):
    __tablename__ = "case_party"
    __table_args__ = (
        _same_office(["case_id"], "case", "CASCADE"),
        _same_office(["person_id"], "person"),
        sa.Index("ix_case_party_person", "office_id", "person_id"),
    )
    office_id: uuid.UUID = Field(primary_key=True)
    case_id: uuid.UUID = Field(primary_key=True)
    person_id: uuid.UUID = Field(primary_key=True)
    role: PartyRole = _enum(PartyRole)
    is_client: bool = _flag()
    created_at: datetime = _now()


class Movement(SQLModel, table=True):
    __table_args__ = (
        _same_office(["case_id"], "case", "CASCADE"),
        _same_office(["created_by_id"], "account"),
        sa.Index("ix_movement_case", "office_id", "case_id", sa.text("occurred_at DESC"), "id"),
        sa.Index(
            "uq_movement_court_key",
            "office_id",
            "case_id",
            "court_key",
            unique=True,
            postgresql_where=sa.text("court_key IS NOT NULL"),
        ),
    )
    office_id: uuid.UUID = Field(primary_key=True)
    id: uuid.UUID = _id()
    case_id: uuid.UUID
    occurred_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    description: str
    code: int | None = None
    source: Source = _enum(Source)
    created_by_id: uuid.UUID | None = None
    created_at: datetime = _now()
    # A movement imported from the court: the SHA-256 of what identifies it (db/datajud.py),
    # so that importing the same data again adds nothing.
    court_key: bytes | None = None


class Document(SQLModel, table=True):
    """Document metadata; the bytes live in storage under ``storage_key``."""

    __table_args__ = (
        _same_office(["case_id"], "case", "CASCADE"),
        _same_office(["uploaded_by_id"], "account"),
        sa.Index("ix_document_case", "office_id", "case_id", sa.text("created_at DESC"), "id"),
    )
    office_id: uuid.UUID = Field(primary_key=True)
    id: uuid.UUID = _id()
    case_id: uuid.UUID
    title: str
    file_name: str
    content_type: str
    size_bytes: int = Field(sa_type=sa.BigInteger)
    sha256: str
    storage_key: str
    filed_on: date | None = None
    source: Source = _enum(Source)
    uploaded_by_id: uuid.UUID | None = None
    created_at: datetime = _now()


class CourtNews(SQLModel, table=True):
    """A COURT movement or document that a client of its case is to hear of by e-mail.

    Written by triggers on ``movement`` and ``document`` (migration 0011) for each client
    with portal access, whatever added the item; the worker sends what is due and sets
    ``sent_at`` and ``message_id`` (``sent_at`` without a message: the item needed no
    e-mail any more, e.g. it was made INTERNAL first). A row goes with its item.
    """

    __tablename__ = "court_news"
    __table_args__ = (
        _same_office(["person_id"], "person", "CASCADE"),
        _same_office(["case_id"], "case", "CASCADE"),
        _same_office(["movement_id"], "movement", "CASCADE"),
        _same_office(["document_id"], "document", "CASCADE"),
        sa.CheckConstraint(
            "(movement_id IS NULL) <> (document_id IS NULL)", name="ck_court_news_one_item"
        ),
        sa.Index("ix_court_news_client", "office_id", "person_id", "case_id", "sent_at"),
        sa.Index("ix_court_news_due", "office_id", postgresql_where=sa.text("sent_at IS NULL")),
    )
    office_id: uuid.UUID = Field(primary_key=True)
    id: uuid.UUID = _id()
    person_id: uuid.UUID
    case_id: uuid.UUID
    movement_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
    created_at: datetime = _now()
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    message_id: uuid.UUID | None = None


class Task(SQLModel, table=True):
    __table_args__ = (
        _same_office(["case_id"], "case", "CASCADE"),
        _same_office(["assignee_id"], "account"),
        sa.Index("ix_task_case", "office_id", "case_id"),
    )
    office_id: uuid.UUID = Field(primary_key=True)
    id: uuid.UUID = _id()
    case_id: uuid.UUID
    title: str
    due_on: date | None = None
    done: bool = _flag()
    assignee_id: uuid.UUID | None = None
    created_at: datetime = _now()


class Removal(SQLModel, table=True):
    """A row that staff removed: what it was (its type, its key, a short label), the case
    it belonged to, who removed it and when. Kept for the office's staff; nothing refers
    to the removed row any more, so the ids here are plain values, not foreign keys."""

    __table_args__ = (
        _same_office(["removed_by_id"], "account"),
        sa.Index("ix_removal_newest", "office_id", sa.text("removed_at DESC"), "id"),
    )
    office_id: uuid.UUID = Field(foreign_key="office.id", primary_key=True, ondelete="CASCADE")
    id: uuid.UUID = _id()
    type_name: str = Field(sa_type=sa.String(40))  # the GraphQL type: Movement, Case…
    object_key: str = Field(sa_type=sa.Text)  # the key its global id carried
    label: str = Field(sa_type=sa.Text)
    case_id: uuid.UUID | None = None
    removed_by_id: uuid.UUID
    removed_at: datetime = _now()


def table(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model, for composable selects."""
    result = model.__table__  # type: ignore[attr-defined]
    assert isinstance(result, sa.Table)
    return result


offices = table(Office)
accounts = table(Account)
auth_sessions = table(AuthSession)
refresh_tokens = table(RefreshToken)
invitations = table(Invitation)
oauth_clients = table(OAuthClient)
oauth_codes = table(OAuthCode)
outbox_messages = table(OutboxMessage)
portal_activities = table(PortalActivity)
login_throttles = table(LoginThrottle)
address_throttles = table(AddressThrottle)
persons = table(Person)
cases = table(Case)
case_parties = table(CaseParty)
movements = table(Movement)
documents = table(Document)
tasks = table(Task)
removals = table(Removal)
court_news = table(CourtNews)

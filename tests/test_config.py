"""Configuration from the environment, and the refusal to run production on the default secret."""

import pytest

from app import create_app
from app.config import DEFAULT_SECRET, ConfigError, normalise_database_url


def test_production_refuses_the_default_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("KHAOSAT_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("KHAOSAT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "8f1c0e" * 8)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://khaosat.tinh.gov.vn/")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["PUBLIC_BASE_URL"] == "https://khaosat.tinh.gov.vn"


def test_development_defaults_to_sqlite_in_the_instance_folder(monkeypatch):
    for name in ("KHAOSAT_ENV", "SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    app = create_app()
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/khaosat.sqlite")
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@db/khaosat", "postgresql+psycopg://u@db/khaosat"),
        ("postgresql://127.0.0.1:5432/test", "postgresql+psycopg://127.0.0.1:5432/test"),
        ("postgresql+psycopg://h/d", "postgresql+psycopg://h/d"),
        ("sqlite:////var/lib/khaosat.sqlite", "sqlite:////var/lib/khaosat.sqlite"),
    ],
)
def test_database_urls_get_the_psycopg3_driver(given, expected):
    assert normalise_database_url(given) == expected


def test_gunicorn_config_defaults_to_production(monkeypatch):
    import runpy

    monkeypatch.delenv("KHAOSAT_ENV", raising=False)
    settings = runpy.run_path("gunicorn.conf.py")
    import os

    assert os.environ["KHAOSAT_ENV"] == "production"
    assert "%(h)s" not in settings["access_log_format"]
    assert "%(q)s" not in settings["access_log_format"]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    from sqlalchemy import text

    from app.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite pragmas do not apply to the postgres run")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize(("settings", "message"), [
    ({"SMS_BACKEND": "console"}, "prints invitation links"),
    ({"SMS_BACKEND": "http"}, "SMS_GATEWAY_URL"),
    ({"SMS_BACKEND": "http", "SMS_GATEWAY_URL": "file:///etc/passwd"}, "SMS_GATEWAY_URL"),
    ({"SMS_BACKEND": "pigeon"}, "none, console or http"),
])
def test_production_refuses_an_sms_backend_that_would_print_links_or_go_nowhere(
        monkeypatch, tmp_path, settings, message):
    monkeypatch.setenv("KHAOSAT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "8f1c0e" * 8)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_production_sends_no_sms_until_a_gateway_is_set(monkeypatch, tmp_path):
    from app.sms import provider_from_config

    monkeypatch.setenv("KHAOSAT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "8f1c0e" * 8)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    monkeypatch.delenv("SMS_BACKEND", raising=False)
    assert provider_from_config(create_app().config) is None

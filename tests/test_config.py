"""Configuration from the environment, and the refusal to run production on the default secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import DEFAULT_SECRET, ConfigError, normalise_database_url

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.mark.parametrize(("url", "pilot", "message"), [
    (None, None, "needs PUBLIC_BASE_URL"),  # the default, 127.0.0.1: never on a sticker
    ("http://localhost:5000", None, "needs PUBLIC_BASE_URL"),
    ("khaosat.tinh.gov.vn", None, "needs PUBLIC_BASE_URL"),
    ("http://khaosat.tinh.gov.vn", None, "must be https"),
    ("http://10.0.0.5:8000", "1", None),  # an intranet pilot, said so explicitly
    ("https://khaosat.tinh.gov.vn", None, None),
])
def test_production_refuses_to_print_an_address_no_phone_opens(monkeypatch, tmp_path, url,
                                                                pilot, message):
    monkeypatch.setenv("KHAOSAT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "8f1c0e" * 8)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    for name, value in (("PUBLIC_BASE_URL", url), ("PUBLIC_BASE_URL_ALLOW_HTTP", pilot)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if message is None:
        assert create_app().config["PUBLIC_BASE_URL"] == url
        return
    with pytest.raises(ConfigError, match=message):
        create_app()
    # The command that prints stickers starts the app the same way: it refuses too.
    printed = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "print-stickers",
                              "--output", str(tmp_path / "tem.pdf")], cwd=ROOT,
                             env={**os.environ}, capture_output=True, text=True)
    assert printed.returncode != 0 and message in printed.stderr + printed.stdout


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

    # Set first, so that the undo removes what gunicorn.conf.py writes into os.environ (a
    # production KHAOSAT_ENV left behind would reach every later test's subprocesses).
    monkeypatch.setenv("KHAOSAT_ENV", "unset")
    monkeypatch.delenv("KHAOSAT_ENV")
    settings = runpy.run_path("gunicorn.conf.py")
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
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://khaosat.tinh.gov.vn")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_production_sends_no_sms_until_a_gateway_is_set(monkeypatch, tmp_path):
    from app.sms import provider_from_config

    monkeypatch.setenv("KHAOSAT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "8f1c0e" * 8)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://khaosat.tinh.gov.vn")
    monkeypatch.delenv("SMS_BACKEND", raising=False)
    assert provider_from_config(create_app().config) is None


def test_make_run_for_phones_on_the_network_prints_this_machines_address():
    """`make run HOST=0.0.0.0`: the links it lists and the stickers it prints carry the address
    a phone on the same network opens, not 127.0.0.1 (make -n: what it would run)."""
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    planned = subprocess.run(["make", "-n", "run", "HOST=0.0.0.0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
    address = (subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
               or ["127.0.0.1"])[0]
    serve = next(line for line in planned.splitlines() if " run --host " in line)
    assert f"PUBLIC_BASE_URL=http://{address}:5000 " in serve and "--host 0.0.0.0" in serve
    listed = next(line for line in planned.splitlines() if "list-counters" in line)
    assert f"PUBLIC_BASE_URL=http://{address}:5000 " in listed
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True).stdout
    assert "PUBLIC_BASE_URL=http://127.0.0.1:5000 " in default and "--host 127.0.0.1" in default

"""Shared fixtures: an app on a fresh database per test, on SQLite or on PostgreSQL.

TEST_DATABASE_URL=postgresql://127.0.0.1:5432/test runs the suite on a throwaway database
created on that server for this run and dropped afterwards; unset, a temporary SQLite file.
"""

import os
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app
from app.config import normalise_database_url
from app.extensions import db, limiter
from tests.helpers import AuthActions
from tests.sms_gateway import gateway, sending  # noqa: F401 (fixtures for every test)

# Two runs on one machine (a developer's and CI's) share the Redis server: each run keeps its
# rate-limit keys under its own prefix, and resets only those.
RUN_ID = uuid.uuid4().hex[:12]
LIMITS_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
BASE_CONFIG = {
    "TESTING": True,
    "KHAOSAT_ENV": "development",
    "SECRET_KEY": "test-secret",
    "PUBLIC_BASE_URL": "https://khaosat.example.vn",
    "RATELIMIT_STORAGE_URI": LIMITS_URI,
    "RATELIMIT_STORAGE_OPTIONS": (
        {"key_prefix": f"khaosat-test-{RUN_ID}"} if LIMITS_URI.startswith("redis") else {}),
    # scrypt costs ~50 ms a hash; test_auth.py checks the production method on its own.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    # Most tests play many citizens in a second from one address; tests/test_integrity.py
    # plays the production defaults (app/config.py) against scripts and honest pacing.
    "SURVEY_MIN_SECONDS": 0,
    "SURVEY_SUBMIT_LIMIT": "1000 per minute",
    "SURVEY_OPEN_LIMIT": "1000 per minute",
    "SURVEY_BURST": "1000 per minute",
    "SURVEY_IDENTICAL_RUN": 1000,
    "SURVEY_ONE_PLACE": "1000 per minute",
    "OFFICE_HOURS": "00:00-23:59:59",
    # Each completed form moves from the inbox at once; tests/test_anonymity.py plays batches.
    "SURVEY_MOVE_MINUTES": 0,
}


def pytest_report_header(config):
    where = os.environ.get("TEST_DATABASE_URL") or "SQLite (temporary file)"
    return f"khaosat database under test: {where}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "khaosat-test.sqlite")
        return
    url = make_url(normalise_database_url(server))
    name = f"khaosat_test_{RUN_ID}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is not reachable: {exc}", 3)
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url):
    """Build the schema once per run, the way production does: through the migrations."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(migrated_database):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database})
    yield app
    empty(app)


def empty(app) -> None:
    """Leave nothing for the next test: limiter counts, rows, connections."""
    with app.app_context():
        limiter.reset()  # login attempts counted in Redis must not leak into the next test
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for tests that call domain functions directly."""
    with app.app_context():
        yield


@pytest.fixture
def auth(client):
    return AuthActions(client)

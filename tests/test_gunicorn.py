"""The production server as configured in gunicorn.conf.py: survey visits stay out of its log."""

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port, start_gunicorn

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture
def production_env(tmp_path):
    env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": "k" * 64,
           "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite",
           "PUBLIC_BASE_URL": "https://khaosat.example.vn"}
    for command in (["db", "upgrade"], ["seed-demo", "--history-days", "0"]):
        subprocess.run([BIN / "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True)
    return env


def test_gunicorn_serves_the_survey_without_logging_the_visit(production_env, tmp_path):
    listing = subprocess.run([BIN / "flask", "--app", "wsgi", "list-counters"], cwd=ROOT,
                             env=production_env, check=True, capture_output=True, text=True)
    code = re.search(r"/q/([0-9A-Z]{8})", listing.stdout).group(1)
    access_log = tmp_path / "access.log"
    env = {**production_env, "GUNICORN_ACCESSLOG": str(access_log)}
    server, base = start_gunicorn(env, free_port(), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
    try:
        headers = {"User-Agent": "CheapPhone/1.0 marker", "X-Forwarded-For": "203.0.113.9"}
        page = urllib.request.urlopen(
            urllib.request.Request(f"{base}/q/{code}?lang=en", headers=headers), timeout=5)
        assert page.status == 200 and b"Do not take part" in page.read()
        post = urllib.request.urlopen(urllib.request.Request(
            f"{base}/q/{code}", data=b"decline=1", headers=headers, method="POST"), timeout=5)
        assert post.status == 200
        urllib.request.urlopen(f"{base}/static/survey.css?v=2", timeout=5)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    log = access_log.read_text()
    assert '"GET /static/survey.css" 200' in log  # staff and static requests are logged...
    assert "/q/" not in log and code not in log  # ...survey requests are not
    assert "127.0.0.1" not in log and "203.0.113.9" not in log and "marker" not in log
    assert "v=2" not in log  # no query strings at all
    assert code not in output and "203.0.113.9" not in output


def test_production_with_several_workers_refuses_limits_kept_in_memory(production_env):
    env = {**production_env, "GUNICORN_WORKERS": "2", "RATELIMIT_STORAGE_URI": "memory://",
           "GUNICORN_BIND": "127.0.0.1:0"}
    started = subprocess.run([BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode != 0
    assert "set RATELIMIT_STORAGE_URI=redis://" in started.stderr


def test_json_logs_are_one_object_a_line_and_still_leave_survey_visits_out(production_env,
                                                                          tmp_path):
    import json

    listing = subprocess.run([BIN / "flask", "--app", "wsgi", "list-counters"], cwd=ROOT,
                             env=production_env, check=True, capture_output=True, text=True)
    code = re.search(r"/q/([0-9A-Z]{8})", listing.stdout).group(1)
    access_log = tmp_path / "access.log"
    env = {**production_env, "GUNICORN_ACCESSLOG": str(access_log), "LOG_FORMAT": "json"}
    server, base = start_gunicorn(env, free_port(), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
    try:
        urllib.request.urlopen(f"{base}/login?next=/x", timeout=5)
        urllib.request.urlopen(f"{base}/q/{code}", timeout=5)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    lines = [json.loads(line) for line in access_log.read_text().splitlines()]
    assert {"method": "GET", "path": "/login", "status": 200}.items() <= lines[-1].items()
    assert all("/q/" not in line["path"] for line in lines)  # no survey visit, no query
    errors = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert errors and all({"time", "level", "message"} <= set(e) for e in errors)
    assert code not in output

"""Attack a production-mode khaosat on 127.0.0.1 with sqlmap and wapiti3, bounded in time.

    .venv/bin/python bench/security.py [--database postgresql://127.0.0.1:5432/test]
                                       [--minutes 6] [--level 3 --risk 2] [--only sqlmap|wapiti]

Needs sqlmap (Debian: apt-get install sqlmap); wapiti3 gets a virtualenv of its own in
~/.cache/khaosat-wapiti on first use (PyPI). Starts one gunicorn worker with KHAOSAT_ENV=
production on a throwaway database (SQLite, or a database created on the given PostgreSQL and
dropped after), the demo province and an admin account, then:

  sqlmap  the survey POST (every field, with its CSRF token fetched for each request), the
          login form, the manual tally form of an admin (POST, CSRF) and the GET filters of
          the audit log and the dashboard; each at --level/--risk, at most --minutes
  wapiti  crawls from /, /login and a survey page with the admin's cookie, modules
          sql,timesql,xss,permanentxss,exec,file,redirect,http_headers,cookieflags,csp,csrf,
          crlf,upload, at most --minutes. Never ssrf or xxe: they call hosts outside this
          machine. --no-bugreport, for the same reason.

The instance runs with rate limits off (RATELIMIT_ENABLED=False): with them on, thousands of
requests from one address meet 429s, not the code under test (the limits have their own tests
and bench/integrity.py). Cookies go without Secure, as the scan speaks plain HTTP.

Prints each tool's verdict, every finding, and the server errors (5xx) the app logged; exits 1
if an injection was found or the app answered any request with a server error.
"""

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from throwaway import throwaway_database  # bench/, the folder this script runs from

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WAPITI_VENV = Path.home() / ".cache" / "khaosat-wapiti"
WAPITI_VERSION = "3.2.3"  # the newest that runs on Python 3.11
WAPITI_MODULES = ("sql,timesql,xss,permanentxss,exec,file,redirect,http_headers,cookieflags,"
                  "csp,csrf,crlf,upload")
SHIM = '''from app import create_app

# bench/security.py: limits off (the scan is one address), cookies over plain HTTP, and this
# run's own keys in Redis (the survey's odd-answer counts still use it).
app = create_app({"RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                  "RATELIMIT_KEY_PREFIX": "%s"})
'''
ADMIN, PASSWORD = "scanadmin", "a long scan password 2026"
ANSWERS = {"channel": "in_person", "immediate": "no", "access": "4", "procedure": "5",
           "officer": "3", "result": "4", "feedback": "2", "overall": "5", "on_time": "yes",
           "extra_demand": "no", "comment": "Tốt", "submit": "1"}
HIDDEN = re.compile(r'name="(csrf_token|ticket)"[^>]*value="([^"]*)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    return subprocess.run([BIN / "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, check=True).stdout


def wapiti() -> Path:
    """wapiti3 in its own virtualenv (its pins clash with the app's)."""
    exe = WAPITI_VENV / "bin" / "wapiti"
    if not exe.exists():
        print(f"Installing wapiti3 {WAPITI_VERSION} into {WAPITI_VENV} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", WAPITI_VENV], check=True)
        subprocess.run([WAPITI_VENV / "bin" / "pip", "install", "-q",
                        f"wapiti3=={WAPITI_VERSION}"], check=True)
    return exe


class Browser:
    """Just enough of a browser to fetch a form, its hidden fields and a login cookie."""

    def __init__(self, base: str):
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def hidden(self, path: str) -> dict[str, str]:
        html = self.opener.open(self.base + path, timeout=10).read().decode()
        return dict(HIDDEN.findall(html))

    def post(self, path: str, data: dict) -> None:
        self.opener.open(self.base + path, urllib.parse.urlencode(data).encode(), timeout=10)

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def sqlmap(name: str, url: str, args: list[str], opts, out: Path) -> dict:
    """One sqlmap run; returns its verdict and the HTTP errors it met."""
    cmd = ["sqlmap", "-u", url, "--batch", "--flush-session", "--disable-coloring",
           f"--level={opts.level}", f"--risk={opts.risk}", "--time-sec=2", "--timeout=15",
           f"--output-dir={out}", *args]
    print(f"sqlmap: {name} …", flush=True)
    try:
        text = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=opts.minutes * 60).stdout
        finished = True
    except subprocess.TimeoutExpired as exc:
        text = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        finished = False
    (out / f"{name}.log").write_text(text)
    injectable = re.findall(r"parameter '([^']+)' (?:is|appears to be) '?[^\n]*injectable",
                            text, re.I)
    injectable = [p for p in injectable if "not" not in p]
    verdict = ("INJECTABLE: " + ", ".join(injectable) if re.search(
        r"sqlmap identified the following injection point", text) else
        "no injection" if "do not appear to be injectable" in text or finished else
        "no injection found before the time limit")
    errors = re.findall(r"^(\d{3}) \([^)]*\) - (\d+) times", text, re.M)
    return {"target": name, "verdict": verdict, "http_errors": errors,
            "tested": len(re.findall(r"testing '", text))}


def run_sqlmap(base: str, code: str, ids: dict, opts, out: Path,
               admin_cookie: str) -> list[dict]:
    results = []
    # The survey and the login: one browser's cookie and tokens, kept for every request
    # (--drop-set-cookie). Re-fetching the form after an answer would meet the phone's
    # "answered here today" page, which has no form to fill.
    citizen = Browser(base)
    data = urllib.parse.urlencode({**citizen.hidden(f"/q/{code}"), **ANSWERS})
    results.append(sqlmap("survey POST", f"{base}/q/{code}", [
        f"--data={data}", f"--cookie={citizen.cookie()}", "--drop-set-cookie"], opts, out))
    guesser = Browser(base)
    data = urllib.parse.urlencode({**guesser.hidden("/login"), "username": ADMIN,
                                   "password": "wrong"})
    results.append(sqlmap("login POST", f"{base}/login", [
        f"--data={data}", f"--cookie={guesser.cookie()}", "--drop-set-cookie",
        "--ignore-code=401"], opts, out))
    authenticated = [f"--cookie={admin_cookie}", "--skip=session,khaosat_known_device"]
    tally = urllib.parse.urlencode({"csrf_token": "x", "counter": ids["counter"],
                                    "day": time.strftime("%Y-%m-%d"), "returned": 5,
                                    "immediate": 1, "online": 0, "postal": 0})
    results.append(sqlmap("tally form POST (admin)", f"{base}/staff/tallies", [
        f"--data={tally}", "--csrf-token=csrf_token", f"--csrf-url={base}/staff/tallies",
        *authenticated], opts, out))
    results.append(sqlmap(
        "audit filter GET (admin)",
        f"{base}/admin/audit?actor=admin&object_type=unit&since=2026-01-01&until=2026-12-31"
        "&page=1", authenticated, opts, out))
    results.append(sqlmap(
        "dashboard GET (admin)",
        f"{base}/reports/?campaign={ids['campaign']}&period=custom&start=2026-01-05"
        f"&end=2026-12-27&unit={ids['root']}&sort=name", authenticated, opts, out))
    return results


def run_wapiti(base: str, code: str, opts, out: Path, admin_cookie: str) -> dict:
    report = out / "wapiti.json"
    cmd = [wapiti(), "-u", f"{base}/", "-s", f"{base}/login", "-s", f"{base}/q/{code}",
           "-s", f"{base}/staff/", "--scope", "domain", "-m", WAPITI_MODULES,
           # The scan's time limit covers the crawl; each of the 13 modules gets its share.
           "--max-scan-time", str(opts.minutes * 60),
           "--max-attack-time", str(max(20, opts.minutes * 60 // 13)),
           "-d", "5", "--max-links-per-page", "40", "--flush-session", "--no-bugreport",
           "--store-session", str(out / "wapiti-session"), "-f", "json", "-o", str(report),
           "-C", admin_cookie, "-x", f"{base}/logout", "-x", f"{base}/password",
           "-x", f"{base}/stickers.pdf*", "--tasks", "4", "-v", "0",
           # Closing the campaign or retiring codes would leave the survey nothing to attack.
           "-x", f"{base}/admin/campaigns/*/close", "-x", f"{base}/staff/counters/*/reissue"]
    print("wapiti: crawl and attack …", flush=True)
    with open(out / "wapiti.log", "w") as log:
        subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=opts.minutes * 180)
    data = json.loads(report.read_text())
    findings = {kind: [(v.get("method"), v.get("path"), v.get("parameter"), v.get("info"))
                       for v in items] for kind, items in data["vulnerabilities"].items() if items}
    anomalies = {kind: [(v.get("method"), v.get("path"), v.get("parameter"), v.get("info"))
                        for v in items] for kind, items in data["anomalies"].items() if items}
    crawled = data.get("infos", {}).get("crawled_pages_nbr") or len(data.get("crawled_pages", []))
    return {"findings": findings, "anomalies": anomalies, "crawled": crawled}


def replay_without_token(admin: Browser, findings: list) -> list[str]:
    """wapiti says "lack of anti-CSRF token" when the request it recorded had none: send each
    such POST as the admin without a token and see whether the app refuses it."""
    checked = []
    for _method, path, _parameter, _info in findings:
        try:
            admin.post(urllib.parse.urlsplit(path).path, {"probe": "1"})
            checked.append(f"{path}: ACCEPTED without a token")
        except urllib.error.HTTPError as exc:
            refused = exc.code == 400 and "Phiên làm việc đã hết hạn" in exc.read().decode()
            checked.append(f"{path}: {exc.code}" + (" — refused without a token (as every "
                                                     "staff POST is)" if refused else ""))
    return checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--minutes", type=int, default=6, help="time limit of each tool run")
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("--risk", type=int, default=2)
    parser.add_argument("--only", choices=("sqlmap", "wapiti"))
    opts = parser.parse_args()
    if opts.only != "wapiti" and shutil.which("sqlmap") is None:
        sys.exit("bench/security.py needs sqlmap: apt-get install sqlmap")
    work = Path(tempfile.mkdtemp(prefix="khaosat-security-"))
    print(f"Logs and reports in {work}", flush=True)
    with throwaway_database(opts.database, work) as url:
        failed = scan(opts, url, work)
    sys.exit(1 if failed else 0)


def scan(opts, url: str, work: Path) -> bool:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": url, "PUBLIC_BASE_URL": base,
           "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                   "redis://127.0.0.1:6379/0"),
           "SURVEY_MIN_SECONDS": "0", "GUNICORN_WORKERS": "2",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "PYTHONPATH": f"{work}:{ROOT}"}
    flask(env, "db", "upgrade")
    flask(env, "seed-demo", "--history-days", "3")
    listing = flask(env, "list-counters")
    code = re.search(r"/q/([A-Z0-9]+)", listing).group(1)
    probe = ("from app import create_app; from app.extensions import db; "
             "from app.models import Campaign, Counter, Unit; from sqlalchemy import select\n"
             f"app = create_app()\nwith app.app_context():\n"
             f"  c = db.session.scalars(select(Counter).where(Counter.code == '{code}')).one()\n"
             "  root = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))).first()\n"
             "  campaign = db.session.scalars(select(Campaign)).first()\n"
             "  print(c.id, root.id, campaign.id, root.code)")
    counter_id, root_id, campaign_id, province = subprocess.run(
        [BIN / "python", "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True).stdout.split()
    ids = {"counter": counter_id, "root": root_id, "campaign": campaign_id}
    flask(env, "create-user", ADMIN, "--role", "admin", "--unit", province, "--password-stdin",
          stdin=f"{PASSWORD}\n{PASSWORD}\n")
    (work / "scan_app.py").write_text(SHIM % f"khaosat-security-{work.name}")
    with open(work / "gunicorn.log", "w") as log:
        served = serve_and_scan(opts, env, work, log, base, code, ids)
    sql, wap, seconds = served
    served = (work / "gunicorn.log").read_text()
    server_errors = re.findall(r'"(\w+ [^"]+)" (5\d\d) ', served)
    survey_errors = served.count("a survey request failed with")
    return report(opts, url, sql, wap, server_errors, survey_errors, seconds,
                  served.count('" 2') + served.count('" 3'))


def serve_and_scan(opts, env, work, log, base, code, ids):
    server = subprocess.Popen([BIN / "gunicorn", "-c", ROOT / "gunicorn.conf.py",
                               "scan_app:app"], cwd=work, env=env, stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        admin = Browser(base)
        admin.post("/login", {**admin.hidden("/login"), "username": ADMIN,
                              "password": PASSWORD})
        cookie = admin.cookie()
        assert "session=" in cookie, "the scan's admin could not log in"
        started = time.monotonic()
        sql = [] if opts.only == "wapiti" else run_sqlmap(base, code, ids, opts, work, cookie)
        wap = None if opts.only == "sqlmap" else run_wapiti(base, code, opts, work, cookie)
        if wap:
            wap["csrf_checked"] = replay_without_token(admin, wap["findings"].get(
                "Cross Site Request Forgery", []))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return sql, wap, time.monotonic() - started


def report(opts, url, sql, wap, server_errors, survey_errors, seconds, staff_requests) -> bool:
    print(f"\nkhaosat security scan — {url.split(':')[0]}, level {opts.level} risk {opts.risk}, "
          f"{opts.minutes} min per run, {seconds / 60:.1f} min in all")
    bad = False
    for r in sql:
        errors = ", ".join(f"{c}×{n}" for c, n in r["http_errors"]) or "none"
        print(f"  sqlmap {r['target']:<28} {r['verdict']}; {r['tested']} techniques; "
              f"HTTP errors: {errors}")
        bad |= r["verdict"].startswith("INJECTABLE") or any(
            c.startswith("5") for c, _n in r["http_errors"])
    if wap is not None:
        print(f"  wapiti {WAPITI_VERSION}: {wap['crawled']} pages crawled; "
              f"modules {WAPITI_MODULES}")
        for kind, items in {**wap["findings"], **wap["anomalies"]}.items():
            print(f"    {kind}: {len(items)}")
            for method, path, parameter, info in items[:8]:
                print(f"      {method} {path} [{parameter}] {info}")
        for line in wap["csrf_checked"]:
            print(f"    replayed as the admin: {line}")
        bad |= any("ACCEPTED" in line for line in wap["csrf_checked"])
        bad |= any(kind in wap["findings"] for kind in (
            "SQL Injection", "Blind SQL Injection", "Cross Site Scripting",
            "Stored Cross Site Scripting", "Command execution", "Path Traversal",
            "Open Redirect", "CRLF Injection", "Unrestricted File Upload"))
        bad |= bool(wap["anomalies"].get("Internal Server Error"))
    print(f"  server errors logged: {len(server_errors)} staff, {survey_errors} survey "
          f"({staff_requests} staff requests answered 2xx/3xx)")
    for line, status in server_errors[:10]:
        print(f"    {status} {line}")
    bad |= bool(server_errors) or bool(survey_errors)
    print("RESULT:", "FINDINGS — see above" if bad else "nothing exploitable found")
    return bad


if __name__ == "__main__":
    main()

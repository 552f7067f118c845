"""Attack a production-mode khaosat on 127.0.0.1 with sqlmap and wapiti3, bounded in time.

    .venv/bin/python bench/security.py [--database postgresql://127.0.0.1:5432/test]
                                       [--minutes 20] [--level 3 --risk 2] [--only sqlmap|wapiti]

Needs sqlmap (Debian: apt-get install sqlmap); wapiti3 gets a virtualenv of its own in
~/.cache/khaosat-wapiti on first use (PyPI). Starts two gunicorn workers with KHAOSAT_ENV=
production on a throwaway database (SQLite, or a database created on the given PostgreSQL and
dropped after), the demo province, an admin of the province and a manager of one commune:

  sqlmap  the survey POST (every answer field; a fresh CSRF token and one-time ticket fetched
          for each request, so a payload that passes the form's checks is stored: the run
          counts the forms that reached the database), the login form, the admin's manual
          tally form, the GET filters of the audit log and the dashboard, and the JSON API's
          post of returned dossiers (a preview, with a key the admin makes), each with the
          form's real field names (-p) and a fresh CSRF token per request; at --level/--risk,
          at most --minutes each. A target is finished only when sqlmap finished every one of
          its parameters; otherwise the run says which were not and does not call itself clean.
  wapiti  crawls from /, /login and a survey page with the admin's cookie, one URL per path
          and set of parameter names (-S paranoid) and 12 pages a folder at most, modules
          sql,timesql,xss,permanentxss,exec,file,redirect,http_headers,cookieflags,csp,csrf,
          crlf,upload, at most --minutes. Never ssrf or xxe: they call hosts outside this
          machine. --no-bugreport, for the same reason. Each "CSRF" finding is replayed as the
          admin with the recorded request's own fields: once without its token, once with a
          wrong one under the token's real name; the app must refuse both.
  scope   the commune's manager asks for another unit's reports, counter and accounts, the
          province's pressure reports and the audit log: every answer must be 403 or 404
          (and the manager's own unit must answer 200, or the check proves nothing).
  files   the crafted spreadsheets of bench/tally_files.py uploaded by the admin while a
          phone keeps scanning: each refused (422) within the reading ceiling, the survey
          answered meanwhile.

The instance runs with rate limits off (RATELIMIT_ENABLED=False): with them on, thousands of
requests from one address meet 429s, not the code under test (the limits have their own tests
and bench/integrity.py). Cookies go without Secure, as the scan speaks plain HTTP.

Prints each check's verdict, every finding, and the server errors (5xx) the app logged; exits
1 on a finding (injection, a POST accepted without its token, a page outside the manager's
scope, a crafted file read or slow, any 5xx), 2 if a target did not finish, else 0.
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
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import tally_files as crafted_files  # bench/, the folder this script runs from
from throwaway import throwaway_database

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
ADMIN, MANAGER, PASSWORD = "scanadmin", "scanmanager", "a long scan password 2026"
ANSWERS = {"channel": "in_person", "immediate": "no", "access": "4", "procedure": "5",
           "officer": "3", "result": "4", "feedback": "2", "overall": "5", "on_time": "yes",
           "extra_demand": "no", "comment": "Tốt", "submit": "1"}
HIDDEN = re.compile(r'name="(csrf_token|ticket)"[^>]*value="([^"]*)"')
# What each sqlmap run asks for a fresh token with: a module the scan writes, imported by
# sqlmap's --eval (no semicolons may appear in --eval itself).
FRESH = '''import http.client
import re
import urllib.parse

FIELD = re.compile(r'name="([\\w-]+)"[^>]*value="([^"]*)"')


def fields(url, cookie, *names):
    """The named hidden fields of a fresh copy of the page, fetched with the scan's cookie.
    http.client, not urllib: sqlmap installs its own global urllib opener (keep-alive, its
    cookie jar), on which this fetch hung after a thousand requests."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", parts.path, headers={"Cookie": cookie, "Connection": "close"})
        found = dict(FIELD.findall(connection.getresponse().read().decode()))
    finally:
        connection.close()
    return [found[name] for name in names]
'''


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

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def post(self, path: str, data, headers: dict | None = None) -> tuple[int, str]:
        body = data if isinstance(data, bytes) else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def login(self, username: str) -> "Browser":
        self.post("/login", {**self.hidden("/login"), "username": username,
                             "password": PASSWORD})
        assert "session=" in self.cookie(), f"the scan's {username} could not log in"
        return self

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def sqlmap(name: str, url: str, params: list[str], args: list[str], opts, out: Path) -> dict:
    """One sqlmap run on the named parameters; its verdict, the parameters it finished, the
    requests it sent and the HTTP errors it met."""
    traffic = out / f"{name.replace(' ', '-')}.traffic"
    # --disable-precon: sqlmap opens sockets ahead of its requests; two idle ones hold both
    # sync workers (gunicorn reads a request as it comes: nginx in front buffers it in
    # production), and the fresh form's fetch then waited for a worker until a timeout.
    cmd = ["sqlmap", "-u", url, "--batch", "--flush-session", "--disable-coloring",
           "--disable-precon",
           f"--level={opts.level}", f"--risk={opts.risk}", "--time-sec=2", "--timeout=15",
           f"--output-dir={out}", "-p", ",".join(params), "-t", str(traffic), *args]
    print(f"sqlmap: {name} …", flush=True)
    started = time.monotonic()
    try:
        text = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=opts.minutes * 60).stdout
        timed_out = False
    except subprocess.TimeoutExpired as exc:
        text = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        timed_out = True
    (out / f"{name}.log").write_text(text)
    # Only what sqlmap confirmed: its "identified the following injection point(s)" block
    # ("Parameter: x (GET)"); an "appears to be injectable" it then calls a false positive
    # is not a finding.
    confirmed = text.split("sqlmap identified the following injection point", 1)
    injectable = sorted(set(re.findall(r"^Parameter: (?:JSON )?(\S+) \(", confirmed[1],
                                       re.M))) \
        if len(confirmed) > 1 else []
    done = {name.removeprefix("JSON ") for name in  # a JSON body's keys: "JSON returned_on"
            re.findall(r"parameter '([^']+)' does not seem to be injectable", text)}
    done |= set(injectable)
    unfinished = [p for p in params if p not in done]
    if "error occurred while evaluating provided code" in text:  # the fresh form's fetch
        unfinished = unfinished or params
    if "sqlmap identified the following injection point" in text or injectable:
        verdict = "INJECTABLE: " + (", ".join(injectable) or "see the log")
    elif unfinished:
        verdict = ("UNFINISHED" + (" (time limit)" if timed_out else "") + ": not finished "
                   + ", ".join(unfinished))
    else:
        verdict = "no injection"
    requests = traffic.read_text(errors="replace").count("HTTP request [#") \
        if traffic.exists() else 0
    errors = re.findall(r"^(\d{3}) \([^)]*\) - (\d+) times", text, re.M)
    return {"target": name, "verdict": verdict, "http_errors": errors, "requests": requests,
            "finished": not unfinished and not timed_out, "params": len(params),
            "minutes": (time.monotonic() - started) / 60}


def run_sqlmap(base: str, code: str, ids: dict, opts, out: Path, admin: Browser,
               count_forms) -> list[dict]:
    results = []
    (out / "fresh.py").write_text(FRESH)
    # The survey: one phone's session cookie (it holds the CSRF secret; --drop-set-cookie
    # keeps it), and before each request a fresh copy of the form for a new token and ticket.
    citizen = Browser(base)
    citizen.hidden(f"/q/{code}")
    (out / "survey_cookie.txt").write_text(citizen.cookie())
    fields = [k for k in ANSWERS if k != "submit"]
    data = urllib.parse.urlencode({"csrf_token": "x", "ticket": "x", **ANSWERS})
    fresh = (f"import sys;sys.path.insert(0,'{out}');import fresh;"
             f"csrf_token,ticket=fresh.fields('{base}/q/{code}',"
             f"open('{out}/survey_cookie.txt').read(),'csrf_token','ticket')")
    before = count_forms()
    survey = sqlmap("survey POST", f"{base}/q/{code}", fields, [
        f"--data={data}", f"--cookie={citizen.cookie()}", "--drop-set-cookie",
        f"--eval={fresh}"], opts, out)
    survey["stored"] = count_forms() - before
    results.append(survey)
    guesser = Browser(base)
    guesser.hidden("/login")
    data = urllib.parse.urlencode({"csrf_token": "x", "username": ADMIN, "password": "wrong"})
    results.append(sqlmap("login POST", f"{base}/login", ["username", "password"], [
        f"--data={data}", f"--cookie={guesser.cookie()}", "--drop-set-cookie",
        "--csrf-token=csrf_token", f"--csrf-url={base}/login", "--ignore-code=401"],
        opts, out))
    authenticated = [f"--cookie={admin.cookie()}", "--drop-set-cookie"]
    tally = {"t-counter": ids["counter"], "t-day": time.strftime("%Y-%m-%d"),
             "t-returned": 5, "t-immediate": 1, "t-online": 0, "t-postal": 0}
    results.append(sqlmap("tally form POST (admin)", f"{base}/staff/tallies", list(tally), [
        f"--data={urllib.parse.urlencode({'t-csrf_token': 'x', **tally})}",
        "--csrf-token=t-csrf_token", f"--csrf-url={base}/staff/tallies", *authenticated],
        opts, out))
    audit = {"actor": "admin", "object_type": "unit", "since": "2026-01-01",
             "until": "2026-12-31", "page": "1"}
    results.append(sqlmap("audit filter GET (admin)",
                          f"{base}/admin/audit?{urllib.parse.urlencode(audit)}", list(audit),
                          authenticated, opts, out))
    dashboard = {"campaign": ids["campaign"], "period": "custom", "start": "2026-01-05",
                 "end": "2026-12-27", "unit": ids["root"], "sort": "name"}
    results.append(sqlmap("dashboard GET (admin)",
                          f"{base}/reports/?{urllib.parse.urlencode(dashboard)}",
                          list(dashboard), authenticated, opts, out))
    # The one-stop system's JSON post, with an API key the admin makes on its page; a preview,
    # so that nothing is queued however many payloads pass.
    secret = api_key(admin, ids["province"])
    dossier = {"returned_on": time.strftime("%Y-%m-%d"), "counter_code": code,
               "phone": "0912345678", "channel": "truc_tiep", "dossier": "HS-0001"}
    results.append(sqlmap("API POST (key)", f"{base}/api/v1/returned-dossiers", list(dossier), [
        f"--data={json.dumps({'preview': True, 'dossiers': [dossier]})}",
        f"--headers=Authorization: Bearer {secret}\nContent-Type: application/json"],
        opts, out))
    return results


def api_key(admin: Browser, unit_code: str) -> str:
    """A key for invitations over the province, made as an admin makes one."""
    status, html = admin.post("/admin/api-keys", {
        **admin.hidden("/admin/api-keys"), "name": "security scan", "unit": unit_code,
        "purpose": "invitations"})
    found = re.search(r'<code class="secret">([^<]+)</code>', html)
    assert status == 201 and found, f"the scan's admin could not make an API key ({status})"
    return found[1]


def run_wapiti(base: str, code: str, opts, out: Path, admin_cookie: str) -> dict:
    """The crawl (at most --minutes) and each module's attack (at most --minutes each).
    Finished only if wapiti stopped neither the crawl nor a module at its time limit."""
    report = out / "wapiti.json"
    cmd = [wapiti(), "-u", f"{base}/", "-s", f"{base}/login", "-s", f"{base}/q/{code}",
           "-s", f"{base}/staff/", "--scope", "domain", "-m", WAPITI_MODULES,
           "--max-scan-time", str(opts.minutes * 60),
           "--max-attack-time", str(opts.minutes * 60),
           # Report pages link to every unit's and counter's report, export and PDF: 600
           # URLs of a handful of forms, which kept the crawl and each module past 20 minutes.
           # "paranoid" explores one URL per path and set of parameter names (the same code
           # answers every value; sqlmap tries the values), at most 12 pages per folder
           # (/admin/units/1…30 are one form).
           "-S", "paranoid", "--max-files-per-dir", "12",
           "-d", "5", "--max-links-per-page", "40", "--flush-session", "--no-bugreport",
           "--store-session", str(out / "wapiti-session"), "-f", "json", "-o", str(report),
           "-C", admin_cookie, "-x", f"{base}/logout", "-x", f"{base}/password",
           "-x", f"{base}/stickers.pdf*", "--tasks", "4", "-v", "1",
           # Closing the campaign or retiring codes would leave the survey nothing to attack.
           "-x", f"{base}/admin/campaigns/*/close", "-x", f"{base}/staff/counters/*/reissue"]
    print("wapiti: crawl and attack …", flush=True)
    started = time.monotonic()
    killed = False
    with open(out / "wapiti.log", "w") as log:
        try:
            subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT,
                           timeout=opts.minutes * 60 * 15)
        except subprocess.TimeoutExpired:
            killed = True
    text = (out / "wapiti.log").read_text(errors="replace")
    stopped = re.findall(r"Max attack time was reached for module (\w+)", text)
    if "Max scan time was reached" in text:
        stopped.insert(0, "crawl")
    data = json.loads(report.read_text()) if report.exists() else {
        "vulnerabilities": {}, "anomalies": {}}

    def listed(group):
        return {kind: [(v.get("method"), v.get("path"), v.get("parameter"), v.get("info"))
                       for v in items] for kind, items in data[group].items() if items}

    crawled = data.get("infos", {}).get("crawled_pages_nbr") or len(data.get("crawled_pages", []))
    return {"findings": listed("vulnerabilities"), "anomalies": listed("anomalies"),
            "raw": {kind: [v.get("http_request") for v in items]
                    for kind, items in data["vulnerabilities"].items() if items},
            "crawled": crawled, "stopped": (["everything (killed)"] if killed else stopped),
            "finished": not killed and not stopped and report.exists(),
            "minutes": (time.monotonic() - started) / 60}


def replay_csrf(admin: Browser, findings: list, raw: list) -> list[str]:
    """wapiti says "lack of anti-CSRF token" for a POST it recorded: send that very request
    (its own fields, from wapiti's record) as the admin once without its token and once with
    a wrong one under the token's real name; the app must refuse both (400)."""
    checked = []
    for (_method, path, _parameter, _info), record in zip(findings, raw, strict=True):
        body = (record or "").split("\n\n", 1)[-1].strip()
        fields = urllib.parse.parse_qsl(body, keep_blank_values=True)
        token = next((k for k, _v in fields if k.endswith("csrf_token")), "csrf_token")
        without = [(k, v) for k, v in fields if k != token]
        target = urllib.parse.urlsplit(path).path
        answers = [admin.post(target, without),
                   admin.post(target, [*without, (token, "wrong-token")])]
        # Refused for its token: 400 with the "session expired" page (not a 422 for fields).
        refused = all(status == 400 and "Phiên làm việc đã hết hạn" in html
                      for status, html in answers)
        answers = [status for status, _html in answers]
        checked.append(f"{target} with {len(without)} fields, token '{token}': "
                       f"{answers[0]} without, {answers[1]} with a wrong one"
                       + ("" if refused else " — ACCEPTED"))
    return checked


def check_scope(manager: Browser, ids: dict) -> list[tuple[str, int, bool]]:
    """(path, status, as it should be) for the commune manager: its own unit's report must
    answer 200, everything of another unit or of Home Affairs 403 or 404."""
    own = [f"/reports/?unit={ids['own_unit']}"]
    foreign = [f"/reports/?unit={ids['other_unit']}",
               f"/reports/?counter={ids['other_counter']}",
               f"/reports/details?unit={ids['other_unit']}",
               f"/reports/export.csv?unit={ids['other_unit']}",
               f"/staff/counters/{ids['other_counter']}",
               "/admin/users", f"/admin/units/{ids['other_unit']}", "/admin/audit.csv",
               "/reports/pressure", "/reports/pressure.csv", "/reports/review"]
    checked = []
    for path in own + foreign:
        status, _html = manager.get(path)
        checked.append((path, status, status == 200 if path in own else status in (403, 404)))
    return checked


def upload_crafted(admin: Browser, base: str, code: str) -> list[tuple[str, int, float, bool]]:
    """(file, status, seconds, as it should be) for each crafted spreadsheet uploaded by the
    admin, while a phone keeps scanning a sticker (False for the phone if it went unanswered)."""
    results = []
    ceiling = 2 * 3 + 2 + 2  # the reading ceiling's wall time, and a little for the page
    for label, name, data, should_read in crafted_files.files():
        if should_read is not False:
            continue  # honest files import: not an attack
        token = admin.hidden("/staff/tallies").get("i-csrf_token") or Browser.__name__
        html = admin.get("/staff/tallies")[1]
        token = re.search(r'name="i-csrf_token"[^>]*value="([^"]*)"', html).group(1)
        boundary = secrets.token_hex(8)
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"i-csrf_token\"\r\n\r\n"
                f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"i-file\"; "
                f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        phone, answered, done = Browser(base), [], threading.Event()

        def scan(phone=phone, answered=answered, done=done):
            while not done.is_set():
                answered.append(phone.get(f"/q/{code}")[0] == 200)
                time.sleep(0.2)

        watcher = threading.Thread(target=scan)
        watcher.start()
        started = time.monotonic()
        status, _html = admin.post("/staff/tallies/import", body, {
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        seconds = time.monotonic() - started
        done.set()
        watcher.join()
        results.append((label, status, seconds,
                        status == 422 and seconds < ceiling and bool(answered) and all(answered)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--minutes", type=int, default=20, help="time limit of each tool run")
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("--risk", type=int, default=2)
    parser.add_argument("--only", choices=("sqlmap", "wapiti"))
    opts = parser.parse_args()
    if opts.only != "wapiti" and shutil.which("sqlmap") is None:
        sys.exit("bench/security.py needs sqlmap: apt-get install sqlmap")
    work = Path(tempfile.mkdtemp(prefix="khaosat-security-"))
    print(f"Logs and reports in {work}", flush=True)
    with throwaway_database(opts.database, work) as url:
        outcome = scan(opts, url, work)
    sys.exit(outcome)


PROBE = """from app import create_app; from app.extensions import db
from app.models import Campaign, Counter, Unit, Response, InboxResponse
from sqlalchemy import func, select
app = create_app()
with app.app_context():
    if "{what}" == "forms":
        print(db.session.scalar(select(func.count()).select_from(Response))
              + db.session.scalar(select(func.count()).select_from(InboxResponse)))
    else:
        c = db.session.scalars(select(Counter).where(Counter.code == "{code}")).one()
        root = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))).first()
        own = db.session.scalars(select(Unit).where(Unit.code == "XAANPHU")).one()
        other = db.session.scalars(select(Unit).where(Unit.code == "PHUONGHB")).one()
        theirs = db.session.scalars(select(Counter).where(Counter.unit_id == other.id)).first()
        campaign = db.session.scalars(select(Campaign)).first()
        print(c.id, root.id, campaign.id, root.code, own.id, other.id, theirs.id, own.code)
"""


def probe(env: dict, what: str, code: str = "") -> list[str]:
    return subprocess.run([BIN / "python", "-c", PROBE.format(what=what, code=code)],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def scan(opts, url: str, work: Path) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": url, "PUBLIC_BASE_URL": base, "PUBLIC_BASE_URL_ALLOW_HTTP": "1",
           "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                   "redis://127.0.0.1:6379/0"),
           "SURVEY_MIN_SECONDS": "0", "GUNICORN_WORKERS": "2",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "PYTHONPATH": f"{work}:{ROOT}"}
    flask(env, "db", "upgrade")
    flask(env, "seed-demo", "--history-days", "3")
    listing = flask(env, "list-counters")
    code = re.search(r"/q/([A-Z0-9]+)", listing).group(1)
    (counter_id, root_id, campaign_id, province, own_unit, other_unit, other_counter,
     commune) = probe(env, "ids", code)
    ids = {"counter": counter_id, "root": root_id, "campaign": campaign_id, "province": province,
           "own_unit": own_unit, "other_unit": other_unit, "other_counter": other_counter}
    for username, role, unit in ((ADMIN, "admin", province), (MANAGER, "manager", commune)):
        flask(env, "create-user", username, "--role", role, "--unit", unit, "--password-stdin",
              stdin=f"{PASSWORD}\n{PASSWORD}\n")
    (work / "scan_app.py").write_text(SHIM % f"khaosat-security-{work.name}")
    with open(work / "gunicorn.log", "w") as log:
        checks = serve_and_scan(opts, env, work, log, base, code, ids)
    served = (work / "gunicorn.log").read_text()
    checks["server_errors"] = re.findall(r'"(\w+ [^"]+)" (5\d\d) ', served)
    checks["survey_errors"] = served.count("a survey request failed with")
    checks["staff_requests"] = served.count('" 2') + served.count('" 3')
    return report(opts, url, checks)


def serve_and_scan(opts, env, work, log, base, code, ids) -> dict:
    server = subprocess.Popen([BIN / "gunicorn", "-c", ROOT / "gunicorn.conf.py",
                               "scan_app:app"], cwd=work, env=env, stdout=log, stderr=log)
    checks = {"sql": [], "wapiti": None}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        admin = Browser(base).login(ADMIN)
        started = time.monotonic()
        checks["scope"] = check_scope(Browser(base).login(MANAGER), ids)
        checks["files"] = upload_crafted(admin, base, code)
        if opts.only != "wapiti":
            checks["sql"] = run_sqlmap(base, code, ids, opts, work, admin,
                                       lambda: int(probe(env, "forms")[0]))
        if opts.only != "sqlmap":
            wap = run_wapiti(base, code, opts, work, admin.cookie())
            wap["csrf_checked"] = replay_csrf(admin, wap["findings"].get(
                "Cross Site Request Forgery", []), wap["raw"].get(
                "Cross Site Request Forgery", []))
            checks["wapiti"] = wap
    finally:
        server.terminate()
        server.wait(timeout=30)
    checks["seconds"] = time.monotonic() - started
    return checks


def report(opts, url, checks) -> int:
    """Print every check; 1 on a finding, 2 if something did not finish, else 0."""
    print(f"\nkhaosat security scan — {url.split(':')[0]}, level {opts.level} risk {opts.risk}, "
          f"{opts.minutes} min per run, {checks['seconds'] / 60:.1f} min in all")
    bad, unfinished = False, False
    for r in checks["sql"]:
        errors = ", ".join(f"{c}×{n}" for c, n in r["http_errors"]) or "none"
        stored = f"; {r['stored']} forms stored" if "stored" in r else ""
        print(f"  sqlmap {r['target']:<26} {r['verdict']}; {r['params']} parameters, "
              f"{r['requests']} requests in {r['minutes']:.1f} min{stored}; HTTP errors: "
              f"{errors}")
        bad |= r["verdict"].startswith("INJECTABLE") or any(
            c.startswith("5") for c, _n in r["http_errors"])
        unfinished |= not r["finished"]
    scope = checks.get("scope", [])
    wrong = [(p, s) for p, s, ok in scope if not ok]
    print(f"  scope (manager of one commune): {len(scope)} pages, "
          + ("as they should be" if not wrong else f"WRONG: {wrong}"))
    bad |= bool(wrong)
    for label, status, seconds, ok in checks.get("files", []):
        print(f"  crafted file {label:44} {status} in {seconds:.1f} s"
              + ("" if ok else " — NOT REFUSED IN TIME, or the survey went unanswered"))
        bad |= not ok
    wap = checks["wapiti"]
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
        unfinished |= not wap["finished"]
        print(f"    {wap['minutes']:.1f} min; " + (
            "every module finished" if wap["finished"] else
            "DID NOT FINISH: " + (", ".join(wap["stopped"]) + " stopped at the time limit"
                                  if wap["stopped"] else "no report (interrupted)")))
    print(f"  server errors logged: {len(checks['server_errors'])} staff, "
          f"{checks['survey_errors']} survey ({checks['staff_requests']} staff requests "
          f"answered 2xx/3xx)")
    for line, status in checks["server_errors"][:10]:
        print(f"    {status} {line}")
    bad |= bool(checks["server_errors"]) or bool(checks["survey_errors"])
    if bad:
        print("RESULT: FINDINGS — see above")
        return 1
    if unfinished:
        print("RESULT: INCOMPLETE — no finding, but not every target finished: see above")
        return 2
    print("RESULT: every target finished; nothing exploitable found")
    return 0


if __name__ == "__main__":
    main()

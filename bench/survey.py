"""Survey cost against a bare Flask app doing exactly the same database work, side by side.

    .venv/bin/python bench/survey.py [--database postgresql://127.0.0.1:5432/test]
                                     [--rounds 5] [--seconds 4] [--counters 2000]

Needs wrk (Debian: apt-get install wrk). A province of COUNTERS counters in one campaign.
khaosat and the floor (bench/bare_app.py) run at the same time under gunicorn, 2 workers each;
wrk (16 connections) alternates short rounds between them, so a neighbour's load on this
shared machine falls on both alike. The floor replays khaosat's own statements, read from its
statement log just before (bench/statements.py), so it cannot drift from what khaosat does.

Three kinds of traffic, each against a floor logged for it:
  realistic  each request a different counter, as production sees it (5 M answers a year at
             2,000 counters is ~13 scans a counter a day: a server's 30 s cache of a code
             almost never holds it), so khaosat runs with SURVEY_LOOKUP_SECONDS=0: every
             scan and every sent form reads its counter afresh.
  one code   every request the same counter, its code cached (the old bench's traffic).
  invitation each request an invitation's link of its own (/i/<token>) at the next counter:
             GET its first opening, POST its one answer (bench/statements.py logs both).

For each app and method: the worker CPU per request read from /proc (utime + stime of the
workers ÷ requests answered: the steadiest figure here), the median requests per second and
p99, and the ratios khaosat / floor; then the POST figures with the batch move's CPU per form
(measured on the forms the run left in the inbox) added to both. GET opens the survey (counts
"opened"); POST submits a complete answer with a fresh ticket, signed with the app's secret a
minute before. Each request is a phone of its own (X-Forwarded-For, TRUSTED_PROXY_HOPS=1)
under production's per-phone limits; only the counter's own flags are out of reach. Every
response must be the page meant (wrk's non-2xx count 0), every POST stored exactly one form,
and every GET of a link opened it for the first time. Budget, realistic and invitation
traffic: PostgreSQL GET ≥ 0.6× and POST ≥ 0.5× the floor's CPU and req/s (SQLite ≥ 0.5×
both), p99 ≤ 2× the floor's.
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from throwaway import throwaway_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")
ANSWERS = {"channel": "in_person", "immediate": "no", "access": "4", "procedure": "5",
           "officer": "3", "result": "4", "feedback": "2", "overall": "5", "on_time": "yes",
           "extra_demand": "no", "comment": "Tốt", "submit": "1"}
# Every request comes from a phone of its own: its own address, as nginx passes it on
# (X-Forwarded-For, TRUSTED_PROXY_HOPS=1 as in production), never used again in the run.
PHONES = """
local threads = 0
function setup(thread) thread:set("first", %(first)d + threads * %(per_thread)d)
  threads = threads + 1 end
local sent = 0
local function phone(n)
  return "10." .. math.floor(n / 65536) %% 256 .. "." .. math.floor(n / 256) %% 256 .. "."
         .. n %% 256
end
"""
GET_LUA = PHONES + """
request = function()
  sent = sent + 1
  return wrk.format(nil, nil, {["X-Forwarded-For"] = phone(first + sent)})
end
"""
# Each request to the next counter of the province (realistic traffic): codes.lua lists them.
GET_MANY_LUA = PHONES + """
dofile("%(codes)s")
request = function()
  sent = sent + 1
  return wrk.format(nil, "/q/" .. codes[(first + sent) %% #codes + 1],
                    {["X-Forwarded-For"] = phone(first + sent)})
end
"""
POST_MANY_LUA = PHONES + """
dofile("%(tickets)s")
request = function()
  sent = sent + 1
  local t = tickets[sent - %(first)d + first]
  return wrk.format("POST", "/q/" .. t[1],
                    {["Content-Type"] = "application/x-www-form-urlencoded",
                     ["Cookie"] = "%(cookie)s", ["X-Forwarded-For"] = phone(first + sent)},
                    "%(prefix)s" .. t[2])
end
"""
TICKETS_PER_THREAD = 20_000  # more than one wrk thread sends in a round
# An invitation's link: each request a link of its own, at the next counter, opened for the
# first time (GET) or answered (POST, with a fresh ticket for the link's counter). links.lua
# lists {code, token[, ticket]}; the bare app learns a link's counter from X-Bench-Code (only
# the database knows it). A thread that runs out of links asks for /i/none: a 404 fails the
# run, where reusing a link would time a cheaper request.
INVITED_LUA = PHONES + """
dofile("%(links)s")
request = function()
  sent = sent + 1
  if sent > %(per_thread)d then return wrk.format(nil, "/i/none") end
  local l = links[sent - %(first)d + first]
  local headers = {["X-Bench-Code"] = l[1], ["X-Forwarded-For"] = phone(first + sent)}
  if l[3] == nil then return wrk.format(nil, "/i/" .. l[2], headers) end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Cookie"] = "%(cookie)s"
  return wrk.format("POST", "/i/" .. l[2], headers, "%(prefix)s" .. l[3])
end
"""
LINKS_PER_THREAD = 6_000  # 1,500 requests a second a thread for 4 s
# The links of the run, as an upload makes them (app/domain/invitations.py): token n is n in
# twelve digits (Crockford base32 has them), at counter n % COUNTERS + 1, returned yesterday.
LINKS = """
import sys
from datetime import timedelta
from sqlalchemy import insert
from app import create_app
from app.clock import local_today
from app.domain.invitations import token_hash
from app.extensions import db
from app.models import Invitation
app = create_app()
with app.app_context(), db.engine.begin() as conn:
    today = local_today()
    for start in range(0, {count}, 20_000):
        conn.execute(insert(Invitation), [dict(
            token_hash=token_hash(f"{{n:012d}}"), counter_id=n % {counters} + 1, campaign_id=1,
            returned_on=today - timedelta(days=1), expires_on=today + timedelta(days=6),
            screened=True, opened=False) for n in range(start, min(start + 20_000, {count}))])
"""
# A province as production has it: bench/reports.py's tree (codes C0000001 …), one campaign.
PROVINCE = """
import sys
from datetime import timedelta
sys.path.insert(0, "bench")
from reports import build_tree
from sqlalchemy import text
from app import create_app
from app.clock import local_today
from app.extensions import db
from app.domain.questionnaires import latest, load_all
app = create_app()
with app.app_context():
    load_all()
    q = latest("sipas-short").id
    db.session.commit()
    with db.engine.begin() as conn:
        build_tree(conn, {counters})
        conn.execute(text("INSERT INTO campaign (id, name, unit_id, questionnaire_id, "
                          "starts_on, ends_on, target_rate, status) VALUES (1, 'Năm', 1, :q, "
                          ":s, :e, 30, 'active')"),
                     {{"q": q, "s": local_today() - timedelta(days=5),
                      "e": local_today() + timedelta(days=30)}})
"""
# One counter takes thousands of answers a minute here: the counter's own odd-answer flags
# (a burst, identical answers) out of reach; each phone's limits are production's.
OPEN_GATES = {"SURVEY_BURST": "1000000 per minute", "SURVEY_IDENTICAL_RUN": "1000000"}


def write_tickets(path: Path, secret: str, counters: list[int], count: int, tag: str) -> None:
    """Tickets as the app issues them (app/survey/tickets.py), a minute old, as Lua: a list
    of {code, ticket}, the counters taken in turn."""
    from itsdangerous import URLSafeSerializer

    signer = URLSafeSerializer(secret, salt="survey-ticket")
    issued = int(time.time()) - 60
    tickets = ((counters[n % len(counters)], signer.dumps(
        [counters[n % len(counters)], f"{tag}{n}", issued])) for n in range(count))
    path.write_text("tickets = {" + ",".join(f'{{"C{c:07d}","{t}"}}' for c, t in tickets)
                    + "}\n")


def write_links(path: Path, secret: str, first: int, count: int, counters: int,
                post: bool) -> None:
    """Links first … first + count - 1 as Lua: {code, token} to open, or {code, token, ticket}
    to answer (a ticket as the app issues it for the link's counter, a minute old)."""
    from itsdangerous import URLSafeSerializer

    signer = URLSafeSerializer(secret, salt="survey-ticket")
    issued = int(time.time()) - 60
    rows = []
    for n in range(first, first + count):
        counter = n % counters + 1
        ticket = f',"{signer.dumps([counter, f"i{n}", issued])}"' if post else ""
        rows.append(f'{{"{code_of(counter)}","{n:012d}"{ticket}}}')
    path.write_text("links = {" + ",".join(rows) + "}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: str, env: dict, extra: list[str],
          log: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (the server's life)
    proc = subprocess.Popen([BIN / "gunicorn", *extra, "-w", "2", "-b", f"127.0.0.1:{port}",
                             app], cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/nothing-here", timeout=1)
        except urllib.error.HTTPError:
            return proc, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app} did not start")


def workers_of(master: int) -> list[int]:
    """The pids of a gunicorn master's workers."""
    return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def worker_cpu(master: subprocess.Popen) -> float:
    """CPU seconds (user + system) spent so far by the gunicorn master's workers."""
    total = 0
    for pid in workers_of(master.pid):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def wrk(url: str, seconds: int, script: Path) -> tuple[float, float, int]:
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise RuntimeError(f"{bad.group(1)} error responses from {url}")
    return rate, float(p99.group(1)) * scale, done


def count_stored(env: dict) -> tuple[int, int]:
    """(khaosat's stored responses, its used tickets that say "completed"). Answers wait in the
    inbox for their batch, with their tickets (app/domain/inbox.py): both count; the bare
    app's are left out."""
    code = ("from app import create_app; from app.extensions import db; "
            "from sqlalchemy import text; app = create_app()\n"
            "with app.app_context(): print(*db.session.execute(text("
            "\"select (select count(*) from response where comment is null or comment != 'bare')"
            " + (select count(*) from response_inbox where comment is null or comment != 'bare'),"
            " (select count(*) from used_ticket where outcome = 'completed') + (select count(*)"
            " from response_inbox where ticket_hash is not null and (comment is null or "
            "comment != 'bare'))\")).one())")
    out = subprocess.run([BIN / "python", "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    stored, tickets = out.strip().splitlines()[-1].split()
    return int(stored), int(tickets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4, help="length of one wrk round")
    parser.add_argument("--counters", type=int, default=2000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/survey.py needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.database, tmp) as url:
        env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": "b" * 64,
               "DATABASE_URL": url, "PUBLIC_BASE_URL": "https://khaosat.example.vn",
               # Production with 2 workers keeps its limits in Redis (gunicorn.conf.py).
               "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                       "redis://127.0.0.1:6379/0"),
               "RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
               "TRUSTED_PROXY_HOPS": "1", **OPEN_GATES}
        run(args, env, Path(tmp))


def code_of(counter_id: int) -> str:
    return f"C{counter_id:07d}"  # bench/reports.build_tree's codes


TRAFFIC = {  # kind: (khaosat's settings, the counters its requests go to (None: all))
    "realistic": ({"SURVEY_LOOKUP_SECONDS": "0"}, None),
    "one code": ({}, [7]),
    "invitation": ({"SURVEY_LOOKUP_SECONDS": "0"}, None),  # /i/<token>, each a link of its own
}
BUDGETED = ("realistic", "invitation")


def run(args, env: dict, tmp: Path) -> None:
    subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    subprocess.run([BIN / "python", "-c", PROVINCE.format(counters=args.counters)], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    province = list(range(1, args.counters + 1))
    # Links for every wrk run of the invitation traffic (both apps, both methods), after ten
    # kept for fetching the page the floor answers with.
    runs = args.rounds * 2 * 2
    made = subprocess.run([BIN / "python", "-c", LINKS.format(
        count=10 + runs * 2 * LINKS_PER_THREAD, counters=args.counters)], cwd=ROOT, env=env,
        capture_output=True, text=True)
    if made.returncode:
        sys.exit(f"FAIL: the run's invitation links were not made:\n{made.stderr[-2000:]}")
    next_link, page_links = 10, iter(range(10))
    before = count_stored(env)[0]
    samples = {}  # (traffic, app, method) -> [(cpu seconds, requests, req/s, p99)]
    phones = 0  # addresses handed out so far: none is used twice
    for kind, (settings, counters) in TRAFFIC.items():
        kenv, counters = {**env, **settings}, counters or province
        # The counters the log is made at: three of them, or the one code three times.
        logged = counters[-3:] if len(counters) >= 3 else counters * 3
        log = tmp / f"{kind}.pickle"
        subprocess.run([BIN / "python", ROOT / "bench" / "statements.py", log,
                        *(code_of(c) for c in logged)], cwd=ROOT, env=kenv, check=True)
        (tmp / "codes.lua").write_text(
            "codes = {" + ",".join(f'"{code_of(c)}"' for c in counters) + "}\n")
        apps = {"khaosat": serve("wsgi:app", kenv, ["-c", "gunicorn.conf.py"])}
        try:
            # What a phone holds after opening the page: a session cookie and the form's token.
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            html = opener.open(f"{apps['khaosat'][1]}/q/{code_of(counters[0])}").read()
            (tmp / "page.html").write_bytes(html)
            invitation = urllib.request.urlopen(  # no cookie of the phone's: its own session
                f"{apps['khaosat'][1]}/i/{next(page_links):012d}").read()
            assert b'name="ticket"' in invitation, "an invitation's link showed no form"
            (tmp / "invitation.html").write_bytes(invitation)
            token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            prefix = urllib.parse.urlencode({"csrf_token": token.decode(), **ANSWERS}) + \
                "&ticket="
            apps["bare"] = serve("bare_app:app", {
                **kenv, "BENCH_PAGE": str(tmp / "page.html"),
                "BENCH_INVITATION_PAGE": str(tmp / "invitation.html"), "BENCH_STATEMENTS": str(log),
                "PYTHONPATH": str(ROOT / "bench")}, [], tmp / "floor.log")
            for n in range(args.rounds):
                order = list(apps) if n % 2 == 0 else list(reversed(apps))
                for method in ("GET", "POST"):
                    for name in order:
                        proc, base = apps[name]
                        script = tmp / f"{method.lower()}.lua"
                        values = {"first": phones, "cookie": cookie, "prefix": prefix}
                        if kind == "invitation":
                            per_thread = LINKS_PER_THREAD
                            write_links(tmp / "links.lua", env["SECRET_KEY"], next_link,
                                        2 * per_thread, args.counters, method == "POST")
                            next_link += 2 * per_thread
                            script.write_text(INVITED_LUA % {
                                **values, "per_thread": per_thread, "links": tmp / "links.lua"})
                        elif method == "GET":
                            per_thread = TICKETS_PER_THREAD
                            script.write_text(GET_MANY_LUA % {
                                **values, "per_thread": per_thread, "codes": tmp / "codes.lua"})
                        else:
                            per_thread = TICKETS_PER_THREAD
                            write_tickets(tmp / "tickets.lua", env["SECRET_KEY"], counters,
                                          2 * per_thread, f"{kind[0]}{name}{n}-")
                            script.write_text(POST_MANY_LUA % {
                                **values, "per_thread": per_thread,
                                "tickets": tmp / "tickets.lua"})
                        phones += 2 * per_thread  # each thread's phones and links its own
                        cpu = worker_cpu(proc)
                        try:
                            rate, p99, done = wrk(f"{base}/", args.seconds, script)
                        except RuntimeError as exc:
                            floor_log = (tmp / "floor.log").read_text(errors="replace")
                            sys.exit(f"FAIL: {kind} traffic, {name} {method}: {exc}\n"
                                     f"the floor's log ends:\n{floor_log[-2000:]}")
                        samples.setdefault((kind, name, method), []).append(
                            (worker_cpu(proc) - cpu, done, rate, p99))
        finally:
            for proc, _base in apps.values():
                proc.terminate()
                proc.wait()
    stored = count_stored(env)
    report(args, samples, (stored[0] - before, stored[1] - before), move_cost(env),
           count_opened(env))


def count_opened(env: dict) -> int:
    """Links opened (the first opening of each, by either app: the floor replays the UPDATE)."""
    code = ("from app import create_app; from app.extensions import db; "
            "from sqlalchemy import text; app = create_app()\n"
            "with app.app_context(): print(db.session.execute(text("
            "'select count(*) from invitation where opened')).scalar())")
    out = subprocess.run([BIN / "python", "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    return int(out.split()[-1])


def move_cost(env: dict) -> tuple[float, int]:
    """(CPU ms per form, forms) of one batch move of what the run left in the inbox."""
    code = ("import time; from app import create_app; from app.extensions import db; "
            "from app.domain import inbox; app = create_app()\n"
            "with app.app_context():\n"
            "    with db.engine.begin() as conn:\n"
            "        t = time.process_time(); n = inbox.move(conn)\n"
            "        print((time.process_time() - t) * 1000 / max(n, 1), n)")
    out = subprocess.run([BIN / "python", "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[-2]), int(out[-1])


def report(args, samples: dict, stored: tuple[int, int], move: tuple[float, int],
           opened: int) -> None:
    sqlite = not args.database
    budget = {"GET": 0.5 if sqlite else 0.6, "POST": 0.5}
    print(f"database: {'SQLite' if sqlite else 'PostgreSQL'}, {args.counters:,} counters, "
          f"gunicorn 2 workers each, wrk 2 threads × 16 connections, {args.rounds} alternating "
          f"rounds of {args.seconds} s; the floor replays khaosat's logged statements")
    move_ms, moved = move
    print(f"batch move: {move_ms:.3f} ms CPU per form ({moved:,} forms in one move), added "
          "to both apps' POST below")
    failed = False
    for kind in TRAFFIC:
        print(f"\n{kind} traffic" + (" (budget)" if kind in BUDGETED else ""))
        figures = {}
        for name in ("khaosat", "bare"):
            for method in ("GET", "POST"):
                rows = samples[kind, name, method]
                cpu_ms = 1000 * sum(r[0] for r in rows) / sum(r[1] for r in rows)
                rate = statistics.median(r[2] for r in rows)
                p99 = statistics.median(r[3] for r in rows)
                spread = (min(r[2] for r in rows), max(r[2] for r in rows))
                figures[name, method] = (cpu_ms, rate, p99)
                print(f"  {name:8} {method:4}  {cpu_ms:5.2f} ms CPU/request  {rate:7.0f} req/s "
                      f"({spread[0]:.0f}–{spread[1]:.0f})  p99 {p99:6.1f} ms")
        for method in ("GET", "POST"):
            (k_cpu, k_rate, k_p99), (b_cpu, b_rate, b_p99) = (figures["khaosat", method],
                                                             figures["bare", method])
            cpu_ratio, rate_ratio, p99_ratio = b_cpu / k_cpu, k_rate / b_rate, k_p99 / b_p99
            line = (f"  {method:4} khaosat / floor: CPU {cpu_ratio:.2f}×  req/s "
                    f"{rate_ratio:.2f}×  p99 {p99_ratio:.2f}×")
            if method == "POST":
                line += f"; with the move: CPU {(b_cpu + move_ms) / (k_cpu + move_ms):.2f}×"
            if kind in BUDGETED:
                ok = cpu_ratio >= budget[method] and rate_ratio >= budget[method] \
                    and p99_ratio <= 2
                failed |= not ok
                line += (f"  ({'within budget' if ok else 'OVER BUDGET'}: ≥ "
                         f"{budget[method]:.1f}, p99 ≤ 2×)")
            print(line)
    # wrk does not count the requests still in flight when a round ends (≤ 16 a round).
    posted = sum(r[1] for (_k, name, method), rows in samples.items()
                 for r in rows if name == "khaosat" and method == "POST")
    responses, tickets = stored
    # statements.py sends five forms a kind (three at stickers, two at links)
    slack = 16 * args.rounds * len(TRAFFIC) + 5 * len(TRAFFIC)
    print(f"\nPOST answered by khaosat: {posted} (+ ≤ {slack} in flight at round ends or "
          f"logged); forms stored: {responses}, tickets used: {tickets}")
    if responses != tickets or not posted <= responses <= posted + slack:
        sys.exit("stored forms do not match the answered POSTs")
    # Every link a GET timed was opened for the first time (else it timed a cheaper page):
    # the links opened are those GETs, by both apps, plus the logs', the pages' and in flight.
    opens = sum(r[1] for (kind, _name, method), rows in samples.items()
                for r in rows if kind == "invitation" and method == "GET")
    extra = 16 * args.rounds * 2 + 4 * len(TRAFFIC)
    print(f"links opened by the GETs: {opens} (+ ≤ {extra}); links opened: {opened}")
    if not opens <= opened <= opens + extra:
        sys.exit("the links opened do not match the answered GETs")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Survey cost against a bare Flask app doing the same database work, measured side by side.

    .venv/bin/python bench/survey.py [--database postgresql://127.0.0.1:5432/test]
                                     [--rounds 5] [--seconds 4]

Needs wrk (Debian: apt-get install wrk). khaosat and the baseline (bench/bare_app.py) run at
the same time under gunicorn, 2 workers each; wrk (16 connections) alternates short rounds
between them, so a neighbour's load on this shared machine falls on both alike. For each app
and method it prints the worker CPU per request read from /proc (utime + stime of the workers
÷ requests answered: the steadiest figure here), the median requests per second and p99, and
the ratios khaosat / bare. GET opens the survey (counts "opened"); POST submits a complete
answer with a fresh ticket each time: tickets are signed by the app (app/survey/tickets.py),
so the bench signs a stock of them with the app's secret, issued a minute before. Each
request is a phone of its own (its own address, passed on as by nginx with
TRUSTED_PROXY_HOPS=1) under production's per-phone limits; only the counter's own flags (a
burst, identical answers), which thousands of answers a minute at one counter would raise,
are set out of reach: this times the path every honest answer takes. Budget: CPU and
req/s ratios ≥ 0.70 on PostgreSQL (≥ 0.60 on SQLite), p99 ≤ 2× the bare app's. Checks that
every POST stored exactly one response.
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
POST_LUA = PHONES + """
dofile("%(tickets)s")
request = function()
  sent = sent + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
                                  ["Cookie"] = "%(cookie)s",
                                  ["X-Forwarded-For"] = phone(first + sent)},
                    "%(prefix)s" .. tickets[sent - %(first)d + first])
end
"""
TICKETS_PER_THREAD = 20_000  # more than one wrk thread sends in a round
# One counter takes thousands of answers a minute here: the counter's own odd-answer flags
# (a burst, identical answers) out of reach; each phone's limits are production's.
OPEN_GATES = {"SURVEY_BURST": "1000000 per minute", "SURVEY_IDENTICAL_RUN": "1000000"}


def write_tickets(path: Path, secret: str, counter_id: int, count: int, tag: str) -> None:
    """Tickets as the app issues them (app/survey/tickets.py), a minute old, as Lua."""
    from itsdangerous import URLSafeSerializer

    signer = URLSafeSerializer(secret, salt="survey-ticket")
    issued = int(time.time()) - 60
    tickets = (signer.dumps([counter_id, f"{tag}{n}", issued]) for n in range(count))
    path.write_text("tickets = {" + ",".join(f'"{t}"' for t in tickets) + "}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: str, env: dict, extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([BIN / "gunicorn", *extra, "-w", "2", "-b", f"127.0.0.1:{port}",
                             app], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
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
            " + (select count(*) from response_inbox), (select count(*) from used_ticket "
            "where outcome = 'completed') + (select count(*) from response_inbox "
            "where ticket_hash is not null)\")).one())")
    out = subprocess.run([BIN / "python", "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    stored, tickets = out.strip().splitlines()[-1].split()
    return int(stored), int(tickets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4, help="length of one wrk round")
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


def run(args, env: dict, tmp: Path) -> None:
    for command in (["db", "upgrade"], ["seed-demo", "--history-days", "0"]):
        subprocess.run([BIN / "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True)
    ids = subprocess.run([BIN / "python", "-c", (
        "from app import create_app; from app.extensions import db; "
        "from app.models import Counter, Campaign; from sqlalchemy import select\n"
        "app = create_app()\nwith app.app_context():\n"
        " c = db.session.scalar(select(Counter).order_by(Counter.id))\n"
        " k = db.session.scalar(select(Campaign))\n"
        " print(c.code, f'{c.id},{k.id},{k.questionnaire_id}')")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.split()[-2:]
    code, id_list = ids
    counter_id = int(id_list.split(",")[0])
    apps = {"khaosat": serve("wsgi:app", env, ["-c", "gunicorn.conf.py"])}
    try:
        # What a phone holds after opening the page: a session cookie and the form's token.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        html = opener.open(f"{apps['khaosat'][1]}/q/{code}").read()
        (tmp / "page.html").write_bytes(html)
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        prefix = urllib.parse.urlencode({"csrf_token": token.decode(), **ANSWERS}) + "&ticket="
        apps["bare"] = serve("bare_app:app", {
            **env, "BENCH_PAGE": str(tmp / "page.html"), "BENCH_IDS": id_list,
            "PYTHONPATH": str(ROOT / "bench")}, [])
        samples = {}  # (app, method) -> [(cpu seconds, requests, req/s, p99)]
        phones = 0  # addresses handed out so far: none is used twice
        for n in range(args.rounds):
            order = list(apps) if n % 2 == 0 else list(reversed(apps))
            for method in ("GET", "POST"):
                for name in order:
                    proc, base = apps[name]
                    script = tmp / f"{method.lower()}.lua"
                    values = {"first": phones, "per_thread": TICKETS_PER_THREAD}
                    phones += 2 * TICKETS_PER_THREAD
                    if method == "GET":
                        script.write_text(GET_LUA % values)
                    else:
                        write_tickets(tmp / "tickets.lua", env["SECRET_KEY"], counter_id,
                                      2 * TICKETS_PER_THREAD, f"{name}{n}-")
                        script.write_text(POST_LUA % {**values, "cookie": cookie,
                                                      "prefix": prefix,
                                                      "tickets": tmp / "tickets.lua"})
                    cpu = worker_cpu(proc)
                    rate, p99, done = wrk(f"{base}/q/{code}", args.seconds, script)
                    samples.setdefault((name, method), []).append(
                        (worker_cpu(proc) - cpu, done, rate, p99))
        stored = count_stored(env)
    finally:
        for proc, _base in apps.values():
            proc.terminate()
            proc.wait()
    report(args, samples, stored)


def report(args, samples: dict, stored: tuple[int, int]) -> None:
    sqlite = not args.database
    floor = 0.60 if sqlite else 0.70
    print(f"database: {'SQLite' if sqlite else 'PostgreSQL'}, gunicorn 2 workers each, wrk 2 "
          f"threads × 16 connections, {args.rounds} alternating rounds of {args.seconds} s")
    figures = {}
    for (name, method), rows in samples.items():
        cpu_ms = 1000 * sum(r[0] for r in rows) / sum(r[1] for r in rows)
        rate = statistics.median(r[2] for r in rows)
        p99 = statistics.median(r[3] for r in rows)
        figures[name, method] = (cpu_ms, rate, p99)
        print(f"{name:8} {method:4}  {cpu_ms:5.2f} ms CPU/request  {rate:7.0f} req/s  "
              f"p99 {p99:6.1f} ms")
    failed = False
    for method in ("GET", "POST"):
        (k_cpu, k_rate, k_p99), (b_cpu, b_rate, b_p99) = (figures["khaosat", method],
                                                         figures["bare", method])
        cpu_ratio, rate_ratio, p99_ratio = b_cpu / k_cpu, k_rate / b_rate, k_p99 / b_p99
        ok = cpu_ratio >= floor and rate_ratio >= floor and p99_ratio <= 2
        failed |= not ok
        print(f"{method:4} khaosat / bare: CPU {cpu_ratio:.2f}×  req/s {rate_ratio:.2f}×  "
              f"p99 {p99_ratio:.2f}× the bare app's  "
              f"({'within budget' if ok else 'OVER BUDGET'}: ≥ {floor:.2f}, p99 ≤ 2×)")
    # wrk does not count the requests still in flight when a round ends (≤ 16 a round).
    posted, (responses, tickets) = sum(r[1] for r in samples["khaosat", "POST"]), stored
    print(f"POST answered by khaosat: {posted} (+ ≤ {16 * args.rounds} in flight at round "
          f"ends); responses stored: {responses}, tickets used: {tickets}")
    if responses != tickets or not posted <= responses <= posted + 16 * args.rounds:
        sys.exit("stored responses do not match the answered POSTs")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

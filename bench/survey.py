"""Survey throughput against a bare Flask app doing the same inserts, in the same run.

    .venv/bin/python bench/survey.py [--database postgresql://127.0.0.1:5432/test] [--seconds 10]

Needs wrk (Debian: apt-get install wrk). Both apps run under gunicorn with 2 workers on this
machine; wrk drives 16 connections. GET opens the survey (counts "opened"); POST submits a
complete answer with a fresh ticket each time: tickets are signed by the app
(app/survey/integrity.py), so the bench signs a stock of them with the app's secret, issued a
minute before. One wrk client plays thousands of citizens, so the per-client limits and the
odd-answer flags are set out of reach (SURVEY_* below): this times the path every honest
answer takes. Prints requests per second and p99 latency for
khaosat and the baseline, their ratio, and checks that every POST stored one response.
Budget (DESIGN.md): khaosat within 30 % of the baseline, i.e. ratio ≥ 0.70.
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ANSWERS = {"channel": "in_person", "immediate": "no", "access": "4", "procedure": "5",
           "officer": "3", "result": "4", "feedback": "2", "overall": "5", "on_time": "yes",
           "extra_demand": "no", "comment": "Tốt", "submit": "1"}
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "%(cookie)s"
dofile("%(tickets)s")
local threads = 0
function setup(thread) thread:set("first", threads * %(per_thread)d); threads = threads + 1 end
local sent = 0
request = function()
  sent = sent + 1
  return wrk.format(nil, nil, nil, "%(prefix)s" .. tickets[first + sent])
end
"""
TICKETS_PER_THREAD = 60_000
# One wrk client is thousands of citizens here: limits and flags out of its reach.
OPEN_GATES = {name: "1000000 per minute" for name in (
    "SURVEY_OPEN_LIMIT", "SURVEY_SUBMIT_LIMIT", "SURVEY_BURST", "SURVEY_ONE_PLACE")}
OPEN_GATES["SURVEY_IDENTICAL_RUN"] = "1000000"


def write_tickets(path: Path, secret: str, counter_id: int, count: int) -> None:
    """Tickets as the app issues them (app/survey/integrity.py), a minute old, as Lua."""
    from itsdangerous import URLSafeSerializer

    signer = URLSafeSerializer(secret, salt="survey-ticket")
    issued = int(time.time()) - 60
    tickets = (signer.dumps([counter_id, f"bench{n}", issued]) for n in range(count))
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


def wrk(url: str, seconds: int, script: Path | None = None) -> tuple[float, float, int]:
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise RuntimeError(f"{bad.group(1)} error responses from {url}")
    return rate, float(p99.group(1)) * scale, done


def count_responses(env: dict) -> int:
    code = ("from app import create_app; from app.extensions import db; "
            "from sqlalchemy import text; app = create_app()\n"
            # Answers wait in the inbox for their batch (app/survey/inbox.py): count both.
            "with app.app_context(): print(db.session.execute(text('select (select count(*) "
            "from response) + (select count(*) from response_inbox)')).scalar())")
    out = subprocess.run([BIN / "python", "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    return int(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/survey.py needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        if args.database:
            name = f"khaosat_bench_{uuid.uuid4().hex[:8]}"
            subprocess.run(["psql", args.database, "-qc", f'CREATE DATABASE "{name}"'],
                           check=True)
            url = args.database.rsplit("/", 1)[0] + "/" + name
        else:
            url = f"sqlite:///{tmp}/bench.sqlite"
        env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": "b" * 64,
               "DATABASE_URL": url, "PUBLIC_BASE_URL": "https://khaosat.example.vn",
               # Production with 2 workers keeps its limits in Redis (gunicorn.conf.py).
               "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                       "redis://127.0.0.1:6379/0"),
               **OPEN_GATES}
        try:
            run(args, env, Path(tmp))
        finally:
            if args.database:
                subprocess.run(["psql", args.database, "-qc",
                                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)


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
    khaosat, k_url = serve("wsgi:app", env, ["-c", "gunicorn.conf.py"])
    try:
        # What a phone holds after opening the page: a session cookie and the form's token.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        html = opener.open(f"{k_url}/q/{code}").read()
        (tmp / "page.html").write_bytes(html)
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        body = urllib.parse.urlencode({"csrf_token": token.decode(), **ANSWERS})
        script = tmp / "post.lua"
        write_tickets(tmp / "tickets.lua", env["SECRET_KEY"], int(id_list.split(",")[0]),
                      2 * TICKETS_PER_THREAD)
        script.write_text(LUA % {"cookie": cookie, "prefix": body + "&ticket=",
                                 "tickets": tmp / "tickets.lua",
                                 "per_thread": TICKETS_PER_THREAD})
        before = count_responses(env)
        results = {"khaosat GET": wrk(f"{k_url}/q/{code}", args.seconds)}
        results["khaosat POST"] = wrk(f"{k_url}/q/{code}", args.seconds, script)
        stored = count_responses(env) - before
    finally:
        khaosat.terminate()
        khaosat.wait()
    bare_env = {**env, "BENCH_PAGE": str(tmp / "page.html"), "BENCH_IDS": id_list,
                "PYTHONPATH": str(ROOT / "bench")}
    bare, b_url = serve("bare_app:app", bare_env, [])
    try:
        results["bare GET"] = wrk(f"{b_url}/q/{code}", args.seconds)
        results["bare POST"] = wrk(f"{b_url}/q/{code}", args.seconds, script)
    finally:
        bare.terminate()
        bare.wait()

    print(f"database: {'PostgreSQL' if args.database else 'SQLite'}, gunicorn 2 workers, "
          f"wrk 2 threads × 16 connections, {args.seconds} s each")
    for name, (rate, p99, _done) in results.items():
        print(f"{name:13} {rate:8.0f} req/s   p99 {p99:6.1f} ms")
    for method in ("GET", "POST"):
        ratio = results[f"khaosat {method}"][0] / results[f"bare {method}"][0]
        verdict = "within budget" if ratio >= 0.70 else "OVER BUDGET"
        print(f"{method} ratio khaosat / bare: {ratio:.2f} ({verdict}, budget ≥ 0.70)")
    print(f"POST requests answered: {results['khaosat POST'][2]}, responses stored: {stored}")


if __name__ == "__main__":
    main()

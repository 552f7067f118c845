"""The survey while a province-wide sticker print runs: p99 of a survey GET, idle and during.

    .venv/bin/python bench/print_load.py [--database postgresql://127.0.0.1:5432/test]
                                         [--counters 1000] [--seconds 10]

Builds a throwaway database with COUNTERS counters (the tree of bench/reports.py) and serves
khaosat (production settings, 2 gunicorn workers, limits in Redis, gates open as in
bench/survey.py, one proxy hop as behind nginx). wrk (4 connections, a citizen-like load,
each request a phone of its own: X-Forwarded-For) measures a survey GET's p99, after a
warm-up round: idle; while the print runs as the stickers page now starts it (`flask
print-job`: a session of its own, its layout in a child at SCHED_IDLE that stops while the
rest of the machine is busy, app/printing/quiet.py); and while the same print runs in-process at
normal priority. Every response must be a survey page (wrk's non-2xx count is 0, or the bench
fails: a 429 is not a survey page). Budget: p99 during the print ≤ 2× idle.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from survey import GET_LUA, OPEN_GATES, PROVINCE, serve
from throwaway import throwaway_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The province of bench/survey.py, an admin, and two print jobs of every counter.
SETUP = PROVINCE + """
from datetime import UTC, datetime
from app.models import PrintJob
with app.app_context():
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO user_account (id, username, password_hash, role, "
                          "unit_id, active, language, session_version, created_at) VALUES "
                          "(1, 'bench', 'x', 'admin', 1, TRUE, 'vi', 1, :now)"),
                     {{"now": datetime.now(UTC)}})
    for n in (1, 2):
        db.session.add(PrintJob(id=f"job{{n}}", user_id=1, layout="a4-2x4", unit_code="BINHAN",
                                counter_ids=list(range(1, {counters} + 1)), status="queued",
                                created_at=datetime.now(UTC)))
    db.session.commit()
"""


ROUND = 0  # each round's phones are new ones


def p99(url: str, seconds: int) -> tuple[float, int]:
    global ROUND
    ROUND += 1
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(GET_LUA % {"first": ROUND * 4_000_000, "per_thread": 1_000_000})
    out = subprocess.run(["wrk", "-t2", "-c4", f"-d{seconds}s", "--latency", "-s",
                          script.name, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"FAIL: {bad.group(1)} responses were not survey pages")
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], done


def during(env: dict, url: str, seconds: int, job: str,
           in_worker: bool) -> tuple[float, int, float]:
    """p99 while the job's print runs as the page starts it, or inside a worker-like process."""
    # As the stickers page starts it: app.printing.jobs.spawn, a session (and so a scheduler
    # autogroup) of its own; the bench waits for it.
    command = [BIN / "python", "-c",
               "from wsgi import app; from app.printing.jobs import spawn\n"
               f"with app.app_context(): raise SystemExit(spawn('{job}').wait())"]
    if in_worker:  # as a gunicorn worker would have made it: in process, no lower priority
        command = [BIN / "python", "-c",
                   "from wsgi import app\nfrom app.printing import jobs\n"
                   "from app.printing.render import print_stickers, layouts\n"
                   "from app.clock import local_today\n"
                   "with app.app_context():\n"
                   f"    job = jobs.db.session.get(jobs.PrintJob, '{job}')\n"
                   "    counters = jobs.db.session.scalars(jobs.select(jobs.Counter).where(\n"
                   "        jobs.Counter.id.in_(job.counter_ids))).all()\n"
                   "    print_stickers(counters, layouts()[job.layout], today=local_today())"]
    started = time.perf_counter()
    printer = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    time.sleep(1)  # past its start-up, into the layout
    result = p99(url, seconds)
    printer.wait()
    if printer.returncode:
        raise RuntimeError("the print failed")
    return *result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: a temporary SQLite)")
    parser.add_argument("--counters", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.database, tmp) as url:
        env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": "p" * 64,
               "DATABASE_URL": url, "PUBLIC_BASE_URL": "https://khaosat.example.vn",
               "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                       "redis://127.0.0.1:6379/0"),
               "RATELIMIT_KEY_PREFIX": f"print-{uuid.uuid4().hex[:8]}",
               "TRUSTED_PROXY_HOPS": "1", **OPEN_GATES}
        subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        subprocess.run([BIN / "python", "-c", SETUP.format(counters=args.counters)],
                       cwd=ROOT, env=env, check=True)
        server, base = serve("wsgi:app", env, ["-c", "gunicorn.conf.py"])
        try:
            survey = f"{base}/q/C0000001"
            p99(survey, 3)  # warm-up: the page rendered, connections opened
            idle, n_idle = p99(survey, args.seconds)
            niced = during(env, survey, args.seconds, "job1", in_worker=False)
            plain = during(env, survey, args.seconds, "job2", in_worker=True)
            after, n_after = p99(survey, args.seconds)
        finally:
            server.terminate()
            server.wait()
    print(f"{'PostgreSQL' if args.database else 'SQLite'}, {args.counters:,} stickers, "
          f"survey GET under wrk 4 connections, {args.seconds} s each")
    print(f"idle                             p99 {idle:6.1f} ms  ({n_idle} requests)")
    print(f"idle again, after both prints    p99 {after:6.1f} ms  ({n_after} requests)")
    for label, (ms, n, took) in (("print job, as the page starts it", niced),
                                 ("same print in a worker, nice 0", plain)):
        print(f"{label:32} p99 {ms:6.1f} ms  ({n} requests)  {ms / idle:4.2f}× idle; "
              f"print took {took:.0f} s, {max(0, took - 1 - args.seconds):.0f} s of it "
              "after wrk stopped")
    verdict = "within budget" if niced[0] <= 2 * idle else "OVER BUDGET"
    print(f"during the background print: {niced[0] / idle:.2f}× idle ({verdict}, ≤ 2×)")


if __name__ == "__main__":
    main()

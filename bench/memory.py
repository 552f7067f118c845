"""Memory and start-up of the gunicorn workers, with and without preload_app.

    .venv/bin/python bench/memory.py [--requests 30000]

Serves khaosat (production settings, SQLite, 2 workers, limits in Redis) twice: as configured
(gunicorn.conf.py) and with GUNICORN_PRELOAD flipped. Each time: seconds until it answers,
each worker's RSS and PSS (its share of pages used by several processes, from
/proc/PID/smaps_rollup) and private memory when idle and after REQUESTS survey GETs plus a
few staff pages, and the master's. Prints MiB.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from survey import OPEN_GATES, free_port, workers_of

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and private memory of one process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":")
        fields[name] = int(value.split()[0]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "private": fields["Private_Clean"] + fields["Private_Dirty"]}


def show(label: str, master: int) -> None:
    rows = [("master", memory(master))] + [(f"worker {n + 1}", memory(pid))
                                          for n, pid in enumerate(workers_of(master))]
    total_pss = sum(m["pss"] for _name, m in rows)
    print(f"  {label}: " + "; ".join(f"{name} RSS {m['rss']:.0f} PSS {m['pss']:.0f} private "
                                     f"{m['private']:.0f}" for name, m in rows)
          + f"; all PSS {total_pss:.0f} MiB")


def run(env: dict, code: str, requests: int, preload: bool) -> None:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}",
                                 "GUNICORN_PRELOAD": "1" if preload else "0",
                                 "GUNICORN_ACCESSLOG": "/dev/null"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1)
            break
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.05)
    print(f"preload_app {'on' if preload else 'off'}: answers after "
          f"{time.perf_counter() - started:.2f} s")
    try:
        while len(workers_of(proc.pid)) < 2:
            time.sleep(0.1)
        time.sleep(1)
        show("idle", proc.pid)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _n: urllib.request.urlopen(f"{base}/q/{code}").read(),
                          range(requests)))
        for path in ("/", "/login", "/health"):
            for _ in range(50):
                urllib.request.urlopen(f"{base}{path}").read()
        show(f"after {requests:,} requests", proc.pid)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": "m" * 64,
               "DATABASE_URL": f"sqlite:///{tmp}/memory.sqlite",
               "PUBLIC_BASE_URL": "https://khaosat.example.vn",
               "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                       "redis://127.0.0.1:6379/0"),
               "RATELIMIT_KEY_PREFIX": f"memory-{uuid.uuid4().hex[:8]}", **OPEN_GATES}
        for command in (["db", "upgrade"], ["seed-demo", "--history-days", "0"]):
            subprocess.run([BIN / "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,
                           check=True, capture_output=True)
        code = subprocess.run([BIN / "flask", "--app", "wsgi", "list-counters"], cwd=ROOT,
                              env=env, check=True, capture_output=True, text=True).stdout
        code = code.split()[0].rsplit("/", 1)[1]  # "URL  name" lines
        for preload in (False, True):
            run(env, code, args.requests, preload)


if __name__ == "__main__":
    main()

"""Memory and start-up of the gunicorn workers, with and without preload_app.

    .venv/bin/python bench/memory.py [--phones 150000]

Serves khaosat (production settings, SQLite, 2 workers, limits in Redis, one proxy hop as
behind nginx) twice: as configured (gunicorn.conf.py) and with GUNICORN_PRELOAD flipped. Each
time: seconds until it answers, and each worker's RSS and PSS (its share of pages used by
several processes, from /proc/PID/smaps_rollup) and private memory when idle, after a few
staff pages, and after every 30,000 phones, each scanning a sticker once from an address of
its own (X-Forwarded-For), as real traffic comes. Each process remembers a phone's first
openings (survey/limits.FirstOpens) up to MAX_KEYS entries a worker, then starts afresh:
memory grows with phones up to that ceiling and stays flat past it. Every scan must get the
survey form (200 and its ticket), or the bench fails: a 429 is not a survey page.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.survey.limits import FirstOpens

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


def phone(n: int) -> str:
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def scan(base: str, code: str, n: int) -> bool:
    """Phone n scans the sticker; True if it got the form."""
    request = urllib.request.Request(f"{base}/q/{code}", headers={"X-Forwarded-For": phone(n)})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status == 200 and b'name="ticket"' in answer.read()
    except urllib.error.HTTPError:
        return False


def run(env: dict, code: str, phones: int, preload: bool) -> None:
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
        for path in ("/", "/login", "/health"):
            for _ in range(50):
                urllib.request.urlopen(f"{base}{path}").read()
        show("after 150 staff pages", proc.pid)
        done = 0
        with ThreadPoolExecutor(8) as pool:
            while done < phones:
                step = min(30_000, phones - done)
                got = list(pool.map(lambda n: scan(base, code, n), range(done, done + step)))
                done += step
                if not all(got):
                    raise SystemExit(f"FAIL: {got.count(False)} of {step} scans did not get "
                                     "the survey form")
                show(f"after {done:,} phones", proc.pid)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=150_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KHAOSAT_ENV": "production", "SECRET_KEY": "m" * 64,
               "DATABASE_URL": f"sqlite:///{tmp}/memory.sqlite",
               "PUBLIC_BASE_URL": "https://khaosat.example.vn",
               "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                       "redis://127.0.0.1:6379/0"),
               "RATELIMIT_KEY_PREFIX": f"memory-{uuid.uuid4().hex[:8]}",
               "TRUSTED_PROXY_HOPS": "1", **OPEN_GATES}
        for command in (["db", "upgrade"], ["seed-demo", "--history-days", "0"]):
            subprocess.run([BIN / "flask", "--app", "wsgi", *command], cwd=ROOT, env=env,
                           check=True, capture_output=True)
        code = subprocess.run([BIN / "flask", "--app", "wsgi", "list-counters"], cwd=ROOT,
                              env=env, check=True, capture_output=True, text=True).stdout
        code = code.split()[0].rsplit("/", 1)[1]  # "URL  name" lines
        for preload in (False, True):
            run(env, code, args.phones, preload)
    print(f"FirstOpens keeps at most {FirstOpens.MAX_KEYS:,} entries a worker (the ceiling).")


if __name__ == "__main__":
    main()

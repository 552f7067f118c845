"""Large print runs are made by a background process, not by the worker that received the
request: a province-wide run is ~15 CPU-seconds, which on two cores would keep the survey's
workers from citizens for as long (bench/print_load.py).

Above PRINT_BACKGROUND_ABOVE stickers, the stickers page stores a PrintJob and starts
`flask print-job <id>` detached from the worker. That process lays the sheets out in a child
that runs only on CPU time nobody else wants (Linux's SCHED_IDLE, else nice 19) and only
while the rest of the machine is quiet (app/printing/quiet.py); the staff member's page
reloads itself until the PDF is ready. Jobs live in the database, so whichever app server
the next request reaches can hand the PDF over; jobs older than JOB_DAYS are dropped.
"""

import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from app.clock import local_today
from app.db_setup import transaction
from app.domain.org import survey_url
from app.extensions import db
from app.models import Counter, PrintJob, User
from app.printing.quiet import run_when_quiet
from app.printing.render import (
    Layout,
    PrintRun,
    Sticker,
    layouts,
    make_stickers,
    render_sheets,
    with_qr_codes,
)
from app.qr import keep, stored_svgs

PRIORITY = 19  # nice: the survey's workers (0) come first whenever both want the CPU
JOB_DAYS = 2
ROOT = Path(__file__).resolve().parent.parent.parent


def start(counters: list[Counter], *, layout: str, unit_code: str, user: User) -> PrintJob:
    """Store a job for these counters and start the process that makes its PDF."""
    now = datetime.now(UTC)
    with transaction():
        db.session.execute(delete(PrintJob).where(PrintJob.created_at < now - timedelta(
            days=JOB_DAYS)))  # the job must be stored before its process looks for it
        job = PrintJob(id=secrets.token_hex(16), user_id=user.id, layout=layout,
                       unit_code=unit_code, counter_ids=[c.id for c in counters],
                       status="queued", created_at=now)
        db.session.add(job)
    spawn(job.id)
    return job


# What the job's process runs first, before Python imports Flask and the app (a second of CPU):
# a session of its own is a scheduler autogroup on Linux, weighed against all of gunicorn as
# an equal whatever its processes' priority, so the group itself takes nice 19, then the
# process; then `flask print-job`.
LAUNCH = f"""import os, sys
try:
    with open("/proc/self/autogroup", "w") as group:
        group.write("{PRIORITY}")
except OSError:
    pass
os.nice({PRIORITY})
from flask.cli import main
sys.argv = ["flask", "--app", "wsgi", "print-job", sys.argv[1]]
main()
"""


def spawn(job_id: str) -> subprocess.Popen:
    """`flask print-job` in a session of its own, on this app's database, stepping aside."""
    config = current_app.config
    env = {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"], "SECRET_KEY": config["SECRET_KEY"],
           "KHAOSAT_ENV": config["KHAOSAT_ENV"]}
    return subprocess.Popen(  # noqa: S603 (our own interpreter; the id is our own hex token)
        [sys.executable, "-c", LAUNCH, job_id], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, start_new_session=True)


def lower_priority() -> None:
    """Run only when the survey's workers and the database leave the CPU idle."""
    os.nice(PRIORITY)
    if hasattr(os, "sched_setscheduler"):  # Linux: below every normal process, nice 19 too
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def lay_out(stickers: list[Sticker], layout: Layout,
            print_run: PrintRun) -> tuple[bytes, dict[str, str]]:
    """The PDF and the QR codes it had to encode, in the child process of run_when_quiet, at
    the lowest priority: encoding a province's codes is seconds of CPU too."""
    lower_priority()
    stickers, encoded = with_qr_codes(stickers)
    return render_sheets(stickers, layout, print_run), encoded


def run(job_id: str) -> PrintJob:
    """Make the job's PDF and store it (what `flask print-job` does)."""
    with transaction():  # the page shows "running" meanwhile
        job = db.session.get(PrintJob, job_id)
        if job is None:
            raise LookupError(f"no print job {job_id}")
        job.status = "running"
        layout, counter_ids = layouts()[job.layout], list(job.counter_ids)
    try:
        with transaction():
            found = {c.id: c for c in db.session.scalars(
                select(Counter).where(Counter.id.in_(counter_ids))
                .options(joinedload(Counter.unit)))}
            counters = [found[i] for i in counter_ids if i in found]  # the page's order
            urls = [survey_url(c.code) for c in counters]
            stickers = make_stickers(counters, svgs=stored_svgs(urls))
        # No transaction and no connection while the layout waits for quiet moments: an open
        # transaction holds back PostgreSQL's cleanup of the rows the survey updates all day
        # (a counter's "opened" count), and that alone doubled a survey page's p99.
        db.session.close()
        print_run = PrintRun.new(local_today())
        pdf, encoded = run_when_quiet(lay_out, stickers, layout, print_run)
        with transaction():
            keep(encoded)  # so the next print does not encode them again
            job = db.session.get(PrintJob, job_id)
            job.pdf, job.status = pdf, "done"
            job.filename = f"tem-qr-{job.unit_code}-{job.layout}-{print_run.id}.pdf"
    except Exception:
        with transaction():
            db.session.get(PrintJob, job_id).status = "failed"
        raise
    return job

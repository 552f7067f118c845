"""Large print runs are made by a background process at lower priority, not by the worker
that received the request: a province-wide run is ~15 CPU-seconds, which on two cores would
keep the survey's workers from citizens for as long (bench/print_load.py).

Above PRINT_BACKGROUND_ABOVE stickers, the stickers page stores a PrintJob and starts
`flask print-job <id>` detached from the worker (it runs only on CPU time nobody else wants:
Linux's SCHED_IDLE, else nice 19, and leaves a core free); the staff member's page reloads
itself until the PDF is ready. Jobs live in the database, so
whichever app server the next request reaches can hand the PDF over; jobs older than JOB_DAYS
are dropped.
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
from app.extensions import db
from app.models import Counter, PrintJob, User
from app.printing.render import layouts, print_stickers

PRIORITY = 19  # nice: the survey's workers (0) come first whenever both want the CPU
# Layout processes a job may use: all cores but one, which stays free for citizens' requests.
JOB_WORKERS = max(1, (os.cpu_count() or 1) - 1)
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


def spawn(job_id: str) -> subprocess.Popen:
    """`flask print-job` in a session of its own, on this app's database."""
    config = current_app.config
    env = {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"], "SECRET_KEY": config["SECRET_KEY"],
           "KHAOSAT_ENV": config["KHAOSAT_ENV"]}
    return subprocess.Popen(  # noqa: S603 (our own interpreter; the id is our own hex token)
        [sys.executable, "-m", "flask", "--app", "wsgi", "print-job", job_id], cwd=ROOT,
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)


def lower_priority() -> None:
    """Run only when the survey's workers and the database leave the CPU idle."""
    os.nice(PRIORITY)
    if hasattr(os, "sched_setscheduler"):  # Linux: below every normal process, nice 19 too
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def run(job_id: str) -> PrintJob:
    """Make the job's PDF and store it, at lower priority (what `flask print-job` does)."""
    lower_priority()  # this process and the layout processes it starts
    with transaction():  # the page shows "running" meanwhile
        job = db.session.get(PrintJob, job_id)
        if job is None:
            raise LookupError(f"no print job {job_id}")
        job.status = "running"
    try:
        with transaction():  # the PDF with the QR codes encoded for this print (app/qr.py)
            found = {c.id: c for c in db.session.scalars(
                select(Counter).where(Counter.id.in_(job.counter_ids))
                .options(joinedload(Counter.unit)))}
            counters = [found[i] for i in job.counter_ids if i in found]  # the page's order
            result = print_stickers(counters, layouts()[job.layout], today=local_today(),
                                    workers=JOB_WORKERS)
            job.pdf, job.status = result.pdf, "done"
            job.filename = f"tem-qr-{job.unit_code}-{job.layout}-{result.run.id}.pdf"
    except Exception:
        with transaction():
            job.status = "failed"
        raise
    return job

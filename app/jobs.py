"""The job queue: RQ on the Redis production already has (JOB_QUEUE_URL), one queue per
deployment or test run (JOB_QUEUE_NAME). Without JOB_QUEUE_URL (development) there is no
queue and callers do the work in the request.

RQ because its jobs are plain functions run by `flask run-jobs` inside the app, its retries
take a backoff list, its scheduler holds a job until a time (texts wait for the morning), and
a job's data leaves Redis when it is done (result_ttl=0) — the rest (a rate per provider) is
one moving window of the `limits` library Flask-Limiter already brings.
"""

from functools import lru_cache

from flask import current_app
from redis import Redis
from rq import Queue


@lru_cache(maxsize=4)
def _connection(url: str) -> Redis:
    return Redis.from_url(url)


def queue() -> Queue | None:
    """The app's queue, or None when jobs run in the request (no JOB_QUEUE_URL)."""
    url = current_app.config["JOB_QUEUE_URL"]
    if not url:
        return None
    return Queue(current_app.config["JOB_QUEUE_NAME"], connection=_connection(url))


def run_worker(*, burst: bool = False) -> None:
    """Work the queue in this process (and its scheduler, which releases delayed jobs and
    retries when due); `burst` stops when the queue is empty (tests, a cron)."""
    from rq import SimpleWorker

    found = queue()
    if found is None:
        raise RuntimeError("JOB_QUEUE_URL is not set: there is no queue to work.")
    SimpleWorker([found], connection=found.connection).work(
        burst=burst, with_scheduler=True, logging_level="WARNING")

"""Sending a confirmed batch's texts, off the request path: one RQ job per text
(app/jobs.py), sent only during SMS_HOURS, at most SMS_RATE_LIMIT across workers, within the
campaign's SMS budget, tried again after a timeout, a 5xx or "slow down" (SMS_RETRIES, with
SMS_RETRY_SECONDS between), and counted on the batch whatever becomes of it. A job holds the
number and the text until it is done; then RQ drops it (result_ttl=0), and a job that fails
for good counts its failure instead of staying in RQ's failed list.

Without a queue (development) the texts are sent in the request, by the same function.
"""

import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from rq import Retry, get_current_job

from app import jobs
from app.clock import local_now
from app.db_setup import transaction
from app.domain.invitations import (
    FAILED,
    OVER_BUDGET,
    SENT,
    Outgoing,
    count_outcome,
    give_back_to_budget,
    take_from_budget,
)
from app.models import InvitationBatch
from app.sms import SmsError, provider_from_config

JOB_DESCRIPTION = "invitation text"  # what RQ logs of a job: never its number or link


def queue_texts(batch: InvitationBatch, outgoing: list[Outgoing]) -> bool:
    """Queue (or, without a queue, send now) the batch's texts. True if they were queued."""
    queue = jobs.queue()
    for text in outgoing:
        args = (batch.id, text.campaign_id, text.counter_id, text.day.isoformat(), text.phone,
                text.text)
        if queue is None:
            send_text(*args)
            continue
        _enqueue(queue, args, at=next_sending_time(local_now()))
    return queue is not None


def _enqueue(queue, args: tuple, *, at: datetime | None) -> None:
    config = current_app.config
    options = {"description": JOB_DESCRIPTION, "result_ttl": 0, "failure_ttl": 1,
               "retry": Retry(max=config["SMS_RETRIES"], interval=_retry_seconds())}
    if at is None:
        queue.enqueue_call(send_text, args=args, **options)
    else:
        queue.enqueue_at(at, send_text, args=args, **options)


def _retry_seconds() -> list[int]:
    return [int(s) for s in current_app.config["SMS_RETRY_SECONDS"].split(",")]


def sending_hours() -> tuple[clock_time, clock_time]:
    start, end = current_app.config["SMS_HOURS"].split("-")
    return clock_time.fromisoformat(start.strip()), clock_time.fromisoformat(end.strip())


def next_sending_time(now: datetime) -> datetime | None:
    """None if a text may go out now (local time within SMS_HOURS), else when it may."""
    start, end = sending_hours()
    if start <= now.time() < end:
        return None
    day = now.date() if now.time() < start else now.date() + timedelta(days=1)
    return datetime.combine(day, start, now.tzinfo)


def send_text(batch_id: str, campaign_id: int, counter_id: int, day: str, phone: str,
              text: str) -> None:
    """The job: one invitation's text, within the hours, the budget and the rate, counted."""
    job = get_current_job()
    if job is not None and (later := next_sending_time(local_now())) is not None:
        _enqueue(jobs.queue(), (batch_id, campaign_id, counter_id, day, phone, text),
                 at=later)  # a retry that came due in the night waits for the morning
        return
    returned_on = date.fromisoformat(day)
    with transaction():
        taken = take_from_budget(campaign_id)
        if not taken:
            count_outcome(batch_id, counter_id, returned_on, OVER_BUDGET)
    if not taken:
        return
    provider = provider_from_config(current_app.config)
    try:
        if provider is None:
            raise SmsError("not_configured", retry=False)
        _wait_for_rate(provider.name)
        provider.send(phone, text)
    except SmsError as failed:
        with transaction():
            give_back_to_budget(campaign_id)
            last = job is None or not failed.retry or not job.retries_left
            if last:
                count_outcome(batch_id, counter_id, returned_on, FAILED, failed.reason)
        if not last:
            raise  # RQ tries again after SMS_RETRY_SECONDS
        return
    with transaction():
        count_outcome(batch_id, counter_id, returned_on, SENT)


@lru_cache(maxsize=4)
def _limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def _wait_for_rate(provider: str) -> None:
    """Wait until the provider's moving window (SMS_RATE_LIMIT, shared by every worker
    through the queue's Redis) lets one more text through."""
    config = current_app.config
    limiter = _limiter(config["JOB_QUEUE_URL"] or "memory://")
    item = parse(config["SMS_RATE_LIMIT"])
    while not limiter.hit(item, config["JOB_QUEUE_NAME"], "sms", provider):
        time.sleep(0.05)

"""A completed form's place in the tables the reports read: `response` and `answer`, the daily
roll-ups (response_day, answer_day) and the funnel's counts per counter and day (daily_funnel).

The inbox (inbox.py) moves forms here in shuffled batches; the made-up history of the demo
and the tests comes straight here (responses.store_outcome). A repair by hand is recounted
from the raw rows (rebuild_rollups). No function commits.
"""

import uuid
from collections import Counter as Counter_
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, delete, exists, insert, select, update

from app.db_setup import counting_upsert
from app.domain.questionnaires import overall_key
from app.domain.screening import OUTCOME_COMPLETED, OUTCOME_DECLINED, REASONS
from app.domain.weeks import forget_all
from app.extensions import db
from app.models import (
    Answer,
    AnswerDay,
    Campaign,
    DailyFunnel,
    QuarantinedDay,
    Questionnaire,
    Response,
    ResponseDay,
)

FUNNEL_STEPS = ("opened", OUTCOME_DECLINED, *REASONS, OUTCOME_COMPLETED)
LEVELS = tuple(f"overall_{n}" for n in range(1, 6))
# Answers by an SMS invitation's link, and their overall levels (weeks.py shows them by channel).
CHANNEL = ("invited", *(f"invited_{n}" for n in range(1, 6)))


def bump_funnel(counter_id: int, day: date, step: str, *, conn=None) -> None:
    """Add one to a funnel step, creating the counter's row for the day if needed (on `conn`,
    else in the session's transaction)."""
    if step not in FUNNEL_STEPS:
        raise ValueError(f"unknown funnel step {step!r}")
    stmt = counting_upsert(db.engine.dialect.name, DailyFunnel, ("counter_id", "day"), (step,))
    (conn or db.session).execute(stmt, {"counter_id": counter_id, "day": day, step: 1})


@dataclass(frozen=True)
class Completed:
    """One completed form, as the inbox holds it and `response` + `answer` will."""

    id: uuid.UUID
    counter_id: int
    campaign_id: int
    questionnaire_id: int
    day: date
    answers: dict[str, int]
    comment: str | None = None
    invited: bool = False  # came through an SMS invitation's link


def store_completed(conn: Connection, forms: list[Completed]) -> None:
    """Write completed forms into `response` and `answer` in the order given, and add them to
    the daily roll-ups (so reports never read raw answers) and to the funnel's "completed".
    A day set aside for review (quarantine.py) gets them counted there instead. No commit."""
    if not forms:
        return
    dialect = conn.dialect.name
    conn.execute(insert(Response), [
        {"id": f.id, "counter_id": f.counter_id, "campaign_id": f.campaign_id,
         "questionnaire_id": f.questionnaire_id, "submitted_on": f.day,
         "comment": f.comment or None, "invited": f.invited} for f in forms])
    conn.execute(insert(Answer), [
        {"response_id": f.id, "question_key": key, "value": value}
        for f in forms for key, value in f.answers.items()])
    overall = {campaign_id: overall_key(definition) for campaign_id, definition in conn.execute(
        select(Campaign.id, Questionnaire.definition).join(Questionnaire)
        .where(Campaign.id.in_({f.campaign_id for f in forms})))}
    held = set(conn.execute(select(QuarantinedDay.counter_id, QuarantinedDay.day).where(
        QuarantinedDay.counter_id.in_({f.counter_id for f in forms}))).all())
    days: dict[tuple, Counter_] = {}
    answers: Counter_[tuple] = Counter_()
    completed: Counter_[tuple] = Counter_()
    set_aside: Counter_[tuple] = Counter_()
    for f in forms:
        completed[f.counter_id, f.day] += 1
        if (f.counter_id, f.day) in held:
            set_aside[f.counter_id, f.day] += 1
            continue
        day = days.setdefault((f.campaign_id, f.counter_id, f.day), Counter_())
        day["responses"] += 1
        level = f.answers.get(overall[f.campaign_id])
        if level:
            day[f"overall_{level}"] += 1
        if f.invited:
            day["invited"] += 1
            if level:
                day[f"invited_{level}"] += 1
        for key, value in f.answers.items():
            answers[f.campaign_id, f.counter_id, f.day, key, value] += 1
    if days:
        conn.execute(counting_upsert(dialect, ResponseDay, ("campaign_id", "counter_id", "day"),
                                     ("responses", *LEVELS, *CHANNEL)),
                     [{"campaign_id": k[0], "counter_id": k[1], "day": k[2],
                       **{n: v[n] for n in ("responses", *LEVELS, *CHANNEL)}}
                      for k, v in days.items()])
    if answers:
        conn.execute(counting_upsert(dialect, AnswerDay, ("campaign_id", "counter_id", "day",
                                                          "question_key", "value"),
                                     ("responses",)),
                     [{"campaign_id": k[0], "counter_id": k[1], "day": k[2],
                       "question_key": k[3], "value": k[4], "responses": n}
                      for k, n in answers.items()])
    conn.execute(counting_upsert(dialect, DailyFunnel, ("counter_id", "day"), ("completed",)),
                 [{"counter_id": k[0], "day": k[1], "completed": n}
                  for k, n in completed.items()])
    for (counter_id, day), n in set_aside.items():
        conn.execute(update(QuarantinedDay).where(
            QuarantinedDay.counter_id == counter_id, QuarantinedDay.day == day)
            .values(responses=QuarantinedDay.responses + n))


def recount_rollups(*, counter_id: int | None = None,
                    day: date | None = None) -> tuple[dict, dict]:
    """What response_day and answer_day must hold, counted again from the raw rows (all of
    them but the days set aside for review, or one counter's day):
    ({(campaign, counter, day): (responses, overall_1, …, overall_5, invited, invited_1, …,
      invited_5)},
     {(campaign, counter, day, question, value): responses})."""
    overall_of = {c.id: overall_key(c.questionnaire.definition)
                  for c in db.session.scalars(select(Campaign))}
    if counter_id is None:
        where = [~exists().where(QuarantinedDay.counter_id == Response.counter_id,
                                 QuarantinedDay.day == Response.submitted_on)]
    else:
        where = [Response.counter_id == counter_id, Response.submitted_on == day]
    days: dict[tuple, list[int]] = {}
    for campaign_id, counter_id_, day_, invited in db.session.execute(
            select(Response.campaign_id, Response.counter_id, Response.submitted_on,
                   Response.invited).where(*where)):
        day = days.setdefault((campaign_id, counter_id_, day_), [0] * 12)
        day[0] += 1
        day[6] += bool(invited)
    answers: dict[tuple, int] = {}
    for campaign_id, counter_id_, day_, key, value, invited in db.session.execute(
            select(Response.campaign_id, Response.counter_id, Response.submitted_on,
                   Answer.question_key, Answer.value, Response.invited)
            .join(Answer).where(*where)):
        cell = (campaign_id, counter_id_, day_, key, value)
        answers[cell] = answers.get(cell, 0) + 1
        if key == overall_of[campaign_id] and 1 <= value <= 5:
            days[campaign_id, counter_id_, day_][value] += 1
            if invited:
                days[campaign_id, counter_id_, day_][6 + value] += 1
    return {k: tuple(v) for k, v in days.items()}, answers


def rebuild_rollups() -> int:
    """Replace both daily roll-ups by a recount of the raw rows (after a repair by hand), and
    drop the weekly sums made from them (`flask sum-weeks` makes them again); the caller
    commits. Returns how many counter-days hold responses."""
    days, answers = recount_rollups()
    db.session.execute(delete(ResponseDay))
    db.session.execute(delete(AnswerDay))
    forget_all()
    store_rollups(days, answers)
    return len(days)


def store_rollups(days: dict, answers: dict) -> None:
    """Insert daily roll-up rows as recount_rollups() returns them (no commit)."""
    if days:
        db.session.execute(insert(ResponseDay), [
            {"campaign_id": k[0], "counter_id": k[1], "day": k[2],
             **dict(zip(("responses", *LEVELS, *CHANNEL), v, strict=True))}
            for k, v in days.items()])
    if answers:
        db.session.execute(insert(AnswerDay), [
            {"campaign_id": k[0], "counter_id": k[1], "day": k[2], "question_key": k[3],
             "value": k[4], "responses": v} for k, v in answers.items()])

"""Weekly roll-ups: each week that is over, summed once per counter from the daily tables.

Reports show whole weeks only, so they read one row per counter and week instead of seven
days (and never a single answer). A week is summed the first time a report needs it, in a
short transaction of its own that claims the week first, so two app servers never sum it
twice. Later, only a tally can still change in a summed week (answers and scans are filed
under the day they happen): recording or importing one re-sums that counter's week in the
same transaction. Exactness is tested against sums of the daily rows.
"""

from datetime import date, timedelta

from sqlalchemy import Connection, Date, and_, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import (
    AnswerDay,
    AnswerWeek,
    CounterWeek,
    DailyFunnel,
    ResponseDay,
    ResponseWeek,
    RolledWeek,
    Tally,
)

TALLY = ("returned", "immediate", "online", "postal")
FUNNEL = ("opened", "declined", "screened_online", "screened_postal", "screened_immediate",
          "completed")
LEVELS = tuple(f"overall_{n}" for n in range(1, 6))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def is_settled(week: date, today: date) -> bool:
    """True from the Tuesday after the week: an answer sent late on Sunday night has long been
    committed by then. (Until then, reports read that week from the daily rows.)"""
    return week + timedelta(days=8) <= today


def summed_weeks(weeks: list[date]) -> set[date]:
    return set(db.session.scalars(select(RolledWeek.week).where(RolledWeek.week.in_(weeks))))


def ensure_summed(weeks: list[date], today: date) -> set[date]:
    """Sum every given week that is settled and not summed yet, each in its own transaction;
    return the given weeks that are summed now (the others are read day by day)."""
    done = summed_weeks(weeks)
    for week in weeks:
        if week in done or not is_settled(week, today):
            continue
        with db.engine.begin() as conn:
            dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            claimed = conn.execute(dialect_insert(RolledWeek).values(week=week)
                                   .on_conflict_do_nothing())
            if claimed.rowcount:  # another server has summed it (or is summing it) otherwise
                _sum(conn, week)
        done.add(week)
    return done


def resum_counter_week(counter_id: int, day: date) -> None:
    """A tally of `day` changed: if its week is summed, sum that counter's week again (in the
    caller's transaction, so the change and the sums are committed together)."""
    week = monday(day)
    if db.session.get(RolledWeek, week) is None:
        return
    conn = db.session.connection()
    for table in (CounterWeek, ResponseWeek, AnswerWeek):
        conn.execute(delete(table).where(table.counter_id == counter_id, table.week == week))
    _sum(conn, week, counter_id)


def forget_all() -> None:
    """Drop every weekly sum (after the daily roll-ups were rebuilt); reports sum them again."""
    for table in (CounterWeek, ResponseWeek, AnswerWeek, RolledWeek):
        db.session.execute(delete(table))


def _sum(conn: Connection, week: date, counter_id: int | None = None) -> None:
    """Insert the week's sums, for every counter or for one."""
    end = week + timedelta(days=6)

    def only(table):
        days = table.day.between(week, end)
        return days if counter_id is None else and_(days, table.counter_id == counter_id)

    counters: dict[int, dict] = {}
    tallies = select(Tally.counter_id, *(func.sum(getattr(Tally, c)) for c in TALLY)) \
        .where(only(Tally)).group_by(Tally.counter_id)
    for cid, *sums in conn.execute(tallies):
        counters.setdefault(cid, {}).update(zip(TALLY, sums, strict=True))
    funnel = select(DailyFunnel.counter_id, *(func.sum(getattr(DailyFunnel, s)) for s in FUNNEL)) \
        .where(only(DailyFunnel)).group_by(DailyFunnel.counter_id)
    for cid, *sums in conn.execute(funnel):
        counters.setdefault(cid, {}).update(zip(FUNNEL, sums, strict=True))
    if counters:
        conn.execute(insert(CounterWeek), [
            {"counter_id": cid, "week": week, **dict.fromkeys(TALLY + FUNNEL, 0), **sums}
            for cid, sums in counters.items()])

    untallied = (select(ResponseDay.campaign_id, ResponseDay.counter_id,
                        func.count().label("days"))
                 .outerjoin(Tally, and_(Tally.counter_id == ResponseDay.counter_id,
                                        Tally.day == ResponseDay.day))
                 .where(only(ResponseDay), Tally.day.is_(None))
                 .group_by(ResponseDay.campaign_id, ResponseDay.counter_id).subquery())
    responses = (select(ResponseDay.campaign_id, ResponseDay.counter_id, literal(week, Date),
                        func.sum(ResponseDay.responses),
                        *(func.sum(getattr(ResponseDay, level)) for level in LEVELS),
                        func.coalesce(func.max(untallied.c.days), 0))
                 .outerjoin(untallied, and_(untallied.c.campaign_id == ResponseDay.campaign_id,
                                            untallied.c.counter_id == ResponseDay.counter_id))
                 .where(only(ResponseDay))
                 .group_by(ResponseDay.campaign_id, ResponseDay.counter_id))
    conn.execute(insert(ResponseWeek).from_select(
        ["campaign_id", "counter_id", "week", "responses", *LEVELS, "untallied_days"],
        responses))
    answers = (select(AnswerDay.campaign_id, AnswerDay.counter_id, literal(week, Date),
                      AnswerDay.question_key, AnswerDay.value, func.sum(AnswerDay.responses))
               .where(only(AnswerDay))
               .group_by(AnswerDay.campaign_id, AnswerDay.counter_id, AnswerDay.question_key,
                         AnswerDay.value))
    conn.execute(insert(AnswerWeek).from_select(
        ["campaign_id", "counter_id", "week", "question_key", "value", "responses"], answers))

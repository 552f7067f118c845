"""Weekly roll-ups: each week of a campaign that is over, summed once per counter from the
daily tables, over the campaign's days of that week.

Reports show whole weeks only, so they read one row per counter and week instead of seven
days (and never a single answer). Weeks are summed by `flask sum-weeks` (cron, sum_settled);
reports never write: a settled week not summed yet they read from the daily rows, and its
batches they work out by the same rule (app/reports/queries.py: plan), so a report says the
same before and after the sums are made. Only a tally can still change in a summed week
(answers and scans are filed under the day they happen): recording or importing one re-sums
that counter's week in the same transaction, and changing a campaign's dates drops its sums.
Exactness is tested against sums of the daily rows.

Answers are released in batches (`file_batches`): each counter's answers gather week by week
until there are at least K (SUPPRESSION_K) of them, and then the whole batch is filed under
the week it filled (`batch_week`). Every figure of answers a report shows — a counter's, a
unit's, the province's, a week's — is a sum of whole batches, the ones filed in its period;
so any two figures differ by whole batches too, and no choice of period or unit (two
overlapping ranges subtracted, a unit minus its counters) singles out fewer than K people.
Answers still gathering are counted as responses but shown in no breakdown yet.

Satisfaction by channel (QR sticker / SMS invitation) is shown from the batches whose two
parts each hold none or K or more answers (`batch_apart`), so a channel's figure, the
other's and both together also differ by whole parts of K or more. A batch with K or more
answers waits for that (at a counter whose invitations flow, a week or two) for APART_WAIT
weeks at most; then it is filed all the same and shown for both channels together only.
At a counter without invitations every batch is apart and nothing waits.
"""

from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    Connection,
    Date,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from app.db_setup import insert_for
from app.extensions import db
from app.models import (
    AnswerDay,
    AnswerWeek,
    Campaign,
    CampaignWeek,
    DailyFunnel,
    InboxResponse,
    Invitation,
    ResponseDay,
    RolledWeek,
    Tally,
)

# The columns summed, by the table they come from (the reports read the same names).
TALLY = ("returned", "immediate", "online", "postal")
FUNNEL = ("opened", "declined", "screened_online", "screened_postal", "screened_immediate",
          "completed")
LEVELS = tuple(f"overall_{n}" for n in range(1, 6))
RESPONSES = ("responses", *LEVELS)
CHANNEL = ("invited", *(f"invited_{n}" for n in range(1, 6)))  # of them, by an SMS link
APART_WAIT = timedelta(weeks=4)
# Days with responses but no tally, and their responses: no rate counts them (figures.py).
UNTALLIED = ("untallied_days", "untallied_responses")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


SETTLE = timedelta(minutes=10)  # an answer sent at 23:59 on Sunday is committed long before


def settled_weeks(campaign: Campaign, through: date, now: datetime) -> list[date]:
    """The campaign's weeks up to `through` (a Monday) that are settled: over by SETTLE, none
    of their answers still waiting in the survey's inbox (domain/inbox.py), and no invitation
    for one of their days still open. Only these are summed, and batches of answers are filed
    only in them. Reads only."""
    waiting = db.session.scalar(select(func.min(InboxResponse.submitted_on)).where(
        InboxResponse.campaign_id == campaign.id))
    # An invitation's answer is filed under the day its result was returned: a week is not
    # settled while a link for one of its days still answers (its batches would change).
    invited = db.session.scalar(select(func.min(Invitation.returned_on)).where(
        Invitation.campaign_id == campaign.id, Invitation.expires_on >= now.date()))
    if invited is not None and (waiting is None or invited < waiting):
        waiting = invited
    weeks, week = [], monday(campaign.starts_on)
    while week <= min(through, monday(campaign.ends_on)):
        over = datetime.combine(week + timedelta(days=7), time(), now.tzinfo) + SETTLE
        if now < over or (waiting is not None and waiting <= week + timedelta(days=6)):
            break
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def sum_settled(campaign: Campaign, through: date, now: datetime, k: int) -> set[date]:
    """Sum the campaign's settled weeks up to `through` not summed yet, oldest first (each
    week's batches of answers build on the weeks before it); return the weeks summed now.
    Each week in a short transaction of its own that claims the week first, so two servers
    never sum it twice. Sums made with another K are dropped and made again."""
    rolled = db.session.execute(select(RolledWeek.week, RolledWeek.batch_k).where(
        RolledWeek.campaign_id == campaign.id)).all()
    if any(batch_k is not None and batch_k != k for _week, batch_k in rolled):
        with db.engine.begin() as conn:
            for table in (CampaignWeek, AnswerWeek, RolledWeek):
                conn.execute(delete(table).where(table.campaign_id == campaign.id))
        rolled = []
    done, summed = {week for week, _k in rolled}, set()
    for week in settled_weeks(campaign, through, now):
        if week in done:
            continue
        with db.engine.begin() as conn:
            # RETURNING, not the row count: psycopg reports -1 for ON CONFLICT DO NOTHING.
            claimed = conn.execute(insert_for(conn.dialect.name)(RolledWeek).values(
                campaign_id=campaign.id, week=week, batch_k=k).on_conflict_do_nothing()
                .returning(RolledWeek.week)).first()
            if claimed is not None:  # else another server has summed it, or is summing it
                sum_week(conn, campaign, week)
                fill_batches(conn, campaign, week, k)
                summed.add(week)
    return summed


def resum_counter_week(counter_id: int, day: date) -> None:
    """A tally of `day` changed: sum that counter's week again wherever a campaign has summed
    it (in the caller's transaction, so the change and the sums are committed together)."""
    week = monday(day)
    conn = db.session.connection()
    for campaign in db.session.scalars(select(Campaign).join(
            RolledWeek, RolledWeek.campaign_id == Campaign.id).where(RolledWeek.week == week)):
        row = (CampaignWeek.campaign_id == campaign.id, CampaignWeek.counter_id == counter_id,
               CampaignWeek.week == week)
        batch = conn.execute(select(CampaignWeek.batch_week, CampaignWeek.batch_apart)
                             .where(*row)).first() or (None, None)
        for table in (CampaignWeek, AnswerWeek):
            conn.execute(delete(table).where(table.campaign_id == campaign.id,
                                             table.counter_id == counter_id, table.week == week))
        sum_week(conn, campaign, week, counter_id)
        # Its answers have not changed (only a tally did): they stay in the batch they were in.
        conn.execute(update(CampaignWeek).where(*row).values(batch_week=batch[0],
                                                             batch_apart=batch[1]))


def forget_campaign(campaign_id: int) -> None:
    """Drop a campaign's weekly sums (its dates changed); reports sum them again."""
    for table in (CampaignWeek, AnswerWeek, RolledWeek):
        db.session.execute(delete(table).where(table.campaign_id == campaign_id))


def forget_all() -> None:
    """Drop every weekly sum (the daily roll-ups were rebuilt); reports sum them again."""
    for table in (CampaignWeek, AnswerWeek, RolledWeek):
        db.session.execute(delete(table))


def day_sums(conn, campaign: Campaign, first: date, last: date, *, by: str = "counter",
             counters=None, channel: bool = False) -> dict:
    """Sums of the daily tables between first and last, per counter (by="counter") or per day
    (by="day"): {key: {column: total}}, tallies and funnel of every counter, responses of this
    campaign (with `channel`, those by an SMS link too), and its days with responses but no
    tally (and their responses). `counters` narrows to some counters (ids or a subquery). The
    weekly sums are made of these; reports read them for a week not summed yet."""

    def key(table):
        return table.counter_id if by == "counter" else table.day

    def only(table, *, own: bool = False):
        where = [table.day.between(first, last)]
        if own:
            where.append(table.campaign_id == campaign.id)
        if counters is not None:
            where.append(table.counter_id.in_(counters))
        return and_(*where)

    result: dict = {}
    responses = (*RESPONSES, *CHANNEL) if channel else RESPONSES
    for table, names, own in ((Tally, TALLY, False), (DailyFunnel, FUNNEL, False),
                              (ResponseDay, responses, True)):
        query = (select(key(table), *(func.sum(getattr(table, n)) for n in names))
                 .where(only(table, own=own)).group_by(key(table)))
        for group, *values in conn.execute(query):
            result.setdefault(group, {}).update(zip(names, values, strict=True))
    untallied = (select(key(ResponseDay), func.count(), func.sum(ResponseDay.responses))
                 # Tally's days bounded too: PostgreSQL then reads the period's tallies once
                 # (a merge anti-join) instead of probing the key per day: 26 -> 9 ms a week.
                 .outerjoin(Tally, and_(Tally.counter_id == ResponseDay.counter_id,
                                        Tally.day == ResponseDay.day,
                                        Tally.day.between(first, last)))
                 .where(only(ResponseDay, own=True), Tally.day.is_(None))
                 .group_by(key(ResponseDay)))
    for group, days, responses in conn.execute(untallied):
        result.setdefault(group, {}).update(untallied_days=days,
                                            untallied_responses=int(responses or 0))
    return result


def sum_week(conn: Connection, campaign: Campaign, week: date,
             counter_id: int | None = None) -> None:
    """Insert the campaign's sums of the week, for every counter or for one (no commit)."""
    first = max(week, campaign.starts_on)
    last = min(week + timedelta(days=6), campaign.ends_on)
    counters = day_sums(conn, campaign, first, last, channel=True,
                        counters=None if counter_id is None else [counter_id])
    if counters:
        zeros = dict.fromkeys((*TALLY, *FUNNEL, *RESPONSES, *CHANNEL, *UNTALLIED), 0)
        conn.execute(insert(CampaignWeek), [
            {"campaign_id": campaign.id, "counter_id": cid, "week": week, **zeros, **values}
            for cid, values in counters.items()])
    where = [AnswerDay.campaign_id == campaign.id, AnswerDay.day.between(first, last)]
    if counter_id is not None:
        where.append(AnswerDay.counter_id == counter_id)
    answers = (select(AnswerDay.campaign_id, AnswerDay.counter_id, literal(week, Date),
                      AnswerDay.question_key, AnswerDay.value, func.sum(AnswerDay.responses))
               .where(*where)
               .group_by(AnswerDay.campaign_id, AnswerDay.counter_id, AnswerDay.question_key,
                         AnswerDay.value))
    conn.execute(insert(AnswerWeek).from_select(
        ["campaign_id", "counter_id", "week", "question_key", "value", "responses"], answers))


def file_batches(held: dict[date, tuple[int, int]], weeks: list[date],
                 k: int) -> list[tuple[list[date], date, bool]]:
    """THE rule of batches, for one counter: go through `weeks` (Mondays, oldest first) with
    `held`, {week: (answers, of them by an SMS link)} of its answers still gathering, and
    return the batches that close: (the weeks they hold, the week they are filed under,
    apart). A batch closes at the first week it holds K or more answers and each channel none
    or K or more (apart: shown by channel too), or APART_WAIT after it first held K (shown for
    both channels together only). The weeks of a batch still open are not returned."""
    closed, pending, answers, invited, full_since = [], [], 0, 0, None
    for week in weeks:
        n, by_link = held.get(week, (0, 0))
        if n > 0:
            pending.append(week)
            answers, invited = answers + n, invited + by_link
        if answers < k:
            continue
        full_since = full_since or week
        apart = all(part == 0 or part >= k for part in (invited, answers - invited))
        if apart or week >= full_since + APART_WAIT:
            closed.append((pending, week, apart))
            pending, answers, invited, full_since = [], 0, 0, None
    return closed


def _store_batches(conn: Connection, campaign: Campaign, counter_id: int, closed) -> None:
    rows = [{"c": counter_id, "w": week, "b": filed, "a": apart}
            for weeks, filed, apart in closed for week in weeks]
    if rows:
        conn.execute(update(CampaignWeek).where(
            CampaignWeek.campaign_id == campaign.id,
            CampaignWeek.counter_id == bindparam("c"), CampaignWeek.week == bindparam("w"))
            .values(batch_week=bindparam("b"), batch_apart=bindparam("a")), rows)


def weeks_in(start: date, end: date) -> list[date]:
    """The Mondays of the weeks from start to end."""
    weeks, week = [], monday(start)
    while week <= end:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def fill_batches(conn: Connection, campaign: Campaign, week: date, k: int) -> None:
    """File the batches of every counter that close by `week` (file_batches), its answers
    still gathering read from the weekly sums up to it. Called once per summed week, oldest
    first (no commit)."""
    held: dict[int, dict[date, tuple[int, int]]] = {}
    for counter_id, held_week, n, invited in conn.execute(
            select(CampaignWeek.counter_id, CampaignWeek.week, CampaignWeek.responses,
                   CampaignWeek.invited)
            .where(CampaignWeek.campaign_id == campaign.id, CampaignWeek.batch_week.is_(None),
                   CampaignWeek.week <= week, CampaignWeek.responses > 0)):
        held.setdefault(counter_id, {})[held_week] = (n, invited)
    for counter_id, weeks in held.items():
        _store_batches(conn, campaign, counter_id,
                       file_batches(weeks, weeks_in(min(weeks), week), k))


def rebatch_counter(conn: Connection, campaign: Campaign, counter_id: int, k: int) -> None:
    """Make one counter's batches again over its summed weeks, oldest first, by the rule of
    file_batches: after its answers of a day were set aside or given back, a batch must still
    hold K or more (no commit)."""
    mine = (CampaignWeek.campaign_id == campaign.id, CampaignWeek.counter_id == counter_id)
    conn.execute(update(CampaignWeek).where(*mine).values(batch_week=None, batch_apart=None))
    held = {week: (n, invited) for week, n, invited in conn.execute(
        select(CampaignWeek.week, CampaignWeek.responses, CampaignWeek.invited)
        .where(*mine, CampaignWeek.responses > 0))}
    summed = sorted(conn.execute(select(RolledWeek.week).where(
        RolledWeek.campaign_id == campaign.id)).scalars())
    _store_batches(conn, campaign, counter_id, file_batches(held, summed, k))

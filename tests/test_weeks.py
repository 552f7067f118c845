"""The weekly sums the reports read are exact: equal to the daily rows they come from, summed
only once a week is over, and summed again when a tally of that week changes."""

import io
from datetime import timedelta

from sqlalchemy import func, select

from app.clock import local_today
from app.domain import transaction
from app.domain.tallies import Counts, record_tally
from app.domain.weeks import ensure_summed, is_settled, monday
from app.extensions import db
from app.models import (
    AnswerDay,
    AnswerWeek,
    Counter,
    CounterWeek,
    DailyFunnel,
    ResponseDay,
    ResponseWeek,
    RolledWeek,
    Tally,
)
from app.reports import periods
from app.reports.queries import counts_by_counter
from tests.factories import make_campaign, make_counter, make_unit
from tests.helpers import csrf_token_of, login
from tests.test_reports import add_day


def daily_sums() -> tuple[dict, dict, dict]:
    """What the weekly tables must hold, summed in Python from the daily rows."""
    counters, responses, answers = {}, {}, {}
    for t in db.session.scalars(select(Tally)):
        row = counters.setdefault((t.counter_id, monday(t.day)), [0] * 10)
        for i, n in enumerate((t.returned, t.immediate, t.online, t.postal)):
            row[i] += n
    for f in db.session.scalars(select(DailyFunnel)):
        row = counters.setdefault((f.counter_id, monday(f.day)), [0] * 10)
        for i, n in enumerate((f.opened, f.declined, f.screened_online, f.screened_postal,
                               f.screened_immediate, f.completed), start=4):
            row[i] += n
    tallied = set(map(tuple, db.session.execute(select(Tally.counter_id, Tally.day))))
    for r in db.session.scalars(select(ResponseDay)):
        row = responses.setdefault((r.campaign_id, r.counter_id, monday(r.day)), [0] * 7)
        for i, n in enumerate((r.responses, r.overall_1, r.overall_2, r.overall_3, r.overall_4,
                               r.overall_5)):
            row[i] += n
        row[6] += (r.counter_id, r.day) not in tallied
    for a in db.session.scalars(select(AnswerDay)):
        key = (a.campaign_id, a.counter_id, monday(a.day), a.question_key, a.value)
        answers[key] = answers.get(key, 0) + a.responses
    return counters, responses, answers


def weekly_sums(weeks: set) -> tuple[dict, dict, dict]:
    counters = {(w.counter_id, w.week): [w.returned, w.immediate, w.online, w.postal, w.opened,
                                         w.declined, w.screened_online, w.screened_postal,
                                         w.screened_immediate, w.completed]
                for w in db.session.scalars(select(CounterWeek))}
    responses = {(w.campaign_id, w.counter_id, w.week): [w.responses, w.overall_1, w.overall_2,
                                                         w.overall_3, w.overall_4, w.overall_5,
                                                         w.untallied_days]
                 for w in db.session.scalars(select(ResponseWeek))}
    answers = {(a.campaign_id, a.counter_id, a.week, a.question_key, a.value): a.responses
               for a in db.session.scalars(select(AnswerWeek))}
    return counters, responses, answers


def only(sums: tuple[dict, dict, dict], weeks: set) -> tuple:
    counters, responses, answers = sums
    return ({k: v for k, v in counters.items() if k[1] in weeks},
            {k: v for k, v in responses.items() if k[2] in weeks},
            {k: v for k, v in answers.items() if k[2] in weeks})


def test_weeks_that_are_over_are_summed_exactly_and_the_current_one_not(app, runner):
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        today = local_today()
        weeks = [monday(today) - timedelta(days=7 * n) for n in range(6)]
        ensure_summed(weeks, today)
        db.session.commit()
        summed = set(db.session.scalars(select(RolledWeek.week)))
        assert summed == {w for w in weeks if is_settled(w, today)}
        assert monday(today) not in summed and monday(today) - timedelta(days=14) in summed
        assert weekly_sums(summed) == only(daily_sums(), summed)
        assert db.session.scalar(select(func.count()).select_from(CounterWeek)) > 0


def test_a_tally_changed_in_a_summed_week_sums_that_week_again(app, runner, tmp_path):
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        today = local_today()
        week = monday(today) - timedelta(days=14)
        ensure_summed([week], today)
        counter = db.session.scalars(select(Counter).order_by(Counter.id)).first()
        code = counter.code
        with transaction():
            record_tally(counter, week + timedelta(days=1), Counts(500, 0, 0, 0), actor="test",
                         today=today)
        assert weekly_sums({week}) == only(daily_sums(), {week})
        assert db.session.get(CounterWeek, (counter.id, week)).returned >= 500
    # An import through the page replaces another day of that week: summed again too.
    csv = (f"date,counter_code,returned,immediate,online,postal\n"
           f"{(week + timedelta(days=2)).isoformat()},{code},777,0,0,0\n")
    admin = login(app, "admin", "khaosat-demo")
    token = csrf_token_of(admin.get("/staff/tallies"))
    page = admin.post("/staff/tallies/import", data={
        "csrf_token": token, "i-csrf_token": token,
        "i-file": (io.BytesIO(csv.encode()), "mot-cua.csv")}, content_type="multipart/form-data")
    assert page.status_code == 303
    with app.app_context():
        assert weekly_sums({week}) == only(daily_sums(), {week})


def test_a_campaign_starting_mid_week_counts_only_its_own_days(app):
    """The odd days of a first week come from the daily rows: a tally of the Monday before a
    Wednesday start (under an earlier campaign) is not this campaign's."""
    with app.app_context():
        today = local_today()
        first_monday = monday(today) - timedelta(days=21)
        province = make_unit()
        counter = make_counter(province)
        make_campaign(province, status="closed", starts_on=first_monday - timedelta(days=7),
                      ends_on=first_monday + timedelta(days=1))
        campaign = make_campaign(province, starts_on=first_monday + timedelta(days=2),
                                 ends_on=today + timedelta(days=30))
        add_day(counter, first_monday, eligible=100)  # the earlier campaign's Monday
        add_day(counter, first_monday + timedelta(days=2), eligible=10, responses=4,
                overall=(0, 0, 0, 2, 2), campaign=campaign)
        add_day(counter, first_monday + timedelta(days=8), eligible=20, responses=6,
                overall=(0, 0, 1, 2, 3), campaign=campaign)
        period = periods.resolve(campaign, today)
        assert period.start == campaign.starts_on
        counts = counts_by_counter(campaign, province, period.start, period.end, today)[counter.id]
        assert (counts.eligible, counts.responses, counts.satisfied) == (30, 10, 9)


def test_a_week_is_read_day_by_day_until_it_is_settled(app):
    """Last week, on the Monday after it: not summed, read from the daily rows (an answer of
    Sunday night may still be on its way); from the Tuesday on it is summed."""
    from datetime import date

    from app.reports.queries import split

    with app.app_context():
        week = date(2026, 11, 16)  # a Monday
        weeks, spans = split(week - timedelta(days=7), week + timedelta(days=6),
                             today=date(2026, 11, 23))
        assert weeks == [week - timedelta(days=7)]
        assert spans == [(week, week + timedelta(days=6))]
        weeks, spans = split(week - timedelta(days=7), week + timedelta(days=6),
                             today=date(2026, 11, 24))
        assert weeks == [week - timedelta(days=7), week] and spans == []
        db.session.rollback()

"""The weekly sums the reports read are exact: equal to the daily rows they come from, summed
only once a week is over, and summed again when a tally of that week changes."""

import io
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.clock import local_now, local_today
from app.db_setup import transaction
from app.domain.tallies import TallyCounts, record_tally
from app.domain.weeks import SETTLE, forget_all, monday, settled_weeks, sum_settled
from app.extensions import db
from app.models import (
    AnswerDay,
    AnswerWeek,
    Campaign,
    CampaignWeek,
    Counter,
    DailyFunnel,
    ResponseDay,
    RolledWeek,
    Tally,
)
from app.reports import periods
from app.reports.queries import channel_answers, counters_under, figures_by
from app.reports.tables import unit_report
from tests.factories import make_campaign, make_counter, make_unit
from tests.helpers import confirm_upload, csrf_token_of, login
from tests.test_reports import add_day


def daily_sums(campaign) -> tuple[dict, dict]:
    """What the weekly tables must hold for the campaign, summed in Python from daily rows."""
    weeks, answers = {}, {}
    inside = lambda day: campaign.starts_on <= day <= campaign.ends_on  # noqa: E731

    def row(counter_id, day):
        return weeks.setdefault((counter_id, monday(day)), [0] * 17)

    for t in db.session.scalars(select(Tally)):
        if inside(t.day):
            for i, n in enumerate((t.returned, t.immediate, t.online, t.postal)):
                row(t.counter_id, t.day)[i] += n
    for f in db.session.scalars(select(DailyFunnel)):
        if inside(f.day):
            for i, n in enumerate((f.opened, f.declined, f.screened_online, f.screened_postal,
                                   f.screened_immediate, f.completed), start=4):
                row(f.counter_id, f.day)[i] += n
    tallied = set(map(tuple, db.session.execute(select(Tally.counter_id, Tally.day))))
    for r in db.session.scalars(select(ResponseDay).where(ResponseDay.campaign_id == campaign.id)):
        if not inside(r.day):
            continue
        for i, n in enumerate((r.responses, r.overall_1, r.overall_2, r.overall_3, r.overall_4,
                               r.overall_5), start=10):
            row(r.counter_id, r.day)[i] += n
        row(r.counter_id, r.day)[16] += (r.counter_id, r.day) not in tallied
    for a in db.session.scalars(select(AnswerDay).where(AnswerDay.campaign_id == campaign.id)):
        if not inside(a.day):
            continue
        key = (a.counter_id, monday(a.day), a.question_key, a.value)
        answers[key] = answers.get(key, 0) + a.responses
    return weeks, answers


COLUMNS = ("returned", "immediate", "online", "postal", "opened", "declined", "screened_online",
           "screened_postal", "screened_immediate", "completed", "responses", "overall_1",
           "overall_2", "overall_3", "overall_4", "overall_5", "untallied_days")


def weekly_sums(campaign) -> tuple[dict, dict]:
    weeks = {(w.counter_id, w.week): [getattr(w, c) for c in COLUMNS]
             for w in db.session.scalars(select(CampaignWeek)
                                         .where(CampaignWeek.campaign_id == campaign.id))}
    answers = {(a.counter_id, a.week, a.question_key, a.value): a.responses
               for a in db.session.scalars(select(AnswerWeek)
                                           .where(AnswerWeek.campaign_id == campaign.id))}
    return weeks, answers


def ensure_summed(campaign, through, now=None) -> set:
    """Sum the campaign's settled weeks up to `through`, as `flask sum-weeks` does."""
    summed = sum_settled(campaign, through, now or local_now(),
                         current_app.config["SUPPRESSION_K"])
    db.session.commit()
    return summed


def is_settled(week, now) -> bool:
    return now >= datetime.combine(week + timedelta(days=7), time(), now.tzinfo) + SETTLE


def batch_weeks(campaign) -> dict:
    return dict(((c, w), b) for c, w, b in db.session.execute(
        select(CampaignWeek.counter_id, CampaignWeek.week, CampaignWeek.batch_week)
        .where(CampaignWeek.campaign_id == campaign.id, CampaignWeek.responses > 0)))


def only(sums: tuple[dict, dict], weeks: set) -> tuple:
    rows, answers = sums
    return ({k: v for k, v in rows.items() if k[1] in weeks},
            {k: v for k, v in answers.items() if k[1] in weeks})


def test_weeks_that_are_over_are_summed_exactly_and_the_current_one_not(app, runner):
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        forget_all()
        db.session.commit()
        today = local_today()
        # The weeks the 30 days of history touch: five or six, by today's weekday.
        weeks = {monday(day) for day in db.session.scalars(select(DailyFunnel.day).distinct())}
        campaign = db.session.scalars(select(Campaign)).one()
        ensure_summed(campaign, monday(today))
        db.session.commit()
        summed = set(db.session.scalars(select(RolledWeek.week)))
        assert summed == {w for w in weeks if is_settled(w, local_now())}
        assert monday(today) not in summed and monday(today) - timedelta(days=14) in summed
        assert weekly_sums(campaign) == only(daily_sums(campaign), summed)
        assert db.session.scalar(select(func.count()).select_from(CampaignWeek)) > 0


def test_a_tally_changed_in_a_summed_week_sums_that_week_again(app, runner, tmp_path):
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        forget_all()
        db.session.commit()
        today = local_today()
        week = monday(today) - timedelta(days=14)
        campaign = db.session.scalars(select(Campaign)).one()
        summed = ensure_summed(campaign, week)
        counter = db.session.scalars(select(Counter).order_by(Counter.id)).first()
        code = counter.code
        batches = batch_weeks(campaign)
        assert any(batches.values())
        with transaction():
            record_tally(counter, week + timedelta(days=1), TallyCounts(500, 0, 0, 0), actor="test",
                         today=today)
        assert weekly_sums(campaign) == only(daily_sums(campaign), summed)
        assert batch_weeks(campaign) == batches  # a tally moves no answer to another batch
        assert db.session.get(CampaignWeek, (campaign.id, counter.id, week)).returned >= 500
    # An import through the page replaces another day of that week: summed again too.
    csv = (f"date,counter_code,returned,immediate,online,postal\n"
           f"{(week + timedelta(days=2)).isoformat()},{code},777,0,0,0\n")
    admin = login(app, "admin", "khaosat-demo")
    token = csrf_token_of(admin.get("/staff/tallies"))
    page = admin.post("/staff/tallies/import", data={
        "csrf_token": token, "i-csrf_token": token,
        "i-file": (io.BytesIO(csv.encode()), "mot-cua.csv")}, content_type="multipart/form-data")
    # It replaces the demo's tally of that day: the page asks first.
    assert confirm_upload(admin, page, "/staff/tallies/import/confirm").status_code == 303
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        assert weekly_sums(campaign) == only(daily_sums(campaign), summed)
        assert batch_weeks(campaign) == batches


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
        counts = figures_by(campaign, counters_under(province), period.start, period.end,
                            by="counter")[0][counter.id]
        assert (counts.eligible, counts.responses, counts.satisfied) == (30, 10, 9)


def test_a_week_settles_ten_minutes_after_it_ends_and_once_its_inbox_is_empty(app):
    """Five minutes after the week ended it is not settled yet (an answer of Sunday night may
    be on its way), ten minutes after it is; a form of that week still waiting in the inbox
    keeps it open (it would change the week's batches once moved)."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from app.models import InboxResponse

    with app.app_context():
        week = date(2026, 11, 16)  # a Monday
        counter = make_counter(make_unit())
        campaign = make_campaign(counter.unit, starts_on=week - timedelta(days=7),
                                 ends_on=week + timedelta(days=30))
        sunday_night = datetime(2026, 11, 23, 0, 5, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
        assert settled_weeks(campaign, week, sunday_night) == [week - timedelta(days=7)]
        later = sunday_night + timedelta(minutes=5)
        assert settled_weeks(campaign, week, later) == [week - timedelta(days=7), week]
        db.session.add(InboxResponse(  # a form of that Sunday, waiting for its move
            counter_id=counter.id, campaign_id=campaign.id,
            questionnaire_id=campaign.questionnaire_id, submitted_on=week + timedelta(days=6),
            answers={"overall": 5}))
        db.session.commit()
        assert settled_weeks(campaign, week, later) == [week - timedelta(days=7)]


def test_changing_a_campaigns_dates_drops_its_weekly_sums(app, runner):
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        from app.domain.campaigns import update_campaign

        today = local_today()
        campaign = db.session.scalars(select(Campaign)).one()
        week = monday(today) - timedelta(days=14)
        ensure_summed(campaign, week)
        assert db.session.get(RolledWeek, (campaign.id, week)) is not None
        with transaction():
            update_campaign(campaign, name=campaign.name, starts_on=week + timedelta(days=3),
                            ends_on=campaign.ends_on, target_rate=campaign.target_rate,
                            actor="test")
        assert db.session.scalar(select(func.count()).select_from(RolledWeek)) == 0
        ensure_summed(campaign, week)
        # Only the campaign's days of that week are summed now: Thursday to Sunday.
        assert weekly_sums(campaign) == only(daily_sums(campaign), {week})


def test_a_report_sums_nothing_and_sum_weeks_sums_them_all(app, runner):
    assert runner.invoke(args=["seed-demo", "--history-days", "60"]).exit_code == 0
    with app.app_context():
        forget_all()  # seed-demo sums every week, as after an upgrade none are
        db.session.commit()
        campaign = db.session.scalars(select(Campaign)).one()
        weeks = [monday(campaign.starts_on) + timedelta(days=7 * n) for n in range(9)]
        unit_report(campaign, campaign.unit, campaign.unit, campaign.starts_on, local_today())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(RolledWeek)) == 0
    result = runner.invoke(args=["sum-weeks"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        settled = [w for w in weeks if is_settled(w, local_now())]
        assert set(db.session.scalars(select(RolledWeek.week))) >= set(settled)
        assert weekly_sums(campaign) == only(daily_sums(campaign), set(settled))


def test_weeks_read_day_by_day_give_the_same_figures_as_summed_weeks(app, runner):
    """Counts and released answers, per counter, unit and week, the answers shown by channel,
    and every question's answers and the comments: the same whether no week, some weeks or
    every week is summed."""
    from app.models import Unit
    from app.reports.details import comments_for, details_for

    assert runner.invoke(args=["seed-demo", "--history-days", "45"]).exit_code == 0
    with app.app_context():
        forget_all()  # seed-demo summed them
        db.session.commit()
        campaign = db.session.scalars(select(Campaign)).one()
        province = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        period = periods.resolve(campaign, local_today())
        ids = list(db.session.scalars(select(Counter.id)))

        def figures():
            grouped = (figures_by(campaign, counters_under(province), period.start,
                                  period.end, by="counter"),
                       figures_by(campaign, counters_under(province), period.start,
                                  period.end, by="unit"),
                       figures_by(campaign, ids, period.start, period.end, by="week"))
            assert len(grouped[1][0]) > 1 and any(grouped[0][1].values())
            report = unit_report(campaign, province, province, period.start, period.end)
            shares = details_for(report, "vi", shares=True).shares
            by_channel = [{k: tuple(vars(c) for c in v) for k, v in channel_answers(
                campaign, counters_under(province), period.start, period.end, by=by).items()}
                for by in ("counter", "unit")]
            assert any(invited.responses for _both, invited in
                       channel_answers(campaign, ids, period.start, period.end,
                                       by="counter").values())  # the demo invites by SMS
            return (tuple(tuple({k: vars(v) for k, v in part.items()} for part in pair)
                          for pair in grouped), by_channel,
                    [(s.key, s.hits, s.total, s.levels) for s in shares],
                    sorted(comments_for(report)[0]))

        day_by_day = figures()  # nothing summed: every week from the daily rows
        assert db.session.scalar(select(func.count()).select_from(RolledWeek)) == 0
        assert day_by_day[1][0] and day_by_day[2] and day_by_day[3]
        ensure_summed(campaign, monday(period.start) + timedelta(days=14))
        assert db.session.scalar(select(func.count()).select_from(RolledWeek)) > 0
        assert figures() == day_by_day  # some summed, the rest worked out
        ensure_summed(campaign, monday(local_today()))
        assert figures() == day_by_day


def test_batches_are_made_again_when_k_changes(app, runner):
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        assert set(db.session.scalars(select(RolledWeek.batch_k))) == {5}
        app.config["SUPPRESSION_K"] = 40
        ensure_summed(campaign, monday(local_today()))
        db.session.commit()
        assert set(db.session.scalars(select(RolledWeek.batch_k))) == {40}
        sizes = db.session.execute(
            select(CampaignWeek.counter_id, CampaignWeek.batch_week,
                   func.sum(CampaignWeek.responses))
            .where(CampaignWeek.batch_week.is_not(None))
            .group_by(CampaignWeek.counter_id, CampaignWeek.batch_week)).all()
        assert sizes and all(size >= 40 for _counter, _week, size in sizes)


def test_two_servers_summing_close_together_sum_each_week_once(app, runner, migrated_database):
    """`sum-weeks` run by two servers at once: each week is claimed by one of them (psycopg
    reports -1 rows for ON CONFLICT DO NOTHING: the claim is read from RETURNING)."""
    from app import create_app
    from tests.conftest import BASE_CONFIG

    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        forget_all()
        db.session.commit()
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database})
    first = runner.invoke(args=["sum-weeks"])
    second = other.test_cli_runner().invoke(args=["sum-weeks"])
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    summed_first = int(first.output.split()[0])
    assert summed_first >= 4 and second.output.startswith("0 campaign weeks summed now")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RolledWeek)) == summed_first
        campaign = db.session.scalars(select(Campaign)).one()
        summed = set(db.session.scalars(select(RolledWeek.week)))
        assert weekly_sums(campaign) == only(daily_sums(campaign), summed)

"""The report: figures over a unit's subtree, pinned with numbers worked out by hand, shown
in Vietnamese format, with small groups hidden and each viewer kept to their own scope."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.clock import local_today
from app.domain.campaigns import set_target
from app.extensions import db
from app.models import ResponseDay, Tally
from app.reports import periods
from app.reports.tables import unit_report
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import login


def last_week() -> tuple[date, date]:
    """Monday and Sunday of the last complete week."""
    end = periods.last_reportable_day(local_today())
    return end - timedelta(days=6), end


def add_day(counter, day: date, *, eligible: int = 0, responses: int = 0,
            overall: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0), campaign=None,
            tallied: bool = True) -> None:
    """A counter's day as the roll-ups and the tally hold it (the roll-ups are proven equal
    to the raw rows in test_rollups.py)."""
    if tallied:
        db.session.add(Tally(counter=counter, day=day, returned=eligible))
    if responses:
        db.session.add(ResponseDay(campaign_id=campaign.id, counter_id=counter.id, day=day,
                                   responses=responses, **{f"overall_{n + 1}": overall[n]
                                                           for n in range(5)}))
    db.session.commit()


@pytest.fixture
def province(ctx):
    """Province > center (target 40 %) > branch, and a commune; a counter on each but the
    province. The campaign (30 %) started four weeks ago."""
    monday, _sunday = last_week()
    province = make_unit("TINH", "Tỉnh Thử")
    center = make_unit("TT", "Trung tâm", "center", parent=province)
    branch = make_unit("CN", "Chi nhánh", "branch", parent=center)
    commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
    campaign = make_campaign(province, starts_on=monday - timedelta(days=21),
                             ends_on=local_today() + timedelta(days=30))
    set_target(campaign, center, Decimal("40"), actor="test")
    db.session.commit()
    return {"province": province, "center": center, "branch": branch, "commune": commune,
            "campaign": campaign,
            "center_counter": make_counter(center, "Quầy trung tâm"),
            "branch_counter": make_counter(branch, "Quầy chi nhánh"),
            "commune_counter": make_counter(commune, "Quầy xã")}


def test_units_roll_up_their_subtree_with_their_own_targets(province):
    monday, sunday = last_week()
    c = province["campaign"]
    # Center counter: E 100, R 30 (26 satisfied of 30). Branch: E 50, R 10 (all satisfied).
    add_day(province["center_counter"], monday, eligible=100, responses=30,
            overall=(1, 1, 2, 6, 20), campaign=c)
    add_day(province["branch_counter"], monday, eligible=50, responses=10,
            overall=(0, 0, 0, 5, 5), campaign=c)
    add_day(province["commune_counter"], monday, eligible=20, responses=0)
    report = unit_report(c, province["province"], province["province"], monday, sunday)
    rows = {r.name: r for r in report.rows}
    # Province: E 170, R 40 → 23,53 % ≥ 30 %? No: 51 needed → 11 more.
    assert (report.top.counts.eligible, report.top.counts.responses) == (170, 40)
    assert report.top.rate.value == Decimal("23.53") and report.top.needed == 11
    # Center subtree: E 150, R 40 → 26,67 % against its own 40 %: 60 needed → 20 more.
    center = rows["Trung tâm"]
    assert (center.counts.eligible, center.counts.responses) == (150, 40)
    assert center.target == Decimal("40") and center.status == "below" and center.needed == 20
    # Satisfaction of the center: (26 + 10) / 40 = 90,00 %.
    assert center.satisfaction == Decimal("90.00")
    # The commune: R = 0 with E > 0 is 0,00 %, not "no data", and needs 6 (30 % of 20).
    commune = rows["UBND xã Thử"]
    assert commune.rate.value == Decimal("0.00") and commune.needed == 6
    assert commune.status == "below"


def test_no_eligible_returns_is_no_data_and_answers_without_tallies_are_flagged(province):
    """Responses of a day nobody tallied are counted apart, flagged, and in no rate."""
    monday, sunday = last_week()
    c = province["campaign"]
    add_day(province["commune_counter"], monday, responses=7, overall=(0, 0, 1, 3, 3),
            campaign=c, tallied=False)
    report = unit_report(c, province["province"], province["commune"], monday, sunday)
    assert report.top.rate.value is None and report.top.status == "no_data"
    assert report.top.needed is None
    assert (report.top.counts.matched, report.top.counts.untallied_responses) == (0, 7)
    assert set(report.top.flags) == {"untallied_days"}


def test_the_rate_counts_only_days_that_have_a_tally(province):
    """Matched days, by hand: the branch counter answered 6 of 20 on a tallied Monday, and 9
    more on an untallied Tuesday; the center counter 4 of 10 on a tallied day. The branch's
    rate is 6 / 20 = 30,00 % (not 15 / 20), the center's subtree (4 + 6) / (10 + 20) = 33,33 %
    with 9 responses shown apart; satisfaction still counts every released answer."""
    monday, sunday = last_week()
    c = province["campaign"]
    add_day(province["branch_counter"], monday, eligible=20, responses=6,
            overall=(0, 0, 0, 3, 3), campaign=c)
    add_day(province["branch_counter"], monday + timedelta(days=1), responses=9,
            overall=(0, 0, 3, 3, 3), campaign=c, tallied=False)
    add_day(province["center_counter"], monday + timedelta(days=2), eligible=10, responses=4,
            overall=(0, 0, 0, 2, 2), campaign=c)
    report = unit_report(c, province["province"], province["center"], monday, sunday,
                         every_counter=True)
    branch = next(r for r in report.counter_rows if r.name == "Quầy chi nhánh")
    assert (branch.counts.matched, branch.counts.untallied_responses) == (6, 9)
    assert branch.rate.value == Decimal("30.00") and branch.needed == 2  # 40 % of 20 = 8
    assert report.top.rate.value == Decimal("33.33")
    assert report.top.counts.untallied_responses == 9 and "untallied_days" in report.top.flags
    # Satisfaction counts the untallied day's answers too: the branch counter's 6 + 9 are
    # released (3 + 3 + 3 + 3 = 12 satisfied), the center's 4 still gather towards 5.
    assert report.top.satisfaction == Decimal("80.00")


def test_integrity_counts_flag_the_counter_and_its_units_on_the_dashboard(app, province):
    """What the survey refused or found odd on a day of the period shows next to the counter
    and every unit above it, with its count."""
    from app.domain import integrity

    monday, _sunday = last_week()
    counter_id, branch_id = province["branch_counter"].id, province["branch"].id
    for name in (integrity.BURST, integrity.BURST, integrity.REFUSED_LIMIT):
        integrity.count(counter_id, monday + timedelta(days=1), name)
    integrity.count(counter_id, monday - timedelta(days=7), integrity.IDENTICAL)  # before
    db.session.commit()
    make_user("admin", "admin", province["province"])
    admin = login(app, "admin")
    week = "{}-W{:02d}".format(*monday.isocalendar()[:2])
    page = admin.get(f"/reports/?period=week&week={week}").get_data(as_text=True)
    assert "2 phiếu gửi dồn dập" in page and "1 lượt bị từ chối: quá nhiều" in page
    assert "giống hệt" not in page  # the week before is not in this period
    branch = admin.get(f"/reports/?period=week&week={week}&unit={branch_id}")
    text = branch.get_data(as_text=True)
    assert text.count("2 phiếu gửi dồn dập") == 2  # the branch's total and its counter


def test_the_big_numbers_show_in_vietnamese_format(app):
    with app.app_context():
        monday, _sunday = last_week()
        province = make_unit("TINH", "Tỉnh Thử")
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        c = make_campaign(province, starts_on=monday - timedelta(days=7))
        # 17.383 answers, 17.225 satisfied: 99,09 %. 2.902 answers, 2.844 satisfied: 98,00 %.
        add_day(make_counter(province, "Quầy tỉnh"), monday, eligible=40000, responses=17383,
                overall=(50, 50, 58, 5000, 12225), campaign=c)
        add_day(make_counter(commune, "Quầy xã"), monday, eligible=3000, responses=2902,
                overall=(20, 18, 20, 1000, 1844), campaign=c)
        make_user("admin", "admin", province)
    admin = login(app, "admin")
    page = admin.get("/reports/").get_data(as_text=True)
    assert "17.383" in page and "99,09%" in page
    assert "2.902" in page and "98,00%" in page
    assert "20.285" in page  # the province's total
    english = admin.get("/reports/?lang=en").get_data(as_text=True)
    assert "17,383" in english and "99.09%" in english and "20,285" in english


@pytest.mark.parametrize(("responses", "hidden"), [(4, True), (5, False)])
def test_satisfaction_below_k_responses_is_hidden_but_counts_are_not(province, responses,
                                                                    hidden):
    monday, sunday = last_week()
    c = province["campaign"]
    add_day(province["commune_counter"], monday, eligible=10, responses=responses,
            overall=(0, 0, 0, 0, responses), campaign=c)
    report = unit_report(c, province["province"], province["commune"], monday, sunday)
    assert report.top.counts.responses == responses
    assert report.top.suppressed is hidden
    assert (report.top.satisfaction is None) is hidden


def test_a_unit_shows_its_counters_released_batches_only(province):
    """The center's counter has 20 answers (a batch), the branch's 3 still gather towards K:
    the center's satisfaction is its counter's alone, so the center minus its counter gives
    nothing of the branch away. The counts still say 23."""
    monday, sunday = last_week()
    c = province["campaign"]
    add_day(province["center_counter"], monday, eligible=50, responses=20,
            overall=(0, 0, 2, 8, 10), campaign=c)
    add_day(province["branch_counter"], monday, eligible=9, responses=3,
            overall=(1, 0, 0, 1, 1), campaign=c)
    report = unit_report(c, province["province"], province["center"], monday, sunday)
    assert report.top.counts.responses == 23 and report.top.answers.responses == 20
    assert report.top.satisfaction == Decimal("90.00")  # 18 of 20
    rows = {r.name: r for r in report.rows}
    assert rows["Chi nhánh"].suppressed and rows["Chi nhánh"].satisfaction is None
    assert rows["Chi nhánh"].counts.responses == 3
    assert rows["Quầy trung tâm"].satisfaction == Decimal("90.00")


def test_a_clerk_sees_their_own_scope_only(app, province):
    make_user("clerk", "clerk", province["commune"])
    clerk = login(app, "clerk")
    page = clerk.get("/reports/").get_data(as_text=True)
    assert "Tổng: UBND xã Thử" in page and "Quầy xã" in page
    assert "Trung tâm" not in page and "Quầy trung tâm" not in page
    assert clerk.get(f"/reports/?unit={province['center'].id}").status_code == 404
    assert clerk.get(f"/reports/?unit={province['province'].id}").status_code == 404
    assert clerk.get(f"/reports/?campaign={province['campaign'].id + 99}").status_code == 404


def test_periods_are_whole_weeks_inside_the_campaign(province):
    c = province["campaign"]
    today = local_today()
    whole = periods.resolve(c, today)
    assert whole.start == c.starts_on and whole.end == periods.last_reportable_day(today)
    assert whole.end.weekday() == 6
    # A custom range inside one week widens to that week.
    monday, sunday = last_week()
    custom = periods.resolve(c, today, kind="custom", start=monday + timedelta(days=2),
                             end=monday + timedelta(days=3))
    assert (custom.start, custom.end) == (monday, sunday)
    with pytest.raises(periods.PeriodError):
        periods.resolve(c, today, kind="week", value="not-a-week")
    # An end before the start is refused with what is wrong, said the right way round.
    with pytest.raises(periods.PeriodError,
                       match="ngày kết thúc không được trước ngày bắt đầu"):
        periods.resolve(c, today, kind="custom", start=sunday, end=monday)


WEEKLY = {"commune_counter": (10, 3, 0, 12), "center_counter": (20, 2, 6, 4),
          "branch_counter": (1, 1, 1, 1)}  # answers in each of the campaign's four weeks


def four_weeks(province) -> list[date]:
    """The campaign's four weeks (Mondays) with WEEKLY's answers, levels mixed."""
    monday, _sunday = last_week()
    weeks = [monday - timedelta(days=7 * n) for n in (3, 2, 1, 0)]
    for name, answers in WEEKLY.items():
        for week, n in zip(weeks, answers, strict=True):
            add_day(province[name], week, eligible=30, responses=n,
                    overall=(n // 3, 0, 0, 0, n - n // 3), campaign=province["campaign"])
    return weeks


def test_no_period_or_row_can_be_subtracted_down_to_fewer_than_k_answers(province):
    """Over every range of whole weeks, every figure of answers is made of whole batches:
    of two nested periods, or of a unit and the rows shown under it, the difference is none
    or at least K answers. (Without batches, the commune's weeks 1–2 minus week 1 would give
    away the 3 answers of week 2.)"""
    weeks = four_weeks(province)
    c = province["campaign"]
    shown = {}  # (row, first week, last week) -> answers released
    for i, first in enumerate(weeks):
        for last in weeks[i:]:
            report = unit_report(c, province["province"], province["province"], first,
                                 last + timedelta(days=6), every_counter=True)
            by_unit = {}
            for row in report.unit_rows + report.counter_rows:
                shown[(row.kind, row.id, first, last)] = row.answers.responses
                assert row.answers.responses == 0 or row.answers.responses >= 5
                assert row.suppressed == (row.answers.responses == 0 < row.counts.responses)
                by_unit[row.name] = row
            for unit_row in report.unit_rows:  # a unit minus the rows shown under it
                under = [r for r in report.unit_rows + report.counter_rows
                         if r.parent == unit_row.name and not r.suppressed]
                rest = unit_row.answers.responses - sum(r.answers.responses for r in under)
                assert rest == 0 or rest >= 5, unit_row.name
    for (kind, row_id, first, last), n in shown.items():
        for (kind2, row_id2, first2, last2), n2 in shown.items():
            if (kind, row_id) == (kind2, row_id2) and first <= first2 <= last2 <= last:
                assert n - n2 == 0 or n - n2 >= 5, (kind, row_id, first, last, first2, last2)
    # The commune's 3 answers of week 2 are filed with week 4's 12, in a batch of 15.
    commune = province["commune"].id
    assert shown[("unit", commune, weeks[0], weeks[1])] == 10
    assert shown[("unit", commune, weeks[0], weeks[3])] == 25
    assert shown[("unit", commune, weeks[3], weeks[3])] == 15


def test_a_small_week_is_shown_with_the_batch_it_completes(province):
    """The trend's weeks show the batches filed under them: the commune's 3 answers of week
    2 (hidden) come out in week 4 with its 12. Counts stay with the week they happened in."""
    from app.reports.details import weekly

    weeks = four_weeks(province)
    c = province["campaign"]
    report = unit_report(c, province["province"], province["commune"], weeks[0],
                         weeks[-1] + timedelta(days=6))
    trend = weekly(c, report)
    assert [w.row.counts.responses for w in trend] == [10, 3, 0, 12]
    assert [w.row.answers.responses for w in trend] == [10, 0, 0, 15]
    assert [w.row.suppressed for w in trend] == [False, True, False, False]
    # 15 answers in week 4's batch: 3 − 1 + 12 − 4 = 10 satisfied → 66,67 %.
    assert trend[3].row.satisfaction == Decimal("66.67")
    # The branch's 1 a week: one batch of 4 is not K, nothing is released all month.
    branch = unit_report(c, province["province"], province["branch"], weeks[0],
                         weeks[-1] + timedelta(days=6))
    assert branch.top.counts.responses == 4 and branch.top.suppressed

"""Demo data for a first look: a small province, its counters, one active campaign and, unless
asked for none, a few weeks of past tallies and answers that tell a story on the dashboard.

Built through the same code as the pages and the survey (domain operations, audited as "cli";
domain/responses.py's store_outcome for every answer), and committed once by seed-demo.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.clock import local_today
from app.domain import integrity
from app.domain.accounts import create_user, unit_by_code
from app.domain.campaigns import create_campaign, set_status, set_target
from app.domain.invitations import count_funnel
from app.domain.org import add_counter, add_unit
from app.domain.questionnaires import latest, load_all
from app.domain.responses import add_pressure_report, store_opened, store_outcome
from app.domain.screening import (
    OUTCOME_COMPLETED,
    OUTCOME_DECLINED,
    REASON_IMMEDIATE,
    REASON_ONLINE,
    REASON_POSTAL,
)
from app.domain.tallies import TallyCounts, TallyRow, import_tallies
from app.extensions import db
from app.models import Campaign, Counter, Unit

PROVINCE_CODE = "BINHAN"
# Created by seed-demo in development only, so a newcomer can see each role's pages.
DEMO_PASSWORD = "khaosat-demo"  # noqa: S105  (demo only; never created in production)
DEMO_USERS = (("admin", "admin", "BINHAN"), ("quanly.anphu", "manager", "XAANPHU"),
              ("congchuc.ttpvhcc", "clerk", "TTPVHCC"))
ACTOR = "cli"
DEFAULT_HISTORY_DAYS = 60


@dataclass(frozen=True)
class Habit:
    """How a demo counter behaves on a working day."""

    eligible: int  # results returned per day that the survey is for (about)
    answer_rate: float  # share of those citizens who answer
    mood: float  # share of satisfied answers (levels 4–5)
    tallied: bool = True  # False: staff never enter the tallies
    stuffed: int = 0  # extra answers a day beyond any citizen: R > E
    invited: float = 0.0  # share of results followed by an SMS invitation (last two weeks)


# (unit code, unit name, kind, parent code) in tree order: today's two tiers (province, then
# communes and wards), the provincial departments and the public service center.
UNITS = (
    ("SNV", "Sở Nội vụ tỉnh Bình An", "department", PROVINCE_CODE),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh Bình An", "center", PROVINCE_CODE),
    ("CNDONGHUNG", "Chi nhánh Trung tâm tại Đông Hưng", "branch", "TTPVHCC"),
    ("XAANPHU", "UBND xã An Phú", "commune", PROVINCE_CODE),
    ("PHUONGBM", "UBND phường Bình Minh", "commune", PROVINCE_CODE),
    ("XATANLAP", "UBND xã Tân Lập", "commune", PROVINCE_CODE),
    ("PHUONGHB", "UBND phường Hòa Bình", "commune", PROVINCE_CODE),
)
# (unit code, counter name, operator, habit)
COUNTERS = (
    ("TTPVHCC", "Quầy Sở Kế hoạch và Đầu tư số 1", None, Habit(30, 0.45, 0.96)),
    ("TTPVHCC", "Quầy Sở Kế hoạch và Đầu tư số 2", None, Habit(24, 0.40, 0.93)),
    ("TTPVHCC", "Quầy Sở Tư pháp số 1", None, Habit(20, 0.38, 0.90)),
    ("TTPVHCC", "Quầy Sở Tư pháp số 2", None, Habit(18, 0.12, 0.88, invited=0.8)),
    ("TTPVHCC", "Quầy trả kết quả của Bưu điện", "Bưu điện tỉnh Bình An",
     Habit(12, 0.30, 0.85)),
    ("CNDONGHUNG", "Quầy Chi nhánh Đông Hưng – Quầy 1", None, Habit(10, 0.33, 0.82)),
    ("XAANPHU", "Bộ phận Một cửa – Quầy 1", None, Habit(7, 0.50, 0.80, invited=0.6)),
    ("PHUONGBM", "Bộ phận Một cửa – Quầy 1", None, Habit(8, 0.20, 0.70)),
    ("PHUONGBM", "Bộ phận Một cửa – Quầy 2", None, Habit(3, 0.60, 0.99, stuffed=3)),
    ("XATANLAP", "Bộ phận Một cửa – Quầy 1", None, Habit(6, 0.35, 0.85, tallied=False)),
    ("PHUONGHB", "Bộ phận Một cửa – Quầy 1", None, Habit(5, 0.06, 0.75)),
)
COMMENTS = (
    "Cán bộ hướng dẫn tận tình, dễ hiểu.",
    "Thời gian chờ hơi lâu vào buổi sáng.",
    "Nên có thêm ghế ngồi chờ.",
    "Thủ tục nhanh gọn, đúng hẹn.",
    "Mong được nhắn tin báo khi có kết quả.",
    "Phòng chờ nóng, cần thêm quạt.",
)


def seed_demo(*, history_days: int = DEFAULT_HISTORY_DAYS, seed: int = 2026) -> bool:
    """Add the demo province unless it exists; return True when something was added."""
    load_all()
    if db.session.scalar(select(Unit.id).where(Unit.code == PROVINCE_CODE)):
        return False
    units = {PROVINCE_CODE: add_unit(code=PROVINCE_CODE, name="Tỉnh Bình An", kind="province",
                                     parent=None, actor=ACTOR)}
    for code, name, kind, parent in UNITS:
        units[code] = add_unit(code=code, name=name, kind=kind, parent=units[parent],
                               actor=ACTOR)
    habits = {}
    for unit_code, name, operator, habit in COUNTERS:
        counter = add_counter(unit=units[unit_code], name=name, operator=operator, actor=ACTOR)
        habits[counter.id] = habit
    today = local_today()
    campaign = create_campaign(
        name=f"Khảo sát sự hài lòng năm {today.year}", unit=units[PROVINCE_CODE],
        questionnaire=latest("sipas-short"),
        starts_on=today - timedelta(days=max(history_days, 30)),
        ends_on=today + timedelta(days=90), target_rate=Decimal("30.00"), actor=ACTOR)
    set_status(campaign, "active", actor=ACTOR)
    set_target(campaign, units["TTPVHCC"], Decimal("35.00"), actor=ACTOR)
    if current_app.config["KHAOSAT_ENV"] == "development":
        for username, role, unit_code in DEMO_USERS:
            create_user(username=username, role=role, unit=unit_by_code(unit_code),
                        password=DEMO_PASSWORD, actor=ACTOR)
    if history_days > 0:
        add_history(campaign, habits, first=today - timedelta(days=history_days),
                    last=today - timedelta(days=1),
                    rng=random.Random(seed))  # noqa: S311  (invented demo data, no secret)
    return True


def add_history(campaign: Campaign, habits: dict[int, Habit], *, first: date, last: date,
                rng: random.Random) -> None:
    """Working days of tallies and answers for each counter, as the survey would store them."""
    rows, day = [], first
    invitations_from = last - timedelta(days=INVITED_DAYS - 1)
    while day <= last:
        if day.weekday() < 5 or (day.weekday() == 5 and rng.random() < 0.5):  # Saturday mornings
            for counter_id, habit in habits.items():
                eligible = _day_tally(campaign, counter_id, habit, day, rng)
                if habit.invited and day >= invitations_from:
                    _day_invitations(campaign, counter_id, habit, day, eligible[2], rng)
                if habit.tallied:
                    rows.append(eligible)
        day += timedelta(days=1)
    codes = {c.id: c for c in db.session.scalars(select(Counter))}
    # One citizen reported being told what to answer (Home Affairs sees it; the unit not).
    stuffing = next(cid for cid, habit in habits.items() if habit.stuffed)
    add_pressure_report(stuffing, last - timedelta(days=7), ["told_what_to_answer", "watched"],
                        "Cán bộ đứng cạnh và bảo chọn Rất hài lòng.")
    tally_rows = [TallyRow(number=i, code=codes[cid].code, day=d, counts=counts)
                  for i, (cid, d, counts) in enumerate(rows, start=2)]
    import_tallies(tally_rows, filename="demo-history.csv", counters={c.code: c for c in
                   codes.values()}, scope=None, actor=ACTOR, today=local_today())


def _day_tally(campaign: Campaign, counter_id: int, habit: Habit, day: date,
               rng: random.Random) -> tuple[int, date, TallyCounts]:
    """One counter's day: who was screened out, declined or answered; returns its tally."""
    eligible = max(0, round(rng.gauss(habit.eligible, habit.eligible / 4)))
    immediate, online, postal = (rng.randint(0, max(1, habit.eligible // 4)),
                                 rng.randint(0, 3), rng.randint(0, 2))
    answering = sum(rng.random() < habit.answer_rate for _ in range(eligible)) + habit.stuffed
    steps = [OUTCOME_COMPLETED] * answering
    steps += [OUTCOME_DECLINED] * rng.randint(0, max(1, answering // 5))
    steps += [REASON_IMMEDIATE] * rng.randint(0, 1) + [REASON_ONLINE] * rng.randint(0, 1)
    steps += [REASON_POSTAL] * (rng.random() < 0.2)
    for outcome in steps:
        store_opened(counter_id, day)
        if outcome == OUTCOME_COMPLETED:
            store_outcome(counter_id=counter_id, day=day, outcome=outcome, campaign=campaign,
                          answers=_answers(habit, rng),
                          comment=rng.choice(COMMENTS) if rng.random() < 0.12 else None)
        else:
            store_outcome(counter_id=counter_id, day=day, outcome=outcome)
    for _ in range(rng.randint(0, 2)):  # scanned, then left without pressing anything
        store_opened(counter_id, day)
    if habit.stuffed:  # what the survey's checks would have counted (app/survey/limits.py)
        integrity.count(counter_id, day, *[integrity.IDENTICAL] * habit.stuffed,
                        integrity.REFUSED_LIMIT)
    return counter_id, day, TallyCounts(eligible + immediate + online + postal, immediate, online,
                                   postal)


INVITED_DAYS = 14  # the demo's counters that invite by SMS began two weeks ago


def _day_invitations(campaign: Campaign, counter_id: int, habit: Habit, day: date,
                     tally: TallyCounts, rng: random.Random) -> None:
    """Texts sent for some of the day's eligible results: some fail, about half the links
    are opened and most of those answered, filed under the return day as the inbox would.
    Answered away from the clerk, they are a little less satisfied than the sticker's."""
    sent = sum(rng.random() < habit.invited for _ in range(tally.eligible))
    failed = sum(rng.random() < 0.05 for _ in range(sent))
    opened = sum(rng.random() < 0.55 for _ in range(sent - failed))
    answered = sum(rng.random() < 0.7 for _ in range(opened))
    for _ in range(answered):
        store_outcome(counter_id=counter_id, day=day, outcome=OUTCOME_COMPLETED,
                      campaign=campaign, answers=_answers(habit, rng, mood=habit.mood - 0.2),
                      invited=True)
    count_funnel(counter_id, day, sent=sent - failed, failed=failed, opened=opened,
                 answered=answered)


def _answers(habit: Habit, rng: random.Random, *, mood: float | None = None) -> dict[str, int]:
    """One citizen's answers: overall satisfied with the counter's mood (or `mood`), factors
    near it."""
    mood = habit.mood if mood is None else mood
    overall = rng.choice((4, 5, 5)) if rng.random() < mood else rng.choice((1, 2, 3, 3))
    answers = {key: min(5, max(1, overall + rng.choice((-1, 0, 0, 0, 1))))
               for key in ("access", "procedure", "officer", "result", "feedback")}
    answers |= {"overall": overall, "on_time": int(rng.random() < 0.9),
                "extra_demand": int(rng.random() < 0.04)}
    return answers

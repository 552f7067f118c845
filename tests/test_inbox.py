"""Completed forms wait in the inbox and move in shuffled batches (app/domain/inbox.py), so
nothing in the database — not even PostgreSQL's xmin and ctid, nor SQLite's row order — tells
when, or in what order, citizens answered."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, select, text

from app import create_app
from app.cli import move_answers
from app.domain import inbox
from app.extensions import db
from app.models import (
    AnswerDay,
    Campaign,
    DailyFunnel,
    InboxResponse,
    IntegrityDay,
    QuarantinedDay,
    Response,
    ResponseDay,
    UsedTicket,
)
from app.reports.tables import unit_report
from tests.conftest import BASE_CONFIG, empty
from tests.factories import GOOD_ANSWERS, make_surveyed_counter, ref
from tests.helpers import count_rows, open_survey, submit

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Tuesday


@pytest.fixture
def hourly(migrated_database, request):
    """An app whose inbox moves at most every hour, at least five forms at a time (the
    production defaults)."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database,
                      "SURVEY_MOVE_MINUTES": 60, "SURVEY_MOVE_BATCH": 5,
                      **getattr(request, "param", {})})
    yield app
    empty(app)


def send(app, counter, n: int, first: int = 0) -> None:
    """n citizens answer one after another, minutes apart; comment "phiếu 07" names the 7th."""
    client = app.test_client()
    for i in range(first, first + n):
        page = submit(client, counter.code, {**GOOD_ANSWERS, "comment": f"phiếu {i:02d}"})
        assert "đã được ghi nhận" in page.get_data(as_text=True)


def test_answers_wait_in_the_inbox_and_move_together_after_the_hour(hourly):
    with time_machine.travel(START, tick=False) as clock:
        with hourly.app_context():
            counter = ref(make_surveyed_counter())
        send(hourly, counter, 3)
        # The first form found no move yet and stamped one (moving nothing else): all wait.
        assert count_rows(hourly, Response) == 0 and count_rows(hourly, InboxResponse) == 3
        assert count_rows(hourly, ResponseDay) == count_rows(hourly, AnswerDay) == 0
        assert count_rows(hourly, UsedTicket) == 0  # the tickets wait with their forms
        with hourly.app_context():  # the funnel's "completed" moves with them
            assert not db.session.scalar(select(DailyFunnel.completed))
        clock.shift(timedelta(minutes=59))
        send(hourly, counter, 1, first=3)
        assert count_rows(hourly, Response) == 0
        clock.shift(timedelta(minutes=2))
        send(hourly, counter, 1, first=4)  # due, but only four others wait: none moves
        assert count_rows(hourly, Response) == 0 and count_rows(hourly, InboxResponse) == 5
        clock.shift(timedelta(minutes=61))
        send(hourly, counter, 1, first=5)  # due: moves the five before it, not itself
        assert count_rows(hourly, Response) == 5 and count_rows(hourly, InboxResponse) == 1
        assert count_rows(hourly, UsedTicket) == 5
        with hourly.app_context():
            assert db.session.scalar(select(ResponseDay.responses)) == 5
            assert db.session.scalar(select(DailyFunnel.completed)) == 5
            comments = set(db.session.scalars(select(Response.comment)))
        assert comments == {f"phiếu {i:02d}" for i in range(5)}


def test_fewer_than_a_batch_move_only_once_their_day_is_over(hourly):
    """Two forms of a quiet afternoon: no move carries them alone that day (their moment
    would be stamped on them); after midnight the cron moves them, telling only their day."""
    with time_machine.travel(START, tick=False) as clock:
        with hourly.app_context():
            counter = ref(make_surveyed_counter())
        send(hourly, counter, 2)
        runner = hourly.test_cli_runner()
        clock.shift(timedelta(minutes=61))
        assert "0 answers moved; 2 wait" in runner.invoke(move_answers).output
        clock.shift(timedelta(hours=15))  # 01:00 the next day in Hà Nội
        assert "2 answers moved; 0 wait" in runner.invoke(move_answers).output
        assert count_rows(hourly, Response) == 2


def test_cron_moves_what_waits_once_it_is_due_and_a_report_moves_nothing(hourly):
    with time_machine.travel(START, tick=False) as clock:
        with hourly.app_context():
            counter = ref(make_surveyed_counter())
        send(hourly, counter, 5)
        runner = hourly.test_cli_runner()
        assert "0 answers moved; 5 wait" in runner.invoke(move_answers).output
        clock.shift(timedelta(minutes=61))
        assert "5 answers moved; 0 wait" in runner.invoke(move_answers).output
        send(hourly, counter, 5, first=5)
        clock.shift(timedelta(minutes=61))
        with hourly.app_context():  # a report reads only: what waits stays in the inbox
            campaign = db.session.scalars(select(Campaign)).one()
            report = unit_report(campaign, campaign.unit, campaign.unit, campaign.starts_on,
                                 START.date())
            assert report.top.counts.responses == 5
        assert count_rows(hourly, InboxResponse) == 5
        assert "5 answers moved; 0 wait" in runner.invoke(move_answers).output
        assert count_rows(hourly, Response) == 10 and count_rows(hourly, InboxResponse) == 0


def test_a_batch_keeps_no_order_or_moment_in_any_system_column(hourly):
    """Twenty answers sent in a known order: after the move every row of the batch carries
    the same transaction id (PostgreSQL xmin), the rows lie in another order on disk (ctid;
    SQLite's table order), and the roll-ups carry the batch's transaction, not an answer's."""
    n = 20
    with time_machine.travel(START, tick=False) as clock:
        with hourly.app_context():
            counter = ref(make_surveyed_counter())
        send(hourly, counter, n)
        clock.shift(timedelta(minutes=61))
        with hourly.app_context():
            assert inbox.move_due() == n
    sent = [f"phiếu {i:02d}" for i in range(n)]
    with hourly.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            stored = db.session.execute(text(
                "SELECT comment, xmin::text FROM response ORDER BY ctid")).all()
            answers = db.session.execute(text(
                "SELECT r.comment, a.xmin::text FROM answer a JOIN response r"
                " ON r.id = a.response_id WHERE a.question_key = 'overall' ORDER BY a.ctid")).all()
            rollups = db.session.execute(text(
                "SELECT xmin::text FROM response_day UNION SELECT xmin::text FROM answer_day"
                " UNION SELECT xmin::text FROM daily_funnel WHERE completed > 0")).scalars().all()
            batch = {x for _c, x in stored}
            assert len(batch) == 1  # one transaction for the whole batch
            assert {x for _c, x in answers} == batch and set(rollups) == batch
        else:  # WITHOUT ROWID: the table's own order is that of the random ids
            stored = db.session.execute(text("SELECT comment FROM response")).all()
            answers = db.session.execute(text(
                "SELECT r.comment FROM answer a JOIN response r ON r.id = a.response_id"
                " WHERE a.question_key = 'overall'")).all()
    on_disk = [row[0] for row in stored]
    assert sorted(on_disk) == sent
    assert on_disk != sent  # the chance of a shuffle keeping the order is 1 in 20!
    assert [row[0] for row in answers] != sent


class Transactions:
    """Every statement the app sends, grouped by the transaction it ran in."""

    def __init__(self, engine):
        self.engine, self.done, self._open = engine, [], {}
        for name in ("begin", "before_cursor_execute", "commit"):
            event.listen(engine, name, getattr(self, f"_{name}"))

    def close(self):
        for name in ("begin", "before_cursor_execute", "commit"):
            event.remove(self.engine, name, getattr(self, f"_{name}"))

    def _begin(self, conn):
        self._open[id(conn)] = []

    def _before_cursor_execute(self, conn, _cursor, statement, *_args):
        self._open.setdefault(id(conn), []).append(" ".join(statement.split()))

    def _commit(self, conn):
        self.done.append(self._open.pop(id(conn), []))


def written(statement: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes to."""
    found = re.match(r'(?:INSERT INTO|UPDATE|DELETE FROM) "?(\w+)', statement, re.IGNORECASE)
    return found.group(1) if found else None


@pytest.mark.parametrize("hourly", [{"OFFICE_HOURS": "00:00-00:01"}], indirect=True)
def test_no_row_of_any_table_keeps_the_transaction_that_stored_a_form(hourly):
    """Ten forms sent one by one, each odd (sent outside opening hours: an integrity count
    and a day held for review are written for it), then moved by a later form and by the
    cron. The transaction that stored each form wrote one row, in the inbox, and nothing else
    (every statement of every transaction is read); on PostgreSQL, no live row of any table
    of the database carries such a transaction's id (xmin) once the forms have moved."""
    with hourly.app_context():
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"
    sending: set[str] = set()

    def note_senders():
        if postgres:
            with hourly.app_context():
                sending.update(db.session.scalars(text(
                    "SELECT xmin::text FROM response_inbox")))

    seen = Transactions(engine)
    try:
        with time_machine.travel(START, tick=False) as clock:
            with hourly.app_context():
                counter = ref(make_surveyed_counter())
            for i in range(5):
                send(hourly, counter, 1, first=i)
                note_senders()
            clock.shift(timedelta(minutes=61))
            for i in range(5, 10):  # the first of these moves the five before it
                send(hourly, counter, 1, first=i)
                note_senders()
            assert count_rows(hourly, Response) == 5
            clock.shift(timedelta(hours=15))  # the next day: the cron moves the rest
            hourly.test_cli_runner().invoke(move_answers)
    finally:
        seen.close()
    assert count_rows(hourly, Response) == 10 and count_rows(hourly, InboxResponse) == 0
    with hourly.app_context():
        assert db.session.scalar(select(IntegrityDay.outside_hours)) == 10
        assert db.session.get(QuarantinedDay, (counter.id, START.date())).responses == 10
    senders = [t for t in seen.done if any(written(s) == "response_inbox"
                                           and s.upper().startswith("INSERT") for s in t)]
    assert len(senders) == 10
    assert {written(s) for t in senders for s in t} - {None} == {"response_inbox"}
    if postgres:
        assert len(sending) == 10
        with hourly.app_context():
            tables = db.session.scalars(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_type = 'BASE TABLE'")).all()
            assert "used_ticket" in tables and "integrity_day" in tables
            carrying = {table: db.session.scalars(text(
                f'SELECT xmin::text FROM "{table}"')).all()  # noqa: S608 (the catalog's names)
                for table in tables}
        assert {t: set(x) & sending for t, x in carrying.items() if set(x) & sending} == {}


def test_a_ticket_answers_once_in_the_inbox_after_the_move_and_between_the_two(hourly):
    """The same form pressed again (a refresh of the thank-you) while it waits in the inbox
    and after it moved: the thank-you each time, one response. A copy of a moved form's
    ticket that reached the inbox anyway (two servers racing a move) is dropped by the move."""
    with time_machine.travel(START, tick=False) as clock:
        with hourly.app_context():
            counter = ref(make_surveyed_counter())
        phone = hourly.test_client()
        _page, hidden = open_survey(phone, counter.code)
        form = {**hidden, **GOOD_ANSWERS, "comment": "một lần", "submit": "1"}
        for _ in range(2):
            thanks = phone.post(f"/q/{counter.code}", data=form)
            assert "đã được ghi nhận" in thanks.get_data(as_text=True)
        assert count_rows(hourly, InboxResponse) == 1
        send(hourly, counter, 5)
        clock.shift(timedelta(minutes=61))
        assert "6 answers moved" in hourly.test_cli_runner().invoke(move_answers).output
        again = phone.post(f"/q/{counter.code}", data=form)
        assert "đã được ghi nhận" in again.get_data(as_text=True)
        assert count_rows(hourly, InboxResponse) == 0
        assert count_rows(hourly, Response) == count_rows(hourly, UsedTicket) == 6
        with hourly.app_context():
            late = hashlib.sha256(hidden["ticket"].encode()).hexdigest()
            campaign = db.session.scalars(select(Campaign)).one()
            db.session.add(InboxResponse(
                counter_id=counter.id, campaign_id=campaign.id,
                questionnaire_id=campaign.questionnaire_id, submitted_on=START.date(),
                answers={"overall": 5}, ticket_hash=late))
            db.session.commit()
            with db.engine.begin() as conn:
                assert inbox.move(conn) == 0
        assert count_rows(hourly, Response) == 6 and count_rows(hourly, InboxResponse) == 0


def test_setting_a_day_aside_first_takes_its_forms_out_of_the_inbox(hourly):
    """A form of yesterday still in the inbox moves before the day is set aside, and is
    counted with the day's others, out of the figures."""
    from app.domain.quarantine import quarantine_day
    from app.models import Counter, QuarantinedDay

    with time_machine.travel(START, tick=False) as clock:
        with hourly.app_context():
            counter = ref(make_surveyed_counter())
        send(hourly, counter, 3)
        clock.shift(timedelta(minutes=61))
        send(hourly, counter, 1, first=3)  # moves three, keeps itself
        clock.shift(timedelta(hours=20))  # the next day
        with hourly.app_context():
            held = quarantine_day(db.session.get(Counter, counter.id), START.date(),
                                  reason="thử", actor="test",
                                  today=START.date() + timedelta(days=1))
            db.session.commit()
            assert held == 4
            assert db.session.get(QuarantinedDay, (counter.id, START.date())).responses == 4
            assert db.session.scalar(select(ResponseDay.responses)) is None
    assert count_rows(hourly, InboxResponse) == 0 and count_rows(hourly, Response) == 4


def test_moves_close_together_on_several_servers_move_once(migrated_database):
    """Three app servers (each its own process state) run `move-answers` seconds apart: the
    first moves, the others find the move claimed and leave the new form waiting. (psycopg
    reports a row count of -1 for the claim's INSERT … ON CONFLICT … WHERE: read from
    RETURNING, or every server would win.)"""
    servers = [create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database,
                           "SURVEY_MOVE_MINUTES": 60, "SURVEY_MOVE_BATCH": 1})
               for _ in range(3)]  # what this plays is the claim, not the batch's size
    try:
        with time_machine.travel(START, tick=False) as clock:
            with servers[0].app_context():
                counter = ref(make_surveyed_counter())
            send(servers[0], counter, 2)  # the first stamps a move, moving nothing
            clock.shift(timedelta(minutes=61))
            outputs = []
            for server in servers:
                send(server, counter, 1, first=10 + len(outputs))
                outputs.append(server.test_cli_runner().invoke(move_answers).output)
                clock.shift(timedelta(seconds=5))
            # The first server's form moved the two before it; the later ones found it done.
            assert count_rows(servers[0], Response) == 2
            assert [o.split(";")[0] for o in outputs] == ["0 answers moved"] * 3
            assert count_rows(servers[0], InboxResponse) == 3
            clock.shift(timedelta(minutes=61))
            moved = [s.test_cli_runner().invoke(move_answers).output for s in servers]
            assert [o.split(";")[0] for o in moved] == ["3 answers moved", "0 answers moved",
                                                        "0 answers moved"]
    finally:
        empty(servers[0])

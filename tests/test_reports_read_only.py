"""Reports only read: no page, export or CLI report writes a row (a read-only database role can
serve them), and a report gives the same figures whether it is the first after a week settles
or the tenth, and whether `flask sum-weeks` has run or not."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.clock import local_today
from app.domain.weeks import forget_all, monday
from app.extensions import db
from app.models import Campaign, RolledWeek
from tests.helpers import login, sum_weeks

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRUNCATE", "REPLACE")
REPORT_URLS = ("/reports/", "/reports/details", "/reports/export.csv",
               "/reports/export.xlsx", "/reports/comments.csv", "/reports/report.pdf",
               "/reports/pressure", "/reports/pressure.csv", "/reports/review")


@pytest.fixture
def unsummed(app, runner):
    """The demo province with 30 days of history, none of its weeks summed (as after an
    upgrade, or before the hourly `sum-weeks` has run)."""
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        forget_all()
        db.session.commit()
    return app


class Statements:
    """Every statement the app's engine runs while watched; on PostgreSQL each new connection
    is also made read-only, so a write would fail there instead of being noted."""

    def __init__(self, app):
        self.app, self.seen = app, []

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
            self.engine.dispose()  # connections made from now on are watched
        event.listen(self.engine, "before_cursor_execute", self._note)
        event.listen(self.engine, "connect", self._read_only)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._note)
        event.remove(self.engine, "connect", self._read_only)
        self.engine.dispose()

    def _note(self, _conn, _cursor, statement, _params, _context, _many):
        self.seen.append(statement)

    def _read_only(self, dbapi_connection, _record):
        if self.engine.dialect.name == "postgresql":
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()

    @property
    def writes(self) -> list[str]:
        return [s for s in self.seen if s.lstrip().upper().startswith(WRITES)]


def test_no_report_page_or_export_writes_anything(unsummed):
    admin = login(unsummed, "admin", "khaosat-demo")
    with Statements(unsummed) as watched:
        for url in REPORT_URLS:
            page = admin.get(url)
            assert page.status_code == 200, url
    assert len(watched.seen) > 50  # the pages did read
    assert watched.writes == []
    with unsummed.app_context():
        assert db.session.scalar(select(func.count()).select_from(RolledWeek)) == 0


def test_the_export_command_writes_nothing_to_the_database(unsummed, runner, tmp_path):
    with Statements(unsummed) as watched:
        for fmt in ("csv", "xlsx"):
            result = runner.invoke(args=["export-report", "--format", fmt, "-o",
                                         str(tmp_path / f"r.{fmt}")])
            assert result.exit_code == 0, result.output
    assert watched.seen and watched.writes == []


def test_the_first_report_after_a_week_settles_equals_every_later_one(unsummed, runner,
                                                                      tmp_path):
    """The weekly cron export of a week just over, cell by cell: the first, a second, and one
    after `sum-weeks` made the weekly sums are the same file."""
    with unsummed.app_context():
        week = monday(local_today()) - timedelta(days=7)  # last week: over, settled
    args = ["export-report", "--unit", "XAANPHU", "--from", week.isoformat(), "--to",
            (week + timedelta(days=6)).isoformat(), "--format", "csv"]

    def export(name: str) -> str:
        result = runner.invoke(args=[*args, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        return (tmp_path / name).read_text(encoding="utf-8-sig")

    first, second = export("first.csv"), export("second.csv")
    sum_weeks(unsummed)
    with unsummed.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        assert db.session.get(RolledWeek, (campaign.id, week)) is not None
    summed = export("summed.csv")
    assert first == second == summed
    total = next(line for line in first.splitlines() if "XAANPHU" in line)
    assert "<" not in total and "." in total  # the unit's satisfaction is shown, not hidden


def test_the_dashboard_reads_the_same_before_and_after_sum_weeks(unsummed):
    admin = login(unsummed, "admin", "khaosat-demo")

    def table() -> str:
        html = admin.get("/reports/?period=campaign").get_data(as_text=True)
        return html.split('<table class="report">')[1].split("</table>")[0]

    before = table()
    assert table() == before
    sum_weeks(unsummed)
    assert table() == before and "%" in before


def test_a_report_page_works_out_the_batches_of_a_week_not_summed_yet_once(unsummed):
    """Every grouping of a page (units, weeks, answers, comments) needs the plan of batches of
    the weeks not summed yet; each working-out reads those weeks' daily rows again, so a page
    does it once per set of counters, not once per grouping."""
    admin = login(unsummed, "admin", "khaosat-demo")

    def plan_reads(url: str) -> int:
        with Statements(unsummed) as watched:
            assert admin.get(url).status_code == 200, url
        # The plan's read: responses per counter and week, from the daily rows.
        return sum(1 for s in watched.seen if "FROM response_day" in s
                   and "GROUP BY response_day.counter_id, " in " ".join(s.split()))

    assert plan_reads("/reports/") == 1  # the province's subtree: units and weeks share it
    assert plan_reads("/reports/details") == 1  # and the answers and comments

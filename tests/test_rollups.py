"""The daily roll-ups the reports read are exact: the survey's POST keeps them in step with the
raw rows, and a recount from those rows gives the same numbers."""

from sqlalchemy import select

from app.domain.rollups import rebuild_rollups, recount_rollups
from app.extensions import db
from app.models import ResponseDay
from tests.factories import GOOD_ANSWERS, make_counter, make_surveyed_counter, ref
from tests.helpers import stored_rollups, submit


def test_each_completed_survey_is_counted_in_the_rollups(app, client):
    with app.app_context():
        first = make_surveyed_counter()
        second = ref(make_counter(first.unit, "Quầy 2"))
        first = ref(first)
    for overall in ("5", "5", "4", "2"):
        assert submit(client, first.code, {**GOOD_ANSWERS, "overall": overall}).status_code == 200
    submit(client, second.code, {**GOOD_ANSWERS, "overall": "1", "on_time": "no"})
    submit(client, second.code, {**GOOD_ANSWERS, "channel": "online"})  # screened out
    submit(client, second.code, button="decline")
    with app.app_context():
        rows = {r.counter_id: r for r in db.session.scalars(select(ResponseDay))}
        assert (rows[first.id].responses, rows[first.id].overall_5, rows[first.id].overall_4,
                rows[first.id].overall_2) == (4, 2, 1, 1)
        assert (rows[second.id].responses, rows[second.id].overall_1) == (1, 1)
        days, answers = stored_rollups()
        assert (days, answers) == recount_rollups()
        on_time = {k[4]: v for k, v in answers.items() if k[1] == second.id and k[3] == "on_time"}
        assert on_time == {0: 1}


def test_rebuilding_the_rollups_gives_what_the_survey_kept(app, client):
    with app.app_context():
        counter = ref(make_surveyed_counter())
    for overall in ("3", "4", "4"):
        submit(client, counter.code, {**GOOD_ANSWERS, "overall": overall})
    with app.app_context():
        kept = stored_rollups()
        db.session.execute(ResponseDay.__table__.update().values(responses=99))
        assert stored_rollups() != kept
        assert rebuild_rollups() == 1
        db.session.commit()
        assert stored_rollups() == kept


def test_rebuild_rollups_command(app, client, runner):
    with app.app_context():
        counter = ref(make_surveyed_counter())
    submit(client, counter.code)
    with app.app_context():
        db.session.execute(ResponseDay.__table__.delete())
        db.session.commit()
    result = runner.invoke(args=["rebuild-rollups"])
    assert result.exit_code == 0 and "1 counter-days hold responses" in result.output
    with app.app_context():
        assert stored_rollups() == recount_rollups() and stored_rollups()[0]

"""What a citizen's phone does: open the page, fill the form, press a button."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, DailyFunnel, Response
from tests.conftest import hidden_fields
from tests.factories import GOOD_ANSWERS


def open_survey(client, code: str, query: str = ""):
    """GET the survey; return the response and the hidden fields the form carries."""
    page = client.get(f"/q/{code}{query}")
    return page, hidden_fields(page.get_data(as_text=True))


def submit(client, code: str, answers: dict | None = None, *, hidden: dict | None = None,
           button: str = "submit"):
    """Open the survey (unless hidden fields are given) and press Gửi or Không tham gia."""
    if hidden is None:
        _, hidden = open_survey(client, code)
    data = {**hidden, **(GOOD_ANSWERS if answers is None else answers), button: "1"}
    return client.post(f"/q/{code}", data=data)


def count_rows(app, model) -> int:
    """How many rows a table holds, read in a context of its own as another process would."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def count_responses(app) -> int:
    return count_rows(app, Response)


def count_answers(app) -> int:
    return count_rows(app, Answer)


def funnel(app, counter_id: int) -> dict[str, int]:
    """The counter's funnel counts, summed over days."""
    steps = ("opened", "declined", "screened_online", "screened_postal", "screened_immediate",
             "completed")
    totals = dict.fromkeys(steps, 0)
    with app.app_context():
        rows = db.session.scalars(select(DailyFunnel).where(DailyFunnel.counter_id == counter_id))
        for row in rows:
            for step in steps:
                totals[step] += getattr(row, step)
    return totals

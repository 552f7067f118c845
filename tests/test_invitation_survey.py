"""A citizen opens an invitation's link (/i/<token>) and answers once: the sticker's survey,
for the counter and the day the result was returned, without the screening questions the
export answered, filed under the return day; a second answer, an expired link and a made-up
one each get a page that says so."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import local_now, local_today
from app.domain.invitations import INVITATION_PREFIX, confirm_batch, preview
from app.extensions import db
from app.invitations.dossier_files import parsed
from app.models import (
    IntegrityDay,
    Invitation,
    InvitationDay,
    Response,
    Unit,
)
from app.survey import lookup
from tests.factories import make_campaign, make_counter, make_invitation, make_unit
from tests.helpers import GOOD_ANSWERS, hidden_fields

CHANNEL_QUESTION = "Ông/Bà đã nộp hồ sơ bằng cách nào?"


@pytest.fixture
def invited(app):
    """Three invitations of yesterday's returns at a commune's counter: two whose export said
    "in person, not immediate", one that said nothing of the channel. Returns their links."""
    with app.test_request_context():
        today = local_today()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=make_unit())
        counter = make_counter(commune, "Quầy 1")
        make_campaign(commune, starts_on=today - timedelta(days=20),
                      ends_on=today + timedelta(days=30))
        yesterday = (today - timedelta(days=1)).isoformat()
        rows = parsed([
            (2, {"returned_on": yesterday, "counter_code": counter.code, "phone": "0912000001",
                 "channel": "Trực tiếp", "immediate": "Không"}),
            (3, {"returned_on": yesterday, "counter_code": counter.code, "phone": "0912000002",
                 "channel": "Trực tiếp", "immediate": "Không"}),
            (4, {"returned_on": yesterday, "counter_code": counter.code, "phone": "0912000003"}),
        ])
        result = preview(rows, counters={counter.code: counter}, today=today, within_days=7)
        unit = db.session.scalars(select(Unit).where(Unit.code == "XA")).one()
        _batch, texts = confirm_batch(result, unit=unit, actor="cli", source="upload",
                                      filename="t.csv", today=today)
        db.session.commit()
        links = {t.phone: INVITATION_PREFIX + t.text.split(INVITATION_PREFIX)[1].split()[0]
                 for t in texts}
        return {"screened": [links["84912000001"], links["84912000002"]],
                "open": links["84912000003"], "counter": counter.id,
                "yesterday": today - timedelta(days=1)}


def answer(client, link: str, answers: dict | None = None, button: str = "submit"):
    page = client.get(link)
    assert page.status_code == 200, page.status_code
    fields = {**hidden_fields(page.get_data(as_text=True)), button: "1"}
    if button == "submit":
        fields.update(GOOD_ANSWERS if answers is None else answers)
    return client.post(link, data=fields)


def funnel(app, counter_id: int, day) -> tuple:
    with app.app_context():
        row = db.session.get(InvitationDay, (counter_id, day))
        return (row.sent, row.opened, row.answered) if row else None


def test_a_citizen_answers_once_and_the_answer_is_filed_under_the_return_day(
        app, client, invited):
    link = invited["screened"][0]
    page = client.get(link)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Quầy 1" in body and "UBND xã Thử" in body
    assert CHANNEL_QUESTION not in body  # the export said in person, not immediate
    client.get(link)  # a second look is not a second person
    assert funnel(app, invited["counter"], invited["yesterday"]) == (0, 1, 0)
    answers = {k: v for k, v in GOOD_ANSWERS.items() if k not in ("channel", "immediate")}
    done = answer(client, link, answers)
    assert done.status_code == 200 and "Ý kiến của Ông/Bà đã được ghi nhận" in \
        done.get_data(as_text=True)
    with app.app_context():
        [stored] = db.session.scalars(select(Response)).all()
        assert (stored.counter_id, stored.submitted_on) == (invited["counter"],
                                                            invited["yesterday"])
        flags = db.session.scalars(select(IntegrityDay)).all()
        assert all(not f.outside_hours for f in flags)  # answered from home: not odd
    assert funnel(app, invited["counter"], invited["yesterday"]) == (0, 1, 1)
    again = client.get(link)
    assert again.status_code == 200 and "đã được dùng" in again.get_data(as_text=True)


def test_the_same_link_answers_once_even_if_the_form_is_sent_twice(app, invited):
    link = invited["screened"][1]
    first, second = app.test_client(), app.test_client()  # two phones with the link
    pages = [c.get(link) for c in (first, second)]
    fields = [hidden_fields(p.get_data(as_text=True)) for p in pages]
    answers = {k: v for k, v in GOOD_ANSWERS.items() if k not in ("channel", "immediate")}
    assert first.post(link, data={**fields[0], **answers, "submit": "1"}).status_code == 200
    late = second.post(link, data={**fields[1], **answers, "submit": "1"})
    assert late.status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(Response)).all()) == 1


def test_a_link_without_the_channel_asks_it_and_screens_out_an_online_case(app, client,
                                                                            invited):
    page = client.get(invited["open"])
    assert CHANNEL_QUESTION in page.get_data(as_text=True)
    done = answer(client, invited["open"], {**GOOD_ANSWERS, "channel": "online"})
    assert "không áp dụng cho trường hợp" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Response)).all() == []


def test_an_expired_link_and_a_made_up_one_say_so(app, client, invited):
    link = invited["screened"][0]
    with app.app_context():
        for found in db.session.scalars(select(Invitation)):
            found.expires_on = local_today() - timedelta(days=1)
        db.session.commit()
    page = client.get(link)
    assert page.status_code == 410 and "đã hết hạn" in page.get_data(as_text=True)
    page = client.get(INVITATION_PREFIX + "ABCDEFGHJKMN")
    assert page.status_code == 404 and "không đúng" in page.get_data(as_text=True)
    assert client.get(INVITATION_PREFIX + "x" * 300).status_code == 404


def test_a_household_answering_several_invitations_meets_no_per_address_limit(
        app, client, invited):
    app.config["SURVEY_SUBMIT_LIMIT"] = "1 per 10 minutes"
    app.config["SURVEY_ONE_PLACE"] = "1 per day"
    answers = {k: v for k, v in GOOD_ANSWERS.items() if k not in ("channel", "immediate")}
    for link in invited["screened"]:  # one phone, one address, two invitations
        done = answer(client, link, answers)
        assert done.status_code == 200 and "đã được ghi nhận" in done.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Response)).all()) == 2
        assert all(not f.from_one_place for f in db.session.scalars(select(IntegrityDay)))


def test_the_week_of_a_return_settles_only_once_its_links_have_expired(app, invited):
    """An answer is filed under its return day: the week must not be summed (its batches
    released) while a link for one of its days can still answer."""
    from datetime import datetime, time

    from app.domain.weeks import monday, settled_weeks
    from app.models import Campaign

    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        week = monday(invited["yesterday"])
        last_day = db.session.scalars(select(Invitation.expires_on)).first()
        assert last_day == local_today() + timedelta(days=6)  # INVITATION_VALID_DAYS = 7
        tz = local_now().tzinfo

        def settled_at(day) -> list:
            now = datetime.combine(day, time(12), tz)
            return settled_weeks(campaign, monday(day), now)

        assert week + timedelta(days=7) <= last_day  # the week itself is over by then
        assert week not in settled_at(last_day)  # the links still answer
        assert week in settled_at(last_day + timedelta(days=1))


def test_purging_old_tickets_never_lets_a_link_answer_twice(app, client, runner, invited):
    link = invited["screened"][0]
    answers = {k: v for k, v in GOOD_ANSWERS.items() if k not in ("channel", "immediate")}
    assert "đã được ghi nhận" in answer(client, link, answers).get_data(as_text=True)
    with app.app_context():
        from app.models import UsedTicket

        for ticket in db.session.scalars(select(UsedTicket)):  # answered for a return
            ticket.used_on = local_today() - timedelta(days=10)  # ten days ago, still live
        db.session.commit()
    assert runner.invoke(args=["purge-tickets"]).exit_code == 0
    again = client.get(link)
    assert again.status_code == 200 and "đã được dùng" in again.get_data(as_text=True)
    with app.app_context():  # a link expired long ago goes, and so do old dossier keys
        for found in db.session.scalars(select(Invitation)):
            found.expires_on = local_today() - timedelta(days=31)
        db.session.commit()
    result = runner.invoke(args=["purge-tickets"])
    assert "3 invitation links expired long ago" in result.output


@pytest.mark.parametrize("lang", ["", "?lang=en"])
def test_a_links_page_is_the_form_the_view_renders_for_it(app, client, lang):
    """The page a link opens is put together from a skeleton rendered once (lookup.link_page);
    it must be what rendering the form for this link gives, words escaped, in each language."""
    with app.test_request_context():
        counter = make_counter(make_unit("STP", "Sở <Tư> pháp", "department",
                                         parent=make_unit()),
                               'Quầy "1" & <2>', operator="Bưu điện <tỉnh>")
        make_campaign(counter.unit.parent)
        link = make_invitation(counter)
    page = client.get(link + lang).get_data(as_text=True)
    with app.test_request_context(link + lang):
        from flask_babel import get_locale

        from app.survey import invited as view
        from app.survey.forms import survey_form_class
        found = lookup.link_entry(link.removeprefix(INVITATION_PREFIX), local_today())
        form = survey_form_class(found.campaign.questionnaire.definition,
                                 str(get_locale()))()
        rendered = view._show(form, found, found.campaign)
    def plain(html: str) -> str:  # each opening's own token and ticket aside
        return re.sub(r'(name="(?:csrf_token|ticket)"[^>]*value=")[^"]*"', r'\1"', html)
    assert "Quầy &#34;1&#34; &amp; &lt;2&gt;" in page and "Sở &lt;Tư&gt; pháp" in page
    assert plain(page) == plain(rendered)

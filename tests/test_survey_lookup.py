"""The survey's short-lived cache of a code's counter, campaign and blank page (lookup.py):
a scan asks the database only to count itself, and no cache lets a dead code store an answer."""

import pytest
from sqlalchemy import event, text

from app.extensions import db
from app.models import Counter
from app.survey import lookup
from tests.factories import make_surveyed_counter, ref
from tests.helpers import count_responses, funnel, open_survey, submit


@pytest.fixture
def counter(app):
    with app.app_context():
        return ref(make_surveyed_counter())


@pytest.fixture
def statements(app):
    """The SQL statements the app sends, as a list that fills while the test runs."""
    sent = []
    with app.app_context():
        engine = db.engine

    def note(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield sent
    event.remove(engine, "before_cursor_execute", note)


def behind_the_apps_back(app, sql: str, **params) -> None:
    """A change this process does not see being made: another server's, or a hand's in psql."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_a_repeated_scan_sends_only_its_count_to_the_database(app, client, counter,
                                                             statements):
    open_survey(client, counter.code)
    first = len(statements)
    statements.clear()
    page, _hidden = open_survey(client, counter.code)
    assert page.status_code == 200
    assert first >= 3  # counter, campaigns, the count: read once
    assert len(statements) == 1 and "daily_funnel" in statements[0]
    assert funnel(app, counter.id)["opened"] == 2


def test_each_scan_gets_its_own_token_and_ticket_in_the_cached_page(app, counter):
    pages = [open_survey(app.test_client(), counter.code) for _ in range(2)]
    (_first, one), (_second, two) = pages
    assert one["ticket"] != two["ticket"] and one["csrf_token"] != two["csrf_token"]
    for page, _hidden in pages:
        html = page.get_data(as_text=True)
        assert "\x00" not in html
        assert html.count(_hidden["ticket"]) == 2 and html.count(_hidden["csrf_token"]) == 2
    assert submit(app.test_client(), counter.code, hidden=None).status_code == 200
    assert count_responses(app) == 1


def test_a_counter_closed_elsewhere_stores_nothing_from_a_cached_page(app, client, counter):
    _page, hidden = open_survey(client, counter.code)
    behind_the_apps_back(app, "UPDATE counter SET active = :no WHERE id = :id", no=False,
                         id=counter.id)
    # Within SURVEY_LOOKUP_SECONDS this server may still show the form; the answer is refused.
    assert open_survey(client, counter.code)[0].status_code == 200
    sent = submit(client, counter.code, hidden=hidden)
    assert sent.status_code == 410 and "Quầy đã ngừng khảo sát" in sent.get_data(as_text=True)
    assert count_responses(app) == 0
    declined = submit(client, counter.code, hidden=hidden, button="decline")
    assert declined.status_code == 410 and funnel(app, counter.id)["declined"] == 0


def test_a_campaign_closed_elsewhere_stores_nothing_from_a_cached_page(app, client, counter):
    _page, hidden = open_survey(client, counter.code)
    behind_the_apps_back(app, "UPDATE campaign SET status = 'closed'")
    sent = submit(client, counter.code, hidden=hidden)
    assert sent.status_code == 409
    assert "Hiện không có đợt khảo sát" in sent.get_data(as_text=True)
    assert count_responses(app) == 0
    assert client.get(f"/q/{counter.code}").status_code == 200  # and no form any more:
    assert 'name="ticket"' not in client.get(f"/q/{counter.code}").get_data(as_text=True)


def test_a_change_elsewhere_shows_once_the_entry_expires(app, client, counter, monkeypatch):
    open_survey(client, counter.code)
    behind_the_apps_back(app, "UPDATE counter SET active = :no WHERE id = :id", no=False,
                         id=counter.id)
    later = lookup.time.monotonic() + app.config["SURVEY_LOOKUP_SECONDS"] + 1
    monkeypatch.setattr(lookup.time, "monotonic", lambda: later)
    assert client.get(f"/q/{counter.code}").status_code == 410


def test_a_change_made_on_this_server_shows_at_once(app, client, counter):
    from app.clock import local_today
    from app.domain.org import reissue_code

    open_survey(client, counter.code)
    with app.app_context():
        new_code = reissue_code(db.session.get(Counter, counter.id), actor="test",
                                today=local_today())
        db.session.commit()
    assert client.get(f"/q/{counter.code}").status_code == 410
    assert open_survey(client, new_code)[0].status_code == 200


def test_the_one_statement_lookup_agrees_with_the_domains_rules(app):
    """The survey reads a code's counter, liveness, opening hours and campaign in one
    statement (lookup._card_query); for counters across a tree (hours set on one district,
    campaigns on the province and on one commune, one closed, one not started, a closed
    unit) it says what campaigns.active_campaign_for and integrity.opening_hours say."""
    from datetime import timedelta

    from app.clock import local_today
    from app.domain.campaigns import active_campaign_for
    from app.domain.integrity import opening_hours
    from app.domain.org import find_by_public_code
    from tests.factories import make_campaign, make_counter, make_unit

    with app.app_context():
        today = local_today()
        province = make_unit()
        district = make_unit("HUYEN", "Huyện Một", "district", parent=province)
        district.opening_hours = "07:30-11:00"
        commune = make_unit("XA", "Xã Một", "commune", parent=district)
        other = make_unit("XA2", "Xã Hai", "commune", parent=province)
        shut = make_unit("XA3", "Xã Ba", "commune", parent=province)
        make_campaign(province, name="Cả tỉnh")
        make_campaign(commune, name="Riêng xã", status="active")
        make_campaign(other, name="Đã xong", status="closed")
        make_campaign(other, name="Chưa tới", starts_on=today + timedelta(days=3))
        counters = [make_counter(unit, f"Quầy {unit.code}", operator="Bưu điện" if n else None)
                    for n, unit in enumerate((province, district, commune, other, shut))]
        shut.active = False
        db.session.commit()
        for counter in counters:
            found, gone = lookup.entry(counter.code.lower(), today)
            live, _ = find_by_public_code(counter.code)
            if live is None:  # its unit was closed
                assert (found, gone) == (None, lookup.CLOSED)
                continue
            assert gone is None
            campaign = active_campaign_for(live, today)
            assert found.counter.hours == opening_hours(live.unit), counter.code
            assert found.counter.operator == live.operator
            assert (found.campaign.id if found.campaign else None) == (
                campaign.id if campaign else None), counter.code
        # The commune's counter answers for its own campaign, the nearest; the district's
        # hours reach the commune below it; the province's default reaches the others.
        own = lookup.entry(counters[2].code, today)[0]
        assert own.campaign.id == active_campaign_for(
            find_by_public_code(counters[2].code)[0], today).id
        assert own.counter.hours == "07:30-11:00"
        assert lookup.entry(counters[3].code, today)[0].counter.hours == \
            app.config["OFFICE_HOURS"]

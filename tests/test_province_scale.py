"""Staff lists stay small and cheap however big the province grows: counters a page at a time
and searchable, unit counts in one query, the audit log on keyset pages
(bench/staff_pages.py times them at 1,000 counters and 100,000 events)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from app.extensions import db
from app.models import AuditEvent, Counter, Unit
from tests.factories import make_counter, make_unit, make_user
from tests.helpers import login


@pytest.fixture
def province(app):
    with app.app_context():
        top = make_unit("TINH", "Tỉnh Thử")
        communes = [make_unit(f"XA{n}", f"UBND xã {n}", "commune", parent=top)
                    for n in range(3)]
        make_user("admin", "admin", top)
        return {"province": top.id, "communes": [c.id for c in communes]}


def add_counters(app, communes: list[int], how_many: int) -> None:
    with app.app_context():
        for n in range(how_many):
            make_counter(db.session.get(Unit, communes[n % len(communes)]), f"Quầy {n:03d}")


def statements_for(app, client, path: str) -> int:
    sent = []
    with app.app_context():
        engine = db.engine
    note = lambda *args: sent.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(sent)


def counter_rows(html: str) -> list[str]:
    return re.findall(r'<a href="/staff/counters/\d+">([^<]+)</a>', html)


def test_counters_come_a_hundred_a_page_and_can_be_searched(app, province):
    add_counters(app, province["communes"], 105)
    admin = login(app, "admin")
    first = admin.get("/staff/counters").get_data(as_text=True)
    assert len(counter_rows(first)) == 100 and "105 quầy" in first
    assert 'href="/staff/counters?page=2"' in first
    second = admin.get("/staff/counters?page=2").get_data(as_text=True)
    assert len(counter_rows(second)) == 5
    assert not set(counter_rows(first)) & set(counter_rows(second))
    with app.app_context():
        code = db.session.get(Counter, 42).code
    by_code = admin.get(f"/staff/counters?q={code.lower()}").get_data(as_text=True)
    assert len(counter_rows(by_code)) == 1 and "1 quầy" in by_code
    by_name = admin.get("/staff/counters?q=Quầy 07").get_data(as_text=True)
    assert sorted(counter_rows(by_name)) == [f"Quầy 07{n}" for n in range(10)]
    nothing = admin.get("/staff/counters?q=100%").get_data(as_text=True)  # % is a letter here
    assert counter_rows(nothing) == [] and "Không có quầy nào khớp." in nothing


def test_list_pages_ask_the_same_number_of_queries_for_10_or_200_counters(app, province):
    add_counters(app, province["communes"], 10)
    admin = login(app, "admin")
    pages = ("/staff/counters", "/admin/units", "/staff/tallies", "/stickers")
    small = {path: statements_for(app, admin, path) for path in pages}
    with app.app_context():
        top = db.session.get(Unit, province["province"])
        more = [make_unit(f"PHUONG{n}", f"UBND phường {n}", "commune", parent=top).id
                for n in range(20)]
    add_counters(app, province["communes"] + more, 190)
    assert {path: statements_for(app, admin, path) for path in pages} == small


def test_the_audit_log_pages_by_keyset_newest_first_without_gaps_or_repeats(app, province):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        db.session.execute(insert(AuditEvent), [
            {"at": start + timedelta(minutes=n // 2), "unit_id": province["province"],
             "actor": "canbo", "action": "counter.update", "object_type": "counter",
             "object_id": str(n), "before": {"name": "a"}, "after": {"name": f"b{n}"}}
            for n in range(250)])  # two events a minute: ties on `at` cross page ends
        db.session.commit()
    admin = login(app, "admin")
    seen, path = [], "/admin/audit?object_type=counter&actor=canbo"
    for _page in range(4):
        html = admin.get(path).get_data(as_text=True)
        seen += re.findall(r"→ b(\d+)", html)
        older = re.search(r'href="(/admin/audit\?[^"]*before=\d+[^"]*)" rel="next"', html)
        if older is None:
            break
        path = older.group(1).replace("&amp;", "&")
    assert [int(n) for n in seen] == sorted(range(250), key=lambda n: (n // 2, n),
                                            reverse=True)
    assert "Mới nhất" in html and "object_type=counter" in path

"""A large sticker print is made by a background process at lower priority, not by the
worker that took the request; the page says when the PDF is ready, and only its requester
gets it."""

import re
import time

import pytest

from app.extensions import db
from app.models import PrintJob, Unit
from app.printing import jobs
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import login
from tests.print_tools import decode, pdf_text, rasterise, require_tools


@pytest.fixture
def province(app):
    with app.app_context():
        top = make_unit("BINHAN", "Tỉnh Bình An")
        codes = [make_counter(top, f"Quầy số {n}").code for n in range(3)]
        make_campaign(top)
        make_user("admin", "admin", top)
        make_user("admin2", "admin", db.session.get(Unit, top.id))
        return codes


def wait_for(admin, page_url: str, seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        html = admin.get(page_url).get_data(as_text=True)
        if "Đang chuẩn bị" not in html:
            return html
        time.sleep(0.5)
    raise AssertionError("the print job did not finish")


def test_a_large_print_is_made_in_the_background_and_handed_over(app, province, tmp_path,
                                                                 monkeypatch):
    require_tools()
    app.config["PRINT_BACKGROUND_ABOVE"] = 2  # three stickers count as large here
    started = []
    real_spawn = jobs.spawn
    monkeypatch.setattr(jobs, "spawn", lambda job_id: started.append(real_spawn(job_id)))
    admin = login(app, "admin")
    asked = admin.get("/stickers.pdf?unit=BINHAN&layout=a4-2x4&download=1&shown=BINHAN")
    assert asked.status_code == 303 and "/stickers/jobs/" in asked.location
    first = admin.get(asked.location).get_data(as_text=True)
    # The process needs a second to start: the page says the PDF is being made, and reloads.
    assert "Đang chuẩn bị tệp PDF cho 3 tem" in first and 'http-equiv="refresh"' in first
    assert len(started) == 1
    process = started[0]
    process.wait(timeout=90)
    assert process.returncode == 0
    html = wait_for(admin, asked.location)
    assert "Tệp PDF đã sẵn sàng: 3 tem." in html and 'http-equiv="refresh"' not in html
    link = re.search(r'href="(/stickers/jobs/[0-9a-f]+\.pdf)"', html).group(1)
    pdf = admin.get(link)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "jobs.pdf"
    path.write_bytes(pdf.data)
    assert all(code in pdf_text(path) for code in province)
    urls = decode(rasterise(path, tmp_path))
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == sorted(province)
    # Another admin of the same province does not get someone else's print.
    assert login(app, "admin2").get(link).status_code == 404


def test_the_print_job_lowers_its_own_priority_to_idle_time(app, province, monkeypatch):
    with app.app_context():
        from app.models import User

        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        counters = list(db.session.scalars(db.select(jobs.Counter)))
        monkeypatch.setattr(jobs, "spawn", lambda job_id: None)  # made right here instead
        job = jobs.start(counters, layout="a4-2x4", unit_code="BINHAN", user=admin)
        niceness, policy = [], []
        monkeypatch.setattr(jobs.os, "nice", lambda n: niceness.append(n))
        monkeypatch.setattr(jobs.os, "sched_setscheduler",
                            lambda pid, which, _param: policy.append((pid, which)))
        monkeypatch.setattr(jobs, "print_stickers", lambda *a, **k: type(
            "Result", (), {"pdf": b"%PDF-1.7", "run": type("Run", (), {"id": "ABC123"})})())
        jobs.run(job.id)
        assert niceness == [jobs.PRIORITY] and jobs.PRIORITY == 19
        assert policy == [(0, jobs.os.SCHED_IDLE)]  # only CPU time nobody else wants
        assert db.session.get(PrintJob, job.id).status == "done"


def test_a_small_print_still_comes_straight_back(app, province):
    admin = login(app, "admin")
    pdf = admin.get("/stickers.pdf?unit=BINHAN&layout=a4-2x4&download=1&shown=BINHAN")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

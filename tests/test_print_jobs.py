"""A large sticker print is made by a background process at lower priority, not by the
worker that took the request; the page says when the PDF is ready, and only its requester
gets it."""

import multiprocessing
import os
import re
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.models import PrintJob, Unit
from app.printing import jobs, quiet
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


def stepped_aside(pid: int) -> bool:
    """The job's process at nice 19 in an autogroup at nice 19 (seen within its first second)."""
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            group = Path(f"/proc/{pid}/autogroup").read_text()
        except OSError:
            return False
        if int(stat[stat.rindex(")") + 2:].split()[16]) == 19 and "nice 19" in group:
            return True
        time.sleep(0.01)
    return False


def test_a_large_print_is_made_in_the_background_and_handed_over(app, province, tmp_path,
                                                                 monkeypatch):
    require_tools()
    app.config["PRINT_BACKGROUND_ABOVE"] = 2  # three stickers count as large here
    started = []
    real_spawn = jobs.spawn
    monkeypatch.setattr(jobs, "spawn", lambda job_id: started.append(real_spawn(job_id)))
    admin = login(app, "admin")
    # The test's own group, to see it untouched; it reads empty where this process sits in the
    # root group (no session of its own, as under some CI runners).
    own_group = Path("/proc/self/autogroup")
    before = own_group.read_text() if own_group.exists() else None
    asked = admin.get("/stickers.pdf?unit=BINHAN&layout=a4-2x4&download=1&shown=BINHAN")
    assert asked.status_code == 303 and "/stickers/jobs/" in asked.location
    if before is not None:  # it stepped aside before importing the app
        assert stepped_aside(started[0].pid)
        assert own_group.read_text() == before
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


def spin(cpu_seconds: float) -> float:
    """CPU work for run_when_quiet's child: the CPU time it took, measured by itself."""
    began = time.process_time()
    while time.process_time() - began < cpu_seconds:
        pass
    return time.process_time() - began


def idle_policy() -> tuple[int, int]:
    jobs.lower_priority()
    return os.sched_getscheduler(0), os.nice(0)


def burn(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="the pauses read Linux's /proc")
def test_the_layout_waits_while_the_machine_is_busy_and_goes_on_when_it_is_quiet():
    # Quiet machine: half a CPU-second of layout (and the child's start) takes this long.
    started = time.monotonic()
    assert quiet.run_when_quiet(spin, 0.5) >= 0.5
    alone = time.monotonic() - started
    # A citizen's worker busy for 3 s on one core (the other core free, so only the pauses
    # can hold the layout back): the layout is stopped until the worker is done.
    busy = multiprocessing.get_context("spawn").Process(target=burn, args=(3.0,))
    busy.start()
    time.sleep(0.3)  # the worker has started
    started = time.monotonic()
    assert quiet.run_when_quiet(spin, 0.5) >= 0.5
    waited = time.monotonic() - started
    busy.join()
    assert waited >= 2.5 and waited > alone + 1, (alone, waited)


def test_the_layout_runs_on_idle_cpu_time_only_and_a_failure_comes_back():
    policy, niceness = quiet.run_when_quiet(idle_policy)
    assert niceness == jobs.PRIORITY == 19
    assert policy == getattr(os, "SCHED_IDLE", policy)  # below every normal process on Linux
    with pytest.raises(ValueError, match="could not convert"):
        quiet.run_when_quiet(float, "not a number")


def test_no_transaction_is_open_while_the_layout_waits(app, province, monkeypatch):
    """An open transaction held back PostgreSQL's cleanup of the survey's hot rows for as long
    as the print took (bench/print_load.py: p99 doubled)."""
    with app.app_context():
        from app.models import User

        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        counters = list(db.session.scalars(db.select(jobs.Counter)))
        monkeypatch.setattr(jobs, "spawn", lambda job_id: None)  # run right here instead
        job_id = jobs.start(counters, layout="a4-2x4", unit_code="BINHAN", user=admin).id
        seen = []
        real = jobs.run_when_quiet

        def checked(*args):
            seen.append((db.session().in_transaction(), db.engine.pool.checkedout()))
            return real(*args)

        monkeypatch.setattr(jobs, "run_when_quiet", checked)
        jobs.run(job_id)
        assert seen == [(False, 0)]
        done = db.session.get(PrintJob, job_id)
        assert done.status == "done" and done.pdf.startswith(b"%PDF")


def test_a_small_print_still_comes_straight_back(app, province):
    admin = login(app, "admin")
    pdf = admin.get("/stickers.pdf?unit=BINHAN&layout=a4-2x4&download=1&shown=BINHAN")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

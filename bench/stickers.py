"""How long 1,000 stickers (125 A4 2×4 sheets) take, against the floor of the same run.

    .venv/bin/python bench/stickers.py [--stickers 1000] [--workers N]

Floor: WeasyPrint laying out and writing the same sheets with every QR code already made.
QR codes are encoded with `qrcode` when a counter's code is issued (app/qr.py); the print
reads them. Also prints what encoding them during the print would cost.
Prints seconds per 100 stickers for both, their ratio, and the QR codes' share of the total.
Goal (issue 3): 1,000 stickers in at most 20 s on 2 cores, QR codes at most 10 % of it.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.clock import local_today
from app.domain.org import add_counter, add_unit, survey_url
from app.extensions import db
from app.models import Counter
from app.printing.render import PrintRun, layouts, make_stickers, render_sheets
from app.qr import qr_svg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stickers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"KHAOSAT_ENV": "development", "SECRET_KEY": "bench",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                          "PUBLIC_BASE_URL": "https://khaosat.binhan.gov.vn"})
        with app.app_context():
            upgrade()
            province = add_unit(code="BINHAN", name="Tỉnh Bình An", kind="province",
                                parent=None, actor="bench")
            for u in range(args.stickers // 10):
                unit = add_unit(code=f"XA{u:03d}", name=f"UBND xã Thử Nghiệm số {u}",
                                kind="commune", parent=province, actor="bench")
                for c in range(10):
                    add_counter(unit=unit, name=f"Bộ phận Một cửa – Quầy {c + 1}",
                                actor="bench")
            db.session.commit()
            counters = db.session.scalars(select(Counter).order_by(Counter.id)).all()
            layout, run = layouts()["a4-2x4"], PrintRun.new(local_today())

            start = time.perf_counter()
            stickers = make_stickers(counters)
            qr_done = time.perf_counter()
            render_sheets(stickers, layout, run, workers=args.workers)
            full = time.perf_counter() - start
            qr_and_data = qr_done - start

            start = time.perf_counter()
            render_sheets(stickers, layout, run, workers=args.workers)
            floor = time.perf_counter() - start

            # What the QR cache saves: encoding each URL with qrcode, as a print would without it.
            start = time.perf_counter()
            for counter in counters[:100]:
                qr_svg(survey_url(counter.code) + "?uncached")
            encode_ms = (time.perf_counter() - start) * 10

    per100 = 100 / args.stickers
    print(f"{args.stickers} stickers, {-(-args.stickers // 8)} sheets, {args.workers} workers")
    print(f"khaosat (QR + data + layout + PDF): {full:6.2f} s  = {full * per100:.2f} s per 100")
    print(f"floor   (QR codes precomputed):     {floor:6.2f} s  = {floor * per100:.2f} s per 100")
    print(f"ratio khaosat / floor: {full / floor:.2f}")
    print(f"QR codes and sticker data: {qr_and_data:.2f} s = {100 * qr_and_data / full:.1f} % "
          "of the total (goal ≤ 10 %)")
    print(f"qrcode encodes a URL in {encode_ms:.1f} ms, done once when its code is issued "
          f"(app/qr.py): {encode_ms * args.stickers / 1000:.1f} s this print does not spend")
    met = full * 1000 / args.stickers <= 20
    print(f"goal ≤ 20 s for 1,000 stickers: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()

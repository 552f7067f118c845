"""How long a tally upload can hold a worker: crafted files against the reading ceiling.

    .venv/bin/python bench/tally_files.py [--repeat 3]

Each file goes through what `/staff/tallies/import` and `flask import-tallies` use
(app/staff/tally_files.read_tallies_within_limits: a child process stopped at
UPLOAD_READ_CPU_SECONDS of CPU and UPLOAD_READ_MEMORY_MB more memory, the production
defaults). The baseline, in the
same run, is an honest 1,000-row CSV read the same way (child process included). For each
file: what it came to (rows read, for the domain to check, or the refusal), the rows seen
and cells read, the child's CPU time, the wall time the worker waited, and the ratio to the
baseline's wall time.

Fails (exit 1) if a file came to something else than it should (a crafted file read, an
honest one refused) or if the worker waited longer than the ceiling allows (2 × CPU ceiling +
2 s, the parent's own limit) or the child used more CPU than its ceiling.
"""

import argparse
import io
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook

from app import create_app
from app.staff import table_files, tally_files

HEADER = ["date", "counter_code", "returned", "immediate", "online", "postal"]
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_CELLS = "".join(f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
                       for col, name in zip("ABCDEF", HEADER, strict=True))


def honest_csv(rows: int) -> bytes:
    lines = [",".join(HEADER)] + [f"2026-11-03,ABCD{n % 10}EFG,12,1,2,0" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def honest_xlsx(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append(["2026-11-03", f"ABCD{n % 10}EFG", 12, 1, 2, 0])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def crafted(sheet_rows: str, *, dimension: str, doctype: str = "",
            shared_strings: str | None = None) -> bytes:
    """A real workbook whose sheet (and shared strings) are replaced by hand-written XML."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
             f'<worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData>'
             f'<row r="1">{HEADER_CELLS}</row>{sheet_rows}</sheetData></worksheet>')
    source = honest_xlsx(0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            new.writestr(item.filename, data)
        if shared_strings is not None:
            new.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                    for i in range(8)) + ']>')


def files() -> list[tuple[str, str, bytes, bool | None]]:
    """(name, file name, data, should it be read? None: read or refused at the ceiling).
    A file read gives rows for the domain to check (app/domain/tallies.py)."""
    last_20k = "".join(f'<row r="{n}"><c r="F{n}"><v>1</v></c></row>' for n in (2, 20_000))
    strings = (f'<sst xmlns="{NS}">' + "<si><t>khaosat</t></si>" * 40_000 + "</sst>")
    return [
        ("honest XLSX, 1,000 rows", "a.xlsx", honest_xlsx(1_000), True),
        ("honest XLSX, 20,000 rows", "b.xlsx", honest_xlsx(20_000), True),
        ("XLSX, 50,000 rows (at the row cap)", "c.xlsx", honest_xlsx(50_000), None),
        ("4 KB: A1:XFD1048576, a cell at XFD1048576", "d.xlsx", crafted(
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
            dimension="A1:XFD1048576"), False),
        ("sparse: last row 20,000", "e.xlsx", crafted(last_20k, dimension="A1:XFD20000"),
         True),  # two rows read, each without a date or counter: refused by the domain
        ("shared strings just under the 1 MB cap", "f.xlsx", crafted(
            "", dimension="A1:F1", shared_strings=strings), False),
        ("billion laughs", "g.xlsx", crafted(
            '<row r="2"><c r="A2" t="inlineStr"><is><t>&i;</t></is></c></row>',
            dimension="A1:A2", doctype=LAUGHS), False),
        ("CSV, a million one-cell lines", "h.csv",
         (",".join(HEADER) + "\n" + "1\n" * 1_000_000).encode(), False),
    ]


def timed(app, data: bytes, name: str) -> tuple[float, table_files.Reading]:
    with app.test_request_context():
        start = time.perf_counter()
        reading = tally_files.read_tallies_within_limits(data, name)
        return time.perf_counter() - start, reading


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench",
                      "KHAOSAT_ENV": "development"})
    ceiling = app.config["UPLOAD_READ_CPU_SECONDS"]
    baseline_data = honest_csv(1_000)
    baseline = statistics.median(timed(app, baseline_data, "base.csv")[0]
                                 for _ in range(args.repeat))
    print(f"ceiling: {ceiling} s of CPU, {app.config['UPLOAD_READ_MEMORY_MB']} MB; the worker "
          f"waits at most {2 * ceiling + 2} s")
    print(f"baseline (honest CSV, 1,000 rows, same path): {baseline * 1000:.0f} ms wall\n")
    print(f"{'file':44} {'KB':>6} {'came to':34} {'rows':>8} {'cells':>7} {'CPU s':>6} "
          f"{'wall s':>7} {'× base':>7}")
    failed = []
    for label, name, data, should_import in files():
        walls, reading = [], None
        for _ in range(args.repeat):
            wall, reading = timed(app, data, name)
            walls.append(wall)
        wall = statistics.median(walls)
        imported = reading.problems is None
        came_to = (f"{len(reading.rows)} rows read" if imported
                   else reading.problems[0][1][:34])
        print(f"{label:44} {len(data) // 1024:>6} {came_to:34} {reading.rows_seen:>8} "
              f"{reading.cells_read:>7} {reading.cpu_seconds:>6.2f} {wall:>7.2f} "
              f"{wall / baseline:>7.0f}")
        if should_import is not None and imported != should_import:
            failed.append(f"{label}: {'read' if imported else 'refused'}")
        if max(walls) > 2 * ceiling + 2 or reading.cpu_seconds > ceiling + 0.5:
            failed.append(f"{label}: held the worker {max(walls):.1f} s")
    if failed:
        print("\nFAIL:", "; ".join(failed))
        return 1
    print("\nEvery file read or refused within the ceiling.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Eligible-return tallies (the denominator), typed in or imported from the one-stop system.

eligible = returned − immediate − online − postal, per counter and day. An import is all or
nothing: one bad row rejects the file, with every problem listed by row number.
"""

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select

from app.audit import log_change
from app.campaigns import campaign_covering
from app.codes import normalise_code
from app.extensions import db
from app.models import Counter, Tally

CANONICAL = ("date", "counter_code", "returned", "immediate", "online", "postal")
# Headers as the one-stop systems write them, after lower-casing and dropping diacritics.
ALIASES = {
    "ngay": "date", "ngay_tra": "date", "ngay_tra_ket_qua": "date",
    "ma_quay": "counter_code", "quay": "counter_code",
    "so_tra": "returned", "tra_ket_qua": "returned", "so_tra_ket_qua": "returned",
    "tong_tra": "returned", "tong_so_tra": "returned",
    "tra_ngay": "immediate", "tra_ngay_khi_nop": "immediate",
    "truc_tuyen": "online", "nop_truc_tuyen": "online",
    "buu_chinh": "postal", "qua_buu_chinh": "postal", "nop_qua_buu_chinh": "postal",
}
MAX_BYTES = 2 * 1024 * 1024
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Counts:
    returned: int
    immediate: int
    online: int
    postal: int

    @property
    def eligible(self) -> int:
        return self.returned - self.immediate - self.online - self.postal


class TallyRejected(ValueError):
    """Numbers or a whole file refused; `problems` lists (row number, reason), 0 = no row."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__("; ".join(f"{row}: {reason}" for row, reason in problems))
        self.problems = problems


@dataclass
class ImportResult:
    added: int = 0
    replaced: int = 0
    rows: list = field(default_factory=list)


def problems_with(counter: Counter, day: date, counts: Counts, *, today: date) -> list[str]:
    """Why these numbers cannot be a tally of this counter on this day (empty when fine)."""
    problems = []
    parts = (counts.returned, counts.immediate, counts.online, counts.postal)
    if any(n < 0 for n in parts):
        problems.append(_("Số lượng không được âm."))
    elif counts.eligible < 0:
        problems.append(_("Tổng trả ngay, trực tuyến và bưu chính không được lớn hơn số đã trả."))
    if day > today:
        problems.append(_("Không nhập số cho ngày trong tương lai."))
    elif campaign_covering(counter, day) is None:
        problems.append(_("Ngày %(day)s không thuộc đợt khảo sát nào của quầy này.",
                          day=day.strftime("%d/%m/%Y")))
    return problems


def _state(tally: Tally) -> dict:
    return {"counter": tally.counter.code, "day": tally.day.isoformat(),
            "returned": tally.returned, "immediate": tally.immediate, "online": tally.online,
            "postal": tally.postal}


def record_tally(counter: Counter, day: date, counts: Counts, *, actor, today: date) -> Tally:
    """Store (or replace) one counter's tally for a day, after the checks; audited."""
    problems = problems_with(counter, day, counts, today=today)
    if problems:
        raise TallyRejected([(0, p) for p in problems])
    tally = db.session.get(Tally, (counter.id, day))
    before = _state(tally) if tally else None
    if tally is None:
        tally = Tally(counter=counter, day=day)
        db.session.add(tally)
    tally.returned, tally.immediate = counts.returned, counts.immediate
    tally.online, tally.postal = counts.online, counts.postal
    log_change(actor=actor, action="record" if before is None else "replace",
               object_type="tally", object_id=f"{counter.code}/{day.isoformat()}",
               before=before, after=_state(tally))
    db.session.commit()
    return tally


# --- import -------------------------------------------------------------------------------

def _header_key(text: object) -> str:
    plain = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).strip().lower()
    key = "".join(ch if ch.isalnum() else "_" for ch in plain).strip("_")
    while "__" in key:
        key = key.replace("__", "_")
    return key if key in CANONICAL else ALIASES.get(key, key)


def _parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("ngày “%(value)s” không đúng dạng (2026-11-03 hoặc 03/11/2026)",
                       value=text))


def _parse_count(value: object, column: str) -> int:
    if isinstance(value, bool):
        raise ValueError(_("cột %(col)s phải là số nguyên", col=column))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value if value is not None else "").strip().replace(" ", "")
    if text == "" and column != "returned":
        return 0
    if _THOUSANDS.match(text):  # "1.234" as Vietnamese spreadsheets write 1234
        text = text.replace(".", "")
    if text.lstrip("-").isdigit():
        return int(text)
    raise ValueError(_("cột %(col)s phải là số nguyên, không phải “%(value)s”",
                       col=column, value=value))


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """(row number as a spreadsheet shows it, {canonical column: raw value}) for each data row."""
    if len(data) > MAX_BYTES:
        raise TallyRejected([(0, _("Tệp lớn hơn 2 MB."))])
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise TallyRejected([(0, _("Chỉ nhận tệp .csv hoặc .xlsx."))])
    if not table:
        raise TallyRejected([(0, _("Tệp trống."))])
    header = [_header_key(h) for h in table[0]]
    missing = [c for c in CANONICAL if c not in header]
    if missing:
        raise TallyRejected([(1, _("thiếu cột %(cols)s; dòng tiêu đề phải là %(header)s",
                                    cols=", ".join(missing), header=",".join(CANONICAL)))])
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in values):
            continue  # blank lines at the end of an export
        rows.append((number, {h: (values[i] if i < len(values) else None)
                              for i, h in enumerate(header) if h in CANONICAL}))
    if len(rows) > MAX_ROWS:
        raise TallyRejected([(0, _("Tệp có quá %(n)d dòng.", n=MAX_ROWS))])
    if not rows:
        raise TallyRejected([(0, _("Tệp không có dòng số liệu nào."))])
    return rows


def _csv_rows(data: bytes) -> list[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TallyRejected([(0, _("Tệp CSV phải mã hoá UTF-8."))]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(data: bytes) -> list[list]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise TallyRejected([(0, _("Tệp .xlsx bị hỏng hoặc không phải tệp Excel."))]) from None
    try:
        sheet = book.worksheets[0]
        table, formulas = [], []
        for number, row in enumerate(sheet.iter_rows(), start=1):
            table.append([cell.value for cell in row])
            if any(cell.data_type == "f" for cell in row):
                formulas.append(number)
    finally:
        book.close()
    if formulas:
        raise TallyRejected([(n, _("có công thức; hãy dán giá trị (Paste Values) rồi nhập lại"))
                              for n in formulas])
    return table


def import_tallies(data: bytes, filename: str, *, counters: dict[str, Counter], actor,
                   today: date) -> ImportResult:
    """Check every row, then store all of them or none. `counters`: code → counter in scope."""
    problems, parsed, seen = [], [], {}
    for number, raw in read_rows(data, filename):
        try:
            day = _parse_date(raw["date"])
            counts = Counts(*(_parse_count(raw[c], c) for c in CANONICAL[2:]))
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        code = normalise_code(str(raw["counter_code"] or "")) or str(raw["counter_code"])
        counter = counters.get(code)
        if counter is None:
            problems.append((number, _("không có quầy mã %(code)s trong phạm vi của bạn",
                                       code=code)))
            continue
        if (code, day) in seen:
            problems.append((number, _("trùng quầy và ngày với dòng %(row)d", row=seen[code, day])))
            continue
        seen[code, day] = number
        problems.extend((number, p) for p in problems_with(counter, day, counts, today=today))
        parsed.append((counter, day, counts))
    if problems:
        raise TallyRejected(problems)

    result = ImportResult()
    replaced_before = []
    existing = {(t.counter_id, t.day): t for t in db.session.scalars(
        select(Tally).where(Tally.counter_id.in_({c.id for c, _d, _n in parsed}),
                            Tally.day.in_({d for _c, d, _n in parsed})))}
    for counter, day, counts in parsed:
        tally = existing.get((counter.id, day))
        if tally is None:
            tally = Tally(counter=counter, day=day)
            db.session.add(tally)
            result.added += 1
        else:
            replaced_before.append(_state(tally))
            result.replaced += 1
        tally.returned, tally.immediate = counts.returned, counts.immediate
        tally.online, tally.postal = counts.online, counts.postal
    log_change(actor=actor, action="import", object_type="tally", object_id=filename[:64],
               before={"replaced": replaced_before} if replaced_before else None,
               after={"file": filename, "added": result.added, "replaced": result.replaced})
    db.session.commit()
    return result

"""Reading the one-stop system's tally exports (CSV or XLSX) into rows the domain can check,
within the reading ceilings of app/staff/table_files.py.

Used by the tallies page and by `flask import-tallies`; storing the rows is
app/domain/tallies.py's job.
"""

from flask_babel import gettext as _

from app.domain import RowsRejected
from app.domain.codes import normalise_code
from app.domain.tallies import TallyCounts, TallyRow
from app.staff.table_files import Reading, Table, parse_count, parse_date, read_within_limits

CANONICAL = ("date", "counter_code", "returned", "immediate", "online", "postal")
TALLY = Table(required=CANONICAL, aliases={
    # Headers as the one-stop systems write them, after lower-casing and dropping diacritics.
    "ngay": "date", "ngay_tra": "date", "ngay_tra_ket_qua": "date",
    "ma_quay": "counter_code", "quay": "counter_code",
    "so_tra": "returned", "tra_ket_qua": "returned", "so_tra_ket_qua": "returned",
    "tong_tra": "returned", "tong_so_tra": "returned",
    "tra_ngay": "immediate", "tra_ngay_khi_nop": "immediate",
    "truc_tuyen": "online", "nop_truc_tuyen": "online",
    "buu_chinh": "postal", "qua_buu_chinh": "postal", "nop_qua_buu_chinh": "postal",
})


# The example file's counts say where a number goes ("VD 12"): imported as it is, every row is
# refused with a message that says so, never stored over a real tally.
EXAMPLE_MARK = "VD "


def example_cell(number: int) -> str:
    return f"{EXAMPLE_MARK}{number}"


def read_tally_file(data: bytes, filename: str) -> list[TallyRow]:
    """Every data row of the file, parsed, within the reading ceiling; a row that cannot be
    read carries its problem. Raises RowsRejected for a file refused."""
    reading = read_tallies_within_limits(data, filename)
    if reading.problems is not None:
        raise RowsRejected(reading.problems)
    return reading.rows


def read_tallies_within_limits(data: bytes, filename: str) -> Reading:
    """The Reading of a tally file (rows, or the problems that refused it, and the work)."""
    return read_within_limits(data, filename, TALLY, _parsed)


def _parsed(raw_rows) -> list[TallyRow]:
    rows = []
    for number, raw in raw_rows:
        code = str(raw["counter_code"] or "")
        if any(str(raw[c] or "").startswith(EXAMPLE_MARK) for c in CANONICAL[2:]):
            rows.append(TallyRow(number=number, problem=_(
                "đây là dòng của tệp mẫu (ô “%(cell)s”): thay các ô “VD …” bằng số thật của "
                "quầy trước khi nhập", cell=next(str(raw[c]) for c in CANONICAL[2:]
                                              if str(raw[c] or "").startswith(EXAMPLE_MARK)))))
            continue
        try:
            rows.append(TallyRow(
                number=number, code=normalise_code(code) or code, day=parse_date(raw["date"]),
                counts=TallyCounts(*(parse_count(raw[c], c, blank=None if c == "returned"
                                                 else 0) for c in CANONICAL[2:]))))
        except ValueError as exc:
            rows.append(TallyRow(number=number, problem=str(exc)))
    return rows

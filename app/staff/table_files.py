"""Reading a table uploaded by staff (CSV or XLSX): the one-stop system's exports of tallies
(staff/tally_files.py) and of returned dossiers (invitations/dossier_files.py).

A file is read in a child process with a ceiling on CPU time (UPLOAD_READ_CPU_SECONDS, 3) and
on memory (UPLOAD_READ_MEMORY_MB above what the worker already holds, 512): whatever a
crafted file does to the parser, the worker that received it is back within seconds and the
citizens' survey keeps its workers. The caps below make honest files cheap; the ceiling holds
for what the caps did not foresee. Each kind of file names its columns (a `Table`) and how a
row becomes one of its domain's rows.
"""

import csv
import io
import multiprocessing
import os
import re
import resource
import time
import zipfile
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree.ElementTree import ParseError

from flask import current_app
from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.cell.read_only import EmptyCell
from openpyxl.utils.exceptions import InvalidFileException

from app.domain import RowsRejected
from app.domain.codes import plain_key

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 50_000
MAX_CELL = 200  # characters: a date, a code, a phone or a number, with room for spaces
# An XLSX is a zip: what it says it unpacks to is checked before anything is opened (Python's
# zipfile never returns more than a member declares), so a 2 MB file cannot become 1 GB.
MAX_MEMBER = 40 * 1024 * 1024
MAX_UNPACKED = 80 * 1024 * 1024
MAX_RATIO = 100  # a spreadsheet's XML packs 5–20 times; a bomb thousands of times
# An export's words are its headers and a few codes: openpyxl reads the whole shared-strings
# table before the first row, so a big one is refused unread (627,000 strings, 39.5 MB, cost
# 11.8 s before).
MAX_SHARED_STRINGS = 1024 * 1024
_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})[/-](\d{1,2})[/-](\d{4})")


@dataclass(frozen=True)
class Table:
    """The columns of a kind of file: those it must have, those it may have, and the headers
    the one-stop systems write for them (lower-cased, without diacritics, "_" for the rest)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def read_columns(self) -> int:
        """Cells past these are never read, whatever the sheet says."""
        return max(len(self.columns) * 4, 24)


@dataclass(frozen=True)
class Reading:
    """What reading a file came to, and the work it took: rows seen (blank ones too) and
    cells read (those in the file; padding is not read)."""

    rows: list | None
    problems: list[tuple[int, str]] | None
    rows_seen: int
    cells_read: int
    cpu_seconds: float


def read_within_limits(data: bytes, filename: str, table: Table,
                       parse: Callable[[list[tuple[int, dict]]], list]) -> Reading:
    """Read the file's rows (read_rows) and `parse` them in a child process that the kernel
    stops at UPLOAD_READ_CPU_SECONDS of CPU or UPLOAD_READ_MEMORY_MB more memory (and this
    process at twice the CPU time, wall clock); what the child could not finish is refused
    with a message."""
    config = current_app.config
    cpu, memory = config["UPLOAD_READ_CPU_SECONDS"], config["UPLOAD_READ_MEMORY_MB"]
    context = multiprocessing.get_context("fork")  # the child needs no imports of its own
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child,
                            args=(send, data, filename, table, parse, cpu, memory), daemon=True)
    child.start()
    send.close()
    try:
        answer = receive.recv() if receive.poll(2 * cpu + 2) else None
    except EOFError:  # stopped by its ceiling before it could answer
        answer = None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if answer is None:
        return Reading(None, [(0, _(
            "Tệp quá lớn hoặc quá phức tạp để đọc trong %(n)d giây; hãy chia nhỏ tệp hoặc lưu "
            "thành .csv rồi nhập lại.", n=cpu))], 0, 0, float(cpu))
    if isinstance(answer, str):  # a fault in the reader itself, not in the file
        raise RuntimeError(f"reading an uploaded file failed in the child process: {answer}")
    return answer


def _read_in_child(send, data: bytes, filename: str, table: Table, parse, cpu: int,
                   memory_mb: int) -> None:
    """The child's whole life: set its ceilings, read, send back a Reading (or the text of an
    unexpected error), exit without running anything of the parent's."""
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL
        held = _address_space()
        if held:  # a soft limit: lifted again below to say what happened
            resource.setrlimit(resource.RLIMIT_AS, (held + memory_mb * 1024 * 1024,
                                                    resource.RLIM_INFINITY))
        started, counter = time.process_time(), _Counter()
        try:
            try:
                reading = Reading(parse(read_rows(data, filename, table, counter)), None, 0, 0,
                                  0)
            except RowsRejected as refused:
                reading = Reading(None, refused.problems, 0, 0, 0)
            send.send(Reading(reading.rows, reading.problems, counter.rows, counter.cells,
                              time.process_time() - started))
        except MemoryError:  # reading, or sending what was read
            reading = None
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)
            send.send(Reading(None, [(0, _("Tệp cần quá nhiều bộ nhớ để đọc; hãy chia nhỏ tệp "
                                           "rồi nhập lại."))], counter.rows, counter.cells,
                              time.process_time() - started))
    except BaseException as exc:  # told to the parent, which raises it
        send.send(f"{type(exc).__name__}: {exc}")
    finally:
        send.close()
        os._exit(0)


def _address_space() -> int:
    """This process's virtual memory in bytes (Linux), or 0 if it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _Counter:
    """Rows seen and cells read, counted by the readers."""

    def __init__(self):
        self.rows = self.cells = 0


def header_key(text: object, table: Table) -> str:
    """A header as its column's name, if it is one the table knows."""
    key = plain_key(text)
    return key if key in table.columns else table.aliases.get(key, key)


def parse_date(value: object) -> date:
    """A date as spreadsheets and exports write it; ValueError says how to write it."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    # Matched by hand: strptime cost a third of a 50,000-row file's reading.
    if found := _DATE.fullmatch(text):
        year, month, day = (found[1], found[2], found[3]) if found[1] else (
            found[6], found[5], found[4])
        with suppress(ValueError):
            return date(int(year), int(month), int(day))
    raise ValueError(_("ngày “%(value)s” không đúng dạng (2026-11-03 hoặc 03/11/2026)",
                       value=text))


def parse_count(value: object, column: str, *, blank: int | None = 0) -> int:
    """A whole number ("1.234" as 1234); a blank cell is `blank` (None: refused)."""
    if isinstance(value, bool):
        raise ValueError(_("cột %(col)s phải là số nguyên", col=column))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value if value is not None else "").strip().replace(" ", "")
    if text == "" and blank is not None:
        return blank
    if _THOUSANDS.match(text):  # "1.234" as Vietnamese spreadsheets write 1234
        text = text.replace(".", "")
    if text.lstrip("-").isdigit():
        return int(text)
    raise ValueError(_("cột %(col)s phải là số nguyên, không phải “%(value)s”",
                       col=column, value=value))


def read_rows(data: bytes, filename: str, table: Table, counter: _Counter | None = None
              ) -> list[tuple[int, dict]]:
    """(row number as a spreadsheet shows it, {canonical column: raw value}) for each data row.
    `counter` counts the rows seen and the cells read."""
    counter = counter or _Counter()
    if len(data) > MAX_BYTES:
        raise RowsRejected([(0, _("Tệp lớn hơn 2 MB."))])
    name = filename.lower()
    if name.endswith(".xlsx"):
        lines = iter(_xlsx_rows(data, counter, table.read_columns))
    elif name.endswith(".csv"):
        lines = iter(_csv_rows(data, counter))
    else:
        raise RowsRejected([(0, _("Chỉ nhận tệp .csv hoặc .xlsx."))])
    first = next(lines, None)
    if first is None:
        raise RowsRejected([(0, _("Tệp trống."))])
    header = [header_key(h, table) for h in first[:table.read_columns]]
    missing = [c for c in table.required if c not in header]
    if missing:
        raise RowsRejected([(1, _("thiếu cột %(cols)s; dòng tiêu đề phải là %(header)s",
                                    cols=", ".join(missing), header=",".join(table.columns)))])
    rows = []
    for number, values in enumerate(lines, start=2):
        # Blank rows count too: a sheet may declare a million of them around one real cell.
        if number > MAX_ROWS + 1:  # stop reading at the first row too many
            raise RowsRejected([(0, _("Tệp có quá %(n)d dòng.", n=MAX_ROWS))])
        if all(v is None or str(v).strip() == "" for v in values):
            continue  # blank lines at the end of an export
        long = next((v for v in values if isinstance(v, str) and len(v) > MAX_CELL), None)
        if long is not None:
            raise RowsRejected([(number, _("có ô dài quá %(n)d ký tự", n=MAX_CELL))])
        rows.append((number, {h: (values[i] if i < len(values) else None)
                              for i, h in enumerate(header) if h in table.columns}))
    if not rows:
        raise RowsRejected([(0, _("Tệp không có dòng số liệu nào."))])
    return rows


def _csv_rows(data: bytes, counter: _Counter):
    """The CSV's rows, one at a time."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RowsRejected([(0, _("Tệp CSV phải mã hoá UTF-8."))]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            counter.rows += 1
            counter.cells += len(row)
            yield row
    except csv.Error:
        raise RowsRejected([(0, _("Tệp CSV không đọc được (có ô quá dài hoặc dấu ngoặc kép "
                                   "không đóng)."))]) from None


def _check_archive(data: bytes) -> None:
    """Refuse an XLSX whose members would unpack to too much, before opening any of them."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RowsRejected([(0, _("Tệp .xlsx bị hỏng hoặc không phải tệp Excel."))]) from None
    too_big = (len(members) > 200
               or sum(m.file_size for m in members) > MAX_UNPACKED
               or any(m.file_size > MAX_MEMBER
                      or m.file_size > MAX_RATIO * max(m.compress_size, 1024)
                      or (m.filename.lower().endswith("sharedstrings.xml")
                          and m.file_size > MAX_SHARED_STRINGS)
                      for m in members))
    if too_big:
        raise RowsRejected([(0, _("Tệp .xlsx giải nén ra quá lớn so với một bảng số hồ sơ trả; "
                                   "hãy xuất lại chỉ trang số liệu."))])


def _xlsx_rows(data: bytes, counter: _Counter, read_columns: int):
    """The first sheet's rows (values), one at a time; refused if any cell holds a formula."""
    _check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
            IndexError, ParseError):
        raise RowsRejected([(0, _("Tệp .xlsx bị hỏng hoặc không phải tệp Excel."))]) from None
    formulas = []
    sheet = book.worksheets[0]
    # The sheet's own <dimension> is not believed: openpyxl would pad every row to it
    # (A1:XFD1048576 kept a worker busy for two minutes). Only the cells that exist are read,
    # and no further right than the columns the table can have.
    sheet.reset_dimensions()
    try:
        for number, row in enumerate(sheet.iter_rows(max_col=read_columns), start=1):
            if any(getattr(cell, "data_type", None) == "f" for cell in row):
                formulas.append(number)
            counter.rows += 1
            counter.cells += sum(not isinstance(cell, EmptyCell) for cell in row)
            yield [getattr(cell, "value", None) for cell in row]
    except (zipfile.BadZipFile, OSError, ValueError, IndexError, KeyError, ParseError):
        # A sheet cut short, a string index past the table, entities that multiply.
        raise RowsRejected([(0, _("Tệp .xlsx bị hỏng hoặc không phải tệp Excel."))]) from None
    finally:
        book.close()
    if formulas:
        raise RowsRejected([(n, _("có công thức; hãy dán giá trị (Paste Values) rồi nhập lại"))
                              for n in formulas])

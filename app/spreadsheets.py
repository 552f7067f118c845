"""Every CSV and XLSX the app writes is made here, so that no cell a person typed (a unit's or
an account's name, a comment, an audit actor) can run as a formula when the file is opened:
a text cell starting with = + - @, a tab or a carriage return gets an apostrophe first
(OWASP, "CSV injection"). Numbers stay numbers; CSV is UTF-8 with a BOM (Excel reads
Vietnamese) and CRLF line ends.
"""

import csv
import io
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell that no spreadsheet will run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def xlsx_cell(value):
    """A value as an XLSX cell: text guarded, Decimal as a float, the rest as it is."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def csv_cell(value) -> str:
    """A value as a CSV cell: None empty, Decimal with two decimals, text guarded."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return safe_text(str(value))


def csv_bytes(header: list, rows) -> bytes:
    """A whole CSV file: the header, then each row, every cell through csv_cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(v) for v in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def append(sheet, row) -> None:
    """One row onto an openpyxl sheet, every cell through xlsx_cell."""
    sheet.append([xlsx_cell(v) for v in row])

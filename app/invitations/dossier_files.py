"""Reading the one-stop system's export of returned dossiers (CSV or XLSX) into rows the
invitations' rules can check (app/domain/invitations.py), within the reading ceilings of
app/staff/table_files.py. The phone numbers read here live only as long as the request."""

from flask_babel import gettext as _

from app.domain import RowsRejected
from app.domain.codes import normalise_code
from app.domain.invitations import ReturnedDossier, channel_of, immediate_of, normalise_phone
from app.staff.table_files import Reading, Table, parse_date, read_within_limits

RETURNED = Table(
    required=("returned_on", "counter_code", "phone"),
    optional=("channel", "immediate", "dossier"),
    aliases={
        # Headers as the one-stop systems write them, lower-cased, without diacritics.
        "ngay_tra": "returned_on", "ngay_tra_ket_qua": "returned_on", "ngay": "returned_on",
        "date": "returned_on", "ngay_tra_kq": "returned_on",
        "ma_quay": "counter_code", "quay": "counter_code", "ma_quay_tiep_nhan": "counter_code",
        "so_dien_thoai": "phone", "dien_thoai": "phone", "sdt": "phone", "so_dt": "phone",
        "dt": "phone", "mobile": "phone",
        "hinh_thuc_nop": "channel", "hinh_thuc": "channel", "kenh_nop": "channel",
        "tra_ngay": "immediate", "tra_ngay_khi_nop": "immediate",
        "ma_ho_so": "dossier", "so_ho_so": "dossier", "ho_so": "dossier",
    })


def read_returned_file(data: bytes, filename: str) -> list[ReturnedDossier]:
    """Every data row of the file, within the reading ceiling; a row that cannot be read
    carries its problem. Raises RowsRejected for a file refused."""
    reading = read_returned_within_limits(data, filename)
    if reading.problems is not None:
        raise RowsRejected(reading.problems)
    return reading.rows


def read_returned_within_limits(data: bytes, filename: str) -> Reading:
    """The Reading of a returned-dossiers file (rows, or the problems that refused it)."""
    return read_within_limits(data, filename, RETURNED, parsed)


def parsed(raw_rows) -> list[ReturnedDossier]:
    """ReturnedDossier rows of (number, {column: raw value}) pairs, as files and posts give."""
    rows = []
    for number, raw in raw_rows:
        code = str(raw.get("counter_code") or "").strip()
        phone = raw.get("phone")
        try:
            immediate = immediate_of(raw.get("immediate"))
            if immediate is None:
                raise ValueError(_("cột trả ngay phải là có hoặc không, không phải “%(value)s”",
                                   value=raw.get("immediate")))
            channel = channel_of(raw.get("channel"))
            if raw.get("channel") not in (None, "") and channel is None:
                raise ValueError(_("không rõ hình thức nộp “%(value)s” (trực tiếp, trực tuyến "
                                   "hoặc bưu chính)", value=raw.get("channel")))
            rows.append(ReturnedDossier(
                number=number, returned_on=parse_date(raw.get("returned_on")),
                counter_code=normalise_code(code) or code, phone=normalise_phone(phone),
                phone_given=str(phone or "").strip() != "", channel=channel,
                immediate=immediate, dossier=str(raw.get("dossier") or "").strip()[:64]))
        except ValueError as exc:
            rows.append(ReturnedDossier(number=number, problem=str(exc)))
    return rows

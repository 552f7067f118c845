"""Exports of what the report page shows: the same rows (app/reports/tables.py), as headers and
plain rows that the CSV and the XLSX writers share, and the PDF report from printables/.

Every cell goes through app/spreadsheets.py, which keeps text from running as a formula.
"""

import io
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app import figures
from app.reports.queries import INVITATIONS
from app.reports.tables import Report, Row, flag_texts
from app.spreadsheets import append, csv_bytes

# 0-based: rate, target, satisfaction, its interval, the rate with days pending review, the
# rate by channel
PERCENT_COLUMNS = (7, 8, 11, 12, 13, 16, 19, 20)
# eligible, responses, untallied responses, needed, pending, responses by channel, invitations
COUNT_COLUMNS = (4, 5, 6, 10, 15, 17, 18, 21, 22, 23, 24)


def headers() -> list[str]:
    return [_("Cấp"), _("Mã"), _("Tên"), _("Thuộc"), _("Hồ sơ thuộc diện khảo sát"),
            _("Phiếu trả lời"), _("Phiếu ở ngày chưa nhập số hồ sơ"), _("Tỷ lệ phản hồi (%)"),
            _("Chỉ tiêu (%)"), _("Trạng thái"),
            _("Cần thêm (phiếu)"), _("Tỷ lệ hài lòng (%)"), _("Khoảng 95% từ (%)"),
            _("Khoảng 95% đến (%)"), _("Cảnh báo"), _("Ngày chờ xem xét"),
            _("Tỷ lệ phản hồi nếu tính cả ngày chờ xem xét (%)"),
            _("Phiếu qua tem QR"), _("Phiếu qua tin nhắn mời"),
            _("Tỷ lệ phản hồi qua tem QR (%)"), _("Tỷ lệ phản hồi qua tin nhắn mời (%)"),
            _("Tin nhắn mời đã gửi"), _("Tin nhắn gửi không được"), _("Đường dẫn đã mở"),
            _("Tin nhắn mời đã trả lời"), _("Tỷ lệ hài lòng qua tem QR (%)"),
            _("Tỷ lệ hài lòng qua tin nhắn mời (%)")]


def _status(row: Row) -> str:
    return {figures.STATUS_MET: _("Đạt"), figures.STATUS_BELOW: _("Chưa đạt"),
            figures.STATUS_NO_DATA: _("Chưa có số liệu"),
            figures.STATUS_REVIEW: _("Cần xem xét")}[row.status]


def _satisfaction(row: Row, k: int) -> Decimal | str | None:
    if row.suppressed:
        return _("< %(k)d phiếu", k=k)
    return row.satisfaction


def channel_satisfaction(row: Row, k: int) -> list[Decimal | str | None]:
    """Satisfaction (QR sticker, SMS invitation) as an export shows it: a row whose results
    were followed by no invitation has the sticker's answers only."""
    if row.channels is None and not row.invited:
        return [_satisfaction(row, k), None]
    return [_("< %(k)d phiếu", k=k) if value is None else value
            for value in row.channel_satisfaction]


def _flags(row: Row) -> str:
    return "; ".join(flag_texts(row))


def values(row: Row, level: str, k: int) -> list:
    """One row as plain values: numbers stay numbers (percent values with two decimals)."""
    interval = row.interval
    by_channel = row.channel_rates
    return [level, row.code, row.name, row.parent or "",
            row.counts.eligible, row.counts.matched, row.counts.untallied_responses,
            row.rate.value, row.target,
            _status(row), row.needed, _satisfaction(row, k),
            interval[0] if interval else None, interval[1] if interval else None, _flags(row),
            row.counts.pending_days, row.rate_with_pending.value if row.pending else None,
            *(rate.responses for rate in by_channel), *(rate.value for rate in by_channel),
            *(row.counts.invitations[name] for name in INVITATIONS),
            *channel_satisfaction(row, k)]


def sheets(report: Report) -> list[tuple[str, list[list]]]:
    """(sheet name, rows) for each level: the scope's total, its units, its counters."""
    k = report.k
    return [
        (_("Tổng"), [values(report.top, _("Tổng"), k)]),
        (_("Đơn vị"), [values(r, _("Đơn vị"), k) for r in report.unit_rows[1:]]),
        (_("Quầy"), [values(r, _("Quầy"), k) for r in report.counter_rows]),
    ]


def title_lines(report: Report) -> list[str]:
    return [_("Báo cáo tỷ lệ phản hồi và mức độ hài lòng: %(name)s", name=report.top.name),
            _("Đợt: %(name)s; từ %(start)s đến %(end)s", name=report.campaign.name,
              start=report.start.strftime("%d/%m/%Y"), end=report.end.strftime("%d/%m/%Y"))]


def to_csv(report: Report) -> bytes:
    """One line per row, the scope's total first, then its units, then its counters."""
    return csv_bytes(headers(), [row for _name, rows in sheets(report) for row in rows])


def comments_csv(comments: list[tuple[str, str]]) -> bytes:
    return csv_bytes([_("Tuần"), _("Góp ý")], comments)


def pressure_csv(rows: list[tuple]) -> bytes:
    """Citizens' reports of pressure: week, unit, counter, what happened, their words, and
    Home Affairs' status and note."""
    return csv_bytes([_("Tuần"), _("Đơn vị"), _("Quầy"), _("Việc đã gặp"), _("Mô tả"),
                      _("Tình trạng"), _("Ghi chú xử lý")], rows)


def to_xlsx(report: Report, comments: list[tuple[str, str]] | None, made_on: date) -> bytes:
    """One sheet per level (frozen header row, number formats), and the comments if any."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets(report):
        sheet = book.create_sheet(name)
        append(sheet, [title_lines(report)[0]])
        append(sheet, [title_lines(report)[1] + " · " + _("lập ngày %(day)s",
                                                          day=made_on.strftime("%d/%m/%Y"))])
        append(sheet, headers())
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A4"
        for row in rows:
            append(sheet, row)
        for column in range(1, len(headers()) + 1):
            letter = get_column_letter(column)
            fmt = "0.00" if column - 1 in PERCENT_COLUMNS else "#,##0" \
                if column - 1 in COUNT_COLUMNS else None
            if fmt:
                for cell in sheet[letter][3:]:
                    cell.number_format = fmt
            sheet.column_dimensions[letter].width = 34 if column in (3, 4, 15) else 14
    if comments is not None:
        sheet = book.create_sheet(_("Góp ý"))
        append(sheet, [_("Tuần"), _("Góp ý")])
        sheet.freeze_panes = "A2"
        for row in comments:
            append(sheet, row)
        sheet.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_context(report: Report, details, charts, locale: str, made_on: date) -> dict:
    """Everything report.html prints, translated and formatted as the page shows it."""
    pct = lambda v: figures.format_percent(v, locale, _("chưa có số liệu"))  # noqa: E731
    num = lambda n: figures.format_count(n, locale)  # noqa: E731

    def satisfaction(row: Row) -> str:
        value = _satisfaction(row, report.k)
        if value is None or isinstance(value, str):
            return value or _("chưa có số liệu")
        low, high = row.interval
        return f"{pct(value)} ({pct(low)} – {pct(high)})"

    def rate(row: Row) -> str:
        if not row.pending:
            return pct(row.rate.value)
        return pct(row.rate.value) + " " + _(
            "(%(rate)s nếu tính cả %(n)d ngày đang chờ xem xét)",
            rate=pct(row.rate_with_pending.value), n=row.counts.pending_days)

    def line(row: Row, name: str) -> list[str]:
        return [name, num(row.counts.eligible), num(row.counts.matched),
                num(row.counts.untallied_responses), rate(row),
                pct(row.target), "—" if row.needed is None else num(row.needed),
                satisfaction(row), _status(row), _flags(row)]

    table = [line(report.top, _("Tổng: %(name)s", name=report.top.name))]
    table += [line(r, r.name if r.kind == "unit" else f"{r.name} ({_('quầy')} {r.code})")
              for r in report.rows]
    below = sorted((r for r in report.unit_rows[1:] + report.counter_rows
                    if r.status == figures.STATUS_BELOW), key=lambda r: -(r.needed or 0))
    shares = [[s.label, pct(s.value) + (f" ({pct(s.interval[0])} – {pct(s.interval[1])})"
                                        if s.interval else ""),
               *([pct(s.level_share(n)) for n in range(1, 6)] if s.kind == "scale"
                 else ["—"] * 5), num(s.total)] for s in details.shares]
    weeks = [[f"{w.label} ({w.start:%d/%m} – {w.end:%d/%m})", num(w.row.counts.eligible),
              num(w.row.counts.matched), pct(w.row.rate.value), pct(w.row.target),
              _("< %(k)d phiếu", k=report.k) if w.row.suppressed else pct(w.row.satisfaction)]
             for w in details.weeks]
    f = details.funnel
    top, sent = report.top, report.top.counts.invitations
    hidden = _("< %(k)d phiếu", k=report.k)
    satisfied = [hidden if value is None else pct(value) for value in top.channel_satisfaction]
    satisfied.append(hidden if top.suppressed else pct(top.satisfaction))
    channels = [[label, num(rate.responses), pct(rate.value), satisfaction]
                for label, rate, satisfaction in zip(
        (_("Quét tem QR tại quầy"), _("Tin nhắn mời (SMS)"), _("Cả hai kênh")),
        (*top.channel_rates, top.rate), satisfied, strict=True)] if top.invited else None
    n_sticker, n_sms, n_together = top.channel_answers
    invitations = [num(sent["sent"]), num(sent["failed"]),
                   f"{num(sent['opened'])} ({pct(top.invitations_opened)})",
                   f"{num(sent['answered'])} ({pct(top.invitations_answered)})"]
    t = {
        "kicker": report.campaign.unit.name,
        "title": title_lines(report)[0], "campaign_line": title_lines(report)[1],
        "made_line": _("Lập ngày %(day)s. Số liệu theo các tuần trọn vẹn (thứ Hai – Chủ nhật).",
                       day=made_on.strftime("%d/%m/%Y")),
        "table_title": _("%(unit)s và các đơn vị, quầy trực thuộc", unit=report.top.name),
        "columns": [_("Đơn vị / quầy"), _("Hồ sơ thuộc diện khảo sát"), _("Phiếu trả lời"),
                    _("Phiếu ở ngày chưa nhập số hồ sơ"), _("Tỷ lệ phản hồi"), _("Chỉ tiêu"),
                    _("Cần thêm (phiếu)"),
                    _("Tỷ lệ hài lòng (khoảng 95%%)"), _("Trạng thái"), _("Cảnh báo")],
        "note": _("Câu trả lời của mỗi quầy được công bố theo từng đợt đủ %(k)d phiếu, vào tuần "
                  "đợt đó đủ; phiếu chưa đủ đợt vẫn được đếm nhưng chưa tính vào tỷ lệ hài lòng.",
                  k=report.k),
        "below_title": _("Đơn vị và quầy chưa đạt chỉ tiêu"),
        "below_columns": [_("Đơn vị / quầy"), _("Hồ sơ thuộc diện khảo sát"), _("Phiếu trả lời"),
                          _("Tỷ lệ phản hồi"), _("Chỉ tiêu"), _("Cần thêm (phiếu)")],
        "none_below": _("Không có đơn vị hay quầy nào dưới chỉ tiêu."),
        "funnel_title": _("Phễu khảo sát: %(name)s", name=report.top.name),
        "funnel_columns": [_("Hồ sơ thuộc diện khảo sát"), _("Mở phiếu"), _("Không tham gia"),
                           _("Loại: nộp trực tuyến"), _("Loại: qua bưu chính"),
                           _("Loại: trả ngay"), _("Hoàn thành")],
        "shares_title": _("Mức độ hài lòng theo từng tiêu chí"),
        "shares_columns": [_("Tiêu chí"), _("Hài lòng và rất hài lòng (hoặc “Có”)"),
                           *details.scale, _("Số trả lời")],
        "shares_hidden": _("Không hiển thị: chưa có đợt %(k)d phiếu nào đủ trong thời gian này.",
                           k=report.k),
        "channels_title": _("Theo kênh: tem QR tại quầy và tin nhắn mời"),
        "channels_columns": [_("Kênh"), _("Phiếu trả lời"), _("Tỷ lệ phản hồi"),
                             _("Tỷ lệ hài lòng")],
        "channels_note": _(
            "Tỷ lệ hài lòng theo kênh tính trên các đợt phiếu mà mỗi kênh có 0 hoặc từ %(k)d "
            "phiếu trở lên: %(sticker)s phiếu qua tem và %(sms)s phiếu qua tin nhắn; "
            "%(together)s phiếu của các đợt khác chỉ được tính chung cho cả hai kênh, để "
            "không ai suy ra được câu trả lời của dưới %(k)d người.", k=report.k,
            sticker=num(n_sticker), sms=num(n_sms), together=num(n_together)),
        "invitations_columns": [_("Tin nhắn đã gửi"), _("Gửi không được"),
                                _("Đã mở đường dẫn"), _("Đã trả lời")],
        "trend_title": _("Xu hướng theo tuần"),
        "week_columns": [_("Tuần"), _("Hồ sơ thuộc diện khảo sát"), _("Phiếu trả lời"),
                         _("Tỷ lệ phản hồi"), _("Chỉ tiêu"), _("Tỷ lệ hài lòng")],
    }
    return {
        "locale": locale, "t": t, "table": table, "charts": charts, "shares": shares,
        "channels": channels, "invitations": invitations,
        "weeks": weeks,
        "below": [[f"{r.name} – {r.parent}" if r.parent else r.name, num(r.counts.eligible),
                   num(r.counts.matched), pct(r.rate.value), pct(r.target), num(r.needed)]
                  for r in below],
        "funnel": [num(details.eligible), *(num(f[step]) for step in (
            "opened", "declined", "screened_online", "screened_postal", "screened_immediate",
            "completed"))],
    }


def to_pdf(report: Report, locale: str, made_on: date) -> bytes:
    """The PDF report (the table, the funnel, each question's answers, the weekly charts),
    laid out by WeasyPrint from printables/report/ (app/pdf.py)."""
    from app.pdf import html_to_pdf, render_html
    from app.reports.charts import trend_charts
    from app.reports.details import details_for

    details = details_for(report, locale, shares=True)
    charts = trend_charts(details.weeks, report.top.target, locale, for_print=True)
    html = render_html("report/report.html",
                       **pdf_context(report, details, charts, locale, made_on))
    return html_to_pdf(html, folder="report")

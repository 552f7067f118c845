"""The report pages and their exports: thin handlers over periods.py (which days), tables.py
(which figures), details.py (what lies behind them) and exports.py (files)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.auth.scope import (
    campaigns_to_report,
    can,
    counter_or_404,
    current_scope,
    pressure_report_or_404,
    report_counter,
    report_units,
    requires,
)
from app.clock import local_today
from app.db_setup import transaction
from app.domain.integrity import PRESSURE_KINDS
from app.domain.pressure import STATUSES, PressureError, follow_up
from app.domain.quarantine import QuarantineError, accept_day, quarantine_day, release_day
from app.extensions import db
from app.forms import choices, page_arg
from app.models import Campaign
from app.reports import bp, exports, periods, pressure
from app.reports import review as review_queries
from app.reports.charts import trend_charts
from app.reports.details import comments_for, details_for
from app.reports.forms import FollowUpForm, ReportForm, ReviewForm
from app.reports.tables import (
    Report,
    counter_report,
    flag_labels,
    flag_texts,
    sorted_rows,
    unit_report,
)


class NothingToReport(Exception):
    """No campaign, or a period that holds nothing: the page says why."""


def _form(campaigns: list[Campaign]) -> tuple[ReportForm, Campaign]:
    form = ReportForm(request.args)
    form.campaign.choices = choices(
        (c.id, f"{c.name} ({c.starts_on:%d/%m/%Y} – {c.ends_on:%d/%m/%Y})") for c in campaigns)
    chosen = next((c for c in campaigns if c.id == form.campaign.data), None)
    if chosen is None:
        if form.campaign.data is not None:
            abort(404)  # a campaign outside the viewer's reach
        chosen = next((c for c in campaigns if c.status == "active"), campaigns[0])
        form.campaign.data = chosen.id
    today = local_today()
    form.month.choices = choices((m, m) for m in periods.month_choices(chosen, today))
    form.week.choices = choices(
        (w, f"{w} ({first:%d/%m} – {last:%d/%m/%Y})")
        for w, first, last in periods.week_choices(chosen, today))
    return form, chosen


def build(*, every_counter: bool = False) -> tuple[ReportForm | None, Report]:
    """The report the request's arguments ask for, within the viewer's scope (else 404);
    `every_counter` for the exports, which list every counter below the top."""
    campaigns = list(db.session.scalars(campaigns_to_report()))
    if not campaigns:
        raise NothingToReport(None, _("Chưa có đợt khảo sát nào đã bắt đầu trong phạm vi "
                                      "của bạn."))
    form, campaign = _form(campaigns)
    root, top = report_units(campaign, form.unit.data)
    counter = report_counter(root, form.counter.data)
    kind = form.period.data or "campaign"
    value = {"month": form.month.data, "week": form.week.data}.get(kind) or ""
    try:
        period = periods.resolve(campaign, local_today(), kind=kind, value=value,
                                 start=form.start.data, end=form.end.data)
    except periods.PeriodError as exc:
        raise NothingToReport(form, str(exc)) from exc
    if counter is not None:
        return form, counter_report(campaign, root, counter, period.start, period.end,
                                    pressure=can("pressure"))
    return form, unit_report(campaign, root, top, period.start, period.end,
                             every_counter=every_counter, pressure=can("pressure"))


@bp.route("/")
@requires("reports")
def dashboard():
    open_pressure = pressure.open_count(current_scope()) if can("pressure") else 0
    try:
        form, report = build()
    except NothingToReport as nothing:
        form, message = nothing.args
        return render_template("reports/dashboard.html", form=form, report=None,
                               error=message, open_pressure=open_pressure), \
            200 if form is None else 422
    locale = str(get_locale())
    details = details_for(report, locale)
    sort = form.sort.data or ""
    held = (review_queries.counter_days(report.counter.id, report.start, report.end)
            if report.counter else [])
    return render_template(
        "reports/dashboard.html", form=form, report=report, open_pressure=open_pressure,
        held=held,
        rows=sorted_rows(report.rows, sort), sort=sort, args=request.args.to_dict(),
        flag_texts=flag_texts,
        details=details, charts=trend_charts(details.weeks, report.top.target, locale))


COMMENTS_PER_PAGE = 100


def _report_or_422(*, every_counter: bool = True):
    try:
        return build(every_counter=every_counter)[1]
    except NothingToReport as nothing:
        abort(422, nothing.args[1])


@bp.route("/details")
@requires("reports")
def details():
    """Each question's answers for the report's top, and (for managers and admins) comments."""
    report = _report_or_422(every_counter=False)
    page = page_arg(request.args)
    comments, total = (comments_for(report, page=page, per_page=COMMENTS_PER_PAGE)
                       if can("comments") else (None, 0))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "reports/details.html", report=report, args=args,
        details=details_for(report, str(get_locale()), shares=True, weeks=False),
        comments=comments, total=total, page=page,
        pages=max(1, -(-total // COMMENTS_PER_PAGE)))


def _download(data: bytes, report: Report, extension: str, mimetype: str):
    name = f"bao-cao-{report.top.code}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{extension}"
    return data, 200, {"Content-Type": mimetype,
                       "Content-Disposition": f'attachment; filename="{name}"'}


@bp.route("/export.csv")
@requires("reports")
def export_csv():
    report = _report_or_422()
    return _download(exports.to_csv(report), report, "csv", "text/csv; charset=utf-8")


@bp.route("/export.xlsx")
@requires("reports")
def export_xlsx():
    report = _report_or_422()
    return _download(exports.to_xlsx(report, None, local_today()), report, "xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/comments.csv")
@requires("comments")
def export_comments():
    report = _report_or_422(every_counter=False)
    return _download(exports.comments_csv(comments_for(report)[0]), report, "gop-y.csv",
                     "text/csv; charset=utf-8")


@bp.route("/report.pdf")
@requires("reports")
def export_pdf():
    report = _report_or_422()
    return _download(exports.to_pdf(report, str(get_locale()), local_today()), report, "pdf",
                     "application/pdf")


@bp.route("/pressure")
@requires("pressure")
def pressure_reports():
    """Citizens' reports of pressure or interference (Home Affairs at the province only)."""
    page = page_arg(request.args)
    rows, total = pressure.listing(current_scope(), page=page)
    forms = {row.id: FollowUpForm(prefix=row.id.hex, data={"status": row.status,
                                                             "note": row.note})
             for row in rows}
    return render_template("reports/pressure.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // pressure.PER_PAGE)), forms=forms,
                           kinds=dict(PRESSURE_KINDS), statuses=dict(STATUSES))


@bp.route("/pressure/<uuid:report_id>", methods=["POST"])
@requires("pressure")
def pressure_follow_up(report_id):
    """Record what Home Affairs did about a report: its status and a note (audited)."""
    report = pressure_report_or_404(report_id)
    form = FollowUpForm(prefix=report_id.hex)
    if form.validate_on_submit():
        try:
            with transaction():
                follow_up(report, status=form.status.data, note=form.note.data,
                          actor=current_user)
        except PressureError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Đã lưu tình trạng xử lý phản ánh."), "info")
    else:
        flash(_("Không lưu được: %(why)s", why="; ".join(
            str(e) for errors in form.errors.values() for e in errors)), "error")
    return redirect(url_for("reports.pressure_reports", page=request.args.get("page")),
                    code=303)


@bp.route("/pressure.csv")
@requires("pressure")
def export_pressure():
    rows, _total = pressure.listing(current_scope(), per_page=None)
    kinds, statuses = dict(PRESSURE_KINDS), dict(STATUSES)
    data = exports.pressure_csv([
        (r.week, r.unit, r.counter, "; ".join(str(kinds.get(k, k)) for k in r.kinds), r.text,
         str(statuses[r.status]), r.note) for r in rows])
    return data, 200, {"Content-Type": "text/csv; charset=utf-8",
                       "Content-Disposition": 'attachment; filename="phan-anh.csv"'}


@bp.route("/review")
@requires("quarantine")
def review():
    """Flagged counter-days to set aside for review, and the days set aside (Home Affairs)."""
    scope, today = current_scope(), local_today()
    return render_template("reports/review.html",
                           flagged=review_queries.flagged_days(scope, today),
                           held=review_queries.held_days(scope), form=ReviewForm(), today=today,
                           labels=flag_labels())


@bp.route("/review/hold", methods=["POST"])
@requires("quarantine")
def review_hold():
    return _review_step(
        lambda counter, form: quarantine_day(counter, form.day.data, reason=form.reason.data,
                                             actor=current_user, today=local_today()),
        done=_("Đã tạm loại %(n)d phiếu của %(counter)s ngày %(day)s để xem xét."),
        unclear=_("Không rõ quầy hoặc ngày cần tạm loại."))


@bp.route("/review/accept", methods=["POST"])
@requires("quarantine")
def review_accept():
    return _review_step(
        lambda counter, form: accept_day(counter, form.day.data, reason=form.reason.data,
                                         actor=current_user, today=local_today()),
        done=_("Đã chấp nhận %(n)d phiếu của %(counter)s ngày %(day)s: tính vào số liệu."),
        unclear=_("Không rõ quầy hoặc ngày cần chấp nhận."))


@bp.route("/review/release", methods=["POST"])
@requires("quarantine")
def review_release():
    return _review_step(
        lambda counter, form: release_day(counter, form.day.data, actor=current_user),
        done=_("Đã tính lại %(n)d phiếu của %(counter)s ngày %(day)s vào số liệu."),
        unclear=_("Không rõ quầy hoặc ngày cần tính lại."))


def _review_step(step, *, done: str, unclear: str):
    """Set a counter's day aside or give it back (`step` returns how many answers), say what
    happened, and go back to the review page."""
    form = ReviewForm()
    counter = counter_or_404(form.counter.data or 0)
    if form.validate_on_submit():
        try:
            with transaction():
                n = step(counter, form)
        except QuarantineError as exc:
            flash(str(exc), "error")
        except (IntegrityError, StaleDataError):  # decided at the same moment by another
            flash(_("Ngày này vừa được người khác xử lý; trang đã được tải lại để Ông/Bà "
                    "xem kết quả."), "error")
        else:
            flash(done % {"n": n, "counter": counter.name,
                          "day": form.day.data.strftime("%d/%m/%Y")}, "info")
    else:
        flash(unclear, "error")
    return redirect(url_for("reports.review"), code=303)

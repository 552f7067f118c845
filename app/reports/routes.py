"""The report pages: thin handlers over periods.py (which days) and tables.py (which figures)."""

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.scope import campaigns_to_report, requires, unit_or_404
from app.clock import local_today
from app.extensions import db
from app.forms import choices
from app.models import Campaign, Unit
from app.reports import bp, periods
from app.reports.forms import ReportForm
from app.reports.tables import sorted_rows, unit_report


def report_root(campaign: Campaign) -> Unit:
    """Where the viewer's report starts: their own unit, or the campaign's if it lies below."""
    mine = current_user.unit
    return campaign.unit if mine.contains(campaign.unit) else mine


def _form(campaigns: list[Campaign]) -> tuple[ReportForm, Campaign]:
    form = ReportForm(request.args)
    form.campaign.choices = choices(
        (c.id, f"{c.name} ({c.starts_on:%d/%m/%Y} – {c.ends_on:%d/%m/%Y})") for c in campaigns)
    chosen = next((c for c in campaigns if c.id == form.campaign.data), None)
    if chosen is None:
        if form.campaign.data is not None:
            abort(404)  # a campaign outside the viewer's reach, or none at all
        chosen = next((c for c in campaigns if c.status == "active"), campaigns[0])
        form.campaign.data = chosen.id
    today = local_today()
    form.month.choices = choices((m, m) for m in periods.month_choices(chosen, today))
    form.week.choices = choices(
        (w, f"{w} ({first:%d/%m} – {last:%d/%m/%Y})")
        for w, first, last in periods.week_choices(chosen, today))
    return form, chosen


@bp.route("/")
@requires("reports")
def dashboard():
    campaigns = list(db.session.scalars(campaigns_to_report()))
    if not campaigns:
        return render_template("reports/dashboard.html", form=None, report=None,
                               error=_("Chưa có đợt khảo sát nào đã bắt đầu trong phạm vi "
                                       "của bạn."))
    form, campaign = _form(campaigns)
    root = report_root(campaign)
    top = root
    if form.unit.data:
        if not form.unit.data.isdigit():
            abort(404)
        top = unit_or_404(int(form.unit.data))
        if not root.contains(top):
            abort(404)
    try:
        period = periods.resolve(
            campaign, local_today(), kind=form.period.data or "campaign",
            value=(form.month.data if form.period.data == "month" else
                   form.week.data if form.period.data == "week" else "") or "",
            start=form.start.data, end=form.end.data)
    except periods.PeriodError as exc:
        return render_template("reports/dashboard.html", form=form, report=None,
                               error=str(exc)), 422
    report = unit_report(campaign, root, top, period.start, period.end,
                         current_app.config["SUPPRESSION_K"])
    sort = form.sort.data or ""
    return render_template("reports/dashboard.html", form=form, report=report, period=period,
                           rows=sorted_rows(report.rows, sort), sort=sort,
                           args=request.args.to_dict())

"""The read API (`GET /api/v1/…`, a key for "reports"): the dashboard's figures for another
system's own dashboard. Every figure comes from the report the pages build
(app/reports/tables.py, computed by app/figures.py): the same batches, suppression ("null"
where a page says "< 5 phiếu", with `suppressed: true`), verdicts and days pending review.
Never a single answer, never a comment. A key sees campaigns and units as its unit's accounts
would (app/auth/scope.py); anything else answers 404.
"""

from datetime import date
from decimal import Decimal

from flask import Response, abort, g, jsonify, make_response, request

from app.api import bp
from app.api.routes import needs_key
from app.auth.scope import campaigns_to_report, report_units, units_in_scope
from app.clock import local_today
from app.extensions import db
from app.models import Campaign
from app.reports.details import details_for
from app.reports.exports import to_csv
from app.reports.periods import PeriodError, resolve
from app.reports.tables import Report, Row, unit_report

PERIODS = ("campaign", "month", "week", "custom")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.scalar(campaigns_to_report(g.scope).where(Campaign.id == campaign_id))
    if campaign is None:
        abort(404)
    return campaign


def _report(campaign_id: int, *, every_counter: bool = False) -> Report:
    """The report the query string asks for (?unit=, ?period=campaign|month|week|custom with
    ?month=YYYY-MM, ?week=YYYY-Www, ?start= and ?end=), within the key's subtree."""
    campaign = _campaign(campaign_id)
    root, top = report_units(campaign, request.args.get("unit"), g.scope)
    kind = request.args.get("period", "campaign")
    if kind not in PERIODS:
        abort(400)
    try:
        start = date.fromisoformat(request.args["start"]) if "start" in request.args else None
        end = date.fromisoformat(request.args["end"]) if "end" in request.args else None
    except ValueError:
        abort(400)
    try:
        period = resolve(campaign, local_today(), kind=kind,
                         value=request.args.get(kind, ""), start=start, end=end)
    except PeriodError as exc:
        abort(make_response(jsonify(error=str(exc)), 422))
    return unit_report(campaign, root, top, period.start, period.end,
                       every_counter=every_counter)


def row_json(row: Row) -> dict:
    """One row as the dashboard figures it."""
    interval = row.interval
    return {
        "kind": row.kind, "id": row.id, "code": row.code, "name": row.name,
        "parent": row.parent, "eligible": row.counts.eligible,
        "responses": row.counts.matched,
        "untallied_responses": row.counts.untallied_responses,
        "response_rate": _number(row.rate.value), "target": _number(row.target),
        "status": row.status, "responses_needed": row.needed,
        "pending_days": row.counts.pending_days,
        "response_rate_with_pending": _number(row.rate_with_pending.value)
        if row.pending else None,
        "suppressed": row.suppressed, "released_answers": row.answers.responses,
        "satisfaction": _number(row.satisfaction),
        "satisfaction_interval": [_number(v) for v in interval] if interval else None,
    }


def _head(report: Report) -> dict:
    return {"campaign": {"id": report.campaign.id, "name": report.campaign.name},
            "period": {"start": report.start.isoformat(), "end": report.end.isoformat()},
            "k": report.k}


@bp.route("/campaigns")
@needs_key("reports")
def campaigns():
    """Campaigns that cover the key's subtree, newest first."""
    return jsonify(campaigns=[{
        "id": c.id, "name": c.name, "status": c.status, "starts_on": c.starts_on.isoformat(),
        "ends_on": c.ends_on.isoformat(), "target": float(c.target_rate),
        "unit": {"id": c.unit.id, "code": c.unit.code, "name": c.unit.name}}
        for c in db.session.scalars(campaigns_to_report(g.scope))])


@bp.route("/units")
@needs_key("reports")
def units():
    """The key's subtree, in tree order."""
    return jsonify(units=[{
        "id": u.id, "code": u.code, "name": u.name, "kind": u.kind, "parent_id": u.parent_id,
        "depth": u.depth, "active": u.active} for u in units_in_scope(g.scope,
                                                                     active_only=False)])


@bp.route("/campaigns/<int:campaign_id>/figures")
@needs_key("reports")
def campaign_figures(campaign_id: int):
    """The top unit (?unit=, else the key's), every unit below it and every counter: the
    rows of the dashboard and its exports."""
    report = _report(campaign_id, every_counter=True)
    return jsonify(**_head(report), top=row_json(report.top),
                   units=[row_json(r) for r in report.unit_rows[1:]],
                   counters=[row_json(r) for r in report.counter_rows])


@bp.route("/campaigns/<int:campaign_id>/figures.csv")
@needs_key("reports")
def campaign_figures_csv(campaign_id: int):
    """The same rows as the dashboard's CSV export (UTF-8 with BOM)."""
    report = _report(campaign_id, every_counter=True)
    return Response(to_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=figures.csv"})


@bp.route("/campaigns/<int:campaign_id>/weeks")
@needs_key("reports")
def campaign_weeks(campaign_id: int):
    """The top unit's weekly series: each week's counts, and the satisfaction of the batches
    filed under it."""
    report = _report(campaign_id)
    weeks = details_for(report, "en").weeks
    return jsonify(**_head(report), unit=row_json(report.top)["name"], weeks=[
        {"week": w.label, "start": w.start.isoformat(), "end": w.end.isoformat(),
         **{k: v for k, v in row_json(w.row).items()
            if k not in ("kind", "id", "code", "name", "parent")}} for w in weeks])


@bp.route("/campaigns/<int:campaign_id>/funnel")
@needs_key("reports")
def campaign_funnel(campaign_id: int):
    """The top unit's survey funnel: eligible returns, scans, declines, screen-outs,
    completed forms."""
    report = _report(campaign_id)
    return jsonify(**_head(report), unit=report.top.name,
                   funnel={"eligible": report.top.counts.eligible,
                           **{k: int(v) for k, v in report.top.counts.funnel.items()}})

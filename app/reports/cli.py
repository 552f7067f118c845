"""`flask export-report`: the same report as the pages, for the operator (the whole tree)."""

from datetime import date

from sqlalchemy import select

from app.auth.scope import WHOLE_TREE, Scope, unit_by_code
from app.clock import local_today
from app.extensions import db
from app.models import Campaign
from app.reports import exports, periods
from app.reports.details import comments_for
from app.reports.tables import unit_report


class ReportChoiceError(ValueError):
    """A campaign, unit or period that names nothing to report."""


def _campaign(campaign_id: int | None) -> Campaign:
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None or campaign.status == "draft":
            raise ReportChoiceError(f"No started campaign has the id {campaign_id}.")
        return campaign
    active = list(db.session.scalars(select(Campaign).where(Campaign.status == "active")))
    if len(active) != 1:
        listed = ", ".join(f"{c.id} ({c.name})" for c in active) or "none"
        raise ReportChoiceError(f"Name the campaign with --campaign; active ones: {listed}.")
    return active[0]


def write_report(*, campaign_id: int | None, unit_code: str | None, start: date | None,
                 end: date | None, fmt: str, path: str) -> str:
    """Write the file; return the line the command prints."""
    campaign = _campaign(campaign_id)
    root = top = WHOLE_TREE.report_root(campaign)
    if unit_code:
        top = unit_by_code(unit_code, Scope(root))
        if top is None:
            raise ReportChoiceError(f"No unit {unit_code} in the campaign's scope.")
    if (start is None) != (end is None):
        raise ReportChoiceError("Give both --from and --to, or neither.")
    try:
        period = periods.resolve(campaign, local_today(),
                                 kind="custom" if start else "campaign", start=start, end=end)
    except periods.PeriodError as exc:
        raise ReportChoiceError(str(exc)) from exc
    report = unit_report(campaign, root, top, period.start, period.end,
                         every_counter=True)
    if fmt == "csv":
        data = exports.to_csv(report)
    elif fmt == "xlsx":
        data = exports.to_xlsx(report, comments_for(report)[0], local_today())
    else:
        data = exports.to_pdf(report, "vi", local_today())
    with open(path, "wb") as fh:
        fh.write(data)
    return (f"Wrote the {fmt.upper()} report of {top.code} for {period.start:%Y-%m-%d} to "
            f"{period.end:%Y-%m-%d} to {path}.")

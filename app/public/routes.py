"""`/ket-qua/<campaign>`: a published campaign's results, as the dashboard figures them.

The province (the campaign's unit) and every unit below it, with the counters only if the
campaign says so: response rate against target, the verdict and satisfaction with its 95 %
interval, over the campaign's whole weeks that are over, with the dashboard's suppression and
batches (app/reports/tables.py makes the rows, app/figures.py every figure). No comments, no
warnings, no pressure reports. Each request asks the database whether the campaign is still
published (unpublishing takes effect at once); the page itself is kept for
PUBLIC_RESULTS_SECONDS per campaign and language, since it changes once a week.
"""

import hashlib
import time

from flask import abort, current_app, make_response, render_template, request
from flask_babel import get_locale
from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.models import Campaign, Counter, Unit
from app.public import bp
from app.reports.periods import PeriodError, resolve
from app.reports.tables import unit_report


def _cache() -> dict:
    return current_app.extensions.setdefault("khaosat.public_results", {})


@bp.route("/ket-qua/<int:campaign_id>")
def results(campaign_id: int):
    shown = db.session.execute(select(Campaign.published, Campaign.publish_counters).where(
        Campaign.id == campaign_id)).first()
    if shown is None or not shown.published:
        abort(404)
    key = (campaign_id, str(get_locale()), shown.publish_counters, local_today())
    kept = _cache().get(key)
    if kept is None or kept[0] < time.monotonic():
        html = _render(db.session.get(Campaign, campaign_id), counters=shown.publish_counters)
        kept = (time.monotonic() + current_app.config["PUBLIC_RESULTS_SECONDS"], html)
        cache = _cache()
        if len(cache) > 200:  # a few campaigns × two languages × a day: never more than this
            cache.clear()
        cache[key] = kept
    response = make_response(kept[1])
    # Anyone may keep it, but asks again each time: an unpublished page must go at once.
    response.headers["Cache-Control"] = "public, no-cache"
    response.set_etag(hashlib.sha256(kept[1].encode()).hexdigest()[:32])
    return response.make_conditional(request)


def _render(campaign: Campaign, *, counters: bool) -> str:
    try:
        period = resolve(campaign, local_today())
    except PeriodError as exc:
        return render_template("public/results.html", campaign=campaign, report=None,
                               nothing=str(exc))
    report = unit_report(campaign, campaign.unit, campaign.unit, period.start, period.end,
                         every_counter=counters)
    depth = {unit.id: unit.depth - campaign.unit.depth for unit in db.session.scalars(
        select(Unit).where(Unit.subtree_of(campaign.unit)))}
    unit_of = dict(db.session.execute(select(Counter.id, Counter.unit_id).where(
        Counter.id.in_([row.id for row in report.counter_rows]))).all())
    counters_of: dict[int, list] = {}
    for row in report.counter_rows:
        counters_of.setdefault(unit_of[row.id], []).append(row)
    return render_template("public/results.html", campaign=campaign, report=report,
                           depth=depth, counters_of=counters_of, nothing=None)

"""Staff pick counters of their scope and a layout, preview the PDF or download it."""

import os

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.scope import current_scope, requires, units_in_scope
from app.clock import local_today
from app.db_setup import transaction
from app.extensions import db
from app.forms import choices, counter_choices, unit_choices
from app.models import PrintJob
from app.printing import bp, jobs
from app.printing.forms import StickerForm
from app.printing.render import layouts, print_stickers
from app.printing.selection import SelectionError, counters_to_print


def _form() -> StickerForm:
    form = StickerForm(request.args)
    units = units_in_scope()
    form.unit.choices = unit_choices(units, by="code")
    english = str(get_locale()) == "en"
    form.layout.choices = choices((name, lay.title_en if english else lay.title)
                                  for name, lay in layouts().items())
    if not form.layout.data:
        form.layout.data = "a4-2x4"
    chosen = form.unit.data or (units[0].code if units else None)
    form.unit.data = chosen
    unit = next((u for u in units if u.code == chosen), None)
    counters = [] if unit is None else counters_to_print(current_scope(), unit_code=unit.code)
    form.counters.choices = counter_choices(counters, by="code")
    return form


@bp.route("/stickers")
@requires("print")
def stickers():
    return render_template("printing/stickers.html", form=_form())


@bp.route("/stickers.pdf")
@requires("print")
def stickers_pdf():
    shown = request.args.get("shown")
    if shown is not None and shown != request.args.get("unit"):
        # Another unit was chosen but its counters were never shown: show them, print nothing.
        flash(_("Đã chọn đơn vị khác. Kiểm tra danh sách quầy bên dưới rồi bấm in lại."),
              "info")
        return redirect(url_for("printing.stickers", unit=request.args.get("unit"),
                                layout=request.args.get("layout")), code=303)
    form = _form()
    if not form.validate():
        return render_template("printing/stickers.html", form=form), 422
    try:
        counters = counters_to_print(current_scope(), unit_code=form.unit.data,
                                     counter_codes=form.counters.data)
    except SelectionError as exc:
        return render_template("printing/stickers.html", form=form, error=str(exc)), 422
    if len(counters) > current_app.config["PRINT_BACKGROUND_ABOVE"]:  # off the worker
        job = jobs.start(counters, layout=form.layout.data, unit_code=form.unit.data,
                         user=current_user)
        return redirect(url_for("printing.job", job_id=job.id), code=303)
    with transaction():  # with the QR codes encoded for this print (app/qr.py)
        result = print_stickers(counters, layouts()[form.layout.data], today=local_today(),
                                workers=os.cpu_count() or 1)
    filename = f"tem-qr-{form.unit.data}-{form.layout.data}-{result.run.id}.pdf"
    disposition = "attachment" if request.args.get("download") else "inline"
    return result.pdf, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": "no-store",
    }


def _own_job(job_id: str) -> PrintJob:
    job = db.session.get(PrintJob, job_id)
    if job is None or job.user_id != current_user.id:  # a job is its requester's only
        abort(404)
    return job


@bp.route("/stickers/jobs/<job_id>")
@requires("print")
def job(job_id: str):
    """A large print being made in the background: the page reloads itself until it is."""
    return render_template("printing/job.html", job=_own_job(job_id))


@bp.route("/stickers/jobs/<job_id>.pdf")
@requires("print")
def job_pdf(job_id: str):
    job = _own_job(job_id)
    if job.status != "done":
        return redirect(url_for("printing.job", job_id=job.id), code=303)
    return job.pdf, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{job.filename}"',
        "Cache-Control": "no-store",
    }

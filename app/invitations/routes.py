"""Invitations' pages: upload and preview, confirm, a batch's progress, the example file."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.scope import (
    campaigns_in_scope,
    invitation_batch_or_404,
    invitation_batches_in_scope,
    live_counters_in_scope,
    requires,
)
from app.clock import local_today
from app.config import sms_backend
from app.confirm import SignedUploadForm, sign_upload, signed_upload
from app.domain import RowsRejected
from app.domain import invitations as rules
from app.extensions import db
from app.invitations import bp
from app.invitations.dossier_files import RETURNED, read_returned_file
from app.invitations.forms import UploadForm
from app.invitations.intake import log_preview, preview_rows, send
from app.models import Campaign
from app.sms import masked
from app.spreadsheets import csv_bytes

PREVIEW_PURPOSE = "invitation-preview"


def _index(form: UploadForm, *, problems=(), status: int = 200):
    batches = db.session.scalars(invitation_batches_in_scope().limit(20)).all()
    campaigns = db.session.scalars(campaigns_in_scope().where(Campaign.status == "active")).all()
    return render_template(
        "invitations/index.html", form=form, problems=problems, batches=batches,
        campaigns=campaigns, queued=bool(current_app.config["JOB_QUEUE_URL"]),
        backend=sms_backend(current_app.config), columns=RETURNED.columns), status


@bp.route("/")
@requires("invite")
def index():
    return _index(UploadForm())


@bp.route("/preview", methods=["POST"])
@requires("invite")
def preview_upload():
    """Read the upload and show what it comes to; nothing is sent, nothing of it is kept."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form, status=422)
    upload = form.file.data
    filename = (upload.filename or "upload")[:200]
    data = upload.read()
    try:
        result = preview_rows(read_returned_file(data, filename))
    except RowsRejected as exc:
        return _index(form, problems=[(_("Dòng %(n)d: ", n=row) if row else "") + reason
                                      for row, reason in exc.problems], status=422)
    log_preview(result, unit=current_user.unit, actor=current_user, filename=filename)
    return _preview_page(result, sign_upload(data, filename, PREVIEW_PURPOSE), filename)


@bp.route("/confirm", methods=["POST"])
@requires("invite")
def confirm():
    """Send what was previewed: the same file, by the same person, within the hour."""
    confirmed = signed_upload(PREVIEW_PURPOSE)
    if confirmed is None:
        flash(_("Bản xem trước đã quá hạn hoặc không còn đúng; chưa gửi gì. Hãy tải tệp lên "
                "lại."), "error")
        return _index(UploadForm(), status=422)
    data, filename, _shown = confirmed
    try:
        result = preview_rows(read_returned_file(data, filename))
    except RowsRejected as exc:
        return _index(UploadForm(), problems=[reason for _row, reason in exc.problems],
                      status=422)
    if not result.invitees:
        flash(_("Không có ai để mời trong tệp này; chưa gửi gì."), "error")
        return redirect(url_for("invitations.index"), code=303)
    batch, queued = send(result, unit=current_user.unit, actor=current_user, source="upload",
                         filename=filename)
    flash(_("Đã nhận %(n)d tin nhắn mời để gửi.", n=batch.to_send) if queued else
          _("Chế độ phát triển: %(n)d tin nhắn đã được “gửi” ra màn hình máy chủ (không có "
            "hàng đợi, không gửi thật).", n=batch.to_send), "info")
    return redirect(url_for("invitations.batch", batch_id=batch.id), code=303)


@bp.route("/<batch_id>")
@requires("invite")
def batch(batch_id: str):
    found = invitation_batch_or_404(batch_id)
    return render_template("invitations/batch.html", batch=found, reasons=rules.REASON_TEXTS)


@bp.route("/example.csv")
@requires("invite")
def example():
    """An example of the export, made of the viewer's own counters: its phone cells say where
    a number goes, so imported as it is it invites nobody (every row: invalid phone)."""
    counters = db.session.scalars(live_counters_in_scope().limit(3)).all()
    if not counters:
        abort(404)
    day = local_today().strftime("%d/%m/%Y")
    data = csv_bytes(["Ngày trả", "Mã quầy", "Số điện thoại", "Hình thức nộp", "Trả ngay",
                      "Mã hồ sơ"],
                     [[day, c.code, "09x xxx xxxx", "Trực tiếp", "Không", f"VD-{n + 1:04d}"]
                      for n, c in enumerate(counters)])
    return data, 200, {"Content-Type": "text/csv; charset=utf-8",
                       "Content-Disposition": "attachment; filename=ho-so-da-tra-mau.csv"}


def _preview_page(result: rules.Preview, confirm: SignedUploadForm, filename: str):
    budgets = {}
    for invitee in result.invitees:
        campaign = invitee.campaign
        if campaign.sms_budget is not None:
            left = max(campaign.sms_budget - campaign.sms_sent, 0)
            budgets[campaign.id] = (campaign, left)
    sample = None
    if result.invitees:
        first = result.invitees[0]
        today = local_today()
        sample = rules.sms_text(
            first.counter.unit.name, first.returned_on,
            rules.invitation_url("X" * rules.TOKEN_LENGTH),
            today + timedelta(days=current_app.config["INVITATION_VALID_DAYS"] - 1))
    shown = [(masked(i.phone), i.counter, i.returned_on) for i in result.invitees[:20]]
    return render_template("invitations/preview.html", result=result, confirm=confirm,
                           filename=filename, reasons=rules.REASON_TEXTS, sample=sample,
                           shown=shown, budgets=list(budgets.values()),
                           queued=bool(current_app.config["JOB_QUEUE_URL"]))

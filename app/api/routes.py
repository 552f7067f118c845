"""Endpoints of the JSON API. Each names the key purpose it needs (app/domain/api_keys.py) and
sees only its key's unit subtree, through app/auth/scope.py like the pages do."""

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.auth.scope import Scope, invitation_batches_in_scope
from app.domain import api_keys
from app.extensions import csrf, db, limiter
from app.invitations.dossier_files import RETURNED, parsed
from app.invitations.intake import log_preview, preview_rows, send
from app.models import InvitationBatch
from app.staff.table_files import header_key

csrf.exempt(bp)  # no cookie is trusted here: the key in the header is the only credential


def _bearer() -> str:
    kind, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if kind.lower() == "bearer" else ""


def _per_key() -> str:
    """Rate limits count per key presented (hashed: the key is not written to Redis)."""
    return "api:" + hashlib.sha256(_bearer().encode()).hexdigest()[:32]


def needs_key(purpose: str) -> Callable:
    """View decorator: a live key for `purpose` in the Authorization header, else 401; the
    key is in g.api_key, its subtree in g.scope."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            key = api_keys.key_for(_bearer(), purpose)
            if key is None:
                response = jsonify(error=_("Thiếu khoá API hợp lệ cho việc này (Authorization: "
                                           "Bearer <khoá>)."))
                response.headers["WWW-Authenticate"] = 'Bearer realm="khaosat"'
                return response, 401
            g.api_key, g.scope = key, Scope(key.unit)
            return view(*args, **kwargs)

        return limiter.limit(lambda: current_app.config["API_RATE_LIMIT"],
                             key_func=_per_key)(checked)

    return decorate


def _actor() -> str:
    """Who the audit log says acted: the key, by number and visible prefix."""
    return f"api-key:{g.api_key.id}:{g.api_key.prefix}"


def http_error(error: HTTPException):
    """Errors as JSON, in the page's language (?lang=en for English). Registered by code:
    the app's own handlers by code (HTML pages) would come first otherwise."""
    messages = {400: _("Yêu cầu không đọc được (cần JSON)."),
                404: _("Không có (hoặc ngoài phạm vi của khoá)."),
                405: _("Phương thức không được phép."),
                413: _("Yêu cầu quá lớn."),
                429: _("Quá nhiều yêu cầu; hãy thử lại sau ít phút."),
                500: _("Lỗi máy chủ. Có thể gửi lại: hồ sơ đã được mời sẽ không bị mời lần "
                        "nữa.")}
    response = jsonify(error=messages.get(error.code, error.name))
    return response, error.code


for _code in (400, 404, 405, 413, 429, 500):
    bp.register_error_handler(_code, http_error)


@bp.route("/returned-dossiers", methods=["POST"])
@needs_key("invitations")
def returned_dossiers():
    """Invite the citizens of these returned dossiers, as an upload of the export would.
    With "preview": true, say what would be sent and send nothing."""
    body = request.get_json(silent=True)
    items = body.get("dossiers") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return jsonify(error=_("Cần một đối tượng JSON có “dossiers”: danh sách các hồ sơ "
                               "đã trả, mỗi hồ sơ một đối tượng.")), 400
    if len(items) > current_app.config["API_MAX_DOSSIERS"]:
        return jsonify(error=_("Tối đa %(n)d hồ sơ một lần; hãy chia ra.",
                               n=current_app.config["API_MAX_DOSSIERS"])), 413
    rows = parsed([(number, {header_key(k, RETURNED): v for k, v in item.items()})
                   for number, item in enumerate(items, start=1)])
    result = preview_rows(rows, g.scope)
    source = f"API {g.api_key.name}"
    api_keys.touch(g.api_key)  # committed with the audit event or the batch
    if body.get("preview") is True or not result.invitees:
        log_preview(result, unit=g.api_key.unit, actor=_actor(), filename=source)
        return jsonify(_outcome(result, None)), 200
    batch, _queued = send(result, unit=g.api_key.unit, actor=_actor(), source="api",
                          filename=source)
    return jsonify(_outcome(result, batch)), 201


@bp.route("/invitation-batches/<batch_id>")
@needs_key("invitations")
def invitation_batch(batch_id: str):
    """A batch's progress, in counts (the numbers themselves are gone once sent)."""
    batch = db.session.scalar(invitation_batches_in_scope(g.scope)
                              .where(InvitationBatch.id == batch_id))
    if batch is None:
        abort(404)
    return jsonify(_progress(batch))


def _outcome(result, batch: InvitationBatch | None) -> dict:
    outcome = {"rows": result.rows, "to_send": len(result.invitees),
               "excluded": {reason: n for reason, n in result.excluded.items() if n},
               "problems": [{"row": row, "problem": text} for row, text in result.problems],
               "batch": None}
    if batch is not None:
        outcome["batch"] = _progress(batch)
    return outcome


def _progress(batch: InvitationBatch) -> dict:
    return {"id": batch.id, "url": url_for("api.invitation_batch", batch_id=batch.id,
                                           _external=True),
            "to_send": batch.to_send, "sent": batch.sent, "failed": batch.failed,
            "failures": batch.failures, "over_budget": batch.over_budget,
            "finished": batch.finished}

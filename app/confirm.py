"""A second page before an irreversible click, without JavaScript.

A POST that cannot be undone (a new sticker code, closing a campaign, disabling an account or
a unit) goes through only with `confirmed=1`. Without it, the route answers with a page that
says what will happen, carries the same fields to the same address, and offers to go back.
"""

import base64
import binascii
import hashlib

from flask import current_app, render_template, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import HiddenField
from wtforms.validators import InputRequired

from app.forms import Form

SKIPPED = ("csrf_token", "confirmed")


def ask_first(*, title: str, consequence: str, button: str, back: str):
    """None when the user has confirmed; else the confirmation page to return (200)."""
    if request.form.get("confirmed") == "1":
        return None
    fields = [(name, value) for name, values in request.form.lists() if name not in SKIPPED
              for value in values]
    return render_template("confirm.html", title=title, consequence=consequence,
                           button=button, back=back, action=request.full_path.rstrip("?"),
                           fields=fields)


# --- a file confirmed after its preview ---------------------------------------------------
# An upload whose preview asks "go on?" is not kept between the two pages: it goes back with
# the confirmation, signed so that what is stored (or sent) is what was shown, by the person
# who saw it, within the hour.

UPLOAD_MAX_AGE = 3600  # seconds a preview may wait for its confirmation


class SignedUploadForm(Form):
    content = HiddenField(validators=[InputRequired()])  # the file, base64
    filename = HiddenField(validators=[InputRequired()])
    signed = HiddenField(validators=[InputRequired()])


def _upload_signer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign_upload(data: bytes, filename: str, purpose: str, shown: str = "") -> SignedUploadForm:
    """The hidden fields that carry a previewed file to its confirmation; `shown` names what
    the preview showed besides the file (e.g. a digest of the rows it would replace)."""
    return SignedUploadForm(content=base64.b64encode(data).decode(), filename=filename,
                            signed=_upload_signer(purpose).dumps(
                                [_digest(data), current_user.id, filename, shown]))


def signed_upload(purpose: str) -> tuple[bytes, str, str] | None:
    """(file, filename, what the preview showed) from a confirmation posted by the person who
    saw its preview, within the hour; None when it is not that (expired, changed, another's)."""
    form = SignedUploadForm()
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
        digest, user_id, filename, shown = _upload_signer(purpose).loads(
            form.signed.data or "", max_age=UPLOAD_MAX_AGE)
    except (BadSignature, binascii.Error, ValueError):
        return None
    if not form.validate_on_submit() or digest != _digest(data) or user_id != current_user.id:
        return None
    return data, filename, shown

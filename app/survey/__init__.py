"""The citizen's side: the anonymous survey behind each counter's QR code."""

from flask import Blueprint

bp = Blueprint("survey", __name__)

from app.survey import routes  # noqa: E402,F401  (routes register themselves on bp)

"""The citizen's side: the anonymous survey behind each counter's QR code."""

from flask import Blueprint

from app.privacy import SURVEY_PREFIX

# The sticker's URL is PUBLIC_BASE_URL + SURVEY_PREFIX + code: the prefix is written once.
bp = Blueprint("survey", __name__, url_prefix=SURVEY_PREFIX.rstrip("/"))

from app.survey import routes  # noqa: E402,F401  (routes register themselves on bp)

"""QR stickers for counters: PDFs rendered by WeasyPrint from the layouts in printables/."""

from flask import Blueprint

bp = Blueprint("printing", __name__)

from app.printing import routes  # noqa: E402,F401

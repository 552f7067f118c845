"""Reports: response rate against target and satisfaction, per unit and counter of a scope."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from app.reports import routes  # noqa: E402,F401

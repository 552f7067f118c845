"""Results anyone may read without a login, for a campaign Home Affairs has published."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import routes  # noqa: E402,F401

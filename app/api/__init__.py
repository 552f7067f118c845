"""The JSON API for other systems (`/api/v1/…`): a Bearer key instead of a login, no session,
no CSRF token (nothing here trusts a cookie), JSON errors."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import figures, openapi, routes  # noqa: E402,F401

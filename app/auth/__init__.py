"""Staff accounts: login, logout, passwords, and the role and unit-scope checks of every page."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401

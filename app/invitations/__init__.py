"""Invitations by SMS: staff upload the day's returned dossiers, preview, confirm, and follow
each batch's sending (app/domain/invitations.py decides who is invited)."""

from flask import Blueprint

bp = Blueprint("invitations", __name__, url_prefix="/staff/invitations")

from app.invitations import routes  # noqa: E402,F401

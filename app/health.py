"""GET /health for the load balancer: 200 while the database answers, 503 when it does not.

No personal data, no rate limit, no session, and no access-log line when healthy
(gunicorn.conf.py and app/privacy.py leave successful checks out: one every few seconds).
"""

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, limiter

HEALTH_PATH = "/health"
bp = Blueprint("health", __name__)


@bp.route(HEALTH_PATH)
@limiter.exempt
def health():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("Health check: the database does not answer.")
        return {"status": "unavailable", "database": "down"}, 503, {"Cache-Control": "no-store"}
    finally:
        db.session.rollback()
    return {"status": "ok", "database": "up"}, 200, {"Cache-Control": "no-store"}

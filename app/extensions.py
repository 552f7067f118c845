"""Extension objects, created unbound here and bound to the app in create_app()."""

from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints keep Alembic's batch mode on SQLite and PostgreSQL in step.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login = LoginManager()
# Sessions end on the server side through User.session_version; Flask-Login's own "session
# protection" would also write to the survey's session cookie, so it is off.
login.session_protection = None
login.login_view = "auth.login"
login.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
babel = Babel()
# No default limits: each limit is declared where it applies (the staff login, the pressure
# report); the survey's form counts its own (app/survey/limits.py).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signer built once per secret key rather than
    twice a request: every survey scan starts a session (for its form's CSRF token), and
    building the signer was ~5 % of a scan's CPU time (bench/survey.py)."""

    def __init__(self):
        self._signers = {}

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._signers:
            self._signers[key] = super().get_signing_serializer(app)
        return self._signers[key]

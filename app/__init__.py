"""khaosat: anonymous, screened satisfaction surveys behind a QR code on every counter."""

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from flask import Flask, current_app, flash, has_request_context, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as config_module
from app import figures
from app.extensions import SessionInterface, babel, csrf, db, limiter, login, migrate
from app.privacy import install_log_filters, is_survey_path
from app.survey.lean import LeanScan

LOCALES = ("vi", "en")
# They count their own limits (an invitation's link answers once).
SURVEY_FORM_ENDPOINTS = ("survey.entry", "survey.submit", "invited.entry", "invited.submit")
# Parsed once: Babel would otherwise parse the name (and look for its data file) per request.
_LOCALE_OBJECTS = {name: Locale.parse(name) for name in LOCALES}


class KhaosatFlask(Flask):
    def log_exception(self, exc_info) -> None:
        """Log errors without the counter code of a survey URL."""
        if is_survey_path(request.path):
            self.logger.error("Exception on a survey page [%s]", request.method, exc_info=exc_info)
        else:
            super().log_exception(exc_info)


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, errors and commands."""
    app = KhaosatFlask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    config_module.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    load_survey_css(app)
    install_log_filters()
    if app.config["LOG_FORMAT"] == "json":  # Flask's own log as one JSON object a line
        from flask.logging import default_handler

        from app.privacy import JsonFormatter

        default_handler.setFormatter(JsonFormatter())
    register_template_helpers(app)
    app.after_request(staff_headers)
    app.wsgi_app = LeanScan(app, app.wsgi_app)  # most survey scans, answered early (lean.py)
    if app.config["TRUSTED_PROXY_HOPS"]:  # the client's address as the proxies in front saw it
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def select_locale() -> Locale:
    """?lang= when the page asks (no cookie is set); else, on staff pages, the language the
    signed-in person chose in their account; else Vietnamese."""
    lang = "vi"  # and CLI commands speak the default language
    if has_request_context():
        lang = request.args.get("lang")
        if lang not in LOCALES:
            lang = "vi"
            if _signed_in_staff():
                from flask_login import current_user

                lang = current_user.language if current_user.language in LOCALES else "vi"
    return _LOCALE_OBJECTS[lang]


def staff_headers(response):
    """No page is cached or framed unless it says otherwise: a new blueprint is covered by
    default. Static files may be cached; the survey sets its own stricter set."""
    if request.blueprint == "survey":  # survey.routes.survey_headers
        return response
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # No script anywhere; inline styles only for the report's bars and pygal's charts.
    response.headers.setdefault("Content-Security-Policy", STAFF_CSP)
    if current_app.config["KHAOSAT_ENV"] == "production":  # served over TLS behind nginx
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


STAFF_CSP = ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
             "base-uri 'none'; form-action 'self'")


def register_template_helpers(app: Flask) -> None:
    from app.admin.forms import ROLE_LABELS
    from app.auth.scope import can

    @app.context_processor
    def helpers():
        return {"current_locale": str(get_locale()), "can": can,
                "role_name": lambda role: ROLE_LABELS[role]}

    @app.template_filter("percent")
    def percent(value) -> str:
        """A figure in percent as the page's language writes it (app/figures.py)."""
        return figures.format_percent(value, str(get_locale()), _("chưa có số liệu"))

    @app.template_filter("count")
    def count(value: int) -> str:
        return figures.format_count(value, str(get_locale()))

    @app.template_filter("local_time")
    def local_time(moment: datetime) -> str:
        """A stored UTC moment as the province's clock shows it."""
        if moment.tzinfo is None:  # SQLite hands back naive UTC
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(ZoneInfo(app.config["TIMEZONE"])).strftime("%d/%m/%Y %H:%M")


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    login.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.session_interface = SessionInterface()
    limiter.init_app(app)
    _survey_skips_the_limiter_hook(app)
    from app.db_setup import configure_engine_events

    with app.app_context():
        configure_engine_events(db.engine)


def _survey_skips_the_limiter_hook(app: Flask) -> None:
    """The survey's form counts its own limits (survey/limits.py), and no limit applies
    to every page: Flask-Limiter's before-request hook would spend ~7 % of each scan's CPU
    time finding nothing to check. Every other page keeps the hook."""
    if not limiter.enabled:  # RATELIMIT_ENABLED=False: no hook at all
        return
    hooks = app.before_request_funcs[None]
    index = hooks.index(limiter._check_request_limit)  # fails loudly if Flask-Limiter changes
    check = hooks[index]

    def check_unless_survey():
        if request.endpoint not in SURVEY_FORM_ENDPOINTS:
            return check()
        return None

    hooks[index] = check_unless_survey


def register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.health import bp as health_bp
    from app.invitations import bp as invitations_bp
    from app.printing import bp as printing_bp
    from app.public import bp as public_bp
    from app.reports import bp as reports_bp
    from app.staff import bp as staff_bp
    from app.survey import bp as survey_bp
    from app.survey.invited import bp as invited_bp

    for blueprint in (survey_bp, invited_bp, health_bp, auth_bp, staff_bp, reports_bp,
                      printing_bp, admin_bp, invitations_bp, api_bp, public_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error, *, csrf: bool = False):
        code = getattr(error, "code", 500)
        if _signed_in_staff():  # keep the menu and a way back; say what the role may not do
            return render_template("errors/staff_error.html", code=code, csrf=csrf), code
        return render_template("errors/error.html", code=code, csrf=csrf), code

    for code in (400, 403, 404, 405, 410, 413, 415, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(429)
    def too_many(error):
        if getattr(error, "response", None) is not None:  # the survey's own calm page
            return error.response
        if request.endpoint == "auth.login":  # the same words whether the user exists or not
            from app.auth.forms import LoginForm

            flash(_("Quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau ít phút."),
                  "error")
            return render_template("auth/login.html", form=LoginForm()), 429
        return render_error(error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(error, csrf=True)


def _signed_in_staff() -> bool:
    """A staff member is signed in and the page is not the citizen's (whose error pages
    stay bare and anonymous)."""
    from flask_login import current_user
    from sqlalchemy.exc import SQLAlchemyError

    from app.privacy import is_survey_path

    try:
        return not is_survey_path(request.path) and current_user.is_authenticated
    except SQLAlchemyError:  # the database itself may be why we are here
        return False


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)


def load_survey_css(app: Flask) -> None:
    """Read the survey CSS once: it is inlined (one round trip less) and allowed by its hash."""
    css = (Path(app.static_folder) / "survey.css").read_text(encoding="utf-8")
    app.config["SURVEY_CSS"] = css
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    app.config["SURVEY_CSS_HASH"] = f"sha256-{digest}"

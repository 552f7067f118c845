"""The lean path of the survey's busiest request: a phone scanning a sticker.

A plain GET of /q/<code>, from a phone holding no cookie of ours, at a live counter whose blank
page is already rendered (lookup.py), is answered here, below Flask's request handling: the
opening is counted against SURVEY_OPEN_LIMIT and in the funnel, the page gets its own CSRF
token, ticket and session cookie, and goes out with the survey's headers. Flask's routing,
hooks, session and response machinery were half of such a scan's CPU time (bench/survey.py).

Anything else (another method, a query string such as ?lang=, a cookie, an unknown code, no
campaign, a page not rendered yet, an opening over the limit, an error) goes on to the survey's
view (routes.entry), told whether the opening was counted already. What the phone receives is
the same either way: tests/test_survey_lean.py compares the two.
"""

import re

from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import dump_cookie

from app.clock import local_today
from app.domain.responses import record_opened
from app.privacy import SURVEY_PREFIX
from app.survey import limits, lookup, tickets

COUNTED = "khaosat.opening_within_limit"  # environ key: the lean path counted this opening
LANGUAGE = "vi"  # a page asked for without ?lang= (app.select_locale)
_PATH = re.compile(re.escape(SURVEY_PREFIX) + r"([0-9A-Za-z]{1,40})")


class LeanScan:
    """WSGI middleware in front of the app's own handler (inside ProxyFix, so REMOTE_ADDR is
    the phone's)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING")
                or environ.get("HTTP_COOKIE")
                or not (match := _PATH.fullmatch(environ.get("PATH_INFO", "")))):
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            answer = self._scan(environ, match.group(1))
        if answer is None:
            return self.wsgi_app(environ, start_response)
        body, cookie = answer
        start_response("200 OK", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
            *header_set(self.app).items(), ("Vary", "Cookie"), ("Set-Cookie", cookie)])
        return [body]

    def _scan(self, environ, code: str) -> tuple[bytes, str] | None:
        """(the page, its session cookie), or None for the view to answer."""
        app = self.app
        try:
            within = limits.within_limit("SURVEY_OPEN_LIMIT", environ.get("REMOTE_ADDR"),
                                            code)
            environ[COUNTED] = within
            if not within:
                return None
            day = local_today()
            found, _gone = lookup.entry(code, day)
            if found is None or found.campaign is None:
                return None
            secret = tickets.new_csrf_secret()
            page = lookup.form_page(found, LANGUAGE, tickets.signed_csrf(secret))
            if page is None:
                return None
            cookie = session_cookie(app, {tickets.csrf_session_key(): secret})
        except Exception as exc:  # the view answers with its own page (e.g. database down)
            # No traceback: its SQL parameters would name the counter.
            app.logger.warning("A survey scan went on to the full path (%s).",
                               type(exc).__name__)
            return None
        try:
            record_opened(found.counter.id, day)
        except SQLAlchemyError:  # a lost count must not cost the citizen the form
            app.logger.warning("The opening of a survey page was not counted.")
        return page.encode(), cookie


def session_cookie(app, data: dict) -> str:
    """The Set-Cookie value Flask's SecureCookieSessionInterface.save_session would send for a
    new session holding `data` (copied from Flask 3.1.3, pinned; tests/test_framework_copies.py
    compares the two)."""
    session = app.session_interface
    return dump_cookie(
        session.get_cookie_name(app), session.get_signing_serializer(app).dumps(data),
        max_age=None, expires=session.get_expiration_time(app, _NEW_SESSION),
        domain=session.get_cookie_domain(app), path=session.get_cookie_path(app),
        secure=session.get_cookie_secure(app), httponly=session.get_cookie_httponly(app),
        samesite=session.get_cookie_samesite(app),
        partitioned=session.get_cookie_partitioned(app))


class _NewSession(dict):
    permanent = False  # the survey's session lives as long as the browser's tab, no longer


_NEW_SESSION = _NewSession()


def header_set(app) -> dict[str, str]:
    """Every survey response's headers (the view's and this path's), built once per app."""
    headers = app.extensions.get("khaosat.survey_headers")
    if headers is None:
        headers = app.extensions["khaosat.survey_headers"] = {
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": (
                f"default-src 'none'; style-src '{app.config['SURVEY_CSS_HASH']}'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            **({"Strict-Transport-Security": "max-age=31536000"}
               if app.config["KHAOSAT_ENV"] == "production" else {}),
        }
    return headers

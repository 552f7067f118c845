"""Login, logout, own password.

Guessing is slowed without locking the owner out (OWASP, "account lockout"): five failures a
minute (twenty an hour) for one username from one address; thirty failures an hour for one
username from anywhere; thirty a minute from one address whatever the username. A browser that
logged in as the user before (a signed "known device" cookie with its own random id) is
counted apart, on its own failures only (five a minute, twenty an hour for that username on
that device): a guesser sharing the owner's office address cannot lock the owner out.
Addresses are read through TRUSTED_PROXY_HOPS; only form bodies are accepted, so every request
is counted under its username.
"""

import secrets
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from app.auth import bp
from app.auth.forms import LoginForm, NotificationsForm, PasswordForm
from app.auth.scope import user_can
from app.auth.sessions import authenticate, start_session
from app.db_setup import transaction
from app.domain.accounts import (
    AccountError,
    change_password,
    end_sessions,
    set_language,
    set_notifications,
    subscriptions_of,
)
from app.extensions import limiter
from app.forms import EmptyForm
from app.models.staff import MESSAGE_KINDS

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
KNOWN_DEVICE = "khaosat_known_device"
KNOWN_DEVICE_DAYS = 90


def _username() -> str:
    return request.form.get("username", "").strip().lower()


def _username_here_key() -> str:
    return f"login:{_username()}|{request.remote_addr}"


def _username_key() -> str:
    # Per username whatever the address, so rotating addresses does not help the guesser.
    return "login:" + _username()


def _device_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _known_device_id() -> str | None:
    """This browser's id if it logged in as this username before, else None."""
    try:
        held = _device_signer().loads(request.cookies.get(KNOWN_DEVICE, ""))
    except BadSignature:
        return None
    if isinstance(held, dict) and held.get("u") == _username():
        return held.get("d")
    return None  # another username's, or a cookie from before devices had an id


def _known_device() -> bool:
    return _known_device_id() is not None


def _unknown_device() -> bool:
    return _known_device_id() is None


def _username_on_device_key() -> str:
    return f"login:{_username()}|device:{_known_device_id()}"


def _failed(response) -> bool:
    return response.status_code != 303


@bp.route("/")
def index():
    """Whoever types the site's address: staff are sent on, others told what this is (with no
    survey link: citizens come by a counter's QR code)."""
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    return render_template("auth/index.html")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", key_func=_username_here_key, methods=["POST"],
               deduct_when=_failed, exempt_when=_known_device)
@limiter.limit("30/hour", key_func=_username_key, methods=["POST"], deduct_when=_failed,
               exempt_when=_known_device)
@limiter.limit("30/minute;200/hour", methods=["POST"], deduct_when=_failed,
               exempt_when=_known_device)
@limiter.limit("5/minute;20/hour", key_func=_username_on_device_key, methods=["POST"],
               deduct_when=_failed, exempt_when=_unknown_device)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        abort(415)  # a JSON body would slip past the per-username count
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session at login: nothing carried over from before
            login_user(user)
            start_session()
            response = redirect(_safe_next(request.args.get("next")), code=303)
            device = _known_device_id() or secrets.token_urlsafe(12)
            response.set_cookie(KNOWN_DEVICE, _device_signer().dumps(
                                    {"u": user.username.lower(), "d": device}),
                                max_age=KNOWN_DEVICE_DAYS * 86400, httponly=True,
                                samesite="Lax", path="/login",
                                secure=current_app.config["KHAOSAT_ENV"] == "production")
            return response
        # The same words whether the username exists or not.
        flash(_("Sai tên đăng nhập hoặc mật khẩu."), "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send staff elsewhere."""
    if (target and target.startswith("/") and not target.startswith("//")
            and target.isprintable() and "\\" not in target):  # no CR/LF into a header
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("staff.home")


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        with transaction():
            end_sessions(current_user)  # every device's session ends, not just this cookie
        logout_user()
        session.clear()
        flash(_("Đã đăng xuất."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/language/<lang>", methods=["POST"])
@login_required
def language(lang: str):
    """Keep the chosen language for this account (on every device, across sessions)."""
    if EmptyForm().validate_on_submit():
        try:
            with transaction():
                set_language(current_user, lang)
        except AccountError:
            abort(404)
    return redirect(url_for("staff.home"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            with transaction():
                change_password(current_user, current=form.current.data, new=form.new.data)
        except AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            login_user(current_user._get_current_object())  # this session: new version
            start_session()
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."), "info")
            return redirect(url_for("staff.home"), code=303)
    return render_template("auth/password.html", form=form)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """The digests and alerts this account receives by email, and where."""
    form = NotificationsForm()
    kinds = [kind for kind in MESSAGE_KINDS
             if kind != "alert_pressure" or user_can(current_user, "pressure")]
    if request.method == "GET":
        form.email.data = current_user.email
        for kind in subscriptions_of(current_user):
            form[kind].data = True
    if form.validate_on_submit():
        try:
            with transaction():
                set_notifications(current_user, form.email.data,
                                  {kind for kind in kinds if form[kind].data},
                                  actor=current_user)
        except AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(_("Đã lưu các thư bạn nhận."), "info")
            return redirect(url_for("auth.notifications"), code=303)
    return render_template("auth/notifications.html", form=form, kinds=kinds)


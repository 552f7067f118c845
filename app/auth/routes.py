"""Login (slowed, then locked, per username and per client), logout, own password."""

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import EmptyForm, LoginForm, PasswordForm
from app.auth.sessions import authenticate, start_session
from app.db_setup import transaction
from app.domain.accounts import AccountError, change_password, end_sessions
from app.extensions import limiter


def _username_key() -> str:
    # Per username whatever the client address, so rotating addresses does not help.
    return "login:" + request.form.get("username", "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", key_func=_username_key, methods=["POST"],
               deduct_when=_failed)
@limiter.limit("30/minute;200/hour", methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session at login: nothing carried over from before
            login_user(user)
            start_session()
            return redirect(_safe_next(request.args.get("next")), code=303)
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

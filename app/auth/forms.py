"""Login and password forms."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from app.forms import Form


class LoginForm(Form):
    username = StringField(_l("Tên đăng nhập"), validators=[InputRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Mật khẩu"), validators=[InputRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class PasswordForm(Form):
    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[InputRequired()],
                            render_kw={"autocomplete": "current-password"})
    # The minimum length is checked by app/domain/accounts.py, the one place that rule lives.
    new = PasswordField(_l("Mật khẩu mới"), validators=[InputRequired(), Length(max=200)],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"),
                            validators=[InputRequired(),
                                        EqualTo("new", message=_l("Hai mật khẩu không khớp."))],
                            render_kw={"autocomplete": "new-password"})

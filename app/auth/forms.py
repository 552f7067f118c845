"""Login, password and notification forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
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


class NotificationsForm(Form):
    """An account's address and the messages it chooses (app/mail/)."""

    email = StringField(_l("Địa chỉ email nhận thư"), validators=[Length(max=254)],
                        render_kw={"autocomplete": "email", "inputmode": "email"})
    digest = BooleanField(_l("Báo cáo tuần (sáng thứ Hai): tỷ lệ phản hồi, chỉ tiêu, mức độ "
                             "hài lòng của từng đơn vị trong phạm vi của bạn"))
    digest_pdf = BooleanField(_l("Kèm tệp PDF của báo cáo"))
    alert_pace = BooleanField(_l("Cảnh báo: đơn vị có thể không đạt chỉ tiêu khi kết thúc đợt"))
    alert_review = BooleanField(_l("Cảnh báo: ngày của quầy mới chờ xem xét"))
    alert_satisfaction = BooleanField(_l("Cảnh báo: mức độ hài lòng của đơn vị giảm rõ rệt"))
    alert_pressure = BooleanField(_l("Cảnh báo: phản ánh mới của người dân (chỉ Sở Nội vụ)"))

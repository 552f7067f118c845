"""The report's choices, sent by GET so a report has a plain address to bookmark or share."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField
from wtforms.validators import Optional

from app.forms import Form, choices


class ReportForm(Form):
    class Meta:
        csrf = False

    campaign = SelectField(_l("Đợt khảo sát cần xem"), coerce=int, validators=[Optional()])
    period = SelectField(_l("Thời gian"), choices=choices([
        ("campaign", _l("Cả đợt")), ("month", _l("Một tháng")), ("week", _l("Một tuần")),
        ("custom", _l("Tự chọn"))]), default="campaign", validators=[Optional()])
    month = SelectField(_l("Tháng"), validators=[Optional()])
    week = SelectField(_l("Tuần"), validators=[Optional()])
    start = DateField(_l("Từ ngày"), validators=[Optional()])
    end = DateField(_l("Đến ngày"), validators=[Optional()])
    unit = HiddenField()
    sort = HiddenField()

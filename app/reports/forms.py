"""The report's choices, sent by GET so a report has a plain address to bookmark or share."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.domain.pressure import NOTE_MAX, STATUSES
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
    counter = HiddenField()  # a counter's own page
    sort = HiddenField()


class ReviewForm(Form):
    """Set a counter's day aside for review, or give it back (Home Affairs)."""

    counter = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    day = DateField(widget=HiddenInput(), validators=[InputRequired()])
    reason = StringField(_l("Lý do (không bắt buộc)"), validators=[Optional(), Length(max=500)])


class FollowUpForm(Form):
    """Home Affairs' follow-up of a citizen's report of pressure."""

    status = SelectField(_l("Tình trạng"), choices=choices(STATUSES),
                         validators=[InputRequired()])
    note = TextAreaField(_l("Ghi chú xử lý"), validators=[Optional(), Length(max=NOTE_MAX)])

"""Forms of the staff pages; choices are filled from the account's scope by the routes."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.domain.tallies import MAX_COUNT
from app.forms import Form, sane_date


class CounterForm(Form):
    name = StringField(_l("Tên quầy"), validators=[InputRequired(), Length(max=200)])
    unit = SelectField(_l("Thuộc đơn vị"), coerce=int, validators=[InputRequired()])
    operator = StringField(_l("Tổ chức vận hành (nếu không phải đơn vị, ví dụ Bưu điện)"),
                           validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Đang hoạt động"), default=True)


def _count(label):
    return IntegerField(label, default=0, validators=[
        InputRequired(message=_l("Nhập một số (0 nếu không có).")),
        NumberRange(min=0, message=_l("Số lượng không được âm.")),
        NumberRange(max=MAX_COUNT, message=_l("Số lượng quá lớn cho một quầy trong một ngày."))])


class TallyForm(Form):
    counter = SelectField(_l("Quầy"), coerce=int, validators=[InputRequired()])
    day = DateField(_l("Ngày"), validators=[InputRequired(message=_l("Chọn ngày."))])
    returned = _count(_l("Số kết quả đã trả tại quầy"))
    immediate = _count(_l("Trong đó: trả ngay khi nộp"))
    online = _count(_l("Trong đó: nộp trực tuyến"))
    postal = _count(_l("Trong đó: nộp qua bưu chính"))


class ImportForm(Form):
    file = FileField(_l("Tệp CSV hoặc XLSX xuất từ hệ thống một cửa"),
                     validators=[FileRequired(message=_l("Chọn một tệp."))])


class TallyFilterForm(Form):
    """Which tallies the list shows: one counter (or all of the scope) and a span of days."""

    class Meta:
        csrf = False

    counter = SelectField(_l("Quầy"), validators=[Optional()])
    since = DateField(_l("Từ ngày"), validators=[Optional(), sane_date])
    until = DateField(_l("Đến ngày"), validators=[Optional(), sane_date])

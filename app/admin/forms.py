"""Forms of the admin pages."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from app.domain.accounts import MIN_PASSWORD_LENGTH
from app.forms import Form, choices, sane_date
from app.models.org import UNIT_KINDS
from app.models.staff import ROLES

KIND_LABELS = {"province": _l("Tỉnh"), "department": _l("Sở, ban, ngành"),
               "center": _l("Trung tâm phục vụ hành chính công"), "branch": _l("Chi nhánh"),
               "district": _l("Huyện, thị xã, thành phố"), "commune": _l("Xã, phường, thị trấn"),
               "other": _l("Khác")}
ROLE_LABELS = {"admin": _l("Quản trị (Sở Nội vụ)"), "manager": _l("Lãnh đạo đơn vị"),
               "clerk": _l("Công chức một cửa")}


# The digests and alerts an account may choose (app/mail/), as the accounts list names them.
MESSAGE_LABELS = {"digest": _l("báo cáo tuần"), "digest_pdf": _l("kèm PDF"),
                  "alert_pace": _l("nhịp chỉ tiêu"), "alert_review": _l("chờ xem xét"),
                  "alert_satisfaction": _l("hài lòng giảm"), "alert_pressure": _l("phản ánh")}


class UnitForm(Form):
    code = StringField(_l("Mã đơn vị"), validators=[
        InputRequired(), Length(max=40),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Chỉ dùng chữ không dấu, số, - và _."))])
    name = StringField(_l("Tên đơn vị"), validators=[InputRequired(), Length(max=200)])
    kind = SelectField(_l("Loại"), choices=choices((k, KIND_LABELS[k]) for k in UNIT_KINDS))
    parent = SelectField(_l("Trực thuộc"), coerce=int)
    active = BooleanField(_l("Đang hoạt động"), default=True)
    opening_hours = StringField(
        _l("Giờ làm việc (để trống: như đơn vị cấp trên)"),
        description=_l("Ví dụ 07:00-11:30,13:30-17:00. Phiếu gửi ngoài giờ được đếm để xem "
                       "xét, không bị từ chối."),
        validators=[Optional(), Length(max=100)])


class UserForm(Form):
    username = StringField(
        _l("Tên đăng nhập"), validators=[InputRequired(), Length(max=80)],
        description=_l("3–64 ký tự: chữ cái không dấu, chữ số và . _ - (ví dụ: nguyen.van.an)"))
    role = SelectField(_l("Vai trò"), choices=choices((r, ROLE_LABELS[r]) for r in ROLES))
    unit = SelectField(_l("Đơn vị (phạm vi: đơn vị và các đơn vị cấp dưới)"))
    # At least MIN_PASSWORD_LENGTH characters: checked by app/domain/accounts.py.
    password = PasswordField(_l("Mật khẩu (ít nhất %(n)d ký tự)", n=MIN_PASSWORD_LENGTH),
                             validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    active = BooleanField(_l("Đang hoạt động"), default=True)


class CampaignForm(Form):
    name = StringField(_l("Tên đợt khảo sát"), validators=[InputRequired(), Length(max=200)])
    unit = SelectField(_l("Phạm vi (đơn vị và cấp dưới)"), coerce=int)
    questionnaire = SelectField(_l("Phiếu khảo sát"), coerce=int)
    starts_on = DateField(_l("Từ ngày"), validators=[InputRequired()])
    ends_on = DateField(_l("Đến ngày"), validators=[InputRequired()])
    target_rate = StringField(_l("Chỉ tiêu tỷ lệ phản hồi mặc định (%)"),
                              validators=[InputRequired()])
    sms_budget = IntegerField(
        _l("Ngân sách SMS mời đánh giá (số tin nhắn; để trống nếu không giới hạn)"),
        validators=[Optional(), NumberRange(min=0, message=_l("Số tin nhắn không được âm."))])


class TargetForm(Form):
    unit = SelectField(_l("Đơn vị"), coerce=int)
    target_rate = StringField(_l("Chỉ tiêu riêng (%; để trống để bỏ)"), validators=[Optional()])


class PublishForm(Form):
    counters = BooleanField(_l("Công khai cả kết quả của từng quầy"))


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    actor = StringField(_l("Người thực hiện"), validators=[Optional()])
    object_type = SelectField(_l("Đối tượng"), choices=choices([
        ("", _l("Tất cả")), ("unit", _l("Đơn vị")), ("counter", _l("Quầy")),
        ("user", _l("Tài khoản")), ("campaign", _l("Đợt khảo sát")),
        ("tally", _l("Số hồ sơ trả"))]), validators=[Optional()])
    since = DateField(_l("Từ ngày"), validators=[Optional(), sane_date])
    until = DateField(_l("Đến ngày"), validators=[Optional(), sane_date])


class ApiKeyForm(Form):
    name = StringField(_l("Tên khoá (hệ thống nào dùng nó)"),
                       validators=[InputRequired(), Length(max=120)])
    unit = SelectField(_l("Phạm vi: đơn vị và các đơn vị trực thuộc"))
    purpose = SelectField(_l("Được làm gì"))

"""Forms of the invitations' pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import InputRequired

from app.forms import Form


class UploadForm(Form):
    file = FileField(_l("Tệp CSV hoặc XLSX các hồ sơ đã trả, xuất từ hệ thống một cửa"),
                     validators=[FileRequired(message=_l("Chọn một tệp."))])


class ConfirmForm(Form):
    """The previewed file goes back with the confirmation (nothing of it was kept), signed so
    that what is sent is what was previewed, by the person who previewed it."""

    content = HiddenField(validators=[InputRequired()])  # the file, base64
    filename = HiddenField(validators=[InputRequired()])
    signed = HiddenField(validators=[InputRequired()])

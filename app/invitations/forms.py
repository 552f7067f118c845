"""Forms of the invitations' pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from app.forms import Form


class UploadForm(Form):
    file = FileField(_l("Tệp CSV hoặc XLSX các hồ sơ đã trả, xuất từ hệ thống một cửa"),
                     validators=[FileRequired(message=_l("Chọn một tệp."))])


"""The sticker page's choices: a unit, optionally some of its counters, and a layout."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import Form


class StickerForm(Form):
    """Read-only choices sent by GET, so the form carries no CSRF token."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Đơn vị"), validators=[InputRequired()])
    counters = SelectMultipleField(_l("Quầy (để trống: mọi quầy của đơn vị)"),
                                   widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    layout = RadioField(_l("Khổ in"), validators=[InputRequired()])

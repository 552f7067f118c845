"""The base of every form: Flask-WTF (CSRF) with WTForms' own messages in the user's language.

WTForms ships no Vietnamese catalog, so its built-in messages are mapped here onto ours.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.validators import ValidationError

WTFORMS_MESSAGES = {
    "This field is required.": _l("Vui lòng điền mục này."),
    "Not a valid choice.": _l("Lựa chọn không hợp lệ."),
    "Invalid Choice: could not coerce.": _l("Lựa chọn không hợp lệ."),
    "Not a valid integer value.": _l("Vui lòng nhập một số nguyên."),
    "Not a valid date value.": _l("Ngày không hợp lệ."),
    "Invalid input.": _l("Giá trị không hợp lệ."),
    "Field must be at least %(min)d character long.": _l("Cần ít nhất %(min)d ký tự."),
    "Field must be at least %(min)d characters long.": _l("Cần ít nhất %(min)d ký tự."),
    "Field cannot be longer than %(max)d character.": _l("Dài tối đa %(max)d ký tự."),
    "Field cannot be longer than %(max)d characters.": _l("Dài tối đa %(max)d ký tự."),
    "Field must be between %(min)d and %(max)d characters long.":
        _l("Cần từ %(min)d đến %(max)d ký tự."),
    "Number must be at least %(min)s.": _l("Số phải từ %(min)s trở lên."),
    "Number must be between %(min)s and %(max)s.": _l("Số phải từ %(min)s đến %(max)s."),
    "Field must be equal to %(other_name)s.": _l("Phải giống mục %(other_name)s."),
    "The CSRF token is missing.": _l("Phiên làm việc đã hết hạn, vui lòng gửi lại."),
    "The CSRF token has expired.": _l("Phiên làm việc đã hết hạn, vui lòng gửi lại."),
    "The CSRF token is invalid.": _l("Phiên làm việc đã hết hạn, vui lòng gửi lại."),
    "The CSRF session token is missing.": _l("Phiên làm việc đã hết hạn, vui lòng gửi lại."),
    "The CSRF tokens do not match.": _l("Phiên làm việc đã hết hạn, vui lòng gửi lại."),
}


class _Messages:
    """What WTForms asks its translations object for."""

    def gettext(self, string: str) -> str:
        message = WTFORMS_MESSAGES.get(string)
        return str(message) if message is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


# Control characters no one types (NUL breaks PostgreSQL text); tab and line breaks stay.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127])


def strip_controls(value):
    return value.translate(_CONTROLS) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _Messages()

        def bind_field(self, form, unbound_field, options):
            """Every field of every form drops control characters before its checks."""
            options["filters"] = (strip_controls, *options.get("filters", ()),
                                  *unbound_field.kwargs.get("filters", ()))
            return unbound_field.bind(form=form, **options)

    @property
    def csrf_field(self):
        """The CSRF field, whatever WTF_CSRF_FIELD_NAME names it."""
        return self[self.meta.csrf_field_name]


class EmptyForm(Form):
    """A POST with nothing but its CSRF token (logout, revoke, activate...)."""


def unit_choices(units, *, by: str = "id") -> list[SelectChoice]:
    """Units in tree order, indented by depth so the hierarchy reads in a plain <select>."""
    return [SelectChoice(getattr(u, by), "\u2003" * u.depth + u.name)
            for u in units]


def counter_choices(counters, *, by: str = "id", grouped: bool = False) -> list[SelectChoice]:
    """Counters labelled with their unit, as staff tell them apart; `grouped`: under their
    unit's heading, named with their code, so a long list is found by unit, name or code."""
    if grouped:
        return [SelectChoice(getattr(c, by), f"{c.name} ({c.code})", optgroup=c.unit.name)
                for c in counters]
    return [SelectChoice(getattr(c, by), f"{c.name} – {c.unit.name}") for c in counters]


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms wants them."""
    return [SelectChoice(value, label) for value, label in pairs]


MAX_PAGE = 100_000


def page_arg(args) -> int:
    """The ?page= of a list, between 1 and MAX_PAGE whatever was typed."""
    return min(max(args.get("page", 1, type=int), 1), MAX_PAGE)


def sane_date(form, field) -> None:
    """A date filter between 2000 and 2100: others overflow the day arithmetic."""
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Chọn ngày trong khoảng 2000–2100."))

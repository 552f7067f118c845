"""Staff pages: thin handlers over app/domain/, scoped by app/auth/scope.py; each commits once."""

import hashlib
import json
from dataclasses import astuple
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import lazyload
from wtforms import SelectChoice

from app.auth.scope import (
    counter_or_404,
    counters_in_scope,
    requires,
    tallies_in_scope,
    unit_or_404,
    units_in_scope,
)
from app.clock import local_today
from app.confirm import ask_first, sign_upload, signed_upload
from app.db_setup import transaction
from app.domain import RowsRejected
from app.domain.org import add_counter, reissue_code, update_counter
from app.domain.tallies import (
    Replacement,
    TallyCounts,
    TallyRejected,
    check_import,
    record_tally,
    replacements,
    store_import,
)
from app.extensions import db
from app.forms import EmptyForm, counter_choices, page_arg, unit_choices
from app.models import Counter, Tally, Unit
from app.spreadsheets import csv_bytes
from app.staff import bp
from app.staff.forms import CounterForm, ImportForm, TallyFilterForm, TallyForm
from app.staff.tally_files import example_cell, read_tally_file


@bp.route("/")
@login_required
def home():
    return render_template("staff/home.html")


# --- counters ---------------------------------------------------------------------------

def _unit_choices(form_field) -> None:
    form_field.choices = unit_choices(units_in_scope())


COUNTERS_PER_PAGE = 100  # a province has about a thousand: a page, not a 400 KB table


@bp.route("/counters")
@requires("counters")
def counters():
    """The counters of the viewer's units, searchable by name, code or operator, a page at a
    time (two queries whatever the province's size)."""
    q = (request.args.get("q") or "").strip()[:80]
    query = counters_in_scope()
    if q:
        query = query.where(or_(*(column.icontains(q, autoescape=True) for column in (
            Counter.name, Counter.code, Counter.operator, Unit.name))))
    total = db.session.scalar(select(func.count()).select_from(
        query.order_by(None).options(lazyload("*")).subquery()))
    page = page_arg(request.args)
    rows = db.session.scalars(query.limit(COUNTERS_PER_PAGE + 1)
                              .offset((page - 1) * COUNTERS_PER_PAGE)).all()
    return render_template("staff/counters.html", counters=rows[:COUNTERS_PER_PAGE],
                           form=EmptyForm(), q=q, total=total, page=page,
                           more=len(rows) > COUNTERS_PER_PAGE, filters={"q": q} if q else {})


@bp.route("/counters/new", methods=["GET", "POST"])
@requires("counters")
def counter_new():
    form = CounterForm()
    _unit_choices(form.unit)
    if form.validate_on_submit():
        with transaction():
            counter = add_counter(unit=unit_or_404(form.unit.data), name=form.name.data,
                                  operator=form.operator.data, actor=current_user)
        flash(_("Đã tạo quầy %(name)s, mã %(code)s.", name=counter.name, code=counter.code),
              "info")
        return redirect(url_for("staff.counters"), code=303)
    return render_template("staff/counter_form.html", form=form, counter=None)


@bp.route("/counters/<int:counter_id>", methods=["GET", "POST"])
@requires("counters")
def counter_edit(counter_id: int):
    counter = counter_or_404(counter_id)
    form = CounterForm(obj=counter if request.method == "GET" else None)
    _unit_choices(form.unit)
    if request.method == "GET":
        form.unit.data = counter.unit_id
    if form.validate_on_submit():
        closing = counter.active and not form.active.data
        if closing and (page := ask_first(
                title=_("Ngừng hoạt động quầy %(name)s?", name=counter.name),
                consequence=_("Tem QR của quầy (mã %(code)s) sẽ ngừng nhận phiếu ngay: người dân "
                              "quét tem sẽ thấy “Quầy đã ngừng khảo sát”. Số liệu đã có vẫn được "
                              "giữ; đánh dấu lại “Đang hoạt động” thì tem dùng lại được.",
                              code=counter.code),
                button=_("Ngừng hoạt động"),
                back=url_for("staff.counter_edit", counter_id=counter.id))):
            return page
        with transaction():
            update_counter(counter, name=form.name.data, unit=unit_or_404(form.unit.data),
                           operator=form.operator.data, active=form.active.data,
                           actor=current_user)
        flash(_("Quầy %(name)s đã ngừng hoạt động: tem QR của quầy không còn nhận phiếu.",
                name=counter.name) if closing else _("Đã lưu quầy %(name)s.", name=counter.name),
              "info")
        return redirect(url_for("staff.counters"), code=303)
    return render_template("staff/counter_form.html", form=form, counter=counter)


@bp.route("/counters/<int:counter_id>/reissue", methods=["POST"])
@requires("counters")
def counter_reissue(counter_id: int):
    counter = counter_or_404(counter_id)
    if EmptyForm().validate_on_submit():
        if page := ask_first(
                title=_("Cấp mã mới cho %(name)s?", name=counter.name),
                consequence=_("Tem QR đang dán tại quầy (mã %(code)s) sẽ ngừng hoạt động ngay: "
                              "người dân quét tem cũ sẽ thấy “Mã này không còn sử dụng” cho "
                              "đến khi tem mới được in và dán.", code=counter.code),
                button=_("Cấp mã mới"), back=url_for("staff.counters")):
            return page
        with transaction():
            new = reissue_code(counter, actor=current_user, today=local_today())
        flash(_("Quầy %(name)s có mã mới %(code)s; tem cũ không còn dùng được, hãy in tem mới.",
                name=counter.name, code=new), "info")
    return redirect(url_for("staff.counters"), code=303)


# --- tallies ----------------------------------------------------------------------------

TALLIES_PER_PAGE = 50  # a day of a province is ~1,000 rows: a page, newest first


def _tally_page(form: TallyForm, import_form: ImportForm, *, problems=(), import_problems=(),
                status: int = 200):
    """The page; `problems` are shown with the manual form, `import_problems` with the file
    field, each where the person is looking. The list below: the scope's tallies filtered by
    counter and days (the last 31 by default), newest first, a page at a time."""
    shown = TallyFilterForm(request.args)
    shown.counter.choices = [SelectChoice("", _("Tất cả quầy")), *(
        SelectChoice(str(c.value), c.label, optgroup=c.optgroup) for c in form.counter.choices)]
    query = tallies_in_scope()
    if shown.validate():
        if shown.counter.data:
            query = query.where(Tally.counter_id == int(shown.counter.data))
        since = shown.since.data or local_today() - timedelta(days=30)
        query = query.where(Tally.day >= since)
        if shown.until.data:
            query = query.where(Tally.day <= shown.until.data)
    else:
        query = query.where(false())  # the filter's errors are shown, not every tally
    page = page_arg(request.args)
    rows = db.session.execute(query.offset((page - 1) * TALLIES_PER_PAGE)
                              .limit(TALLIES_PER_PAGE + 1)).all()
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("staff/tallies.html", form=form, import_form=import_form,
                           recent=rows[:TALLIES_PER_PAGE], more=len(rows) > TALLIES_PER_PAGE,
                           page=page, filters=filters, shown=shown, problems=problems,
                           import_problems=import_problems), status


def _tally_forms() -> tuple[TallyForm, ImportForm]:
    form = TallyForm(prefix="t")
    form.counter.choices = counter_choices(
        db.session.scalars(counters_in_scope().where(Counter.active)), grouped=True)
    if form.day.data is None and "t-day" not in request.form:  # e.g. after a refused import
        form.day.data = local_today()
    return form, ImportForm(prefix="i")


@bp.route("/tallies", methods=["GET", "POST"])
@requires("tally")
def tallies():
    form, import_form = _tally_forms()
    if form.validate_on_submit():
        counter = counter_or_404(form.counter.data)
        counts = TallyCounts(form.returned.data, form.immediate.data, form.online.data,
                        form.postal.data)
        try:
            with transaction():
                record_tally(counter, form.day.data, counts, actor=current_user,
                             today=local_today())
        except TallyRejected as exc:
            return _tally_page(form, import_form, problems=[p for _row, p in exc.problems],
                               status=422)
        flash(_("Đã lưu: %(counter)s ngày %(day)s, %(n)d kết quả thuộc diện khảo sát.",
                counter=counter.name, day=form.day.data.strftime("%d/%m/%Y"),
                n=counts.eligible), "info")
        return redirect(url_for("staff.tallies"), code=303)
    return _tally_page(form, import_form, status=422 if form.errors else 200)


IMPORT_PURPOSE = "tally-import"


@bp.route("/tallies/import", methods=["POST"])
@requires("tally")
def tallies_import():
    form, import_form = _tally_forms()
    if not import_form.validate_on_submit():
        return _tally_page(form, import_form, status=422)
    upload = import_form.file.data
    return _import(upload.read(), (upload.filename or "upload")[:200], form, import_form)


@bp.route("/tallies/import/confirm", methods=["POST"])
@requires("tally")
def tallies_import_confirm():
    """An import that replaces stored tallies, confirmed after its page showed old → new."""
    form, import_form = _tally_forms()
    confirmed = signed_upload(IMPORT_PURPOSE)
    if confirmed is None:
        return _tally_page(form, import_form, status=422, import_problems=[_(
            "Trang xác nhận đã quá hạn hoặc không còn đúng; chưa lưu gì. Hãy nhập tệp lại.")])
    data, filename, shown = confirmed
    return _import(data, filename, form, import_form, shown=shown)


def _import(data: bytes, filename: str, form: TallyForm, import_form: ImportForm, *,
            shown: str | None = None):
    """Check the file; if it would change tallies already stored and its page has not shown
    exactly those changes (`shown`), show them and ask; else store it."""
    in_scope = {c.code: c for c in db.session.scalars(counters_in_scope().where(Counter.active))}
    try:
        rows = read_tally_file(data, filename)
        with transaction():
            checked = check_import(rows, counters=in_scope, today=local_today())
            changes = replacements(checked)
            asked = _digest_of(changes)
            if changes and asked != shown:  # nothing stored: the page asks first
                return render_template(
                    "staff/tally_replace.html", changes=changes, rows=len(checked),
                    confirm=sign_upload(data, filename, IMPORT_PURPOSE, asked),
                    filename=filename, again=shown is not None)
            result = store_import(checked, filename=filename, scope=current_user.unit,
                                  actor=current_user)
    except RowsRejected as exc:
        problems = [(_("Dòng %(n)d: ", n=row) if row else "") + reason
                    for row, reason in exc.problems]
        return _tally_page(form, import_form, import_problems=problems, status=422)
    flash(_("Đã nhập tệp %(file)s: %(added)d dòng mới, %(replaced)d dòng thay thế.",
            file=filename, added=result.added, replaced=result.replaced), "info")
    return redirect(url_for("staff.tallies"), code=303)


def _digest_of(changes: list[Replacement]) -> str:
    """What a confirmation page showed: every change, before and after (hashed, it is signed
    into the page's form)."""
    shown = [[c.number, c.counter.code, c.day.isoformat(), astuple(c.before), astuple(c.after)]
             for c in changes]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()


@bp.route("/tallies/example.csv")
@requires("tally")
def tallies_example():
    """An example import file made of the viewer's own counters and today's date (the format,
    with codes the clerk recognises); its counts say where a number goes ("VD 12"), so
    imported as it is it is refused and replaces nothing."""
    counters = db.session.scalars(counters_in_scope().where(Counter.active).limit(3)).all()
    if not counters:
        abort(404)
    today = local_today().isoformat()
    data = csv_bytes(["date", "counter_code", "returned", "immediate", "online", "postal"],
                     [[today, c.code, *map(example_cell, (12 + 7 * n, n, 1 + n, 0))]
                      for n, c in enumerate(counters)])
    return data, 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="so-ho-so-tra-mau.csv"'}

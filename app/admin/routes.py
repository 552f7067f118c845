"""Admin pages (Home Affairs): thin handlers over app/domain/; every object and list comes
through app/auth/scope.py; each change commits once, at the end of its request."""

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from wtforms import SelectChoice

from app import figures
from app.admin import audit_view, bp
from app.admin.forms import (
    KIND_LABELS,
    MESSAGE_LABELS,
    ROLE_LABELS,
    ApiKeyForm,
    AuditFilterForm,
    CampaignForm,
    PublishForm,
    TargetForm,
    UnitForm,
    UserForm,
)
from app.auth.scope import (
    api_key_or_404,
    api_keys_in_scope,
    audit_events_in_scope,
    campaign_or_404,
    campaigns_in_scope,
    current_scope,
    requires,
    unit_by_code,
    unit_or_404,
    units_in_scope,
    user_or_404,
    users_in_scope,
)
from app.confirm import ask_first
from app.db_setup import transaction
from app.domain.accounts import (
    AccountError,
    check_password_strength,
    create_user,
    reset_password,
    update_user,
)
from app.domain.api_keys import PURPOSES, ApiKeyError, create_key, revoke_key
from app.domain.campaigns import (
    CampaignError,
    create_campaign,
    parse_rate,
    set_published,
    set_status,
    set_target,
    target_for,
    update_campaign,
)
from app.domain.org import HoursError, OrgError, add_unit, set_opening_hours, update_unit
from app.extensions import db
from app.forms import EmptyForm, choices, unit_choices
from app.models import AuditEvent, Campaign, Counter, Questionnaire, Subscription, Unit
from app.spreadsheets import csv_bytes

# --- units ------------------------------------------------------------------------------

@bp.route("/units")
@requires("units")
def units():
    units = units_in_scope(active_only=False)
    # One grouped count, not each unit's counters loaded to be counted.
    numbers = dict(db.session.execute(
        select(Counter.unit_id, func.count()).where(Counter.unit_id.in_([u.id for u in units]))
        .group_by(Counter.unit_id)).all()) if units else {}
    return render_template("admin/units.html", units=units, kinds=KIND_LABELS,
                           counters_of=numbers)


def _parent_choices(form: UnitForm, exclude: Unit | None = None) -> None:
    form.parent.choices = unit_choices(
        u for u in units_in_scope() if exclude is None or not exclude.contains(u))


@bp.route("/units/new", methods=["GET", "POST"])
@requires("units")
def unit_new():
    form = UnitForm()
    _parent_choices(form)
    if form.validate_on_submit():
        try:
            with transaction():
                unit = add_unit(code=form.code.data, name=form.name.data, kind=form.kind.data,
                                parent=unit_or_404(form.parent.data), actor=current_user)
        except OrgError as exc:
            form.code.errors.append(str(exc))
        else:
            flash(_("Đã tạo đơn vị %(name)s.", name=unit.name), "info")
            return redirect(url_for("admin.units"), code=303)
    return render_template("admin/unit_form.html", form=form, unit=None)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@requires("units")
def unit_edit(unit_id: int):
    unit = unit_or_404(unit_id)
    form = UnitForm(obj=unit if request.method == "GET" else None)
    form.code.data = unit.code  # codes are printed in imports: they do not change
    _parent_choices(form, exclude=unit)
    is_root = current_scope().is_top(unit)
    if is_root:
        form.parent.choices = choices([(0, "—")])
        form.parent.data = 0
    elif request.method == "GET":
        form.parent.data = unit.parent_id
    if form.validate_on_submit():
        if unit.active and not form.active.data and (page := ask_first(
                title=_("Ngừng hoạt động đơn vị %(name)s?", name=unit.name),
                consequence=_("Các quầy của đơn vị và các đơn vị cấp dưới sẽ không nhận phiếu "
                              "khảo sát nữa: người dân quét tem tại đó sẽ thấy “Quầy đã ngừng "
                              "khảo sát”. Số liệu đã có vẫn được giữ."),
                button=_("Ngừng hoạt động"), back=url_for("admin.unit_edit", unit_id=unit.id))):
            return page
        try:
            with transaction():
                update_unit(unit, name=form.name.data, kind=form.kind.data,
                            parent=unit.parent if is_root else unit_or_404(form.parent.data),
                            active=form.active.data, actor=current_user)
                set_opening_hours(unit, form.opening_hours.data, actor=current_user)
        except HoursError as exc:
            form.opening_hours.errors.append(str(exc))
        except OrgError as exc:
            form.parent.errors.append(str(exc))
        else:
            flash(_("Đã lưu đơn vị %(name)s.", name=unit.name), "info")
            return redirect(url_for("admin.units"), code=303)
    return render_template("admin/unit_form.html", form=form, unit=unit)


# --- users ------------------------------------------------------------------------------

@bp.route("/users")
@requires("users")
def users():
    rows = db.session.scalars(users_in_scope()).all()
    # Who receives which digests and alerts, in one query for the page.
    messages: dict[int, list[str]] = {}
    for user_id, kind in db.session.execute(select(Subscription.user_id, Subscription.kind)
                                            .where(Subscription.user_id.in_([u.id for u in rows]))
                                            .order_by(Subscription.kind)):
        messages.setdefault(user_id, []).append(kind)
    return render_template("admin/users.html", users=rows, roles=ROLE_LABELS, messages=messages,
                           message_labels=MESSAGE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users")
def user_new():
    form = UserForm()
    # No unit chosen for the admin: saving as is must not make a clerk for the whole province.
    form.unit.choices = [SelectChoice("", _("— Chọn đơn vị —")),
                         *unit_choices(units_in_scope(), by="code")]
    if request.method == "GET":
        form.role.data = "clerk"  # the least privilege unless the admin chooses more
    if form.is_submitted():
        valid = form.validate()
        if not form.unit.data:
            form.unit.errors.append(_("Chọn đơn vị của tài khoản: tài khoản chỉ thấy đơn vị "
                                      "này và các đơn vị cấp dưới."))
            valid = False
        try:  # every missing or weak field is shown at once, not one per attempt
            if not form.password.data:
                raise AccountError(_("Nhập mật khẩu ban đầu cho tài khoản."))
            check_password_strength(form.password.data)
        except AccountError as exc:
            form.password.errors.append(str(exc))
            valid = False
        if valid:
            try:
                with transaction():
                    user = create_user(username=form.username.data, role=form.role.data,
                                       unit=_account_unit(form.unit.data),
                                       password=form.password.data, actor=current_user)
            except AccountError as exc:
                form.username.errors.append(str(exc))
            else:
                flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "info")
                return redirect(url_for("admin.users"), code=303)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("users")
def user_edit(user_id: int):
    user = user_or_404(user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.username.data = user.username
    form.unit.choices = unit_choices(units_in_scope(), by="code")
    if request.method == "GET":
        form.unit.data = user.unit.code
    if form.validate_on_submit():
        if user.active and not form.active.data and (page := ask_first(
                title=_("Khoá tài khoản %(name)s?", name=user.username),
                consequence=_("%(name)s sẽ bị đăng xuất khỏi mọi thiết bị ngay và không đăng "
                              "nhập được nữa cho đến khi tài khoản được mở lại.",
                              name=user.username),
                button=_("Khoá tài khoản"), back=url_for("admin.user_edit", user_id=user.id))):
            return page
        try:
            with transaction():  # the role change and the new password stand or fall together
                update_user(user, role=form.role.data, unit=_account_unit(form.unit.data),
                            active=form.active.data, actor=current_user)
                if form.password.data:
                    reset_password(user, new=form.password.data, actor=current_user)
        except AccountError as exc:
            form.role.errors.append(str(exc))
        else:
            flash(_("Đã lưu tài khoản %(name)s.", name=user.username), "info")
            return redirect(url_for("admin.users"), code=303)
    return render_template("admin/user_form.html", form=form, user=user)


def _account_unit(code: str) -> Unit:
    """The unit an account form chose (its choices are the scope's units)."""
    unit = unit_by_code(code)
    if unit is None:
        abort(404)
    return unit


# --- campaigns --------------------------------------------------------------------------

def _campaign_choices(form: CampaignForm) -> None:
    form.unit.choices = unit_choices(units_in_scope())
    form.questionnaire.choices = choices(
        (q.id, f"{q.title} (v{q.version})")
        for q in db.session.scalars(select(Questionnaire).order_by(Questionnaire.code,
                                                                   Questionnaire.version)))


def _target_units(campaign: Campaign):
    return unit_choices(u for u in units_in_scope() if campaign.unit.contains(u))


@bp.route("/campaigns")
@requires("campaigns")
def campaigns():
    rows = db.session.scalars(campaigns_in_scope()).all()
    return render_template("admin/campaigns.html", campaigns=rows)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires("campaigns")
def campaign_new():
    form = CampaignForm()
    _campaign_choices(form)
    if form.validate_on_submit():
        try:
            with transaction():
                campaign = create_campaign(
                    name=form.name.data, unit=unit_or_404(form.unit.data),
                    questionnaire=db.session.get(Questionnaire, form.questionnaire.data),
                    starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                    target_rate=parse_rate(form.target_rate.data), actor=current_user,
                    sms_budget=form.sms_budget.data)
        except CampaignError as exc:
            form.target_rate.errors.append(str(exc))
        else:
            flash(_("Đã tạo đợt %(name)s (bản nháp).", name=campaign.name), "info")
            return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), code=303)
    return render_template("admin/campaign_form.html", form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@requires("campaigns")
def campaign_edit(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = CampaignForm(obj=campaign if request.method == "GET" else None)
    _campaign_choices(form)
    form.unit.data, form.questionnaire.data = campaign.unit_id, campaign.questionnaire_id
    target_form = TargetForm(prefix="target")
    target_form.unit.choices = _target_units(campaign)
    if form.validate_on_submit():
        try:
            with transaction():
                update_campaign(campaign, name=form.name.data, starts_on=form.starts_on.data,
                                ends_on=form.ends_on.data,
                                target_rate=parse_rate(form.target_rate.data),
                                actor=current_user, sms_budget=form.sms_budget.data)
        except CampaignError as exc:
            form.ends_on.errors.append(str(exc))
        else:
            flash(_("Đã lưu đợt %(name)s.", name=campaign.name), "info")
            return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), code=303)
    if request.method == "GET":
        form.target_rate.data = figures.format_editable(campaign.target_rate, str(get_locale()))
    overrides = [(t.unit, t.target_rate) for t in campaign.targets]
    return render_template("admin/campaign_form.html", form=form, campaign=campaign,
                           target_form=target_form, overrides=overrides, target_for=target_for,
                           action_form=EmptyForm(), publish_form=PublishForm(prefix="publish"))


@bp.route("/campaigns/<int:campaign_id>/target", methods=["POST"])
@requires("campaigns")
def campaign_target(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    form = TargetForm(prefix="target")
    form.unit.choices = _target_units(campaign)
    if form.validate_on_submit():
        try:
            rate = parse_rate(form.target_rate.data) if form.target_rate.data else None
            with transaction():
                set_target(campaign, unit_or_404(form.unit.data), rate, actor=current_user)
        except CampaignError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Đã lưu chỉ tiêu."), "info")
    else:
        flash(_("Chọn một đơn vị trong phạm vi của đợt."), "error")
    return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), code=303)


@bp.route("/campaigns/<int:campaign_id>/<any(activate, close):action>", methods=["POST"])
@requires("campaigns")
def campaign_status(campaign_id: int, action: str):
    campaign = campaign_or_404(campaign_id)
    if EmptyForm().validate_on_submit():
        if action == "close" and (page := ask_first(
                title=_("Kết thúc đợt %(name)s?", name=campaign.name),
                consequence=_("Đợt đã kết thúc không mở lại được. Từ lúc này, người dân quét "
                              "tem tại các quầy của đợt sẽ thấy “Hiện không có đợt khảo sát” "
                              "cho đến khi một đợt mới bắt đầu."),
                button=_("Kết thúc đợt"),
                back=url_for("admin.campaign_edit", campaign_id=campaign.id))):
            return page
        try:
            with transaction():
                set_status(campaign, "active" if action == "activate" else "closed",
                           actor=current_user)
        except CampaignError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Đã cập nhật trạng thái đợt %(name)s.", name=campaign.name), "info")
    return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), code=303)


@bp.route("/campaigns/<int:campaign_id>/<any(publish, unpublish):action>", methods=["POST"])
@requires("campaigns")
def campaign_publish(campaign_id: int, action: str):
    """Show the campaign's results without a login (asks first), or stop at once."""
    campaign = campaign_or_404(campaign_id)
    form = PublishForm(prefix="publish")
    if form.validate_on_submit():
        address = url_for("public.results", campaign_id=campaign.id, _external=True)
        if action == "publish" and (page := ask_first(
                title=_("Công khai kết quả đợt %(name)s?", name=campaign.name),
                consequence=_("Bất kỳ ai cũng xem được, không cần đăng nhập, tại %(address)s: "
                              "tỷ lệ phản hồi, chỉ tiêu, đánh giá và tỷ lệ hài lòng của tỉnh và "
                              "từng đơn vị%(counters)s, theo các tuần đã trọn vẹn, với cùng "
                              "quy tắc ẩn nhóm nhỏ như trang báo cáo; không có góp ý nào. Thôi "
                              "công khai thì trang biến mất ngay.", address=address,
                              counters=_(" và từng quầy") if form.counters.data else ""),
                button=_("Công khai"),
                back=url_for("admin.campaign_edit", campaign_id=campaign.id))):
            return page
        with transaction():
            set_published(campaign, action == "publish", counters=form.counters.data,
                          actor=current_user)
        flash(_("Kết quả đợt %(name)s đã được công khai tại %(address)s.", name=campaign.name,
                address=address) if action == "publish" else
              _("Đã thôi công khai kết quả đợt %(name)s.", name=campaign.name), "info")
    return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), code=303)


# --- API keys ---------------------------------------------------------------------------

def _api_key_page(form: ApiKeyForm, *, secret: str | None = None, status: int = 200):
    keys = db.session.scalars(api_keys_in_scope()).all()
    response = render_template("admin/api_keys.html", form=form, keys=keys, secret=secret,
                               purposes=PURPOSES)
    return response, status


def _api_key_form(*, fresh: bool = False) -> ApiKeyForm:
    form = ApiKeyForm(formdata=None) if fresh else ApiKeyForm()
    form.unit.choices = unit_choices(units_in_scope(), by="code")
    form.purpose.choices = choices(PURPOSES.items())
    return form


@bp.route("/api-keys", methods=["GET", "POST"])
@requires("api_keys")
def api_keys():
    """The keys of the subtree; a new one is shown once, on the page that made it."""
    form = _api_key_form()
    if request.method == "GET":
        form.unit.data = current_user.unit.code
    if form.validate_on_submit():
        try:
            with transaction():
                _key, secret = create_key(name=form.name.data, purpose=form.purpose.data,
                                          unit=_account_unit(form.unit.data),
                                          actor=current_user)
        except ApiKeyError as exc:
            form.name.errors.append(str(exc))
        else:
            fresh = _api_key_form(fresh=True)  # a second click must not make a second key
            fresh.unit.data = current_user.unit.code
            return _api_key_page(fresh, secret=secret, status=201)
    return _api_key_page(form, status=422 if form.errors else 200)


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@requires("api_keys")
def api_key_revoke(key_id: int):
    key = api_key_or_404(key_id)
    if EmptyForm().validate_on_submit():
        if page := ask_first(
                title=_("Thu hồi khoá %(name)s?", name=key.name),
                consequence=_("Hệ thống dùng khoá này sẽ bị từ chối ngay (401) và không dùng "
                              "lại được; muốn tiếp tục, hãy tạo khoá mới."),
                button=_("Thu hồi khoá"), back=url_for("admin.api_keys")):
            return page
        with transaction():
            revoke_key(key, actor=current_user)
        flash(_("Đã thu hồi khoá %(name)s.", name=key.name), "info")
    return redirect(url_for("admin.api_keys"), code=303)


# --- audit log --------------------------------------------------------------------------

AUDIT_PER_PAGE = 100


@bp.route("/audit")
@requires("audit")
def audit():
    form = AuditFilterForm(request.args)
    query = _filtered_audit(form)
    # Keyset paging: the next page starts below the last event shown (?before=<id>), so page
    # 500 of a year's log costs what page 1 does (an index on `at`, not an OFFSET).
    last = db.session.get(AuditEvent, request.args.get("before", 0, type=int))
    if last is not None:
        query = query.where(or_(AuditEvent.at < last.at,
                                and_(AuditEvent.at == last.at, AuditEvent.id < last.id)))
    events = db.session.scalars(query.limit(AUDIT_PER_PAGE + 1)).all()
    shown = events[:AUDIT_PER_PAGE]
    filters = {k: v for k, v in request.args.items() if k not in ("before", "page")}
    return render_template("admin/audit.html", form=form, lines=audit_view.lines(shown),
                           first_page=last is None, filters=filters,
                           before=shown[-1].id if len(events) > AUDIT_PER_PAGE else None)


@bp.route("/audit.csv")
@requires("audit")
def audit_csv():
    """The raw records the page shows (same filters, at most 10,000), JSON as stored."""
    events = db.session.scalars(_filtered_audit(AuditFilterForm(request.args)).limit(10_000))
    data = csv_bytes(
        ["id", "at_utc", "actor", "action", "object_type", "object_id", "unit_id", "before",
         "after"],
        ([e.id, e.at.isoformat(), e.actor, e.action, e.object_type, e.object_id, e.unit_id,
          json.dumps(e.before, ensure_ascii=False) if e.before else None,
          json.dumps(e.after, ensure_ascii=False) if e.after else None] for e in events))
    return data, 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="nhat-ky.csv"'}


def _filtered_audit(form: AuditFilterForm):
    query = audit_events_in_scope()
    if form.validate():
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        if form.actor.data:
            query = query.where(AuditEvent.actor == form.actor.data.strip())
        if form.object_type.data:
            query = query.where(AuditEvent.object_type == form.object_type.data)
        # Days as the province counts them, compared in UTC as the moments are stored.
        if form.since.data:
            start = datetime.combine(form.since.data, time(), zone).astimezone(UTC)
            query = query.where(AuditEvent.at >= start)
        if form.until.data:
            end = datetime.combine(form.until.data + timedelta(days=1), time(), zone)
            query = query.where(AuditEvent.at < end.astimezone(UTC))
    return query

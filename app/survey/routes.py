"""The survey: one GET shows everything, one POST ends in a thank-you (two round trips)."""

from contextlib import suppress

from flask import (
    current_app,
    get_template_attribute,
    make_response,
    render_template,
    request,
    session,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from app.clock import local_today
from app.domain.org import find_by_public_code
from app.extensions import csrf, db, limiter
from app.survey import bp, integrity, lean, lookup
from app.survey.forms import PressureForm, survey_form_class
from app.survey.record import (
    previous_outcome,
    record_opened,
    record_outcome,
    record_pressure,
    record_refusal,
)
from app.survey.screening import OUTCOME_COMPLETED, OUTCOME_DECLINED, outcome_of

SCREENING_FIELDS = ("channel", "immediate")


SURVEY_MAX_BODY = 64 * 1024  # a whole form with a 500-character comment is a few KB


@bp.before_request
def small_bodies_only():
    """A 1 MB comment is refused (413) before it is read, not echoed back in the page."""
    request.max_content_length = SURVEY_MAX_BODY


@bp.after_request
def survey_headers(response):
    """Nothing cached, nothing leaked to other sites, nothing loaded from elsewhere (instead
    of the staff pages' set, app.staff_headers)."""
    response.headers.update(lean.header_set(current_app))
    return response


def _refused_limit(_limit):
    """One client sent too many forms at one counter: a calm page, and one more refusal."""
    day = local_today()
    found, _retired = lookup.target((request.view_args or {}).get("code", ""), day)
    counter = found.counter if found else None
    if counter is not None:
        record_refusal(counter.id, day, integrity.REFUSED_LIMIT)
    return make_response(render_template("survey/refused.html", counter=counter,
                                         reason="limit"), 429)


@bp.route("/<code>", methods=["GET", "POST"])  # under SURVEY_PREFIX, /q/
@limiter.exempt  # counts its own limits, see integrity.within_limit
@csrf.exempt  # the form checks its own token, so an expired one re-shows the answers instead
def entry(code: str):
    if request.method == "GET":
        counted = request.environ.get(lean.COUNTED)  # the lean path counted this opening
        if not (integrity.within_limit("SURVEY_OPEN_LIMIT") if counted is None else counted):
            return _refused_limit(None)
    day = local_today()
    found, retired = lookup.target(code, day)  # cached for a short while (lookup.py)
    if found is None:
        return _unknown(retired)
    counter, campaign = found.counter, found.campaign
    if campaign is None:
        return render_template("survey/no_campaign.html", counter=counter)
    locale = str(get_locale())
    form_class = survey_form_class(campaign.questionnaire.definition, locale)
    if request.method != "POST":
        if integrity.answered_here_today(counter.id, day):
            return render_template("survey/refused.html", counter=counter, reason="answered")
        # The blank page is rendered once per code and language; each scan gets its own
        # token and ticket in it (lean.py serves most scans from it).
        page = found.page(("form", locale), lambda: _blank_page(form_class(), found))
        page = lookup.fill(page, integrity.csrf_token(), integrity.issue_ticket(counter.id))
        if request.method == "GET":  # HEAD is what link previews send; it opens nothing
            try:
                record_opened(counter.id, day)
            except SQLAlchemyError:  # a lost count must not cost the citizen the form
                current_app.logger.warning("The opening of a survey page was not counted.")
        return page

    form = form_class()
    form.validate()
    ticket = integrity.check_ticket(form.ticket.data, counter.id)
    outcome = outcome_of(
        declined=bool(form.decline.data),
        screening_valid=not any(form[name].errors for name in SCREENING_FIELDS),
        channel=form.channel.data, immediate=form.immediate.data,
        answers_valid=not form.errors)
    # Sent forms count against SURVEY_SUBMIT_LIMIT whatever becomes of them; an answer about
    # to be stored has its odd-answer flags counted in the same round trip.
    answered = integrity.answered_here_today(counter.id, day)  # the phone's cookie says so
    storing = (not form.csrf_token.errors and ticket == integrity.TICKET_OK
               and outcome == OUTCOME_COMPLETED and not answered)
    answers = form.answers() if storing else None
    within, flags = integrity.count_sent(counter, answers)
    if not within:
        return _refused_limit(None)
    if form.csrf_token.errors or ticket in (integrity.TICKET_FORGED, integrity.TICKET_EXPIRED):
        # A refresh or back-and-resubmit after the thank-you: the token left with the cookie,
        # but the ticket says what became of this form. (A double tap with a live token is
        # caught by the ticket's unique key in record_outcome.)
        if ticket != integrity.TICKET_FORGED and (outcome := previous_outcome(form.ticket.data)):
            return _done(outcome, found)
        if ticket == integrity.TICKET_FORGED:  # made up, another counter's, or pre-upgrade
            record_refusal(counter.id, day, integrity.REFUSED_TICKET)
        if ticket != integrity.TICKET_OK:
            form.ticket.data = integrity.issue_ticket(counter.id)
        notice = _(
            "Trang đã mở khá lâu nên cần xác nhận lại. Câu trả lời của Ông/Bà vẫn được giữ "
            "nguyên, vui lòng bấm nút một lần nữa."
        )
        return _show(form, counter, campaign, notice=notice, clear_errors=True)
    if outcome is None:
        return _show(form, counter, campaign), 422
    if outcome != OUTCOME_COMPLETED:
        try:
            stored = record_outcome(ticket=form.ticket.data, counter=counter, day=day,
                                    outcome=outcome, campaign=campaign)
        except SQLAlchemyError:
            return _try_again(form, counter, campaign)
        return _done(stored, found) if stored else _no_longer_live(code, day)
    if ticket == integrity.TICKET_TOO_FAST:  # nobody reads the questions that fast
        record_refusal(counter.id, day, integrity.REFUSED_FAST)
        notice = _("Ông/Bà vui lòng xem lại các câu trả lời bên dưới, rồi bấm Gửi một lần nữa.")
        return _show(form, counter, campaign, notice=notice, clear_errors=True)
    if answered:
        if previous := previous_outcome(form.ticket.data):
            return _done(previous, found)  # this very form, sent again
        record_refusal(counter.id, day, integrity.REFUSED_REPEAT)
        return render_template("survey/refused.html", counter=counter, reason="answered")
    try:
        stored = record_outcome(
            ticket=form.ticket.data, counter=counter, day=day, outcome=OUTCOME_COMPLETED,
            campaign=campaign, answers=answers, comment=form.comment.data, flags=flags)
    except SQLAlchemyError:
        return _try_again(form, counter, campaign)
    if stored is None:
        return _no_longer_live(code, day)
    response = make_response(_done(stored, found))
    if stored == OUTCOME_COMPLETED:
        integrity.remember_answer(response, counter.id, day)
    return response


@bp.errorhandler(SQLAlchemyError)
def database_unavailable(_error):
    """The database is down or locked (a restart, a failover) before a page could be shown:
    "please try again in a few minutes", 503. A form already filled in never gets here: it
    comes back whole (_try_again). The app recovers on its own: SQLAlchemy drops the broken
    connections and the next request opens new ones."""
    current_app.logger.warning("A survey page could not reach the database.")
    with suppress(SQLAlchemyError):  # the connection itself is gone; the pool replaces it
        db.session.rollback()
    return render_template("errors/error.html", code=503), 503


def _unknown(retired: bool):
    """No live counter has this code: 410 for a retired one (a replaced sticker), else 404."""
    return render_template("survey/unknown.html", retired=retired), 410 if retired else 404


def _no_longer_live(code: str, day):
    """The page was shown from this server's cache, but the code was re-issued or retired, or
    the counter, unit or campaign closed since: nothing was stored; say what is true now."""
    lookup.forget(code)
    found, retired = lookup.target(code, day)
    if found is None:
        return _unknown(retired)
    return render_template("survey/no_campaign.html", counter=found.counter), 409


@bp.route("/<code>/phan-anh", methods=["GET", "POST"])
@limiter.limit(integrity.submit_limit, key_func=integrity.client_at_counter, methods=["POST"],
               on_breach=_refused_limit)
@csrf.exempt  # an expired token re-shows the report with its text, as the survey does
def pressure(code: str):
    """A citizen's anonymous report of pressure or interference: for Home Affairs only."""
    counter, retired = find_by_public_code(code)
    if counter is None:
        return _unknown(retired)
    form = PressureForm()
    if request.method != "POST":
        return render_template("survey/pressure.html", form=form, counter=counter)
    if form.validate():
        record_pressure(counter, local_today(), form.kinds.data, form.text.data)
        db.session.commit()
        session.pop("csrf_token", None)
        return render_template("survey/pressure.html", form=None, counter=counter)
    notice = None
    if form.csrf_token.errors:
        form.csrf_token.errors = []
        notice = _("Trang đã mở khá lâu nên cần xác nhận lại. Nội dung Ông/Bà đã nhập vẫn được "
                   "giữ nguyên, vui lòng bấm Gửi phản ánh một lần nữa.")
    return render_template("survey/pressure.html", form=form, counter=counter,
                           notice=notice), 422


# Rendered questions of a blank form, by (questionnaire code, version, language): every scan
# shows the same ones, and rendering ~45 inputs through WTForms is most of a page's time.
_blank_questions: dict[tuple[str, int, str], Markup] = {}


def _blank_page(form, found: lookup.Target) -> str:
    """The survey page with markers where each scan's token and ticket go (lookup.fill)."""
    definition = found.campaign.questionnaire.definition
    key = (definition["code"], definition["version"], str(get_locale()))
    if key not in _blank_questions:
        macro = get_template_attribute("survey/_questions.html", "render_questions")
        _blank_questions[key] = macro(form)  # Markup: the template autoescapes
    form.csrf_token.current_token = lookup.CSRF_MARK
    form.ticket.data = lookup.TICKET_MARK
    return render_template("survey/form.html", form=form, counter=found.counter,
                           campaign=found.campaign, notice=None,
                           questions_html=_blank_questions[key])


def _show(form, counter, campaign, *, notice: str | None = None, clear_errors: bool = False):
    """The form again, with what the citizen entered (and why it went back, if it did)."""
    if clear_errors:  # the answers are fine; only the page's token needed renewing
        for field in form:
            field.errors = []
    return render_template("survey/form.html", form=form, counter=counter, campaign=campaign,
                           notice=notice, questions_html=None)


def _try_again(form, counter, campaign):
    """The database failed to store the form (busy, restarting): the same form back with every
    answer kept and its ticket unused, so pressing again later stores it once."""
    current_app.logger.warning("A survey form could not be stored; the citizen was asked to "
                               "send it again.", exc_info=True)  # parameters hidden: no answers
    notice = _("Hệ thống đang bận nên chưa ghi nhận được. Câu trả lời của Ông/Bà vẫn được giữ "
               "nguyên, vui lòng bấm Gửi lại sau ít phút.")
    return _show(form, counter, campaign, notice=notice, clear_errors=True), 503


def _done(outcome: str, found: lookup.Target):
    # The session held only the form's CSRF token; drop it so no cookie outlives the answer.
    session.pop("csrf_token", None)
    return found.page(("done", outcome, str(get_locale())), lambda: render_template(
        "survey/done.html", outcome=outcome, declined=OUTCOME_DECLINED,
        completed=OUTCOME_COMPLETED, counter=found.counter))

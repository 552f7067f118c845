"""The survey: one GET shows everything, one POST ends in a thank-you (two round trips).

`entry` opens the form (most fresh scans are answered before it, by lean.py, with the same
page); `submit` reads a sent form, lets steps.next_step decide what it comes to, and stores it
through app/domain/responses.py, which decides what is kept.
"""

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
from app.db_setup import transaction
from app.domain import inbox
from app.domain.integrity import REFUSED_FAST, REFUSED_LIMIT, REFUSED_REPEAT, REFUSED_TICKET
from app.domain.org import find_by_public_code
from app.domain.responses import (
    add_pressure_report,
    previous_outcome,
    record_opened,
    record_outcome,
    record_refusal,
)
from app.domain.screening import OUTCOME_COMPLETED, OUTCOME_DECLINED, outcome_of
from app.extensions import csrf, db, limiter
from app.survey import bp, lean, limits, lookup, steps, tickets
from app.survey.forms import PressureForm, survey_form_class

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


def _refused_limit(_limit=None):
    """One client opened or sent too many forms at one counter: a calm page (429), and the
    refusal counted for the counter's day."""
    day = local_today()
    found, _gone = lookup.entry((request.view_args or {}).get("code", ""), day)
    counter = found.counter if found else None
    if counter is not None:
        with transaction():
            record_refusal(counter.id, day, REFUSED_LIMIT)
    return make_response(render_template("survey/refused.html", counter=counter,
                                         reason="limit"), 429)


@bp.route("/<code>", methods=["GET", "HEAD"])  # under SURVEY_PREFIX, /q/
@limiter.exempt  # counts its own limits (survey/limits.py)
def entry(code: str):
    """Open the form: counted against SURVEY_OPEN_LIMIT and in the funnel (a HEAD, as link
    previews send, opens nothing), with this scan's own CSRF token and ticket."""
    if request.method == "GET":
        counted = request.environ.get(lean.COUNTED)  # the lean path counted this opening
        if not (limits.within_limit("SURVEY_OPEN_LIMIT") if counted is None else counted):
            return _refused_limit()
    day = local_today()
    found, gone = lookup.entry(code, day)  # cached for a short while (lookup.py)
    if found is None:
        return _unknown(gone)
    if found.campaign is None:
        return render_template("survey/no_campaign.html", counter=found.counter)
    if tickets.answered_here_today(found.counter.id, day):
        return render_template("survey/refused.html", counter=found.counter, reason="answered")
    locale = str(get_locale())
    lookup.keep_skeleton(lookup.skeleton_key(found, locale), lambda: _blank_page(
        survey_form_class(found.campaign.questionnaire.definition, locale)(), found))
    page = lookup.form_page(found, locale, tickets.csrf_token())
    if request.method == "GET":
        try:
            record_opened(found.counter.id, day)
        except SQLAlchemyError:  # a lost count must not cost the citizen the form
            current_app.logger.warning("The opening of a survey page was not counted.")
    return page


@bp.route("/<code>", methods=["POST"])
@limiter.exempt  # counts its own limits (survey/limits.py)
@csrf.exempt  # the form checks its own token, so an expired one re-shows the answers instead
def submit(code: str):
    """A sent form: renewed, sent back to fix, refused, or stored once (steps.next_step)."""
    day = local_today()
    found, gone = lookup.entry(code, day)
    if found is None:
        return _unknown(gone)
    counter, campaign = found.counter, found.campaign
    if campaign is None:
        return render_template("survey/no_campaign.html", counter=counter)
    form = survey_form_class(campaign.questionnaire.definition, str(get_locale()))()
    form.validate()
    ticket = tickets.check_ticket(form.ticket.data, counter.id)
    outcome = outcome_of(
        declined=bool(form.decline.data),
        screening_valid=not any(form[name].errors for name in SCREENING_FIELDS),
        channel=form.channel.data, immediate=form.immediate.data,
        answers_valid=not form.errors)
    answered = tickets.answered_here_today(counter.id, day)  # the phone's cookie says so
    csrf_ok = not form.csrf_field.errors
    step = steps.next_step(csrf_ok=csrf_ok, ticket=ticket, outcome=outcome, answered=answered)
    completing = step == steps.STORE and outcome == OUTCOME_COMPLETED
    # Sent forms count against SURVEY_SUBMIT_LIMIT whatever becomes of them; an answer about
    # to be stored has its odd-answer flags counted in the same round trip.
    answers = form.answers() if completing else None
    within, flags = limits.count_sent(counter, answers)
    if not within:
        return _refused_limit()
    if step == steps.RENEW:
        return _renew(form, found, ticket, day)
    if step == steps.FIX:
        return _show(form, counter, campaign), 422
    if step == steps.TOO_FAST:  # nobody reads the questions that fast
        with transaction():
            record_refusal(counter.id, day, REFUSED_FAST)
        return _show(form, counter, campaign, notice=too_fast_notice(form.ticket.data),
                     clear_errors=True)
    if step == steps.ANSWERED:
        if previous := previous_outcome(form.ticket.data):
            return _done(previous, found)  # this very form, sent again
        with transaction():
            record_refusal(counter.id, day, REFUSED_REPEAT)
        return render_template("survey/refused.html", counter=counter, reason="answered")
    try:
        stored = record_outcome(
            ticket=form.ticket.data, counter=counter, day=day, outcome=outcome,
            campaign=campaign, answers=answers,
            comment=form.comment.data if completing else None, flags=flags)
    except SQLAlchemyError:
        return _try_again(form, counter, campaign)
    if stored.outcome is None:
        return _no_longer_live(code, day)
    if stored.fresh:
        _move_inbox(keep=stored.form_id)
    response = make_response(_done(stored.outcome, found))
    if completing and stored.outcome == OUTCOME_COMPLETED:
        tickets.remember_answer(response, counter.id, day)
    return response


def _move_inbox(*, keep) -> None:
    """Move others' forms from the inbox when a move is due (domain/inbox.py); this form is
    stored whatever becomes of the move, so a failure costs the citizen nothing."""
    try:
        inbox.move_due(keep=keep)
    except SQLAlchemyError:
        current_app.logger.warning("The survey's inbox could not be moved; the next move will.")


def _renew(form, found: lookup.CodeEntry, ticket: str, day):
    """A refresh or back-and-resubmit after the thank-you: the token left with the cookie, but
    the ticket says what became of this form. Otherwise the answers go back with a new token
    (and a new ticket if it was not ours or too old) to press once more. (A double tap with a
    live token is caught by the ticket's unique key in record_outcome.)"""
    counter = found.counter
    if ticket != tickets.TICKET_FORGED and (outcome := previous_outcome(form.ticket.data)):
        return _done(outcome, found)
    if ticket == tickets.TICKET_FORGED:  # made up, another counter's, or pre-upgrade
        with transaction():
            record_refusal(counter.id, day, REFUSED_TICKET)
    if ticket != tickets.TICKET_OK:
        form.ticket.data = tickets.issue_ticket(counter.id)
    notice = _(
        "Trang đã mở khá lâu nên cần xác nhận lại. Câu trả lời của Ông/Bà vẫn được giữ "
        "nguyên, vui lòng bấm nút một lần nữa."
    )
    return _show(form, counter, found.campaign, notice=notice, clear_errors=True)


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


def too_fast_notice(ticket: str | None) -> str:
    """What a form sent sooner than SURVEY_MIN_SECONDS after it opened says: every answer is
    kept, and how long to wait before pressing Gửi again."""
    return _("Câu trả lời của Ông/Bà vẫn được giữ nguyên. Vui lòng xem lại các câu bên dưới "
             "rồi bấm Gửi sau khoảng %(n)d giây nữa.", n=tickets.seconds_to_wait(ticket))


def _unknown(gone: str | None):
    """No live counter has this code: 410 saying why for one that was in use (replaced by a
    new code, or its counter closed: lookup.REPLACED / CLOSED), else 404."""
    return render_template("survey/unknown.html", gone=gone), 410 if gone else 404


def _no_longer_live(code: str, day):
    """The page was shown from this server's cache, but the code was re-issued or retired, or
    the counter, unit or campaign closed since: nothing was stored; say what is true now."""
    lookup.forget(code)
    found, gone = lookup.entry(code, day)
    if found is None:
        return _unknown(gone)
    return render_template("survey/no_campaign.html", counter=found.counter), 409


@bp.route("/<code>/phan-anh", methods=["GET", "POST"])
@limiter.limit(limits.submit_limit, key_func=limits.client_at_counter, methods=["POST"],
               on_breach=_refused_limit)
@csrf.exempt  # an expired token re-shows the report with its text, as the survey does
def pressure(code: str):
    """A citizen's anonymous report of pressure or interference: for Home Affairs only."""
    counter, _retired = find_by_public_code(code)
    if counter is None:  # say why, as the survey's page does
        return _unknown(lookup.entry(code, local_today())[1])
    form = PressureForm()
    if request.method != "POST":
        return render_template("survey/pressure.html", form=form, counter=counter)
    if form.validate():
        with transaction():
            add_pressure_report(counter.id, local_today(), form.kinds.data, form.text.data)
        session.pop(tickets.csrf_session_key(), None)
        return render_template("survey/pressure.html", form=None, counter=counter)
    notice = None
    if form.csrf_field.errors:
        form.csrf_field.errors = []
        notice = _("Trang đã mở khá lâu nên cần xác nhận lại. Nội dung Ông/Bà đã nhập vẫn được "
                   "giữ nguyên, vui lòng bấm Gửi phản ánh một lần nữa.")
    return render_template("survey/pressure.html", form=form, counter=counter,
                           notice=notice), 422


# Rendered questions of a blank form, by (questionnaire code, version, language, screened):
# every scan shows the same ones, and rendering ~45 inputs through WTForms is most of a page's
# time.
_blank_questions: dict[tuple[str, int, str, bool], Markup] = {}


def _blank_page(form, found: lookup.CodeEntry) -> str:
    """The survey page with markers where each scan's token and ticket go (lookup.fill) and,
    rendered for a marker counter, where each counter's words go (lookup's skeletons)."""
    questions = blank_questions(form, found.campaign.questionnaire.definition)
    form.csrf_field.current_token = lookup.CSRF_MARK
    form.ticket.data = lookup.TICKET_MARK
    return render_template("survey/form.html", form=form,
                           counter=lookup.skeleton_counter(found.counter), campaign=found.campaign,
                           notice=None, questions_html=questions)


def blank_questions(form, definition: dict, *, screened: bool = False) -> Markup:
    """The questions of a blank `form` of this questionnaire in the request's language, as
    rendered once in this process (`screened`: without the screening questions, for an
    invitation whose export answered them)."""
    key = (definition["code"], definition["version"], str(get_locale()), screened)
    if key not in _blank_questions:
        macro = get_template_attribute("survey/_questions.html", "render_questions")
        _blank_questions[key] = macro(form, screened=screened)  # Markup: autoescaped
    return _blank_questions[key]


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


def _done(outcome: str, found: lookup.CodeEntry):
    # The session held only the form's CSRF token; drop it so no cookie outlives the answer.
    session.pop(tickets.csrf_session_key(), None)
    return found.page(("done", outcome, str(get_locale())), lambda: render_template(
        "survey/done.html", outcome=outcome, declined=OUTCOME_DECLINED,
        completed=OUTCOME_COMPLETED, counter=found.counter))

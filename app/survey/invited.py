"""An invitation's one-time link, /i/<token>: the same survey page as a sticker's, for the
counter and the day the citizen's result was returned (the token stands for them), answered
once. Screening questions the export already answered are not asked again. What is stored
is decided where a sticker's answer's is (domain/responses.py), filed under the return day.
"""

from flask import Blueprint, current_app, make_response, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.clock import local_today
from app.db_setup import transaction
from app.domain import invitations
from app.domain.integrity import REFUSED_FAST
from app.domain.responses import previous_outcome, record_outcome, record_refusal
from app.domain.screening import (
    CHANNEL_IN_PERSON,
    OUTCOME_COMPLETED,
    OUTCOME_DECLINED,
    outcome_of,
)
from app.extensions import csrf, limiter
from app.privacy import INVITATION_PREFIX
from app.survey import lookup, steps, tickets
from app.survey import routes as survey_routes
from app.survey.forms import survey_form_class

bp = Blueprint("invited", __name__, url_prefix=INVITATION_PREFIX.rstrip("/"))
bp.before_request(survey_routes.small_bodies_only)
bp.after_request(survey_routes.survey_headers)


def _found(token: str):
    """(link, None) for a live link, or (None, the page that says why there is none)."""
    today = local_today()
    link = lookup.link_entry(token, today)
    if link is None:
        return None, (render_template("survey/invitation.html", state="unknown"), 404)
    if invitations.state_of(link, today) == invitations.EXPIRED:
        return None, (render_template("survey/invitation.html", state="expired",
                                      invitation=link), 410)
    if not link.live:
        return None, (render_template("survey/no_campaign.html", counter=link.counter), 410)
    return link, None


@bp.route("/<token>", methods=["GET", "HEAD"])
@limiter.exempt  # the link answers once: no per-address limit holds a household back
def entry(token: str):
    link, refused = _found(token)
    if refused:
        return refused
    if link.used:
        return render_template("survey/invitation.html", state="used", counter=link.counter)
    locale = str(get_locale())
    lookup.keep_skeleton(lookup.link_skeleton_key(link, locale), lambda: _blank_page(link))
    page = lookup.link_page(link, locale, _action(), tickets.csrf_token())
    if request.method == "GET":
        try:
            invitations.mark_opened(link)
        except SQLAlchemyError:  # a lost count must not cost the citizen the form
            current_app.logger.warning("The opening of an invitation's link was not counted.")
    return page


@bp.route("/<token>", methods=["POST"])
@limiter.exempt
@csrf.exempt  # the form checks its own token, so an expired one re-shows the answers instead
def submit(token: str):
    invitation, refused = _found(token)
    if refused:
        return refused
    counter, campaign = invitation.counter, invitation.campaign
    form = survey_form_class(campaign.questionnaire.definition, str(get_locale()))()
    if invitation.screened and not form.decline.data:  # the export said: in person, later
        form.channel.data, form.immediate.data = CHANNEL_IN_PERSON, "no"
        form.channel.raw_data, form.immediate.raw_data = [CHANNEL_IN_PERSON], ["no"]
    form.validate()
    ticket = tickets.check_ticket(form.ticket.data, counter.id)
    outcome = outcome_of(
        declined=bool(form.decline.data),
        screening_valid=not any(form[n].errors for n in survey_routes.SCREENING_FIELDS),
        channel=form.channel.data, immediate=form.immediate.data,
        answers_valid=not form.errors)
    step = steps.next_step(csrf_ok=not form.csrf_field.errors, ticket=ticket, outcome=outcome,
                           answered=False)
    answer_ticket = invitations.answer_ticket(token)
    if step == steps.RENEW:
        if previous := previous_outcome(answer_ticket):
            return _done(previous, counter)
        if ticket != tickets.TICKET_OK:
            form.ticket.data = tickets.issue_ticket(counter.id)
        return _show(form, invitation, campaign, clear_errors=True, notice=_(
            "Trang đã mở khá lâu nên cần xác nhận lại. Câu trả lời của Ông/Bà vẫn được giữ "
            "nguyên, vui lòng bấm nút một lần nữa."))
    if step == steps.FIX:
        return _show(form, invitation, campaign), 422
    completing = outcome == OUTCOME_COMPLETED
    answers = form.answers() if completing else None
    _within, flags = survey_routes.limits.count_sent(counter, answers, invited=True)
    if step == steps.TOO_FAST:
        with transaction():
            record_refusal(counter.id, invitation.returned_on, REFUSED_FAST)
        return _show(form, invitation, campaign, clear_errors=True,
                     notice=survey_routes.too_fast_notice(form.ticket.data))
    try:
        stored = record_outcome(
            ticket=answer_ticket, counter=counter, day=invitation.returned_on,
            outcome=outcome, campaign=campaign, answers=answers,
            comment=form.comment.data if completing else None,
            flags=[*flags, invitations.INVITED] if completing else ())
    except SQLAlchemyError:
        return survey_routes._try_again(form, counter, campaign)
    if stored.outcome is None:
        return render_template("survey/no_campaign.html", counter=counter), 409
    if stored.fresh:
        survey_routes._move_inbox(keep=stored.form_id)
    return _done(stored.outcome, counter)


def _show(form, invitation, campaign, *, notice: str | None = None,
          clear_errors: bool = False):
    if clear_errors:
        for field in form:
            field.errors = []
    return render_template("survey/form.html", form=form, counter=invitation.counter,
                           campaign=campaign, notice=notice, questions_html=None,
                           action=_action(), screened=invitation.screened)


def _blank_page(link: lookup.LinkEntry) -> str:
    """A link's blank form with markers for the counter's words, the form's action, the CSRF
    token and the ticket (lookup.link_page puts them in)."""
    definition = link.campaign.questionnaire.definition
    form = survey_form_class(definition, str(get_locale()))()
    questions = survey_routes.blank_questions(form, definition, screened=link.screened)
    form.csrf_field.current_token = lookup.CSRF_MARK
    form.ticket.data = lookup.TICKET_MARK
    return render_template("survey/form.html", form=form,
                           counter=lookup.skeleton_counter(link.counter),
                           campaign=link.campaign, notice=None, questions_html=questions,
                           action=lookup.LINK_MARK, screened=link.screened)


def _action() -> str:
    """Where the link's form is sent: the link itself, in the page's language."""
    locale = str(get_locale())
    return request.path + ("" if locale == "vi" else f"?lang={locale}")


def _done(outcome: str, counter):
    session.pop(tickets.csrf_session_key(), None)
    return make_response(render_template(
        "survey/done.html", outcome=outcome, declined=OUTCOME_DECLINED,
        completed=OUTCOME_COMPLETED, counter=counter))

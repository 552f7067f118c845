"""`flask send-digests` and `flask send-alerts`: each subscribed account's messages, each at
most once — a digest per week (its Monday), an alert of each kind per day — so cron may run
them as often as it likes. A message is recorded as sent in the transaction that follows its
sending: if the server stops in between, the next run sends it again (never lost, rarely
twice). Nothing is recorded for an account with nothing to tell.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.db_setup import transaction
from app.domain.weeks import monday
from app.extensions import db
from app.mail import compose
from app.mail.smtp import deliver
from app.models import AlertedItem, SentMessage, Subscription, User

ALERTS = ("alert_pace", "alert_review", "alert_pressure", "alert_satisfaction")


@dataclass
class Sent:
    messages: int = 0
    skipped: int = 0  # already sent for this week or day


def subscribers(kind: str) -> list[User]:
    """Active accounts with an address that chose `kind`."""
    return list(db.session.scalars(
        select(User).join(Subscription, Subscription.user_id == User.id)
        .where(Subscription.kind == kind, User.active, User.email.is_not(None))
        .order_by(User.id)))


def _sent(user: User, kind: str, key: str) -> bool:
    return db.session.get(SentMessage, (user.id, kind, key)) is not None


def _in_language(user: User, build: Callable):
    """Run `build` as a page for this account would be: its language, links to the public
    address."""
    with current_app.test_request_context(f"/?lang={user.language}",
                                          base_url=current_app.config["PUBLIC_BASE_URL"]), \
            force_locale(user.language):  # the CLI's app context has cached its own
        return build()


# Python folds a long non-ASCII header into encoded words and drops the space where it cuts
# ("không đạt" arrived as "khôngđạt"): headers stay on one line (RFC 5322 allows 998).
_POLICY = SMTP.clone(max_line_length=998)


def _message(user: User, subject: str, template: str, **context) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = formataddr((user.username, user.email))
    message["Message-ID"] = make_msgid(domain="khaosat")
    context.update(user=user, dashboard=url_for("reports.dashboard", _external=True),
                   account=url_for("auth.notifications", _external=True))
    message.set_content(render_template(f"mail/{template}.txt", **context))
    message.add_alternative(render_template(f"mail/{template}.html", **context),
                            subtype="html")
    return message


def _record(user: User, kind: str, key: str, items: list[str] = ()) -> None:
    with transaction():
        db.session.add(SentMessage(user_id=user.id, kind=kind, key=key,
                                   sent_at=datetime.now(UTC)))
        db.session.add_all(AlertedItem(user_id=user.id, item=item) for item in items)


def send_digests(today: date) -> Sent:
    """This week's digest to each account that chose it (its Monday is the key)."""
    from app.reports.exports import to_pdf  # WeasyPrint: loaded only when a PDF is asked for

    result, key = Sent(), monday(today).isoformat()
    for user in subscribers("digest"):
        if _sent(user, "digest", key):
            result.skipped += 1
            continue

        def build(user=user):
            digest = compose.digest_for(user, today)
            if digest is None:
                return None
            message = _message(user, _("Báo cáo tuần khảo sát mức độ hài lòng, tuần %(week)s",
                                       week=f"{today.isocalendar()[0]}-W"
                                            f"{today.isocalendar()[1]:02d}"),
                               "digest", digest=digest, today=today)
            wants_pdf = db.session.get(Subscription, (user.id, "digest_pdf")) is not None
            for part in digest.campaigns if wants_pdf else ():
                message.add_attachment(
                    to_pdf(part.report, user.language, today), maintype="application",
                    subtype="pdf", filename=f"bao-cao-{part.campaign.id}-{key}.pdf")
            return message

        message = _in_language(user, build)
        if message is None:
            continue
        deliver(message)
        _record(user, "digest", key)
        result.messages += 1
    return result


def send_alerts(today: date) -> Sent:
    """Today's alerts, at most one message of each kind per account, naming only what is new
    (a day pending review, a pressure report) or true today (pace, satisfaction)."""
    result, key = Sent(), today.isoformat()
    for kind in ALERTS:
        for user in subscribers(kind):
            if _sent(user, kind, key):
                result.skipped += 1
                continue
            built = _in_language(user, lambda user=user, kind=kind: _alert(user, kind, today))
            if built is None:
                continue
            message, items = built
            deliver(message)
            _record(user, kind, key, items)
            result.messages += 1
    return result


def _alert(user: User, kind: str, today: date) -> tuple[EmailMessage, list[str]] | None:
    if kind == "alert_pace":
        found = compose.pace_alerts(user, today)
        subject = _("Cảnh báo: %(n)d đơn vị có thể không đạt chỉ tiêu khi kết thúc đợt",
                    n=len(found))
        items = []
    elif kind == "alert_satisfaction":
        found = compose.satisfaction_alerts(user, today)
        subject = _("Cảnh báo: mức độ hài lòng của %(n)d đơn vị giảm rõ rệt", n=len(found))
        items = []
    elif kind == "alert_review":
        found = compose.review_alerts(user)
        subject = _("Cảnh báo: %(n)d ngày của quầy mới chờ xem xét", n=len(found))
        items = [alert.item for alert in found]
    else:
        found = compose.pressure_alerts(user)
        subject = _("Cảnh báo: %(n)d phản ánh mới của người dân về ép buộc, can thiệp",
                    n=len(found))
        items = list(found)
    if not found:
        return None
    message = _message(user, subject, "alert", kind=kind, found=found, today=today,
                       recent_weeks=compose.RECENT_WEEKS)
    return message, items

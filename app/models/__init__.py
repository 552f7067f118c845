"""All models, importable from one place (Alembic and the app see the same metadata)."""

from app.models.audit import AuditEvent
from app.models.org import Counter, RetiredCode, Unit
from app.models.staff import User
from app.models.survey import (
    Answer,
    AnswerDay,
    Campaign,
    CampaignTarget,
    DailyFunnel,
    Questionnaire,
    Response,
    ResponseDay,
    Tally,
    UsedTicket,
)

__all__ = [
    "Answer",
    "AnswerDay",
    "AuditEvent",
    "Campaign",
    "CampaignTarget",
    "Counter",
    "DailyFunnel",
    "Questionnaire",
    "Response",
    "ResponseDay",
    "RetiredCode",
    "Tally",
    "Unit",
    "UsedTicket",
    "User",
]

"""All models, importable from one place (Alembic and the app see the same metadata)."""

from app.models.audit import AuditEvent
from app.models.org import Counter, RetiredCode, Unit
from app.models.staff import User
from app.models.survey import (
    Answer,
    AnswerDay,
    AnswerWeek,
    Campaign,
    CampaignTarget,
    CounterWeek,
    DailyFunnel,
    Questionnaire,
    Response,
    ResponseDay,
    ResponseWeek,
    RolledWeek,
    Tally,
    UsedTicket,
)

__all__ = [
    "Answer",
    "AnswerDay",
    "AnswerWeek",
    "AuditEvent",
    "Campaign",
    "CampaignTarget",
    "Counter",
    "CounterWeek",
    "DailyFunnel",
    "Questionnaire",
    "Response",
    "ResponseDay",
    "ResponseWeek",
    "RetiredCode",
    "RolledWeek",
    "Tally",
    "Unit",
    "UsedTicket",
    "User",
]

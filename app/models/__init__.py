"""All models, importable from one place (Alembic and the app see the same metadata)."""

from app.models.audit import AuditEvent
from app.models.org import Counter, PrintJob, QrCode, RetiredCode, Unit
from app.models.staff import User
from app.models.survey import (
    Answer,
    AnswerDay,
    AnswerWeek,
    Campaign,
    CampaignTarget,
    CampaignWeek,
    DailyFunnel,
    InboxMove,
    InboxResponse,
    IntegrityDay,
    PressureReport,
    QuarantinedDay,
    Questionnaire,
    Response,
    ResponseDay,
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
    "CampaignWeek",
    "Counter",
    "DailyFunnel",
    "InboxMove",
    "InboxResponse",
    "IntegrityDay",
    "PressureReport",
    "PrintJob",
    "QrCode",
    "QuarantinedDay",
    "Questionnaire",
    "Response",
    "ResponseDay",
    "RetiredCode",
    "RolledWeek",
    "Tally",
    "Unit",
    "UsedTicket",
    "User",
]

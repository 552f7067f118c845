"""Small factories for test data, built through the domain operations (audited as "test");
each commits so the request under test sees it."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.clock import local_today
from app.domain.accounts import create_user
from app.domain.invitations import INVITATION_PREFIX, confirm_batch, preview
from app.domain.org import add_counter, add_unit
from app.domain.questionnaires import latest, load_all
from app.extensions import db
from app.invitations.dossier_files import parsed
from app.models import Campaign, Counter, Unit, User

PASSWORD = "mật khẩu thử nghiệm"
ACTOR = "test"

GOOD_ANSWERS = {
    "channel": "in_person",
    "immediate": "no",
    "access": "4",
    "procedure": "5",
    "officer": "3",
    "result": "4",
    "feedback": "2",
    "overall": "5",
    "on_time": "yes",
    "extra_demand": "no",
    "comment": "Cán bộ hướng dẫn tận tình.",
}


def make_unit(code: str = "TINH", name: str = "Tỉnh Thử Nghiệm", kind: str = "province",
              parent: Unit | None = None) -> Unit:
    unit = add_unit(code=code, name=name, kind=kind, parent=parent, actor=ACTOR)
    db.session.commit()
    return unit


def make_counter(unit: Unit, name: str = "Quầy Sở Tư pháp số 1",
                 operator: str | None = None) -> Counter:
    counter = add_counter(unit=unit, name=name, operator=operator, actor=ACTOR)
    db.session.commit()
    return counter


def make_campaign(unit: Unit, *, status: str = "active", starts_on: date | None = None,
                  ends_on: date | None = None, target: str = "30",
                  name: str = "Đợt thử") -> Campaign:
    load_all()
    today = local_today()
    campaign = Campaign(
        name=name, unit=unit, questionnaire=latest("sipas-short"),
        starts_on=starts_on or today - timedelta(days=7),
        ends_on=ends_on or today + timedelta(days=7),
        target_rate=Decimal(target), status=status,
    )
    db.session.add(campaign)
    db.session.commit()
    return campaign


def make_surveyed_counter(name: str = "Quầy Sở Tư pháp số 1") -> Counter:
    """A province with one counter under a department, inside an active campaign."""
    province = make_unit()
    department = make_unit("STP", "Sở Tư pháp", "department", parent=province)
    counter = make_counter(department, name)
    make_campaign(province)
    return counter


@dataclass(frozen=True)
class CounterRef:
    """What a test needs of a counter once its app context is gone."""

    id: int
    code: str
    name: str


def ref(counter: Counter) -> CounterRef:
    return CounterRef(counter.id, counter.code, counter.name)


def make_user(username: str, role: str, unit: Unit, password: str = PASSWORD) -> User:
    user = create_user(username=username, role=role, unit=unit, password=password, actor=ACTOR)
    db.session.commit()
    return user


def make_invitation(counter: Counter, *, screened: bool = True) -> str:
    """An invitation for a result returned yesterday at `counter`, as an upload makes one
    (by the counter's unit's parent, in a running campaign); returns its link's path. The
    export says "in person, not immediate" when `screened`, nothing of the channel if not."""
    today = local_today()
    row = {"returned_on": (today - timedelta(days=1)).isoformat(),
           "counter_code": counter.code, "phone": "0912000001"}
    if screened:
        row.update(channel="Trực tiếp", immediate="Không")
    result = preview(parsed([(2, row)]), counters={counter.code: counter}, today=today,
                     within_days=7)
    _batch, texts = confirm_batch(result, unit=counter.unit.parent or counter.unit,
                                  actor=ACTOR, source="upload", filename="t.csv", today=today)
    db.session.commit()
    return INVITATION_PREFIX + texts[0].text.split(INVITATION_PREFIX)[1].split()[0]

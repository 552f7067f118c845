"""Demo data for a first look: a small province, nine counters and one active campaign.

Built through the same domain operations as the pages (so it is audited as "cli"); the
seed-demo command commits it once.
"""

from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.clock import local_today
from app.domain.accounts import create_user, unit_by_code
from app.domain.campaigns import create_campaign, set_status
from app.domain.org import add_counter, add_unit
from app.extensions import db
from app.models import Unit
from app.survey.questionnaire import latest, load_all

PROVINCE_CODE = "BINHAN"
# Created by seed-demo in development only, so a newcomer can see each role's pages.
DEMO_PASSWORD = "khaosat-demo"  # noqa: S105  (demo only; never created in production)
DEMO_USERS = (("admin", "admin", "BINHAN"), ("quanly.anphu", "manager", "XAANPHU"),
              ("congchuc.ttpvhcc", "clerk", "TTPVHCC"))
ACTOR = "cli"


def seed_demo() -> bool:
    """Add the demo province unless it exists; return True when something was added."""
    load_all()
    if db.session.scalar(select(Unit.id).where(Unit.code == PROVINCE_CODE)):
        return False
    province = add_unit(code=PROVINCE_CODE, name="Tỉnh Bình An", kind="province", parent=None,
                        actor=ACTOR)
    add_unit(code="SNV", name="Sở Nội vụ tỉnh Bình An", kind="department", parent=province,
             actor=ACTOR)
    center = add_unit(code="TTPVHCC", name="Trung tâm Phục vụ hành chính công tỉnh Bình An",
                      kind="center", parent=province, actor=ACTOR)
    for name in ("Quầy Sở Kế hoạch và Đầu tư số 1", "Quầy Sở Kế hoạch và Đầu tư số 2",
                 "Quầy Sở Tư pháp số 1", "Quầy Sở Tư pháp số 2"):
        add_counter(unit=center, name=name, actor=ACTOR)
    add_counter(unit=center, name="Quầy trả kết quả của Bưu điện",
                operator="Bưu điện tỉnh Bình An", actor=ACTOR)
    district = add_unit(code="HUYENDONG", name="UBND huyện Đông Hưng", kind="district",
                        parent=province, actor=ACTOR)
    add_counter(unit=district, name="Bộ phận Một cửa huyện – Quầy 1", actor=ACTOR)
    for code, name in (("XAANPHU", "UBND xã An Phú"), ("PHUONGBM", "UBND phường Bình Minh")):
        commune = add_unit(code=code, name=name, kind="commune", parent=district, actor=ACTOR)
        add_counter(unit=commune, name="Bộ phận Một cửa – Quầy 1", actor=ACTOR)
        if code == "PHUONGBM":
            add_counter(unit=commune, name="Bộ phận Một cửa – Quầy 2", actor=ACTOR)
    today = local_today()
    campaign = create_campaign(
        name=f"Khảo sát sự hài lòng năm {today.year}", unit=province,
        questionnaire=latest("sipas-short"), starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=90), target_rate=Decimal("30.00"), actor=ACTOR)
    set_status(campaign, "active", actor=ACTOR)
    if current_app.config["KHAOSAT_ENV"] == "development":
        for username, role, unit_code in DEMO_USERS:
            create_user(username=username, role=role, unit=unit_by_code(unit_code),
                        password=DEMO_PASSWORD, actor=ACTOR)
    return True

"""Demo data for a first look: a small province, nine counters and one active campaign."""

from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.audit import log_change
from app.auth.accounts import create_user
from app.clock import local_today
from app.extensions import db
from app.models import Campaign, Unit
from app.org import add_counter, add_unit
from app.survey.questionnaire import latest, load_all

PROVINCE_CODE = "BINHAN"
# Created by seed-demo in development only, so a newcomer can see each role's pages.
DEMO_PASSWORD = "khaosat-demo"  # noqa: S105  (demo only; never created in production)
DEMO_USERS = (("admin", "admin", "BINHAN"), ("quanly.anphu", "manager", "XAANPHU"),
              ("congchuc.ttpvhcc", "clerk", "TTPVHCC"))


def seed_demo() -> bool:
    """Create the demo province unless it exists; return True when something was created."""
    load_all()
    if db.session.scalar(select(Unit.id).where(Unit.code == PROVINCE_CODE)):
        return False
    province = add_unit(code=PROVINCE_CODE, name="Tỉnh Bình An", kind="province")
    add_unit(code="SNV", name="Sở Nội vụ tỉnh Bình An", kind="department", parent=province)
    center = add_unit(
        code="TTPVHCC", name="Trung tâm Phục vụ hành chính công tỉnh Bình An", kind="center",
        parent=province,
    )
    for name in ("Quầy Sở Kế hoạch và Đầu tư số 1", "Quầy Sở Kế hoạch và Đầu tư số 2",
                 "Quầy Sở Tư pháp số 1", "Quầy Sở Tư pháp số 2"):
        add_counter(unit=center, name=name)
    add_counter(unit=center, name="Quầy trả kết quả của Bưu điện",
                operator="Bưu điện tỉnh Bình An")
    district = add_unit(code="HUYENDONG", name="UBND huyện Đông Hưng", kind="district",
                        parent=province)
    add_counter(unit=district, name="Bộ phận Một cửa huyện – Quầy 1")
    for code, name, kind in (("XAANPHU", "UBND xã An Phú", "commune"),
                             ("PHUONGBM", "UBND phường Bình Minh", "commune")):
        commune = add_unit(code=code, name=name, kind=kind, parent=district)
        add_counter(unit=commune, name="Bộ phận Một cửa – Quầy 1")
        if code == "PHUONGBM":
            add_counter(unit=commune, name="Bộ phận Một cửa – Quầy 2")
    today = local_today()
    campaign = Campaign(
        name=f"Khảo sát sự hài lòng năm {today.year}", unit=province,
        questionnaire=latest("sipas-short"), starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=90), target_rate=Decimal("30.00"), status="active",
    )
    db.session.add(campaign)
    db.session.flush()
    log_change(actor="cli", action="seed-demo", object_type="unit", object_id=province.id,
               after={"code": PROVINCE_CODE})
    db.session.commit()
    if current_app.config["KHAOSAT_ENV"] == "development":
        for username, role, unit_code in DEMO_USERS:
            create_user(username=username, role=role, unit_code=unit_code,
                        password=DEMO_PASSWORD, actor="cli")
    return True

"""The unit tree's vocabulary (contains, subtree_of, depth) and the scope built on it."""

import pytest
from sqlalchemy import select

from app.auth.scope import WHOLE_TREE, Scope, audit_events_in_scope, units_in_scope
from app.db_setup import transaction
from app.domain.org import OrgError, update_unit
from app.extensions import db
from app.models import AuditEvent, Unit
from tests.factories import make_unit


@pytest.fixture
def tree(ctx):
    """Province > district > commune."""
    province = make_unit("TINH", "Tỉnh")
    district = make_unit("HUYEN", "Huyện", "district", parent=province)
    commune = make_unit("XA", "Xã", "commune", parent=district)
    return {"province": province, "district": district, "commune": commune}


def test_contains_and_depth_follow_the_tree(tree):
    province, district, commune = tree["province"], tree["district"], tree["commune"]
    assert [province.depth, district.depth, commune.depth] == [0, 1, 2]
    assert province.contains(commune) and district.contains(commune)
    assert district.contains(district)  # a unit's subtree holds the unit itself
    assert not commune.contains(district)
    assert district.related_to(commune) and commune.related_to(district)


def test_a_sibling_whose_path_starts_with_the_same_digits_is_not_inside(ctx):
    province = make_unit("TINH", "Tỉnh")
    units = [make_unit(f"U{i}", f"Đơn vị {i}", "commune", parent=province) for i in range(11)]
    one, eleven = units[0], units[10]  # paths like "/1/2/" and "/1/12/": no shared subtree
    assert not one.contains(eleven) and not eleven.contains(one)
    inside = db.session.scalars(select(Unit.code).where(Unit.subtree_of(one))).all()
    assert inside == [one.code]


def test_subtree_of_selects_the_unit_and_everything_below(tree):
    codes = set(db.session.scalars(select(Unit.code).where(Unit.subtree_of(tree["district"]))))
    assert codes == {"HUYEN", "XA"}


def test_moving_a_unit_under_its_own_child_is_refused_and_saves_nothing(tree):
    district, commune = tree["district"], tree["commune"]
    with pytest.raises(OrgError), transaction():
        update_unit(district, name="Đổi tên", kind="district", parent=commune, active=True,
                    actor="test")
    assert db.session.get(Unit, district.id).name == "Huyện"


def test_a_scope_holds_its_subtree_only(tree):
    scope = Scope(tree["district"])
    assert scope.holds(tree["commune"]) and not scope.holds(tree["province"])
    assert [u.code for u in units_in_scope(scope)] == ["HUYEN", "XA"]
    assert WHOLE_TREE.holds(tree["province"]) and WHOLE_TREE.is_province_wide
    assert Scope(tree["province"]).is_province_wide and not scope.is_province_wide


def test_province_wide_audit_events_show_to_province_scopes_only(tree):
    db.session.add(AuditEvent(actor="cli", action="import", object_type="tally", unit_id=None))
    db.session.add(AuditEvent(actor="cli", action="update", object_type="unit",
                              unit_id=tree["commune"].id))
    db.session.commit()

    def actions(scope):
        return sorted(e.action for e in db.session.scalars(audit_events_in_scope(scope))
                      if e.actor == "cli")

    assert actions(Scope(tree["province"])) == ["import", "update"]
    assert actions(WHOLE_TREE) == ["import", "update"]
    assert actions(Scope(tree["district"])) == ["update"]
    assert actions(Scope(make_unit("XB", "Xã khác", "commune", parent=tree["province"]))) == []

"""Questionnaires are versioned data files; a loaded version never changes."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.domain.questionnaires import QUESTIONNAIRE_DIR, QuestionnaireError, load_all, parse
from app.extensions import db
from app.models import Questionnaire

DEFAULT = QUESTIONNAIRE_DIR / "sipas-short-v1.toml"


def test_default_questionnaire_follows_the_design():
    data = parse(DEFAULT)
    kinds = {q["key"]: q["kind"] for q in data["questions"]}
    # The five SIPAS factors and the overall question on the 5-point scale.
    assert [k for k, kind in kinds.items() if kind == "scale"] == [
        "access", "procedure", "officer", "result", "feedback", "overall"]
    assert [k for k, kind in kinds.items() if kind == "yes_no"] == ["on_time", "extra_demand"]
    assert data["scale"]["vi"] == ["Rất không hài lòng", "Không hài lòng", "Bình thường",
                                   "Hài lòng", "Rất hài lòng"]
    assert data["comment"]["max_length"] == 500


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('role = "overall"', ""), "role = 'overall'"),
        (('kind = "yes_no"', 'kind = "free_text"'), "kind must be one of"),
        (('key = "result"', 'key = "access"'), "question keys repeat"),
        (('"Rất hài lòng"]', '"Rất hài lòng", "Tuyệt vời"]'), "five labels"),
        (("[comment]", "[remark]"), "missing 'comment'"),
    ],
)
def test_broken_questionnaire_files_are_refused_with_a_reason(tmp_path, change, message):
    broken = DEFAULT.read_text(encoding="utf-8").replace(*change, 1)
    with pytest.raises(QuestionnaireError, match=message):
        parse(write(tmp_path, broken))


def test_a_loaded_version_cannot_be_changed_in_place(ctx, tmp_path):
    shutil.copy(DEFAULT, tmp_path / "sipas-short-v1.toml")
    assert load_all(tmp_path) == [("sipas-short", 1, "loaded")]
    edited = (tmp_path / "sipas-short-v1.toml").read_text(encoding="utf-8")
    (tmp_path / "sipas-short-v1.toml").write_text(edited.replace("Tiếp cận dịch vụ", "Tiếp cận"),
                                                  encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="new version number"):
        load_all(tmp_path)
    (tmp_path / "sipas-short-v2.toml").write_text(
        edited.replace("version = 1", "version = 2"), encoding="utf-8")
    (tmp_path / "sipas-short-v1.toml").write_text(edited, encoding="utf-8")
    assert ("sipas-short", 2, "loaded") in load_all(tmp_path)
    versions = db.session.scalars(select(Questionnaire.version).order_by(Questionnaire.version))
    assert list(versions) == [1, 2]

"""Questionnaires are data: TOML files in app/questionnaires/, loaded into the database.

A loaded version is immutable, since responses keep the version they answered.
"""

import tomllib
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Questionnaire

QUESTIONNAIRE_DIR = Path(__file__).resolve().parent.parent / "questionnaires"
QUESTION_KINDS = ("scale", "yes_no")
LOCALES = ("vi", "en")


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used as it is."""


def parse(path: Path) -> dict:
    """Read and check one questionnaire file; return its definition."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    problems = []
    for key in ("code", "version", "title", "scale", "questions", "comment"):
        if key not in data:
            problems.append(f"missing '{key}'")
    if problems:
        raise QuestionnaireError(f"{path.name}: " + ", ".join(problems))
    keys = [q.get("key") for q in data["questions"]]
    if len(set(keys)) != len(keys):
        problems.append("question keys repeat")
    for q in data["questions"]:
        if q.get("kind") not in QUESTION_KINDS:
            problems.append(f"question {q.get('key')!r}: kind must be one of {QUESTION_KINDS}")
        if any(locale not in q for locale in LOCALES):
            problems.append(f"question {q.get('key')!r}: needs text for {LOCALES}")
    overall = [q for q in data["questions"] if q.get("role") == "overall"]
    if len(overall) != 1 or overall[0]["kind"] != "scale":
        problems.append("exactly one scale question needs role = 'overall'")
    if any(len(data["scale"].get(locale, [])) != 5 for locale in LOCALES):
        problems.append("the scale needs five labels in each language")
    if problems:
        raise QuestionnaireError(f"{path.name}: " + "; ".join(problems))
    return data


def load_all(directory: Path = QUESTIONNAIRE_DIR) -> list[tuple[str, int, str]]:
    """Add each questionnaire file not yet in the database; report (code, version, status)."""
    report = []
    for path in sorted(directory.glob("*.toml")):
        data = parse(path)
        existing = db.session.scalar(
            select(Questionnaire).filter_by(code=data["code"], version=data["version"])
        )
        if existing is None:
            db.session.add(
                Questionnaire(
                    code=data["code"], version=data["version"], title=data["title"]["vi"],
                    definition=data,
                )
            )
            report.append((data["code"], data["version"], "loaded"))
        elif existing.definition != data:
            raise QuestionnaireError(
                f"{path.name}: {data['code']} v{data['version']} is already loaded with other "
                "content; give the changed questionnaire a new version number"
            )
        else:
            report.append((data["code"], data["version"], "unchanged"))
    db.session.flush()  # the caller (a CLI command, seed-demo) commits
    return report


def latest(code: str) -> Questionnaire | None:
    """The highest loaded version of a questionnaire."""
    return db.session.scalar(
        select(Questionnaire).filter_by(code=code).order_by(Questionnaire.version.desc()).limit(1)
    )


def overall_key(definition: dict) -> str:
    """The key of the question the satisfaction rate is computed from."""
    return next(q["key"] for q in definition["questions"] if q.get("role") == "overall")

"""The README and docs/ work as written on a fresh clone: every command they name exists, every
file or folder they point to is in the repository, every page of docs/ is linked from the
README, and no example depends on a random code."""

import re
from pathlib import Path

from app.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))
EVERYTHING = "\n".join([README, *(d.read_text(encoding="utf-8") for d in DOCS)])


def test_every_flask_command_in_the_readme_exists(app):
    named = set(re.findall(r"flask --app wsgi ([a-z][a-z-]+)", EVERYTHING))
    named |= set(re.findall(r"^\| `([a-z][a-z-]+)[ `]", README, re.M)) & {
        c for c in app.cli.commands}  # the command table
    known = set(app.cli.commands) | {"db", "run", "routes", "shell"}
    assert named and named <= known, named - known
    # Every command of the app is in the README's table.
    table = set(re.findall(r"^\| `([a-z][a-z-]+)", README, re.M))
    assert set(app.cli.commands) <= table | {"db"}, set(app.cli.commands) - table


def test_every_path_the_readme_points_to_exists():
    paths = set(re.findall(
        r"`((?:app|bench|tests|migrations|printables|docs|\.ci)/[\w./-]+)`", EVERYTHING))
    paths |= set(re.findall(r"`((?:Makefile|wsgi\.py|gunicorn\.conf\.py|requirements\.txt))`",
                            EVERYTHING))
    assert paths
    missing = sorted(p for p in paths if not (ROOT / p.rstrip("/")).exists())
    assert missing == []


def test_make_targets_and_demo_login_are_as_written():
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^make ([a-z-]+)", README, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert f"`{DEMO_PASSWORD}`" in README


def test_no_example_depends_on_a_random_counter_code_or_an_absent_document():
    # Demo codes are random: an 8-character code in an example would not exist on a new clone.
    assert not re.search(r"/q/[A-Z0-9]{8}\b", README)
    assert "DESIGN.md" not in README


def test_every_page_of_docs_is_linked_from_the_readme_and_every_link_lands():
    assert DOCS, "docs/ holds the operations, benchmarks and internals"
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)(?:#[\w-]+)?\)", README))
    assert {f"docs/{d.name}" for d in DOCS} <= linked
    for doc in DOCS:  # links between the pages of docs/ and back to the README
        for target in re.findall(r"\]\(([\w./-]+\.md)(?:#[\w-]+)?\)", doc.read_text()):
            assert (doc.parent / target).resolve().exists(), (doc.name, target)


def test_the_readme_leads_with_what_a_newcomer_needs():
    """What it is and the two commands, who sees what, and why a test answer does not show,
    before any reference section; the README stays short (the rest is in docs/)."""
    order = [README.index(heading) for heading in (
        "## The two commands", "## A short tour: who sees what",
        "## Why don't I see my test answer?", "## What a citizen sees")]
    assert order == sorted(order)
    assert README.count("\n") < 700

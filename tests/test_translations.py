"""Vietnamese is the source language; the English catalog must cover every marked string."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app/translations/en/LC_MESSAGES/messages.po"
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages() -> set[str]:
    found = extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)
    return {msg if isinstance(msg, str) else msg[0] for _, _, msg, _, _ in found}


def test_every_marked_string_has_an_english_translation():
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = source_messages() - translated
    assert not missing, f"run the translation update in README; untranslated: {sorted(missing)}"


def test_english_survey_page_really_uses_the_compiled_catalog(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context("/?lang=en"), force_locale("en"):
        assert gettext("Không tham gia") == "Do not take part"

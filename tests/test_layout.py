"""The layout keeps its promises: each layer imports only what README's "Where things live"
table allows, and a page is never cached unless it says so, whatever blueprint it is in."""

import ast
from pathlib import Path

import pytest
from flask import Blueprint

APP = Path(__file__).resolve().parent.parent / "app"

# Folder (or module) → the app modules it may import. Anything under a listed prefix is allowed.
ALLOWED = {
    "app/figures.py": (),
    "app/models": ("app.extensions", "app.figures", "app.models"),
    "app/domain": ("app.domain", "app.models", "app.extensions", "app.figures", "app.privacy",
                   "app.qr"),
    "app/qr.py": ("app.db_setup", "app.extensions", "app.models"),
}


def imports_of(path: Path) -> set[str]:
    """Every app.* module a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if (APP.parent / node.module.replace(".", "/") / alias.name).exists()
                         or (APP.parent / node.module.replace(".", "/")
                             / f"{alias.name}.py").exists())
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("app"))
    return found


def files_under(key: str) -> list[Path]:
    target = APP.parent / key
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_it_may(layer):
    allowed = ALLOWED[layer]
    wrong = {}
    for path in files_under(layer):
        bad = sorted(m for m in imports_of(path)
                     if m != "app" and not any(m == a or m.startswith(a + ".") for a in allowed))
        if bad:
            wrong[str(path.relative_to(APP.parent))] = bad
    assert wrong == {}


def test_no_module_imports_another_blueprints_routes():
    wrong = {}
    for path in sorted(APP.rglob("*.py")):
        own = path.relative_to(APP).parts[0]
        routes = [m for m in imports_of(path) if m.endswith(".routes")
                  and m.split(".")[1] != own]
        if routes:
            wrong[str(path.relative_to(APP.parent))] = routes
    assert wrong == {}


def test_the_survey_prefix_is_written_once():
    hits = [str(p.relative_to(APP.parent)) for p in APP.rglob("*.py")
            if '"/q/' in p.read_text(encoding="utf-8")]
    assert hits == ["app/privacy.py"]


def test_a_new_blueprints_pages_are_not_cached_by_default(migrated_database):
    from app import create_app
    from tests.conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database})
    extra = Blueprint("brand_new", __name__)
    extra.add_url_rule("/brand-new", "page", lambda: "hello")
    app.register_blueprint(extra)
    client = app.test_client()
    assert client.get("/brand-new").headers["Cache-Control"] == "no-store"
    static = client.get("/static/staff.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()

"""The layout keeps its promises: each folder imports only what README's "Where things live"
table allows (read from the README itself, every row), no blueprint imports another's
routes, `app` has no import cycle, nothing commits outside transaction() but the functions
OWN_TRANSACTIONS names, and a page is never cached unless it says so."""

import ast
import re
from pathlib import Path

import pytest
from flask import Blueprint

from app.db_setup import OWN_TRANSACTIONS

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"


def layer_table() -> dict[str, tuple[str, ...] | None]:
    """README's table as {path: allowed app modules}, None for "anything"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:4] for line in section.splitlines()
            if line.startswith("| `app/")]
    plumbing = next(re.findall(r"`(app/[\w/.]+)`", paths) for paths, _what, may in rows
                    if may.strip() == "plumbing")
    plumbing_modules = tuple(p.removesuffix(".py").replace("/", ".") for p in plumbing)
    table: dict[str, tuple[str, ...] | None] = {}
    for paths, _what, may in rows:
        may = may.strip()
        if may == "—":
            continue
        allowed = None if may == "anything" else ()
        if may not in ("anything", "nothing"):
            allowed = tuple(re.findall(r"`(app[\w.]*)`", may))
            if "plumbing" in may:
                allowed += plumbing_modules
        for path in re.findall(r"`(app/[\w/.]+)`", paths):
            table[path.rstrip("/")] = allowed
    return table


TABLE = layer_table()


def imports_of(path: Path) -> set[str]:
    """Every app.* module a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if (ROOT / node.module.replace(".", "/") / alias.name).exists()
                         or (ROOT / node.module.replace(".", "/")
                             / f"{alias.name}.py").exists())
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("app"))
    return found


def files_under(key: str) -> list[Path]:
    target = ROOT / key
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


def test_the_table_covers_every_module_of_app():
    covered = {p for key in TABLE for p in files_under(key)}
    assert sorted(str(p.relative_to(ROOT)) for p in APP.rglob("*.py")
                  if p not in covered) == []
    assert len(TABLE) > 15 and TABLE["app/figures.py"] == ()


@pytest.mark.parametrize("layer", sorted(k for k, v in TABLE.items() if v is not None))
def test_each_layer_imports_only_what_it_may(layer):
    allowed = TABLE[layer]
    wrong = {}
    for path in files_under(layer):
        bad = sorted(m for m in imports_of(path)
                     if m != "app" and not any(m == a or m.startswith(a + ".") for a in allowed))
        if bad:
            wrong[str(path.relative_to(ROOT))] = bad
    assert wrong == {}


def test_no_module_imports_another_blueprints_routes():
    wrong = {}
    for path in sorted(APP.rglob("*.py")):
        own = path.relative_to(APP).parts[0]
        routes = [m for m in imports_of(path) if m.endswith(".routes")
                  and m.split(".")[1] != own]
        if routes:
            wrong[str(path.relative_to(ROOT))] = routes
    assert wrong == {}


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_app_has_no_import_cycle():
    """Among app's modules (a package's __init__ importing its own routes aside)."""
    modules = {_module_of(p): p for p in APP.rglob("*.py")}
    graph = {name: {m for m in imports_of(path) if m in modules and m != name
                    and not (path.name == "__init__.py" and m.startswith(name + "."))}
             for name, path in modules.items()}
    graph.pop("app")  # the factory imports everything, lazily, and nothing imports it back
    assert find_cycles(graph) == []


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of a graph, each as the path that closes it (depth-first search)."""
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c", "a"]]


def _commit_sites() -> dict[str, set[str]]:
    """{file: functions} that call .commit() or open a transaction with .begin()."""
    sites: dict[str, set[str]] = {}
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("commit", "begin")):
                    sites.setdefault(str(path.relative_to(ROOT)), set()).add(func.name)
    return sites


def test_nothing_commits_but_transaction_and_the_named_exceptions():
    assert _commit_sites() == {path: set(names) for path, names in OWN_TRANSACTIONS.items()}


def test_the_survey_prefix_is_written_once():
    hits = [str(p.relative_to(ROOT)) for p in APP.rglob("*.py")
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

"""The house rules of kit/, checked by reading the code (ast), so the layout the README shows
stays the layout there is:

- packages depend only downwards, as kit/__init__.py's DEPENDS_ON says (the map, once): library ←
  tutor ← classroom ← web ← app.py ← cli; SHARED modules are for all; every package is in that
  map, in kit/__init__.py's docstring and in the README's Layout;
- only kit/app.py and kit/web/ import Flask (or werkzeug); only kit/cli/ imports click;
- every URL is defined in kit/app.py, and its views catch no errors: errors carry their status
  (kit/errors.py) and kit/web/errors.py answers them;
- a document URL (/p/<pack>/<slug>) is built and read in kit/library/urls.py only (Python and
  templates), and app.py's routes match what it builds;
- the app's services are one typed object (kit/web/services.py): no `app.extensions[...]`
  string keys anywhere else, in kit/ or the tests;
- no import cycles between modules, counting imports inside functions too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import kit

KIT = Path(__file__).resolve().parent.parent / "kit"
README = KIT.parent / "README.md"
# The map is kit/__init__.py's: package -> the packages it may import (besides itself and SHARED)
SHARED = set(kit.SHARED)
ALLOWED = {**{name: set(allowed) for name, allowed in kit.DEPENDS_ON.items()}, "shared": set()}
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def modules() -> dict[str, Path]:
    found = {}
    for path in KIT.rglob("*.py"):
        parts = path.relative_to(KIT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path, name: str) -> set[str]:
    """Every kit module `path` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    known = modules()
    return {name for name in found if name in known}


def area(name: str) -> str:
    if name in SHARED:
        return "shared"
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "kit"


def allowed(importer: str, imported: str) -> bool:
    if imported in SHARED or imported == "kit":
        return True
    own, theirs = area(importer), area(imported)
    if own == theirs:
        return True
    rules = ALLOWED[own]
    return theirs in rules or any(imported == f"kit.{rule}" or imported.startswith(f"kit.{rule}.")
                                  for rule in rules)


def third_party_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_every_package_is_on_the_map_and_in_the_readme():
    packages = {p.parent.name for p in KIT.glob("*/__init__.py")}
    shared = {name.removeprefix("kit.") for name in SHARED}
    assert packages - shared == set(kit.DEPENDS_ON) - {"app", "__main__"}
    layout = README.read_text(encoding="utf-8").split("## Layout", 1)[1].split("\n## ", 1)[0]
    missing = {name: [where for where, text in (("kit/__init__.py", kit.__doc__), ("README Layout", layout))
                      if f"{name}/" not in text and f"{name}.py" not in text]
               for name in packages | shared | {"app"}}
    assert not {name: where for name, where in missing.items() if where}, missing


def test_packages_depend_only_downwards():
    wrong = [f"{name} imports {other}" for name, path in modules().items()
             for other in sorted(imports_of(path, name)) if not allowed(name, other)]
    assert not wrong, "\n".join(wrong)


def test_only_the_app_and_its_web_helpers_import_flask():
    wrong = [name for name, path in modules().items()
             if third_party_roots(path) & {"flask", "werkzeug"} and area(name) not in ("app", "web")]
    assert not wrong, wrong


def test_only_the_cli_imports_click():
    wrong = [name for name, path in modules().items()
             if "click" in third_party_roots(path) and area(name) != "cli"]
    assert not wrong, wrong


def test_every_url_is_defined_in_app_py():
    routes = {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for decorator in getattr(node, "decorator_list", []):
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr in ROUTE_DECORATORS and decorator.args
                        and isinstance(decorator.args[0], ast.Constant)
                        and str(decorator.args[0].value).startswith("/")):
                    routes.setdefault(name, []).append(decorator.args[0].value)
    assert set(routes) == {"kit.app"}, routes
    assert len(routes["kit.app"]) >= 25


def views_catching_errors(source: str) -> list[str]:
    """The route functions in `source` with an `except` in them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTE_DECORATORS
                for d in node.decorator_list):
            if any(isinstance(inner, ast.ExceptHandler) for inner in ast.walk(node)):
                found.append(node.name)
    return found


def test_app_views_map_no_errors_to_responses():
    """An error a view could only turn into a response carries its status (kit/errors.py):
    kit/web/errors.py answers it (JSON, the form again, or the error page)."""
    assert views_catching_errors((KIT / "app.py").read_text(encoding="utf-8")) == []
    caught = 'from x import kit\n@kit.post("/a")\ndef a():\n    try:\n        f()\n    except E:\n        abort(400)\n'
    assert views_catching_errors(caught) == ["a"]


def extension_keys(source: str) -> list[str]:
    """Every `<something>.extensions[...]` (or `.extensions.get(...)`) look-up in `source`."""
    return [ast.unparse(node) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Attribute)
            and node.value.attr == "extensions"]


def test_services_are_read_as_attributes_not_extension_keys():
    wiring = KIT / "web" / "services.py"
    files = [p for p in [*KIT.rglob("*.py"), *KIT.parent.joinpath("tests").rglob("*.py")] if p != wiring]
    found = {str(p.relative_to(KIT.parent)): keys for p in files
             if (keys := extension_keys(p.read_text(encoding="utf-8")))}
    assert not found, found
    assert extension_keys('store = site.app.extensions["store"]') == ["site.app.extensions['store']"]
    assert extension_keys('app.extensions.get("notices", [])') == ["app.extensions.get"]


URLS = KIT / "library" / "urls.py"


def document_url_spellings(source: str) -> list[str]:
    """The strings (not docstrings) in Python `source` that spell the document URL prefix."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    routes = {id(d.args[0]) for node in ast.walk(tree) for d in getattr(node, "decorator_list", [])
              if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTE_DECORATORS
              and d.args}
    return [ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "/p/" in node.value
            and id(node) not in docstrings | routes]


def test_document_urls_are_built_in_one_module():
    found = {str(p.relative_to(KIT)): spelled for p in KIT.rglob("*.py")
             if p != URLS and (spelled := document_url_spellings(p.read_text(encoding="utf-8")))}
    found |= {str(p.relative_to(KIT)): ["/p/"] for p in (KIT / "web" / "templates").rglob("*.html")
              if "/p/" in p.read_text(encoding="utf-8")}
    assert not found, found
    assert document_url_spellings('"""A /p/x docstring."""\nurl = f"/p/{pack}/{slug}"\n') == ["'/p/'"]


def test_the_document_url_helper_and_the_routes_agree():
    from flask import Flask

    from kit.app import kit
    from kit.library.urls import document_of, document_url, pack_url
    app = Flask(__name__)
    app.register_blueprint(kit)
    router = app.url_map.bind("kit.local")
    assert router.match(document_url("knots", "w/01-bowline.html")) == (
        "kit.document_page", {"pack_id": "knots", "slug": "w/01-bowline.html"})
    assert router.match(pack_url("knots")) == ("kit.pack_page", {"pack_id": "knots"})
    assert document_of(document_url("knots", "w/01-bowline.html")) == ("knots", "w/01-bowline.html")
    assert document_of("/search") is None


def test_there_are_no_import_cycles():
    graph = {name: imports_of(path, name) - {name} for name, path in modules().items()}
    # a package's __init__ importing its own modules is how packages work, not a cycle
    graph = {name: {o for o in others if not o.startswith(name + ".")} for name, others in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, trail):
        state[node] = 1
        for other in sorted(graph.get(node, ())):
            if state.get(other) == 1:
                cycles.append(trail[trail.index(other):] + [other] if other in trail else [node, other])
            elif other not in state:
                visit(other, trail + [other])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_rules_see_a_violation(tmp_path):
    """The checker itself can fail: a library module importing the tutor is reported."""
    assert not allowed("kit.library.search", "kit.tutor.retrieval")
    assert not allowed("kit.tutor.retrieval", "kit.classroom.store")
    assert allowed("kit.classroom.report", "kit.tutor.answering")
    assert not allowed("kit.stick.plan", "kit.tutor.engines.embedded")

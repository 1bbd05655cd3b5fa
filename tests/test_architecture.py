"""The layout is the architecture: the domain packages never reach into the web layer."""

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", ["tours", "guides"])
def test_domain_package_imports_no_flask(package):
    modules = sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts)
        for p in (REPO / package).rglob("*.py")
        if p.name != "__init__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "web = ('flask', 'webapp', 'werkzeug')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in web)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{package} pulled in: {result.stdout.strip()}"


def test_tours_does_not_import_guides():
    """Dependencies flow webapp -> guides -> tours, never back."""
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "tours").rglob("*.py")
        if "import guides" in p.read_text() or "from guides" in p.read_text()
    ]
    assert offenders == []


# --- rooms and import direction (the map in DEVELOPERS.md) ----------------------------

PROJECT_PACKAGES = ("tours", "guides", "webapp")
ROOM_ROW = re.compile(r"^\| `(?P<room>[\w.]+)` \|.*\| (?P<allowed>[^|]*) \|$")


def read_room_map(text: str) -> dict[str, list[str]]:
    """``{room: [allowed room patterns]}`` from the map table in DEVELOPERS.md."""
    section = text.split("## The map of the rooms", 1)[1].split("\n## ", 1)[0]
    rooms = {}
    for line in section.splitlines():
        match = ROOM_ROW.match(line.strip())
        if match:
            rooms[match["room"]] = re.findall(r"`([\w.*]+)`", match["allowed"])
    return rooms


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path) -> dict[str, Path]:
    return {
        module_name(path, root): path
        for package in PROJECT_PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }


def within(name: str, package: str) -> bool:
    """``name`` is ``package`` or inside it."""
    return name == package or name.startswith(package + ".")


def imported_names(tree: ast.Module, path: Path, name: str) -> set[str]:
    """Every dotted name the module imports, made absolute, at any depth (late imports too).

    ``from pkg import x`` gives ``pkg`` and ``pkg.x``, since ``x`` may be a module.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_targets(names: set[str], name: str, known: set[str]) -> set[str]:
    """The project modules among ``names``: each the deepest module it names."""
    found = set()
    for candidate in names:
        # ``import a.b.c`` depends on the deepest project module it names.
        while candidate and candidate not in known:
            candidate = candidate.rpartition(".")[0]
        if candidate and candidate != name:
            found.add(candidate)
    return found


@dataclass(repr=False)
class Project:
    """The project's modules, read and parsed once: sources, trees, imports, import graph."""

    root: Path
    paths: dict[str, Path]
    sources: dict[str, str]
    trees: dict[str, ast.Module]
    imports: dict[str, set[str]]
    graph: dict[str, set[str]]


def read_project(root: Path) -> Project:
    paths = project_modules(root)
    sources = {name: path.read_text() for name, path in paths.items()}
    trees = {name: ast.parse(sources[name], str(paths[name])) for name in paths}
    imports = {name: imported_names(trees[name], paths[name], name) for name in paths}
    known = set(paths)
    graph = {name: project_targets(imports[name], name, known) for name in paths}
    return Project(root, paths, sources, trees, imports, graph)


def import_graph(root: Path) -> dict[str, set[str]]:
    return read_project(root).graph


def room_of(module: str, rooms: dict[str, list[str]]) -> str:
    candidates = [room for room in rooms if module == room or module.startswith(room + ".")]
    return max(candidates, key=len)


def allowed(target_room: str, room: str, patterns: list[str]) -> bool:
    if target_room == room:
        return True
    for pattern in patterns:
        if pattern.endswith(".*"):
            base = pattern[:-2]
            if target_room == base or target_room.startswith(base + "."):
                return True
        elif target_room == pattern:
            return True
    return False


def wrong_way_imports(graph: dict[str, set[str]], rooms: dict[str, list[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        room = room_of(module, rooms)
        for target in sorted(targets):
            target_room = room_of(target, rooms)
            # A package's own __init__ gathering its modules is inside the room.
            if target_room.startswith(room + ".") and module == room and room != "tours":
                continue
            if not allowed(target_room, room, rooms[room]):
                problems.append(f"{module} ({room}) imports {target} ({target_room})")
    return problems


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


# Front doors: blueprints, the command line, the actions they share.
BLUEPRINT_PACKAGES = (
    "webapp.public",
    "webapp.booking",
    "webapp.api",
    "webapp.guides_public",
    "webapp.console",
)
# Feature packages the front doors build on: media serves its images and mail its layout
# from a blueprint of their own, but they import no front door (the room map says so).
SHARED_FEATURES = ("webapp.media", "webapp.mail")
SERVICE_FREE_PACKAGES = (
    *BLUEPRINT_PACKAGES,
    *SHARED_FEATURES,
    "webapp.commands",
    "webapp.actions",
)


def blueprint_cross_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports from one blueprint package into another."""
    problems = []
    for module, targets in sorted(graph.items()):
        home = next((p for p in BLUEPRINT_PACKAGES if within(module, p)), None)
        for target in sorted(targets):
            other = next((p for p in BLUEPRINT_PACKAGES if within(target, p)), None)
            if home and other and other != home:
                problems.append(f"{module} imports {target}")
    return problems


def _own_keys(tree: ast.Module) -> set[str]:
    """Names a module binds at its top level (``EXTENSION_KEY = "bidean.pages"``)."""
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _extension_key(node: ast.Attribute, parents: dict[ast.AST, ast.AST]) -> ast.AST | None:
    """The key of ``x.extensions[KEY]`` or ``x.extensions.get(KEY, ...)``; None otherwise."""
    parent = parents.get(node)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return parent.slice
    if isinstance(parent, ast.Attribute) and parent.attr in {"get", "setdefault", "pop"}:
        call = parents.get(parent)
        if isinstance(call, ast.Call) and call.args:
            return call.args[0]
    return None


def extension_reads(project: Project) -> list[str]:
    """``app.extensions`` read by a front door under a key it does not own: a service lookup.

    An extension is the state of the module that sets it (the database, caches, asset
    versions), read through that module's own functions: in blueprints, commands and
    actions a module may touch ``.extensions`` only under a key it defines itself (the
    public page cache); what it calls elsewhere, it imports.
    """
    problems = []
    for module, tree in sorted(project.trees.items()):
        if not any(within(module, package) for package in SERVICE_FREE_PACKAGES):
            continue
        own = _own_keys(tree)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "extensions":
                key = _extension_key(node, parents)
                if not (isinstance(key, ast.Name) and key.id in own):
                    problems.append(f"{module}:{node.lineno} reads {ast.unparse(node)}")
    return problems


# Only the workflows of tour content touch the database; reading, checking, assembly,
# translation and publishing work on documents.
CONTENT = "tours.content"
CONTENT_WORKFLOWS = "tours.content.workflows"
DATABASE_MODULES = ("sqlalchemy", "tours.db", "tours.tour.store")


def touches_the_database(name: str) -> bool:
    return any(within(name, db) for db in DATABASE_MODULES) or "models" in name.split(".")


def database_imports_outside_workflows(project: Project) -> list[str]:
    """Modules of tours.content outside its workflows that import the database layer."""
    problems = []
    for module, names in sorted(project.imports.items()):
        if not within(module, CONTENT) or within(module, CONTENT_WORKFLOWS):
            continue
        flagged = {name for name in names if touches_the_database(name)}
        # ``from sqlalchemy.orm import Session`` names both; report the module.
        shortest = {n for n in flagged if not any(within(n, f) and n != f for f in flagged)}
        problems += [f"{module} imports {name}" for name in sorted(shortest)]
    return problems


MAX_CLASS_LINES = 250
MAX_MODULE_LINES = 600
MAX_PACKAGE_MODULES = 15  # modules (not counting __init__) directly in one package
SIZE_EXEMPT = ("webapp.migrations.versions",)  # generated revisions, one per change


def oversized(project: Project) -> list[str]:
    """Classes, modules and packages over their size limits."""
    problems = []
    package_modules: dict[str, int] = {}
    for module, path in sorted(project.paths.items()):
        if any(within(module, exempt) for exempt in SIZE_EXEMPT):
            continue
        if path.name != "__init__.py":
            parent = module.rpartition(".")[0]
            package_modules[parent] = package_modules.get(parent, 0) + 1
        lines = len(project.sources[module].splitlines())
        if lines > MAX_MODULE_LINES:
            problems.append(f"module {module}: {lines} lines")
        for node in ast.walk(project.trees[module]):
            if isinstance(node, ast.ClassDef):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    problems.append(f"class {module}.{node.name}: {size} lines")
    problems += [
        f"package {package}: {count} modules"
        for package, count in sorted(package_modules.items())
        if count > MAX_PACKAGE_MODULES
    ]
    return problems


@pytest.fixture(scope="module")
def rooms() -> dict[str, list[str]]:
    return read_room_map((REPO / "DEVELOPERS.md").read_text())


@pytest.fixture(scope="module")
def project() -> Project:
    """The repository's modules, parsed once for every check below."""
    return read_project(REPO)


def test_the_map_names_every_package(rooms):
    packages = {
        module_name(path.parent / "__init__.py", REPO)
        for package in PROJECT_PACKAGES
        for path in (REPO / package).rglob("__init__.py")
        if "versions" not in path.parts
    }
    assert packages - set(rooms) == set(), "add a row to the map in DEVELOPERS.md"


def test_every_import_follows_the_map(project, rooms):
    assert wrong_way_imports(project.graph, rooms) == []


def test_no_import_cycles(project):
    assert import_cycles(project.graph) == []


def test_blueprint_packages_do_not_import_each_other(project):
    assert blueprint_cross_imports(project.graph) == []


def test_no_front_door_reads_app_extensions_for_a_service(project):
    assert extension_reads(project) == []


def test_only_the_content_workflows_touch_the_database(project):
    assert database_imports_outside_workflows(project) == []


def test_no_class_module_or_package_is_too_big(project):
    assert oversized(project) == []


def test_no_top_level_module_is_named_after_a_feature():
    flat = sorted(p.stem for p in (REPO / "webapp").glob("*.py"))
    # The factory is apart from __init__ so that importing the package stays light (CLI).
    assert flat == ["__init__", "cli", "factory"]
    assert sorted(p.stem for p in (REPO / "tours").glob("*.py")) == [
        "__init__",
        "coords",
        "db",
        "errors",
        "i18n",
        "text",
    ]


# The checks must be able to fail: the same functions on a small tree with the faults.


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_cycle_is_found(tmp_path):
    write_tree(
        tmp_path,
        {
            "tours/__init__.py": "",
            "tours/booking/__init__.py": "",
            "tours/booking/bookings.py": "def cancel():\n    from tours.booking import waitlist\n",
            "tours/booking/waitlist.py": "from tours.booking.bookings import cancel\n",
            "guides/__init__.py": "",
            "webapp/__init__.py": "",
        },
    )
    assert import_cycles(import_graph(tmp_path)) == [
        ["tours.booking.bookings", "tours.booking.waitlist"]
    ]


def test_a_wrong_way_import_is_found(tmp_path, rooms):
    write_tree(
        tmp_path,
        {
            "tours/__init__.py": "",
            "tours/tour/__init__.py": "",
            "tours/tour/store.py": "from webapp.common.settings import load_config\n",
            "guides/__init__.py": "",
            "webapp/__init__.py": "",
            "webapp/common/__init__.py": "",
            "webapp/common/settings.py": "",
            "webapp/public/__init__.py": "",
            "webapp/public/views.py": "from webapp.booking import forms\n",
            "webapp/booking/__init__.py": "",
            "webapp/booking/forms.py": "",
        },
    )
    assert wrong_way_imports(import_graph(tmp_path), rooms) == [
        "tours.tour.store (tours.tour) imports webapp.common.settings (webapp.common)",
        "webapp.public.views (webapp.public) imports webapp.booking (webapp.booking)",
        "webapp.public.views (webapp.public) imports webapp.booking.forms (webapp.booking)",
    ]


def test_a_blueprint_importing_another_and_a_service_by_key_are_found(tmp_path):
    write_tree(
        tmp_path,
        {
            "tours/__init__.py": "",
            "guides/__init__.py": "",
            "webapp/__init__.py": "",
            "webapp/factory.py": "def create_app(app):\n    app.extensions['bidean.cancel'] = 1\n",
            "webapp/common/__init__.py": "",
            "webapp/common/database.py": "def get_db(app):\n    return app.extensions['db']\n",
            "webapp/booking/__init__.py": "",
            "webapp/booking/forms.py": "",
            "webapp/console/__init__.py": "",
            "webapp/console/admin.py": (
                "from flask import current_app\n"
                "from webapp.booking import forms\n"
                "def cancel():\n"
                "    return current_app.extensions['bidean.cancel']()\n"
            ),
            "webapp/commands/__init__.py": "",
            "webapp/commands/departures.py": "def run(app):\n    app.extensions.get('x')\n",
            "webapp/public/__init__.py": "",
            "webapp/public/pagecache.py": (
                "KEY = 'bidean.pages'\n"
                "def init_app(app):\n    app.extensions[KEY] = {}\n"
                "def page_cache(app):\n    return app.extensions.get(KEY)\n"
            ),
        },
    )
    project = read_project(tmp_path)
    assert blueprint_cross_imports(project.graph) == [
        "webapp.console.admin imports webapp.booking",
        "webapp.console.admin imports webapp.booking.forms",
    ]
    assert extension_reads(project) == [
        "webapp.commands.departures:2 reads app.extensions",
        "webapp.console.admin:4 reads current_app.extensions",
    ]


def test_a_content_module_outside_the_workflows_touching_the_database_is_found(tmp_path):
    write_tree(
        tmp_path,
        {
            "tours/__init__.py": "",
            "tours/db.py": "",
            "tours/tour/__init__.py": "",
            "tours/tour/models.py": "",
            "tours/tour/store.py": "",
            "tours/content/__init__.py": "",
            "tours/content/reading/__init__.py": "",
            "tours/content/reading/gpx.py": "def read():\n    from tours.tour import store\n",
            "tours/content/checking/__init__.py": "",
            "tours/content/checking/rules.py": "from ...db import Base\n",
            "tours/content/assembly/__init__.py": "",
            "tours/content/assembly/order.py": "from sqlalchemy.orm import Session\n",
            "tours/content/publishing/__init__.py": "",
            "tours/content/publishing/kit.py": "from tours.tour.models import TourRow\n",
            "tours/content/workflows/__init__.py": "from tours import db\n",
            "tours/content/workflows/intake.py": (
                "import sqlalchemy\n"
                "from tours.tour.store import save\n"
                "from tours.tour import models\n"
            ),
            "tours/booking/__init__.py": "",
            "tours/booking/bookings.py": "from sqlalchemy import update\n",
            "guides/__init__.py": "",
            "webapp/__init__.py": "",
        },
    )
    assert database_imports_outside_workflows(read_project(tmp_path)) == [
        "tours.content.assembly.order imports sqlalchemy.orm",
        "tours.content.checking.rules imports tours.db",
        "tours.content.publishing.kit imports tours.tour.models",
        "tours.content.reading.gpx imports tours.tour.store",
    ]


def test_a_class_module_or_package_over_its_limit_is_found(tmp_path):
    def module_of(lines: int) -> str:
        return "".join(f"x{i} = {i}\n" for i in range(lines))

    def class_of(lines: int, name: str) -> str:
        return f"class {name}:\n" + "".join(f"    x{i} = {i}\n" for i in range(lines - 1))

    files = {
        "tours/__init__.py": "",
        "tours/fits.py": module_of(MAX_MODULE_LINES),
        "tours/long.py": module_of(MAX_MODULE_LINES + 1),
        "tours/classes.py": class_of(MAX_CLASS_LINES, "Fits")
        + class_of(MAX_CLASS_LINES + 1, "Big"),
        "tours/wide/__init__.py": "",
        "guides/__init__.py": "",
        "guides/full/__init__.py": "",
        "webapp/__init__.py": "",
        "webapp/migrations/__init__.py": "",
        "webapp/migrations/versions/__init__.py": "",
    }
    for i in range(MAX_PACKAGE_MODULES + 1):
        files[f"tours/wide/m{i}.py"] = ""
        files[f"webapp/migrations/versions/{i:04d}_change.py"] = module_of(MAX_MODULE_LINES + 1)
    for i in range(MAX_PACKAGE_MODULES):
        files[f"guides/full/m{i}.py"] = ""
    write_tree(tmp_path, files)
    assert oversized(read_project(tmp_path)) == [
        f"class tours.classes.Big: {MAX_CLASS_LINES + 1} lines",
        f"module tours.long: {MAX_MODULE_LINES + 1} lines",
        f"package tours.wide: {MAX_PACKAGE_MODULES + 1} modules",
    ]

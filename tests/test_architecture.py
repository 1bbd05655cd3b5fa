"""The layout is the architecture: the domain packages never reach into the web layer."""

import ast
import re
import subprocess
import sys
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


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """Every project module ``path`` imports, at any depth of the file (late imports too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import mod`` imports pkg.mod when that is a module.
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            # ``import a.b.c`` depends on the deepest project module it names.
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    modules = project_modules(root)
    known = set(modules)
    return {name: imported_modules(path, name, known) for name, path in modules.items()}


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


@pytest.fixture(scope="module")
def rooms() -> dict[str, list[str]]:
    return read_room_map((REPO / "DEVELOPERS.md").read_text())


def test_the_map_names_every_package(rooms):
    packages = {
        module_name(path.parent / "__init__.py", REPO)
        for package in PROJECT_PACKAGES
        for path in (REPO / package).rglob("__init__.py")
        if "versions" not in path.parts
    }
    assert packages - set(rooms) == set(), "add a row to the map in DEVELOPERS.md"
    assert {"tours.tour", "tours.content", "tours.booking", "webapp.common"} <= set(rooms)


def test_every_import_follows_the_map(rooms):
    assert wrong_way_imports(import_graph(REPO), rooms) == []


def test_no_import_cycles():
    assert import_cycles(import_graph(REPO)) == []


def test_blueprint_packages_do_not_import_each_other(rooms):
    blueprints = ["webapp.public", "webapp.booking", "webapp.api"]
    for room in blueprints:
        assert not set(rooms[room]) & set(blueprints), f"{room} may import another blueprint"


# Rooms that reach what they need by importing it: an app extension (``app.extensions``)
# is the state of the module that sets it (the database, caches, asset versions), read
# through that module's own functions, never a place to look a service up by name at run
# time.  In these rooms a module may touch ``.extensions`` only under a key it defines.
NO_EXTENSION_LOOKUPS = (
    "webapp.actions",
    "webapp.public",
    "webapp.booking",
    "webapp.api",
    "webapp.guides_public",
    "webapp.console",
    "webapp.commands",
)


def _own_keys(tree: ast.Module) -> set[str]:
    """Names the module binds at its top level (``EXTENSION_KEY = "bidean.pages"``)."""
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


def extension_lookups(root: Path, rooms: tuple[str, ...]) -> list[str]:
    """``module:line`` of every ``.extensions`` use in ``rooms`` not under the module's key."""
    found = []
    for name, path in project_modules(root).items():
        if not any(name == room or name.startswith(room + ".") for room in rooms):
            continue
        tree = ast.parse(path.read_text(), str(path))
        own = _own_keys(tree)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "extensions":
                key = _extension_key(node, parents)
                if not (isinstance(key, ast.Name) and key.id in own):
                    found.append(f"{name}:{node.lineno}")
    return found


def test_an_extension_lookup_is_found(tmp_path):
    write_tree(
        tmp_path,
        {
            "tours/__init__.py": "",
            "guides/__init__.py": "",
            "webapp/__init__.py": "",
            "webapp/console/__init__.py": "",
            "webapp/console/admin.py": (
                "from flask import current_app\n"
                "KEY = 'bidean.console'\n"
                "def own():\n    return current_app.extensions[KEY]\n"
                "def cancel():\n    return current_app.extensions['bidean.cancel_departure']\n"
                "def other():\n    return current_app.extensions.get(OTHER_KEY)\n"
            ),
        },
    )
    assert extension_lookups(tmp_path, ("webapp.console",)) == [
        "webapp.console.admin:6",
        "webapp.console.admin:8",
    ]


def test_no_blueprint_command_or_action_reads_app_extensions():
    assert extension_lookups(REPO, NO_EXTENSION_LOOKUPS) == []


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
            "tours/tour/store.py": "from webapp.common.config import load_config\n",
            "guides/__init__.py": "",
            "webapp/__init__.py": "",
            "webapp/common/__init__.py": "",
            "webapp/common/config.py": "",
            "webapp/public/__init__.py": "",
            "webapp/public/views.py": "from webapp.booking import forms\n",
            "webapp/booking/__init__.py": "",
            "webapp/booking/forms.py": "",
        },
    )
    assert wrong_way_imports(import_graph(tmp_path), rooms) == [
        "tours.tour.store (tours.tour) imports webapp.common.config (webapp.common)",
        "webapp.public.views (webapp.public) imports webapp.booking (webapp.booking)",
        "webapp.public.views (webapp.public) imports webapp.booking.forms (webapp.booking)",
    ]


def test_a_service_lookup_is_found_outside_the_shared_layer(tmp_path):
    write_tree(
        tmp_path,
        {
            "tours/__init__.py": "",
            "guides/__init__.py": "",
            "webapp/__init__.py": "",
            "webapp/common/__init__.py": "",
            "webapp/common/database.py": "def get_db(app):\n    return app.extensions['db']\n",
            "webapp/console/__init__.py": "",
            "webapp/console/admin.py": (
                "from flask import current_app\n\n"
                "def cancel(n):\n    return current_app.extensions['cancel'](n)\n"
            ),
        },
    )
    assert extension_lookups(tmp_path, NO_EXTENSION_LOOKUPS) == ["webapp.console.admin:4"]

"""The layout is the architecture: the domain packages never reach into the web layer."""

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

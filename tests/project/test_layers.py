"""The arrows between apps point one way: a lower app never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
# Lowest first (docs/architecture.md); apps not written yet are skipped.
ARROW_ORDER = ("accounts", "matching", "exchanges", "agency", "integrations")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at top level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
            # "from matching import services" imports matching.services.
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _higher_imports(app: str) -> list[str]:
    higher = ARROW_ORDER[ARROW_ORDER.index(app) + 1 :]
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in higher:
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


def test_accounts_imports_nothing_from_matching():
    assert (ROOT / "accounts").is_dir()
    assert _higher_imports("accounts") == []


@pytest.mark.parametrize("app", ARROW_ORDER[:-1])
def test_no_app_imports_a_higher_one(app):
    if not (ROOT / app).is_dir():
        pytest.skip(f"{app} does not exist yet")
    assert _higher_imports(app) == []


def test_the_import_scan_sees_imports_inside_functions(tmp_path):
    # The old accounts code imported matching inside a function: the scan must see that.
    source = tmp_path / "module.py"
    source.write_text(
        "def f():\n    from matching.services import listing_queue_rematch\n"
        "import matching.catalogue as c\nfrom . import sibling\n"
    )
    assert imported_modules(source) == {
        "matching.services",
        "matching.services.listing_queue_rematch",
        "matching.catalogue",
    }

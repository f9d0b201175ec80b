"""The docs a newcomer reads name what exists, so they cannot drift from the code unseen.

- Every Python module of the apps, the project package and the benchmarks (migrations and
  ``__init__`` left out) is named in docs/architecture.md, by its path or its dotted name.
- Every repository path written in backticks in README.md, docs/architecture.md and
  docs/matching.md (``matching/engine/index/selection.py``, ``data/knowledge/``) exists.
- Every dotted name of the project written in backticks there
  (``matching.services.listing_create``, ``symbiosis.apiroot``) is a module, or a name
  defined at the top of one (read from the source, nothing is imported).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from symbiosis.layers import APPS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/architecture.md", "docs/matching.md")
# Every app (a new one is covered as soon as it is in symbiosis/layers.py), the project
# package and the benchmarks.
PACKAGES = (*APPS, "symbiosis", "bench")
# Paths a running project creates (git ignores them), named in the docs as defaults.
CREATED_AT_RUN_TIME = {"var/models", "var/media", "var/mail"}
FILE_SUFFIXES = (".py", ".md", ".csv", ".json", ".txt", ".html", ".yaml", ".toml", ".sh",
                 ".png", ".pkl")

BACKTICKED = re.compile(r"`([^`\n]+)`")
FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
REPO_PATH = re.compile(r"^\.?[\w-][\w.-]*(/[\w.-]+)*/?$")
DOTTED = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(\(.*\))?$")


def documented_modules() -> list[str]:
    """Repository paths of the modules the architecture page must name."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name == "__init__.py" or "migrations" in relative.parts:
                continue
            found.append(relative.as_posix())
    return found


def names_module(text: str, path: str) -> bool:
    """Whether ``text`` names the module at ``path``, as that path or as its dotted name."""
    dotted = path.removesuffix(".py").replace("/", ".")
    return any(
        re.search(rf"(?<![\w./]){re.escape(name)}(?!\w)", text) for name in (path, dotted)
    )


def backticked(text: str) -> list[str]:
    """Inline code spans of a Markdown text (fenced blocks left out)."""
    return BACKTICKED.findall(FENCED.sub("", text))


def repo_paths(text: str) -> list[str]:
    """The spans that are paths inside the repository (not ``../shared``, URLs, commands)."""
    return [
        span for span in backticked(text)
        if "/" in span and REPO_PATH.match(span) and not span.startswith("..")
    ]


def project_names(text: str) -> list[str]:
    """The spans that are dotted names in the project's packages (``a.b.c``, ``a.b(k=1)``)."""
    names = []
    for span in backticked(text):
        found = DOTTED.match(span)
        if found is None or span.endswith(FILE_SUFFIXES):
            continue
        name = found.group(1)
        if name.split(".")[0] in PACKAGES:
            names.append(name)
    return names


@cache
def top_level_names(path: Path) -> frozenset[str]:
    """What a module defines or imports at its top level, and what its ``__all__`` lists."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            if (isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                    and isinstance(node.value, ast.List | ast.Tuple)):
                # Names a module hands out on first use (``matching.engine``'s lazy ones).
                names.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return frozenset(names)


def resolves(name: str) -> bool:
    """Whether a dotted name is a module of the repository, or a name one defines."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        if base.with_suffix(".py").is_file():
            module = base.with_suffix(".py")
        elif (base / "__init__.py").is_file():
            module = base / "__init__.py"
        else:
            continue
        rest = parts[end:]
        return not rest or rest[0] in top_level_names(module)
    return False


def read(doc: str) -> str:
    return (ROOT / doc).read_text(encoding="utf-8")


def test_every_module_is_named_in_the_architecture_page():
    text = read("docs/architecture.md")
    missing = [path for path in documented_modules() if not names_module(text, path)]
    assert missing == [], "add a line for each to docs/architecture.md"


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_the_docs_name_exists(doc):
    paths = repo_paths(read(doc))
    assert paths, f"{doc} names no path: the scan is broken"
    missing = [p for p in paths if p not in CREATED_AT_RUN_TIME and not (ROOT / p).exists()]
    assert missing == []


@pytest.mark.parametrize("doc", DOCS)
def test_every_project_name_the_docs_write_exists(doc):
    unknown = [name for name in project_names(read(doc)) if not resolves(name)]
    assert unknown == []


def test_the_checks_see_stale_names():
    # What the checks above rely on: a moved module, a wrong path and a gone function
    # are each noticed, while code that is not a path or a project name is left alone.
    text = (
        "`matching/engine/index.py` moved; `matching/engine/index/selection.py` is here;\n"
        "`matching.services.listing_save(data=…)` is gone, `matching.services.listing_create` "
        "is not; `matching.engine.EwcSuggester` is lazy; `symbiosis.apiroot` is a module.\n"
        "```\n`matching/nowhere.py` in a fenced block\n```\n"
        "`../shared/DESIGN.md`, `https://…`, `/api/v1/`, `POST /api/v1/auth/token/`, "
        "`sqlite:///db.sqlite3`, `docs/matching.md`, `matching.md`\n"
    )
    assert repo_paths(text) == [
        "matching/engine/index.py", "matching/engine/index/selection.py", "docs/matching.md",
    ]
    assert not (ROOT / "matching/engine/index.py").exists()
    assert [n for n in project_names(text) if not resolves(n)] == [
        "matching.services.listing_save"
    ]
    assert names_module(text, "matching/engine/index/selection.py")
    assert not names_module(text, "matching/engine/index/core.py")
    # A package named is not each of its modules named.
    assert not names_module("`matching.services`", "matching/services/listings.py")

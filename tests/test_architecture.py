"""The import contract of DESIGN.md: scenarios -> forensics, agencies, cameras -> lookup -> sim."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "sim": set(),
    "lookup": {"sim"},
    "cameras": {"lookup", "sim"},
    "forensics": {"lookup", "sim"},
    "agencies": {"forensics", "lookup", "sim"},
    "scenarios": {"agencies", "cameras", "forensics", "lookup", "sim"},
}


TOP_LEVEL = set(ALLOWED) | {"benchmarks", "tools"}


def _imports(path: Path) -> set[str]:
    """Top-level project packages a file imports, relative imports resolved."""
    return _imports_in(path.read_text(), path.relative_to(ROOT).parts[:-1])


def _imports_in(source: str, package: tuple[str, ...]) -> set[str]:
    tree = ast.parse(source)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level:
                base = package[:len(package) - (node.level - 1)]
                found.add(base[0] if base else (node.module or "").split(".")[0])
    return found & TOP_LEVEL


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_downstream(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imports(path) - ALLOWED[package] - {package}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}, against the one-way flow"


@pytest.mark.parametrize("folder", ["benchmarks", "tools"])
def test_benchmarks_and_tools_use_the_packages_but_no_package_uses_them(folder):
    for path in sorted((ROOT / folder).rglob("*.py")):
        assert _imports(path) <= TOP_LEVEL  # anything of ours is fair game from here
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            assert folder not in _imports(path), f"{path.relative_to(ROOT)} imports {folder}"


def test_relative_imports_are_resolved_to_their_package():
    source = "from ..scenarios import files\nfrom . import store\nfrom .api import app\n"
    assert _imports_in(source, ("lookup",)) == {"scenarios", "lookup"}
    assert _imports_in("from .. import sim\n", ("lookup", "api")) == {"lookup"}

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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_downstream(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = _imports(path) - ALLOWED[package] - {package}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}, against the one-way flow"

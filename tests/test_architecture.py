"""The layers of DESIGN.md hold: lower layers never import higher ones."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

SRC = REPO / "src" / "portrait"
#: layer → layers it may import (``errors`` and the package root are open to all).
ALLOWED: dict[str, set[str]] = {
    "schema": set(),
    "store": {"schema"},
    "ingest": {"schema", "store"},
    "tags": {"store", "schema"},
    "audience": {"tags", "store", "schema"},
    "models": {"tags", "store", "schema"},
    "privacy": {"store", "schema"},
    "campaign": {"audience", "models", "privacy", "tags", "store", "schema"},
    "services": {"schema", "store", "ingest", "tags", "audience", "models", "privacy", "campaign"},
    "api": {"services"},
    "web": {"services", "api"},
    "cli": {"services"},
}
OPEN = {"errors", "__init__", "__main__"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portrait"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("portrait"))
    return found


def test_layers_import_only_downwards() -> None:
    violations = []
    for path in SRC.rglob("*.py"):
        layer = path.relative_to(SRC).parts[0].removesuffix(".py")
        if layer in OPEN:
            continue
        assert layer in ALLOWED, f"{path}: a module outside the layers of DESIGN.md"
        for module in _imports(path):
            parts = module.split(".")
            target = parts[1] if len(parts) > 1 else "__init__"
            if target in OPEN or target == layer:
                continue
            if target not in ALLOWED[layer]:
                violations.append(f"{path.relative_to(REPO)} imports {module}")
    assert not violations, "\n".join(violations)


def test_architecture_doc_names_only_existing_paths() -> None:
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:src|docs|tests|benchmarks|\.ci)/[^`]*)`", doc))
    assert paths, "ARCHITECTURE.md names no paths"
    missing = sorted(p for p in paths if not (REPO / p.rstrip("/")).exists())
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_data_model_doc_matches_the_schema() -> None:
    from portrait.schema.docs import render

    doc = (REPO / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == render(), "docs/data-model.md is stale: run `portrait schema docs --out docs/data-model.md`"

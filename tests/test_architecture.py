"""The layering rule, checked from the source: graph/ imports neither Streamlit nor the runtime
nor the UI; runtime/ imports no Streamlit and no UI; nothing outside ui/ imports ui/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "graph": ("streamlit", "streamlit_agraph", "layerloom.runtime", "layerloom.ui"),
    "runtime": ("streamlit", "streamlit_agraph", "layerloom.ui"),
    "layerloom": ("layerloom.ui",),
    "tests/graph": ("layerloom.ui", "streamlit"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


CASES = [(folder, path) for folder in FORBIDDEN for path in sorted((ROOT / folder).rglob("*.py"))
         if "node_modules" not in path.parts]


@pytest.mark.parametrize("folder,path", CASES, ids=[str(p.relative_to(ROOT)) for _, p in CASES])
def test_layering(folder, path):
    bad = [name for name in _imports(path)
           for banned in FORBIDDEN[folder] if name == banned or name.startswith(banned + ".")]
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_cli_app_command_starts_streamlit_without_importing_ui():
    """`layerloom app` may run ui/app.py as a script, but never import layerloom.ui."""
    for path in (ROOT / "layerloom").rglob("*.py"):
        assert "import layerloom.ui" not in path.read_text(encoding="utf-8")

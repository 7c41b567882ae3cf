"""Nothing a user hands LayerLoom's export and import is unpickled."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "graph" / "export").glob("*.py")),
           *sorted((ROOT / "graph" / "import_torch").glob("*.py")),
           ROOT / "layerloom" / "cli" / "export.py", ROOT / "layerloom" / "cli" / "import_torch.py",
           ROOT / "runtime" / "export.py"]


def test_no_pickle_anywhere_in_export_and_import():
    for path in SOURCES:
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(c?pickle|dill|joblib)\b", text, re.M), path
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, (path, call)
        for call in re.findall(r"np\.load\([^)]*\)", text):
            assert "allow_pickle=False" in call, (path, call)


def test_weights_travel_as_safetensors_and_checkpoints_load_weights_only():
    export = (ROOT / "runtime" / "export.py").read_text()
    assert "load_checkpoint(run.checkpoint)" in export and "torch.load(run" not in export
    checkpoint = (ROOT / "runtime" / "checkpoint.py").read_text()
    assert re.search(r"torch\.load\([^)]*weights_only=True", checkpoint)

"""``layerloom import-torch file.py:Class`` loads that file from its path: a file named like a
module Python has already loaded (``types.py``, ``copy.py``) is the user's file, not the standard
library's ("module 'types' has no 'Net'"); ``file.py`` alone takes its one model class, and where
it has several the message lists them."""

from __future__ import annotations

import json
import sys
import textwrap
import types

import pytest

from layerloom.cli import main

NETS = textwrap.dedent("""
    from torch import nn

    from user_layers_for_files import Block


    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x)


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = Block()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(self.body(x))
""")

LAYERS = textwrap.dedent("""
    import torch
    from torch import nn


    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return torch.relu(self.fc(x))
""")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "user_layers_for_files.py").write_text(LAYERS)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    sys.modules.pop("user_layers_for_files", None)


@pytest.mark.parametrize("stem", ["types", "copy"])
def test_a_file_named_like_a_standard_module_is_the_users(folder, capsys, stem):
    (folder / f"{stem}.py").write_text(NETS)
    assert main(["import-torch", f"{stem}.py:Net", "--input-shape", "4", "-o", "g.json"]) == 0
    assert "g.json: 3 blocks from Net; compiled graph matches the model" in capsys.readouterr().out
    graph = json.loads((folder / "g.json").read_text())
    assert [n["type"] for n in graph["nodes"]] == ["Input", "Linear", "ReLU", "Linear", "Output"]
    assert graph["description"] == f"Imported from {stem}.py:Net with torch.fx."
    assert sys.modules["types"] is types and sys.modules[stem].__file__ != str(folder / f"{stem}.py")


def test_a_file_alone_takes_its_one_model_class(folder, capsys):
    (folder / "only.py").write_text(LAYERS)
    assert main(["import-torch", "only.py", "--input-shape", "4", "-o", "g.json"]) == 0
    assert "g.json: 2 blocks from Block" in capsys.readouterr().out


def test_a_file_of_several_models_lists_them(folder, capsys):
    (folder / "nets.py").write_text(NETS)
    assert main(["import-torch", "nets.py", "--input-shape", "4", "-o", "g.json"]) == 1
    assert capsys.readouterr().err == (
        "error: nets.py defines 2 nn.Module classes: Encoder, Net; name the model's class or "
        "builder, e.g. nets.py:Net\n")
    assert main(["import-torch", "nets.py:Decoder", "--input-shape", "4", "-o", "g.json"]) == 1
    assert capsys.readouterr().err == \
        "error: nets.py has no 'Decoder' (its nn.Module classes: Encoder, Net)\n"
    assert main(["import-torch", "nets", "--input-shape", "4", "-o", "g.json"]) == 1
    assert "error: expected MODULE:CALLABLE or FILE.py[:CALLABLE]" in capsys.readouterr().err
    assert not (folder / "g.json").exists()

"""``layerloom import-torch`` on the user's own module file."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from layerloom.cli import main
from layerloom.graph import compile_graph, load_graph
from layerloom.graph.import_torch import load_callable

MODELS = textwrap.dedent("""
    import torch
    from torch import nn

    class TinyNet(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(7)
            self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
            self.fc = nn.Linear(8 * 14 * 14, 5)

        def forward(self, x):
            return self.fc(self.features(x).flatten(1))

    def build():
        return TinyNet()

    def odd():
        return nn.Sequential(nn.Conv2d(3, 8, 3), nn.Unfold(2))
""")


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    name = f"user_models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


def test_import_writes_the_graph_and_weights_keyed_for_it(user_module, tmp_path, capsys):
    code = main(["import-torch", f"{user_module}:build", "--input-shape", "3,16,16",
                 "-o", "tiny.json", "--weights", "tiny.safetensors"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tiny.json: 5 blocks from TinyNet; compiled graph matches the model (max abs diff" \
        in out
    graph = load_graph(tmp_path / "tiny.json")
    model = compile_graph(graph).eval()
    model.load_state_dict(load_file(str(tmp_path / "tiny.safetensors")), strict=True)
    original = load_callable(f"{user_module}:TinyNet")().eval()  # the import left no trace
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x), original(x))


def test_import_errors_are_reported(user_module, capsys):
    assert main(["import-torch", f"{user_module}:odd", "--input-shape", "3,8,8",
                 "-o", "odd.json"]) == 1
    assert "error: cannot import 1 (Unfold): no LayerLoom block computes Unfold" \
        in capsys.readouterr().err
    assert main(["import-torch", f"{user_module}:Missing", "--input-shape", "3,8,8",
                 "-o", "x.json"]) == 1
    assert f"module '{user_module}' has no 'Missing'" in capsys.readouterr().err
    assert main(["import-torch", "no_such_module_here:Net", "--input-shape", "3",
                 "-o", "x.json"]) == 1
    assert "cannot import module 'no_such_module_here'" in capsys.readouterr().err
    assert main(["import-torch", f"{user_module}:build", "--input-shape", "3,a",
                 "-o", "x.json"]) == 1
    assert "--input-shape expects whole numbers such as 3,224,224; in '3,a' 'a' is not a whole " \
        "number" in capsys.readouterr().err


@pytest.mark.parametrize(("shape", "said"), [
    ("3,,16,16", "in '3,,16,16' a size is missing between two separators"),
    ("3,x,16", "in '3,x,16' a size is missing between two separators"),  # x separates too
    ("13x", "in '13x' a size is missing: '13x' starts or ends with a separator"),
    ("-5", "in '-5' '-5' is not a size (sizes are 1 or more)"),
    ("3,1.5,16", "in '3,1.5,16' '1.5' is not a whole number"),
    (" ", "there is no size"),
    ("3,100000,100000", "--input-shape 3,100000,100000: the 3 samples traced take 335.3 GiB, "
                        "over the model memory budget of 1 GiB (raise it with "
                        "LAYERLOOM_MAX_MODEL_BYTES"),
])
def test_a_malformed_or_huge_input_shape_is_refused_before_the_model_runs(user_module, capsys,
                                                                         monkeypatch, shape,
                                                                         said):
    monkeypatch.setenv("LAYERLOOM_MAX_MODEL_BYTES", "1GiB")
    assert main(["import-torch", f"{user_module}:build", "--input-shape", shape,
                 "-o", "x.json"]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and "alloc" not in err


def test_sizes_may_be_joined_by_x(user_module, capsys):
    assert main(["import-torch", f"{user_module}:build", "--input-shape", "3x16x16",
                 "-o", "x.json"]) == 0


def test_an_existing_graph_or_weights_file_is_kept_without_force(user_module, tmp_path,
                                                                   capsys):
    """As ``layerloom new`` and ``export``: an import does not write over a file unless told."""
    out = tmp_path / "mine.json"
    out.write_text("my own design")
    argv = ["import-torch", f"{user_module}:build", "--input-shape", "3,16,16", "-o", str(out)]
    assert main(argv) == 1
    assert f"error: {out} already exists; choose another file, or add --force to overwrite " \
           f"it" in capsys.readouterr().err
    assert out.read_text() == "my own design"
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"mine")
    assert main([*argv[:-1], str(tmp_path / "new.json"), "--weights", str(weights)]) == 1
    assert "w.safetensors already exists" in capsys.readouterr().err
    assert weights.read_bytes() == b"mine" and not (tmp_path / "new.json").exists()
    assert main([*argv, "--force"]) == 0
    assert json.loads(out.read_text())["format"] == "layerloom-graph"


def test_the_same_file_for_the_graph_and_its_weights_is_refused(user_module, tmp_path, capsys):
    """``-o same.json --weights same.json`` would write the weights over the graph: refused
    before anything is written, naming a file for the weights."""
    same = tmp_path / "same.json"
    assert main(["import-torch", f"{user_module}:build", "--input-shape", "3,16,16",
                 "-o", str(same), "--weights", str(same)]) == 1
    err = capsys.readouterr().err
    assert f"error: -o and --weights name the same file ({same}): the weights would be " \
           f"written over the graph; give the weights their own file (e.g. " \
           f"same.safetensors)" in err
    assert not same.exists()

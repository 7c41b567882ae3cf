"""``layerloom import-torch file.py:Model`` on a user's file holding the three patterns that did
not import before (ImageNet normalisation with buffers, a clamp to [-1, 1], attention written
by hand), then ``layerloom export`` of the graph with its weights, to ONNX, TorchScript and
Python code."""

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

MODEL = textwrap.dedent("""
    import torch
    from torch import nn


    class TinyViT(nn.Module):
        def __init__(self, dim=16, heads=2):
            super().__init__()
            torch.manual_seed(3)
            self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
            self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
            self.patch = nn.Conv2d(3, dim, 4, stride=4)
            self.heads, self.scale = heads, (dim // heads) ** -0.5
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)
            self.head = nn.Linear(dim, 5)

        def forward(self, x):
            x = (x - self.mean) / self.std
            x = self.patch(x).flatten(2).transpose(1, 2)
            B, L, C = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q = q.view(B, L, self.heads, C // self.heads).transpose(1, 2)
            k = k.view(B, L, self.heads, C // self.heads).transpose(1, 2)
            v = v.view(B, L, self.heads, C // self.heads).transpose(1, 2)
            attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
            x = x + self.proj((attn @ v).transpose(1, 2).reshape(B, L, C))
            return self.head(x.mean(1)).clamp(-1, 1)
""")


@pytest.fixture
def user_file(tmp_path, monkeypatch):
    name = f"vit_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    yield name
    sys.modules.pop(name, None)


def test_import_then_export_from_the_command_line(user_file, tmp_path, capsys):
    code = main(["import-torch", f"{user_file}.py:TinyViT", "--input-shape", "3,16,16",
                 "-o", "vit.json", "--weights", "vit.safetensors"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "vit.json: " in out and "compiled graph matches the model" in out
    graph = load_graph(tmp_path / "vit.json")
    types = [n.type for n in graph.nodes]
    for block in ("Normalize", "Unflatten", "MatMul", "Hardtanh"):
        assert block in types, types
    assert "Reshape" not in types
    saved = json.loads((tmp_path / "vit.json").read_text())
    normalize = next(n for n in saved["nodes"] if n["type"] == "Normalize")
    assert normalize["params"] == {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
    model = compile_graph(graph).eval()
    model.load_state_dict(load_file(str(tmp_path / "vit.safetensors")), strict=True)
    original = load_callable(f"{user_file}.py:TinyViT")().eval()  # the import left no trace
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x), original(x), atol=1e-5, rtol=1e-5)
    for fmt, file in (("onnx", "vit.onnx"), ("torchscript", "vit.pt"), ("python", "vit_model.py")):
        code = main(["export", "vit.json", "-f", fmt, "--weights", "vit.safetensors",
                     "-o", file])
        out = capsys.readouterr()
        assert code == 0, out.err
        assert (tmp_path / file).stat().st_size > 1000

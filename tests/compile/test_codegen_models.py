"""Generated code: standalone, lint-clean, readable, and the same model as the compiler's (strict
state_dict load, identical outputs) for every template and for composites, repeats and I/O."""

from __future__ import annotations

import ast
import json
import py_compile
import subprocess
import sys

import pytest
import torch

from layerloom.cli import main as cli
from layerloom.graph import GraphError, compile_graph, generate_code

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The TorchScript type system:UserWarning")]

RES = {
    "format": "layerloom-graph", "version": 1, "name": "res-net",
    "variables": {"depth": 2},
    "blocks": {
        "Res": {"params": {"ch": 4, "stride": 1}, "nodes": [
            {"id": "x", "type": "Input"},
            {"id": "c1", "type": "Conv2d", "params": {"out_channels": "=ch", "kernel_size": 3,
                                                      "stride": "=stride", "padding": 1}},
            {"id": "bn", "type": "BatchNorm2d"},
            {"id": "proj", "type": "Proj", "params": {"ch": "=ch", "stride": "=stride"},
             "repeat": "=1 if stride != 1 or in_shape[0] != ch else 0"},
            {"id": "add", "type": "Add"}, {"id": "act", "type": "ReLU"},
            {"id": "out", "type": "Output"}],
            "edges": [{"source": a, "target": b} for a, b in [
                ("x", "c1"), ("c1", "bn"), ("x", "proj"), ("bn", "add"), ("proj", "add"),
                ("add", "act"), ("act", "out")]]},
        "Proj": {"params": {"ch": 4, "stride": 1}, "nodes": [
            {"id": "x", "type": "Input"},
            {"id": "conv", "type": "Conv2d", "params": {"out_channels": "=ch", "kernel_size": 1,
                                                        "stride": "=stride", "bias": False}},
            {"id": "o", "type": "Output"}],
            "edges": [{"source": "x", "target": "conv"}, {"source": "conv", "target": "o"}]}},
    "nodes": [
        {"id": "img", "type": "Input", "params": {"shape": [4, 8, 8]}},
        {"id": "stage1", "type": "Res", "params": {"ch": 4}, "repeat": "=depth"},
        {"id": "stage2", "type": "Res", "params": {"ch": 6, "stride": 2}},
        {"id": "stage3", "type": "Res", "params": {"ch": 6}, "repeat": 0},
        {"id": "pool", "type": "AdaptiveAvgPool2d"}, {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 5}, "label": "classifier"},
        {"id": "hidden", "type": "Output"}, {"id": "logits", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [
        ("img", "stage1"), ("stage1", "stage2"), ("stage2", "stage3"), ("stage3", "pool"),
        ("pool", "flat"), ("flat", "fc"), ("fc", "logits"), ("flat", "hidden")]],
}


def _same_model(graph, helpers, directory, variables=None, batch=2):
    """Compile and generate; load the compiled weights strictly; compare outputs."""
    model = compile_graph(graph, variables).eval()
    source = generate_code(graph, variables)
    module = helpers.load_source(source, directory)
    generated = helpers.model_class(module)().eval()
    generated.load_state_dict(model.state_dict(), strict=True)
    xs = helpers.sample_inputs(graph, batch=batch, variables=variables)
    with torch.no_grad():
        for a, b in zip(helpers.outputs(generated(*xs)), helpers.outputs(model(*xs)), strict=True):
            torch.testing.assert_close(a, b)
    return source, model, generated


def _ruff(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                           "--select", "E,F,W,B", "--ignore", "E501", str(path)],
                          capture_output=True, text=True)


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


def test_templates_generate_the_same_model(template_path, helpers, tmp_path):
    if template_path is None:
        pytest.skip("no templates in assets/templates")
    graph = json.loads(template_path.read_text(encoding="utf-8"))
    source, model, generated = _same_model(graph, helpers, tmp_path, batch=1)
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    py_compile.compile(str(path), doraise=True)
    lint = _ruff(path)
    assert lint.returncode == 0, lint.stdout
    assert _imports(source) <= {"torch", "typing"}
    assert sum(p.numel() for p in generated.parameters()) == model.layerloom_summary.params


def test_seed_cnn_reads_like_hand_written_code(seed_cnn):
    source = generate_code(seed_cnn)
    assert "class SeedCnn(nn.Module):" in source
    assert "        self.conv1 = nn.Conv2d(1, 32, kernel_size=3)\n" in source
    assert "        self.fc = nn.Linear(1600, 10)\n" in source
    assert "        conv1 = self.conv1(image)  # (B, 32, 26, 26)\n" in source
    assert "        fc = self.fc(flat)  # (B, 10)\n" in source
    assert "    def forward(self, image: Tensor) -> Tensor:\n" in source
    assert "        return fc\n" in source
    # one line per node: the eight layers, no helper classes, nothing else in forward
    forward = source.split("def forward")[1].split("return")[0]
    assert forward.count(" = self.") == 8
    assert "class " not in source.replace("class SeedCnn", "")
    assert source.splitlines()[0] == "# Generated by LayerLoom: a standalone PyTorch model."


def test_composites_repeat_and_two_outputs(helpers, tmp_path):
    source, model, generated = _same_model(RES, helpers, tmp_path)
    keys = list(model.state_dict())
    assert "stage1.0.c1.weight" in keys and "stage1.1.bn.running_mean" in keys
    assert "stage2.proj.conv.weight" in keys
    assert not any(k.startswith("stage3") for k in keys)
    # Res is written twice (with and without its projection), Proj once, each reused
    assert source.count("class Res(nn.Module):") == 1
    assert source.count("class Res2(nn.Module):") == 1
    assert source.count("class Proj(nn.Module):") == 1
    assert "self.stage1 = nn.Sequential(Res(), Res())" in source
    assert "# proj: repeat 0, passes x through" in source
    assert "# stage3: repeat 0, passes stage2 through" in source
    assert "-> Tuple[Tensor, Tensor]:" in source and "return flat, fc" in source
    assert "fc = self.fc(flat)  # (B, 5)  classifier" in source
    hidden, logits = generated(torch.zeros(1, 4, 8, 8))
    assert hidden.shape == (1, 6) and logits.shape == (1, 5)


def test_reused_class_takes_what_differs_between_uses(helpers, tmp_path):
    source, _, _ = _same_model(RES, helpers, tmp_path, variables={"depth": 3})
    graph = json.loads(json.dumps(RES))
    graph["nodes"][1]["repeat"] = 1
    graph["nodes"].insert(2, {"id": "wide", "type": "Res", "params": {"ch": 8}})
    graph["edges"] = [e for e in graph["edges"] if e["source"] != "stage1"]
    graph["edges"] += [{"source": "stage1", "target": "wide"}, {"source": "wide", "target": "stage2"}]
    source, _, _ = _same_model(graph, helpers, tmp_path)
    # stage1 (4 → 4, no projection) and wide (4 → 8, projection) and stage2 (8 → 6, stride 2)
    assert "class Res2(nn.Module):" in source
    init = source.split("class Res2(nn.Module):")[1].split("def forward")[0]
    assert "def __init__(self, in_channels: int, out_channels: int, stride: int):" in init
    assert "self.stage2 = Res2(in_channels=8, out_channels=6, stride=2)" in source
    assert "self.wide = Res2(in_channels=4, out_channels=8, stride=1)" in source


def test_variables_reach_the_generated_code(seed_cnn, helpers, tmp_path):
    source, model, _ = _same_model(seed_cnn, helpers, tmp_path, variables={"width": 0.5})
    assert "nn.Conv2d(1, 16, kernel_size=3)" in source
    assert model.conv1.weight.shape[0] == 16


def test_generated_code_scripts_and_runs_as_a_script(helpers, tmp_path):
    source, model, generated = _same_model(RES, helpers, tmp_path)
    scripted = torch.jit.script(generated)
    x = torch.randn(2, 4, 8, 8)
    with torch.no_grad():
        for a, b in zip(scripted(x), model(x)):
            torch.testing.assert_close(a, b)
    path = tmp_path / "standalone.py"
    path.write_text(source, encoding="utf-8")
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[(2, 6), (2, 5)]"


def test_class_name_is_sanitised_and_unique(seed_cnn):
    assert "class MyNet(nn.Module):" in generate_code(seed_cnn, class_name="my-net")
    assert "class Class(nn.Module):" in generate_code(seed_cnn, class_name="class")
    assert "class TensorModel(nn.Module):" in generate_code(seed_cnn, class_name="Tensor")
    # a graph named like a helper the file defines gets another name
    attention = {"format": "layerloom-graph", "version": 1, "name": "attention", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [3, 8]}},
        {"id": "mha", "type": "MultiheadAttention", "params": {"num_heads": 2}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "mha"}, {"source": "mha", "target": "y"}]}
    source = generate_code(attention)
    assert source.count("class Attention(nn.Module):") == 1
    assert "class Attention2(nn.Module):" in source
    assert "self.mha = Attention(8, 2, dropout=0.0, bias=True, kdim=8, vdim=8)" in source


def test_invalid_graph_is_refused(seed_cnn):
    seed_cnn["nodes"][1]["params"]["kernel_size"] = 99
    with pytest.raises(GraphError, match=r"conv1\.kernel_size: kernel 99×99 is larger than"):
        generate_code(seed_cnn)


def test_cli_codegen_writes_a_module(seed_cnn, tmp_path, capsys, helpers):
    graph = tmp_path / "seed.json"
    graph.write_text(json.dumps(seed_cnn), encoding="utf-8")
    out = tmp_path / "model.py"
    assert cli(["codegen", str(graph), "-o", str(out), "--set", "classes=3"]) == 0
    assert "34,826" not in capsys.readouterr().out  # classes=3: fewer params
    module = helpers.load_source(out.read_text(encoding="utf-8"), tmp_path)
    assert helpers.model_class(module)()(torch.zeros(1, 1, 28, 28)).shape == (1, 3)


def test_cli_codegen_exit_codes(seed_cnn, tmp_path, capsys):
    assert cli(["codegen", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    seed_cnn["edges"] = seed_cnn["edges"][:-1]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(seed_cnn), encoding="utf-8")
    out = tmp_path / "never.py"
    assert cli(["codegen", str(bad), "-o", str(out)]) == 1
    assert "error: probs: Output has no input" in capsys.readouterr().err
    assert not out.exists()
    good = tmp_path / "good.json"
    good.write_text(json.dumps({**seed_cnn, "edges": seed_cnn["edges"] + [
        {"source": "fc", "target": "probs"}]}), encoding="utf-8")
    assert cli(["codegen", str(good)]) == 0
    assert "class SeedCnn(nn.Module):" in capsys.readouterr().out

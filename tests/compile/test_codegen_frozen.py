"""Generated code keeps a design's freeze (``"trainable": false``): the frozen blocks' weights get
no gradients and their batch norms keep their running statistics while the rest trains, as the
compiled model does; the same trainable parameter count as the summary."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import torch

from layerloom.graph import compile_graph, generate_code, summarize
from layerloom.graph.compile import hold_frozen_norms
from layerloom.graph.templates import load_template

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The TorchScript type system:UserWarning")]


def _frozen_resnet():
    """resnet-mini with its stem, one whole residual stage (a composite) and, inside every
    BasicBlock, the first batch norm frozen."""
    graph = load_template("resnet-mini")
    for node_id in ("stem", "stem_bn", "stage1"):
        graph.node(node_id).extra["trainable"] = False
    next(n for n in graph.blocks["BasicBlock"].nodes if n.id == "bn1").extra["trainable"] = False
    return graph.to_dict()


def _pair(helpers, tmp_path, graph):
    model = compile_graph(graph)
    hold_frozen_norms(model)  # what the runtime does before training
    module = helpers.load_source(generate_code(graph), tmp_path)
    generated = helpers.model_class(module)()
    generated.load_state_dict(model.state_dict(), strict=True)
    return model, generated


def _trainable(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_codegen_frozen_blocks_have_the_compiled_trainable_params(helpers, tmp_path):
    graph = _frozen_resnet()
    model, generated = _pair(helpers, tmp_path, graph)
    summary = summarize(graph)
    assert summary.trainable_params < summary.params
    assert _trainable(generated) == _trainable(model) == summary.trainable_params
    frozen = {n for n, p in generated.named_parameters() if not p.requires_grad}
    assert frozen == {n for n, p in model.named_parameters() if not p.requires_grad}
    assert {"stem.weight", "stem_bn.weight", "stage1.conv1.weight",
            "stage2.bn1.weight"} <= frozen
    assert "stage2.conv1.weight" not in frozen and "fc.weight" not in frozen
    source = generate_code(graph)
    assert f"(trainable {summary.trainable_params:,}: blocks marked frozen for fine-tuning)" \
        in source
    assert "        self.stem.requires_grad_(False)\n" in source
    assert "        for frozen in (self.stem, self.stem_bn, self.stage1,):\n" in source


def test_codegen_frozen_norms_stay_in_eval_mode_while_training(helpers, tmp_path):
    model, generated = _pair(helpers, tmp_path, _frozen_resnet())
    for m in (model, generated):
        m.train()
    modes = {n: m.training for n, m in generated.named_modules()}
    assert modes == {n: m.training for n, m in model.named_modules()}
    assert modes["stem_bn"] is False and modes["stage1.bn2"] is False  # a frozen composite
    assert modes["stage2.bn1"] is False and modes["stage2.bn2"] is True  # frozen inside
    assert modes["fc"] is True
    generated.eval()
    assert not any(m.training for m in generated.modules())


@pytest.mark.slow  # trains (a few seconds on a loaded machine)
def test_codegen_frozen_training_step_matches_the_compiled_model(helpers, tmp_path):
    torch.manual_seed(0)
    model, generated = _pair(helpers, tmp_path, _frozen_resnet())
    before = copy.deepcopy(generated.state_dict())
    x = torch.randn(4, 1, 28, 28)
    y = torch.tensor([0, 1, 2, 3])
    for m in (model, generated):
        m.train()
        opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.1)
        for _ in range(2):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
    after, compiled = generated.state_dict(), model.state_dict()
    for key in before:
        torch.testing.assert_close(after[key], compiled[key], msg=key)
    for key in ("stem.weight", "stem_bn.running_mean", "stem_bn.running_var",
                "stage1.bn1.running_mean", "stage1.conv2.weight", "stage2.bn1.weight",
                "stage2.bn1.running_var"):
        assert torch.equal(after[key], before[key]), key  # frozen: bit for bit
    for key in ("fc.weight", "stage2.conv1.weight", "stage2.bn2.running_mean"):
        assert not torch.equal(after[key], before[key]), key


def test_codegen_frozen_source_is_lint_clean_and_scripts(helpers, tmp_path):
    source = generate_code(_frozen_resnet())
    path = tmp_path / "frozen_model.py"
    path.write_text(source, encoding="utf-8")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                           "--select", "E,F,W,B", "--ignore", "E501", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout
    generated = helpers.model_class(helpers.load_source(source, tmp_path))().eval()
    scripted = torch.jit.script(generated)
    x = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(scripted(x), generated(x))


def test_codegen_without_frozen_nodes_is_unchanged(seed_cnn):
    source = generate_code(seed_cnn)
    assert "requires_grad_" not in source and "def train(" not in source
    assert "trainable" not in source
    assert json.dumps(seed_cnn)  # a plain design

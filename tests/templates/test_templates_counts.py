"""Published parameter counts, compound scaling of EfficientNet, and the MAC definition checked
against ResNet-50 built here as a graph (torchvision's 25,557,032 params, 4,089,184,256 MACs)."""

from __future__ import annotations

import re

import pytest

from layerloom.graph import summarize
from layerloom.graph.templates import load_template
from resnet_design import resnet


def test_seed_cnn_matches_the_keras_example():
    summary = summarize(load_template("seed-cnn"))
    assert summary.params == 34_826
    assert summary.outputs == [[10]]
    assert [n.output_shape for n in summary.nodes if n.id in ("pool2", "flat")] == \
        [[64, 5, 5], [1600]]


def test_lenet5_has_the_classic_count():
    # 156 + 2,416 + 48,120 + 10,164 + 850
    assert summarize(load_template("lenet5")).params == 61_706


def test_resnet18_matches_torchvision():
    summary = summarize(load_template("resnet18"))
    assert summary.params == 11_689_512
    assert summary.outputs == [[1000]]
    assert summary.macs == 1_814_073_344  # torchvision lists 1.81 GFLOPS
    # projection shortcuts exactly where torchvision has a downsample
    shortcuts = sorted({n.id.split("/")[0] for n in summary.nodes if "/shortcut/" in n.id})
    assert shortcuts == ["layer2_0", "layer3_0", "layer4_0"]


def test_efficientnet_b0_matches_torchvision():
    summary = summarize(load_template("efficientnet-b0"))
    assert summary.params == 5_288_548
    assert summary.outputs == [[1000]]
    assert summary.macs == 385_814_752  # about 0.39 G, the figure torchvision lists
    head = next(n for n in summary.nodes if n.id == "head_conv")
    assert head.output_shape == [1280, 7, 7]


# torchvision's efficientnet_b1…b4 (num_params in their weights' meta), width/depth from
# _efficientnet_conf; resolution only changes MACs (torchvision's _ops in GFLOPS, at its crop)
SCALED = [
    ("b1", 1.0, 1.1, 240, 7_794_184, 0.7),
    ("b2", 1.1, 1.2, 288, 9_109_994, 1.1),
    ("b3", 1.2, 1.4, 300, 12_233_232, 1.8),
    ("b4", 1.4, 1.8, 380, 19_341_616, 4.4),
]


@pytest.mark.parametrize("name, width, depth, resolution, params, gmacs", SCALED)
def test_efficientnet_compound_scaling_matches_torchvision(name, width, depth, resolution,
                                                           params, gmacs):
    graph = load_template("efficientnet-b0")
    summary = summarize(graph, {"width": width, "depth": depth, "resolution": resolution})
    assert summary.params == params
    assert summary.macs / 1e9 == pytest.approx(gmacs, abs=0.05)


def test_efficientnet_b2_by_hand():
    """B2 (width 1.1, depth 1.2): channels 32→32, 16→16, 24→24, 40→48, 80→88, 112→120,
    192→208, 320→352 (head 1408); blocks per stage 2, 3, 3, 4, 4, 5, 2."""
    summary = summarize(load_template("efficientnet-b0"), {"width": 1.1, "depth": 1.2})
    shapes = {n.id: n.output_shape for n in summary.nodes}
    assert shapes["stem_conv"][0] == 32
    outs = [shapes[f"stage{i}/first/project_conv"][0] for i in range(1, 8)]
    assert outs == [16, 24, 48, 88, 120, 208, 352]
    blocks = [sum(1 for k in shapes if re.fullmatch(rf"stage{i}/(first|rest(/\d+)?)/project_conv", k))
              for i in range(1, 8)]
    assert blocks == [2, 3, 3, 4, 4, 5, 2]
    assert shapes["head_conv"][0] == 1408


@pytest.mark.parametrize("knob", ["width", "depth"])
def test_efficientnet_scaling_grows_monotonically(knob):
    graph = load_template("efficientnet-b0")
    counts = [summarize(graph, {knob: v}).params for v in (0.5, 1.0, 1.5, 2.0)]
    assert counts == sorted(counts) and len(set(counts)) == 4
    assert counts[1] == 5_288_548


def test_efficientnet_width_rounds_channels_to_multiples_of_8():
    summary = summarize(load_template("efficientnet-b0"), {"width": 0.35})
    convs = [n for n in summary.nodes if n.type == "Conv2d" and "/se_" not in n.id]
    assert all(n.output_shape[0] % 8 == 0 for n in convs)
    # _make_divisible(32 * 0.35 = 11.2, 8) = 16: rounding to 8 would lose more than 10 %
    assert next(n for n in convs if n.id == "stem_conv").output_shape[0] == 16


def test_resnet_mini_scales_with_width_and_depth():
    graph = load_template("resnet-mini")
    base = summarize(graph).params
    assert summarize(graph, {"width": 2.0}).params > 3 * base
    deeper = summarize(graph, {"depth": 3})
    assert deeper.params > base
    assert summarize(graph, {"depth": 1}).params < base
    assert deeper.outputs == [[10]]


def test_mlp_depth_zero_is_a_linear_model():
    summary = summarize(load_template("mlp-tabular"), {"depth": 0})
    assert summary.params == 4 * 3 + 3


# -- ResNet-50 as a graph: checks the MAC rules of the block library -----------------------------

def test_resnet50_params_and_macs_match_the_published_figures():
    """MACs count the multiply-accumulates of convolutions and linear layers only; torchvision
    (through fvcore) lists 4.09 G for ResNet-50 at 224×224: exactly 4,089,184,256."""
    summary = summarize(resnet((3, 4, 6, 3), "resnet50"))
    assert summary.params == 25_557_032
    assert summary.macs == 4_089_184_256
    assert summary.outputs == [[1000]]

"""Block names of the dynamo exporter's ONNX files: its node names (``node_linear_12``,
``node_Softmax``) say nothing of the model, so each block is named after the module that made
it (``pkg.torch.onnx.name_scopes``), by the shortest tail of its path that no other module has:
DistilBERT's ``model.classifier`` is ``classifier``, its encoder layers ``encoder_layer``. The
ids are unique and legal, and ``layerloom import-onnx`` writes the same (the fixtures of
``transformers_onnx/``)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import onnx
import pytest

from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.import_torch.onnx_scopes import dynamo_scope, short_names

HERE = Path(__file__).parent / "transformers_onnx"


def _ids(file: str) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a table imports trainable: said, tested elsewhere
        graph, _, _ = import_onnx(HERE / file)
    return [n.id for n in graph.nodes]


def test_distilbert_blocks_are_named_after_its_modules():
    assert _ids("distilbert_dynamo.onnx") == [
        "input_ids", "word_embeddings", "embeddings_positions", "LayerNorm", "encoder_layer",
        "getitem", "pre_classifier", "relu", "classifier", "output"]


def test_vit_blocks_are_named_after_its_modules():
    assert _ids("vit_dynamo.onnx") == [
        "pixel_values", "projection", "patch_embeddings_reshape", "patch_embeddings_permute",
        "cls_token", "position_embeddings", "encoder_layer", "layernorm", "getitem",
        "classifier", "output"]


def test_gpt2_blocks_name_their_layer_and_module():
    ids = _ids("gpt2_dynamo.onnx")
    assert ids[:5] == ["input_ids", "wte", "transformer_positions", "h_0_ln_1",
                       "h_0_attn_c_attn"]
    assert ids[-3:] == ["ln_f", "lm_head", "output"]
    for layer in ("h_0", "h_1"):
        assert {f"{layer}_attn_scaled_dot_product_attention", f"{layer}_mlp_c_fc",
                f"{layer}_mlp_act", f"{layer}_mlp_c_proj", f"{layer}_ln_2"} <= set(ids)
    assert not [i for i in ids if i.startswith("node_")]
    assert len(ids) == len(set(ids)) and all(i.isidentifier() for i in ids)


def test_the_cli_writes_the_same_names(tmp_path):
    out = tmp_path / "distilbert.json"
    done = subprocess.run([sys.executable, "-m", "layerloom", "import-onnx",
                           str(HERE / "distilbert_dynamo.onnx"), "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ids = [n["id"] for n in json.loads(out.read_text())["nodes"]]
    assert ids == _ids("distilbert_dynamo.onnx")


def test_a_node_scope_is_its_module_path():
    graph = onnx.load(str(HERE / "distilbert_dynamo.onnx")).graph
    by_name = {n.name: n for n in graph.node}
    assert dynamo_scope(by_name["node_linear_13"]) == "model.classifier"
    assert dynamo_scope(by_name["node_relu"]) == "model"
    assert dynamo_scope(by_name["node_Shape_0"]) is None  # the exporter's hook, not a module


@pytest.mark.parametrize("paths, want", [
    (["m.conv1", "m.layer1.0.conv1", "m.layer1.1.conv1"],  # a tail of another keeps its path
     {"m.conv1": "conv1", "m.layer1.0.conv1": "layer1_0_conv1",
      "m.layer1.1.conv1": "layer1_1_conv1"}),
    (["model", "model.encoder", "model.encoder.layer.0"],  # the wrapper itself: no name
     {"model": "", "model.encoder": "encoder", "model.encoder.layer.0": "layer_0"}),
    (["net.fc", "net.head.fc"], {"net.fc": "fc", "net.head.fc": "head_fc"}),
])
def test_short_names(paths, want):
    assert short_names(paths) == want

"""The bundle of a model that takes token ids and an attention_mask (a Hugging Face model
imported with both): predict.py and the model card name both inputs, in the order the files are
given, and predict.py run on a padded text's ids and mask gives the model's numbers. The help
and the card described the first input alone ("Expected input: A tensor of shape [batch, 6],
int64"), so a user could not tell that a second file was wanted, nor what it holds."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import torch

from layerloom.graph import compile_graph
from layerloom.graph.export import export_model
from layerloom.graph.io import parse_graph

PREDICT = """
import runpy, sys
sys.argv = ["predict.py", *sys.argv[1:]]
runpy.run_path("predict.py", run_name="__main__")
"""

DESIGN = {
    "format": "layerloom-graph", "version": 1, "name": "masked",
    "nodes": [{"id": "input_ids", "type": "Input", "params": {"shape": [6], "dtype": "int64"}},
              {"id": "attention_mask", "type": "Input",
               "params": {"shape": [6], "dtype": "int64"}},
              {"id": "padding_mask", "type": "PaddingMask"},
              {"id": "emb", "type": "Embedding", "params": {"num_embeddings": 20,
                                                            "embedding_dim": 8}},
              {"id": "attn", "type": "MultiheadAttention", "params": {"num_heads": 2}},
              {"id": "pool", "type": "SequencePool"},
              {"id": "head", "type": "Linear", "params": {"out_features": 3}},
              {"id": "out", "type": "Output"}],
    "edges": [{"source": "input_ids", "target": "emb"},
              {"source": "attention_mask", "target": "padding_mask"},
              {"source": "emb", "target": "attn", "port": "query"},
              {"source": "emb", "target": "attn", "port": "key"},
              {"source": "emb", "target": "attn", "port": "value"},
              {"source": "padding_mask", "target": "attn", "port": "key_padding_mask"},
              {"source": "attn", "target": "pool"}, {"source": "pool", "target": "head"},
              {"source": "head", "target": "out"}]}


def test_both_inputs_are_named_and_predict_takes_a_file_for_each(tmp_path, isolated):
    torch.manual_seed(0)
    graph = parse_graph(DESIGN)
    model = compile_graph(graph).eval()
    result = export_model(graph, "bundle", tmp_path / "masked.zip", model.state_dict())
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(folder)
    said = ("2 inputs, a file for each in this order: input_ids [batch, 6], int64; "
            "attention_mask [batch, 6], int64. The first is read as follows; the others as "
            "arrays (.npy, or numbers between spaces or commas).")
    assert said in (folder / "README.md").read_text(encoding="utf-8")
    helped = isolated(PREDICT, folder, "--help")
    assert " ".join(said.split()) in " ".join(helped.stdout.split())

    ids, mask = [5, 9, 3, 0, 0, 0], [1, 1, 1, 0, 0, 0]
    (folder / "ids.txt").write_text(" ".join(map(str, ids)))
    (folder / "mask.txt").write_text(" ".join(map(str, mask)))
    done = isolated(PREDICT, folder, "ids.txt", "mask.txt")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.splitlines()[0])["prediction"]
    with torch.no_grad():
        want = model(torch.tensor([ids]), torch.tensor([mask]))[0]
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5)

"""A conditional GAN's class label: one integer id per sample, ``[B]``, looked up by an
``nn.Embedding`` (eriklindernoren's PyTorch-GAN, ``implementations/cgan/cgan.py``). The label
input imports as an Input of shape ``[]`` (int64) feeding the Embedding, which gives ``[E]``
per sample as the model's does: shapes, parameter counts and outputs are the model's, and the
design exports. Any other use of such an input is refused at its line, and a design whose
``[]`` Input feeds another block is an error naming the block, not a traceback.

Before, the import refused the shape ("input shape must be positive whole numbers without the
batch; got []"), and ``[1]`` failed in the model's own ``torch.cat`` ("Tensors must have same
number of dimensions")."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, loads_graph, summarize, validate
from layerloom.graph.import_torch import check_import, import_torch

N_CLASSES, LATENT, IMG_SHAPE = 10, 8, (1, 8, 8)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.label_emb = nn.Embedding(N_CLASSES, N_CLASSES)

        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat, 0.8))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        self.model = nn.Sequential(
            *block(LATENT + N_CLASSES, 32, normalize=False),
            *block(32, 64),
            nn.Linear(64, int(np.prod(IMG_SHAPE))),
            nn.Tanh(),
        )

    def forward(self, noise, labels):
        # Concatenate label embedding and image to produce input
        gen_input = torch.cat((self.label_emb(labels), noise), -1)
        img = self.model(gen_input)
        img = img.view(img.size(0), *IMG_SHAPE)
        return img


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.label_embedding = nn.Embedding(N_CLASSES, N_CLASSES)
        self.model = nn.Sequential(
            nn.Linear(N_CLASSES + int(np.prod(IMG_SHAPE)), 64),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(64, 64),
            nn.Dropout(0.4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(64, 1),
        )

    def forward(self, img, labels):
        # Concatenate label embedding and image to produce input
        d_in = torch.cat((img.view(img.size(0), -1), self.label_embedding(labels)), -1)
        validity = self.model(d_in)
        return validity


class TimeAsLabel(nn.Module):
    """A [B] input used other than by an Embedding: unsqueezed into a Linear."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 4)

    def forward(self, t):
        return self.fc(t.unsqueeze(-1))


def _inputs(shapes, dtypes):
    return [torch.randint(0, N_CLASSES, (5, *s)) if d == "int64" else torch.randn(5, *s)
            for s, d in zip(shapes, dtypes)]


@pytest.mark.parametrize("build, shapes, shown", [
    (Generator, [(LATENT,), ()], [1, 8, 8]), (Discriminator, [IMG_SHAPE, ()], [1])])
def test_a_cgan_label_input_of_one_id_per_sample_imports(build, shapes, shown):
    torch.manual_seed(0)
    model = build().eval()
    dtypes = ["float32", "int64"]
    graph, weights = import_torch(model, shapes, dtypes)
    assert validate(graph).ok
    label = [n for n in graph.nodes if n.type == "Input"][1]
    assert label.params == {"shape": [], "dtype": "int64"}
    summary = summarize(graph)
    assert summary.params == sum(p.numel() for p in model.parameters())
    by_id = {n.id: n for n in summary.nodes}
    embedding = next(n for n in graph.nodes if n.type == "Embedding")
    assert by_id[embedding.id].output_shape == [N_CLASSES]
    assert by_id[embedding.id].params == N_CLASSES * N_CLASSES
    assert summary.nodes[-1].output_shape == shown
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, shapes, dtypes, weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state)
    x = _inputs(shapes, dtypes)
    with torch.no_grad():
        expected, got = model(*x), compiled(*x)
    assert got.shape == expected.shape == (5, *shown)
    assert torch.allclose(got, expected, atol=1e-6)


def test_the_design_with_a_label_input_exports(tmp_path):
    from layerloom.graph.export import export_model

    torch.manual_seed(0)
    model = Generator().eval()
    graph, weights = import_torch(model, [(LATENT,), ()], ["float32", "int64"])
    state = weights.apply(model.state_dict())
    for fmt, ext in (("torchscript", "pt"), ("onnx", "onnx"), ("python", "py")):
        export_model(graph, fmt, tmp_path / f"generator.{ext}", state)  # checked on load
    loaded = torch.jit.load(str(tmp_path / "generator.pt"))
    noise, labels = torch.randn(4, LATENT), torch.tensor([0, 3, 9, 3])
    with torch.no_grad():
        assert torch.allclose(loaded(noise, labels), model(noise, labels), atol=1e-6)


def test_the_cli_takes_an_empty_input_shape(tmp_path, monkeypatch, capsys):
    from layerloom.cli import main

    (tmp_path / "cgan_models.py").write_text(
        "from torch import nn\n"
        "class Labeled(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.emb = nn.Embedding(10, 4)\n"
        "        self.fc = nn.Linear(4, 2)\n"
        "    def forward(self, labels):\n"
        "        return self.fc(self.emb(labels))\n")
    monkeypatch.chdir(tmp_path)
    assert main(["import-torch", "cgan_models.py:Labeled", "--input-shape", "[]",
                 "--dtype", "int64", "-o", "labeled.json"]) == 0
    saved = json.loads((tmp_path / "labeled.json").read_text())
    assert saved["nodes"][0]["params"] == {"shape": [], "dtype": "int64"}


def test_another_use_of_a_label_input_is_refused_at_its_line():
    with pytest.raises(GraphError, match=r"test_import_label_input.py:\d+: input 't' has shape "
                                         r"\[\] .*Tensor.unsqueeze takes it here; fix: give "
                                         r"this input shape \[1\]"):
        import_torch(TimeAsLabel().eval(), (), "float32")


def test_a_design_whose_empty_input_feeds_another_block_names_it():
    design = {"format": "layerloom-graph", "version": 1, "name": "t",
              "nodes": [{"id": "label", "type": "Input", "params": {"shape": [],
                                                                    "dtype": "float32"}},
                        {"id": "fc", "type": "Linear", "params": {"out_features": 4}},
                        {"id": "out", "type": "Output"}],
              "edges": [{"source": "label", "target": "fc"}, {"source": "fc", "target": "out"}]}
    report = validate(loads_graph(json.dumps(design)))
    assert not report.ok
    assert any(p.node == "fc" and "Linear needs a dimension after the batch, but label gives "
               "[]" in p.message for p in report.errors)


def test_its_onnx_file_imports_back_with_the_label_input(tmp_path):
    """The file's label input is [batch] int64; import-onnx refused it ("the sizes after the
    batch must be fixed numbers") and now makes it an Input of shape [] again."""
    from layerloom.graph.export import export_model
    from layerloom.graph.import_torch.onnx_in import import_onnx

    torch.manual_seed(0)
    model = Generator().eval()
    graph, weights = import_torch(model, [(LATENT,), ()], ["float32", "int64"])
    export_model(graph, "onnx", tmp_path / "generator.onnx", weights.apply(model.state_dict()))
    back, state, diff = import_onnx(tmp_path / "generator.onnx")
    assert diff < 1e-5
    inputs = [n.params for n in back.nodes if n.type == "Input"]
    assert inputs == [{"shape": [LATENT]}, {"shape": [], "dtype": "int64"}]
    compiled = compile_graph(back).eval()
    compiled.load_state_dict(state)
    noise, labels = torch.randn(4, LATENT), torch.tensor([0, 3, 9, 3])
    with torch.no_grad():
        assert torch.allclose(compiled(noise, labels), model(noise, labels), atol=1e-5)

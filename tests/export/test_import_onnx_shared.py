"""``import-onnx`` of weights the file shares or leaves unsaid: one layer called on two inputs
(a Siamese encoder: one initializer feeding both calls' nodes) is refused as ``import-torch``
refuses it, not imported as two towers that train apart; layers whose weights the exporter
wrote once because they were equal (fresh copies) import as they are; a constant table (a
positional table kept in a buffer) imports trainable, with a warning that the file cannot
say whether the model kept it fixed."""

from __future__ import annotations

import copy
import logging
import warnings

import pytest
import torch
from torch import nn

from layerloom.cli import main
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.import_torch.training import TrainsDifferently
from layerloom.graph.summary import summarize


class Siamese(nn.Module):  # r03: one encoder applied to two inputs
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))

    def forward(self, a, b):
        return self.enc(a), self.enc(b)


class FreshCopies(nn.Module):
    """Two towers of their own that are equal before training (a deep copy): the exporter
    writes their weights once, yet each is a layer of its own."""

    def __init__(self):
        super().__init__()
        self.left = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.right = copy.deepcopy(self.left)

    def forward(self, a, b):
        return self.left(a), self.right(b)


class BufferPE(nn.Module):  # r04
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.register_buffer("pe", torch.randn(1, 12, 16))
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc((self.embed(x) + self.pe).mean(1))


def export(model, samples, path, names, dynamo=False):
    outputs = [f"out{i}" for i in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            if dynamo:
                torch.onnx.export(model.eval(), samples, str(path), dynamo=True,
                                  dynamic_shapes=tuple({0: torch.export.Dim("batch")}
                                                       for _ in samples), external_data=False)
            else:
                torch.onnx.export(model.eval(), samples, str(path), dynamo=False,
                                  input_names=names, output_names=outputs[:len(samples)],
                                  dynamic_axes={k: {0: "batch"} for k in names + outputs})
        finally:
            logging.disable(logging.NOTSET)
    return path


def test_a_siamese_encoder_is_refused_naming_the_initializer_and_its_nodes(tmp_path, capsys):
    """r03: 116 parameters in the model, 232 in the design before; now refused, in words."""
    torch.manual_seed(0)
    pair = (torch.randn(1, 1, 8, 8), torch.randn(1, 1, 8, 8))
    path = export(Siamese(), pair, tmp_path / "siamese.onnx", ["a", "b"])
    message = ("siamese.onnx: the initializer 'enc.0.weight' is the weight of 2 nodes of one "
               "layer (/enc/enc.0/Conv, /enc/enc.0_1/Conv): the layer is called 2 times, "
               "sharing its weights (a Siamese encoder on two inputs, a block applied twice); "
               "each LayerLoom block has weights of its own, so it would import as 2 layers "
               "that train apart")
    with pytest.raises(GraphError) as caught:
        import_onnx(path)
    assert str(caught.value) == message
    assert main(["import-onnx", str(path), "-o", str(tmp_path / "s.json")]) != 0
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not (tmp_path / "s.json").exists()


@pytest.mark.slow  # the dynamo exporter takes ~10 s to start
def test_a_siamese_encoder_from_the_dynamo_exporter_is_refused(tmp_path):
    pair = (torch.randn(2, 1, 8, 8), torch.randn(2, 1, 8, 8))
    path = export(Siamese(), pair, tmp_path / "siamese.onnx", ["a", "b"], dynamo=True)
    with pytest.raises(GraphError, match=r"the initializer 'enc.0.weight' is the weight of 2 "
                                         r"nodes of one layer \(node_conv2d, node_conv2d_1\)"):
        import_onnx(path)


def test_fresh_copies_written_once_import_as_layers_of_their_own(tmp_path):
    torch.manual_seed(0)
    model = FreshCopies()
    pair = (torch.randn(1, 1, 8, 8), torch.randn(1, 1, 8, 8))
    path = export(model, pair, tmp_path / "copies.onnx", ["a", "b"])
    import onnx

    written = [t.name for t in onnx.load(str(path)).graph.initializer]
    assert sorted(written) == ["left.0.bias", "left.0.weight"]  # one tensor for both layers
    graph, state, diff = import_onnx(path)
    assert diff < 1e-4
    assert [n.type for n in graph.nodes].count("Conv2d") == 2
    assert summarize(graph).params == sum(p.numel() for p in model.parameters()) == 160


def test_a_constant_table_imports_trainable_with_a_warning(tmp_path, capsys):
    """r04 through ONNX: a buffer and a parameter are both initializers in the file."""
    torch.manual_seed(0)
    path = export(BufferPE(), (torch.randint(0, 50, (1, 12)),), tmp_path / "pe.onnx", ["x"])
    message = ("pe (PositionalEmbedding) imports trainable: its table is a constant of the "
               "file, and an ONNX file does not say whether the model learned it (a parameter) "
               "or kept it fixed (a buffer, such as a sinusoidal positional table); if it was "
               "fixed, set \"trainable\": false on the node")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, _, diff = import_onnx(path)
    assert diff < 1e-4
    assert [str(w.message) for w in caught if w.category is TrainsDifferently] == [message]
    assert [n.type for n in graph.nodes] == ["Input", "Embedding", "PositionalEmbedding",
                                             "SequencePool", "Linear", "Output"]
    summary = summarize(graph)
    assert (summary.params, summary.trainable_params) == (1043, 1043)
    assert main(["import-onnx", str(path), "-o", str(tmp_path / "pe.json")]) == 0
    assert capsys.readouterr().err.strip() == f"warning: {message}"

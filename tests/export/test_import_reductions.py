"""Reductions over a dimension, as users write them, import as the Reduce block: PointNet's
``torch.max(x, 2, keepdim=True)[0]``, a char-CNN's ``x.max(dim=-1).values`` over time,
attention pooling's ``(w * h).sum(1)``, CBAM's ``torch.mean(x, dim=1, keepdim=True)`` and
``torch.max(x, dim=1, keepdim=True)[0]`` over the channels, DeepFM's ``torch.sum(x, dim=1,
keepdim=True)``, ``x.amax(dim=(2, 3))``, ``x.min(1)[0]``. Means and maxes that a pooling block
already did keep it (``mean(-1)`` of [B, C, L] is AdaptiveAvgPool1d, a max over a sequence's
steps SequencePool). The imported graphs give the model's outputs at the traced size and at
another; using a max's indices, or reducing the batch, is refused at its line in words."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, generate_code
from layerloom.graph.import_torch import import_torch


def _reductions(graph) -> list[tuple[str, str, dict]]:
    return [(n.id, n.type, n.params) for n in graph.nodes
            if n.type in ("Reduce", "SequencePool", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d")]


class PointNet(nn.Module):
    """PointNet's shared MLP over the points of [B, 3, N], max over the points, a head."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv1d(3, 16, 1), nn.Conv1d(16, 32, 1)
        self.bn1, self.bn2 = nn.BatchNorm1d(16), nn.BatchNorm1d(32)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        x = torch.max(x, 2, keepdim=True)[0]
        x = x.view(-1, 32)
        return self.fc(x)


def test_pointnet_max_over_points(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(PointNet(), [3, 64], tmp_path, other_shape=[3, 100])
    assert _reductions(graph) == [("max", "Reduce", {"op": "max", "dim": 1,
                                                     "keepdim": True})]
    assert "self.max_ = Reduce('max', [2], keepdim=True)" in generate_code(graph)  # not max()


class Pools(nn.Module):
    """Each other way of writing a reduction over the time of a [B, C, L] map, summed."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 3, padding=1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        h = self.conv(x)
        a = h.max(dim=2)[0]
        b = h.max(dim=-1).values
        c = h.amax(dim=-1)
        d = h.min(2)[0] + torch.amin(h, -1)
        e = h.mean(-1)
        return self.fc(a + b + c + d + e)


def test_every_way_of_writing_a_max_over_time(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(Pools(), [4, 20], tmp_path, other_shape=[4, 33])
    assert sorted(_reductions(graph)) == [
        ("amax", "Reduce", {"op": "max", "dim": -1}),
        ("amin", "Reduce", {"op": "min", "dim": -1}),
        ("max", "Reduce", {"op": "max", "dim": 1}),
        ("max_1", "Reduce", {"op": "max", "dim": -1}),
        ("mean", "AdaptiveAvgPool1d", {"output_size": 1}),  # as before, then a Flatten
        ("min", "Reduce", {"op": "min", "dim": 1})]


class CharCNN(nn.Module):
    """Character embeddings, a convolution over time, the max over time, a classifier."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.conv = nn.Conv1d(8, 12, 3)
        self.fc = nn.Linear(12, 2)

    def forward(self, chars):
        x = self.embed(chars).transpose(1, 2)
        x = torch.relu(self.conv(x))
        return self.fc(x.max(dim=-1).values)


def test_char_cnn_max_over_time_at_two_lengths():
    torch.manual_seed(0)
    model = CharCNN().eval()
    graph, weights = import_torch(model, [(16,)], ["int64"])
    assert _reductions(graph) == [("max", "Reduce", {"op": "max", "dim": -1})]
    state = weights.apply(model.state_dict())
    for length in (16, 25):
        sized = graph.copy()
        next(n for n in sized.nodes if n.type == "Input").params["shape"] = [length]
        compiled = compile_graph(sized).eval()
        compiled.load_state_dict(state, strict=True)
        chars = torch.randint(0, 30, (4, length))
        with torch.no_grad():
            torch.testing.assert_close(compiled(chars), model(chars), atol=1e-6, rtol=0)


class AttentionPool(nn.Module):
    """A GRU's steps weighted by a learned score and summed (attention pooling)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(6, 8, batch_first=True)
        self.att = nn.Linear(8, 1)
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        h, _ = self.rnn(x)
        w = torch.softmax(self.att(h), dim=1)
        pooled = (w * h).sum(1)
        total = torch.sum(h, dim=1)
        return self.fc(torch.cat([pooled, total], dim=1))


def test_attention_pooling_sums_over_the_steps(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(AttentionPool(), [10, 6], tmp_path, other_shape=[17, 6])
    assert _reductions(graph) == [("sum", "Reduce", {"op": "sum", "dim": 0}),
                                  ("sum_1", "Reduce", {"op": "sum", "dim": 0})]


class SpatialAttention(nn.Module):
    """CBAM's spatial attention: the mean and max over the channels, a 7x7 convolution."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 7, padding=3, bias=False)

    def forward(self, x):
        avg_out = torch.mean(x, dim=1, keepdim=True)
        max_out, _ = torch.max(x, dim=1, keepdim=True)
        return x * torch.sigmoid(self.conv(torch.cat([avg_out, max_out], dim=1)))


class CBAMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.sa = SpatialAttention()
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        x = self.sa(torch.relu(self.stem(x)))
        return self.head(x.amax(dim=(2, 3)) + x.mean(dim=1).sum(dim=-1).sum(-1, keepdim=True))


def test_cbam_spatial_attention_over_the_channels(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(CBAMNet(), [3, 12, 12], tmp_path, other_shape=[3, 9, 14])
    assert _reductions(graph) == [
        ("sa_mean", "Reduce", {"op": "mean", "dim": 0, "keepdim": True}),
        ("sa_max", "Reduce", {"op": "max", "dim": 0, "keepdim": True}),
        ("amax", "Reduce", {"op": "max", "dim": [1, 2]}),
        ("mean", "Reduce", {"op": "mean", "dim": 0}),
        ("sum", "Reduce", {"op": "sum", "dim": -1}),
        ("sum_1", "Reduce", {"op": "sum", "dim": -1, "keepdim": True})]


class DeepFMFirstOrder(nn.Module):
    """DeepFM's first-order part: one weight vector per field, summed over the fields."""

    def __init__(self, fields: int = 5, k: int = 4):
        super().__init__()
        self.fields, self.k = fields, k
        self.embed = nn.Linear(fields, fields * k)
        self.out = nn.Linear(k, 1)

    def forward(self, x):
        e = self.embed(x).view(-1, self.fields, self.k)
        first = torch.sum(e, dim=1, keepdim=True)
        return self.out(first.flatten(1))


def test_deepfm_sum_over_fields_keeping_the_dimension(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(DeepFMFirstOrder(), [5], tmp_path)
    assert _reductions(graph) == [("sum", "Reduce", {"op": "sum", "dim": 0,
                                                     "keepdim": True})]


class MaxWithIndex(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 1)

    def forward(self, x):
        values, where = self.conv(x).max(dim=2)  # indices
        return values + where.float()


class SumOfAll(nn.Module):
    def forward(self, x):
        return x * x.sum()  # sum all


class SumBatch(nn.Module):
    def forward(self, x):
        return x.sum(0, keepdim=True) + x  # sum batch


class SumFeatures(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(x).sum(1)  # sum features


@pytest.mark.parametrize(("model", "shape", "marker", "message"), [
    (MaxWithIndex, (3, 8), "indices",
     "cannot import Tensor.max in MaxWithIndex.forward: only its values ([0], .values) map, to "
     "a block; the indices (torch.argmax) have no block"),
    (SumOfAll, (6,), "sum all",
     "cannot import Tensor.sum in SumOfAll.forward: a sum over every dimension includes the "
     "batch (give the dimensions after it: dim=1, or dim=(1, 2))"),
    (SumBatch, (6,), "sum batch",
     "cannot import Tensor.sum in SumBatch.forward: it reduces the batch dimension (dim=0)"),
    (SumFeatures, (6,), "sum features",
     "cannot import Tensor.sum in SumFeatures.forward: it reduces every dimension after the "
     "batch of a [B, 4] tensor, leaving [B] alone; a LayerLoom tensor keeps a dimension after "
     "the batch (keepdim=True keeps [B, 1], the Reduce block)"),
])
def test_refusals_name_the_line_and_what_maps(model, shape, marker, message, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model().eval(), shape)
    assert str(caught.value) == f"{line_of(marker)}: {message}"


class SumFeaturesKept(SumFeatures):
    def forward(self, x):
        return self.fc(x).sum(1, keepdim=True)


def test_the_suggested_keepdim_imports(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(SumFeaturesKept(), [6], tmp_path)
    assert _reductions(graph) == [("sum", "Reduce", {"op": "sum", "dim": 0,
                                                     "keepdim": True})]


class MaxOfAll(nn.Module):
    def forward(self, x):
        return x / x.max()  # max all


class Maximum(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 4)

    def forward(self, x):
        return torch.max(self.a(x), self.b(x))  # maximum


@pytest.mark.parametrize(("model", "marker", "message"), [
    (MaxOfAll, "max all", "cannot import Tensor.max in MaxOfAll.forward: a maximum over every "
                          "dimension includes the batch (give the dimensions after it: "
                          "x.max(dim=1)[0], or x.amax(dim=(1, 2)))"),
    (Maximum, "maximum", "cannot import torch.max in Maximum.forward: the elementwise maximum "
                         "of two tensors (torch.maximum) has no block"),
])
def test_a_max_without_a_dimension_is_refused_in_words(model, marker, message, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model().eval(), (4,))
    assert str(caught.value) == f"{line_of(marker)}: {message}"


def test_reductions_exported_to_onnx_import_back(tmp_path):
    """The CBAM model's ONNX file (ReduceMean, ReduceMax, ReduceSum at opset 17, ReduceMax's
    axes an attribute, ReduceSum's an input) imports with the same outputs."""
    import warnings

    from layerloom.graph.import_torch.onnx_in import import_onnx

    torch.manual_seed(0)
    model = CBAMNet().eval()
    path = tmp_path / "cbam.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 3, 12, 12),), str(path), dynamo=False,
                          opset_version=17, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    graph, _, diff = import_onnx(path)
    assert diff < 1e-4
    assert sorted((n.params["op"], n.params.get("keepdim", False)) for n in graph.nodes
                  if n.type == "Reduce") == [("max", False), ("max", True), ("mean", False),
                                             ("mean", True), ("sum", False), ("sum", True)]

"""Indexing as users write it imports as Slice blocks: fastai's tabular ``x_cat[:, i]`` into an
embedding per column, TCN's last step ``y[:, :, -1]``, torchvision GoogLeNet's
``transform_input`` (``torch.unsqueeze(x[:, 0], 1) * a + b`` per channel), YOLOv5's Focus
(``x[..., ::2, ::2]`` and its three shifts, a strided Slice per dimension) and a spectrogram's
``x[:, 0]``. An integer index drops its dimension as the model does (a Flatten of the size-1
dimension), so the graphs give the model's outputs at the traced size and at another. A list of
one position (nanoGPT's ``x[:, [-1], :]``) is the slice that keeps the dimension. Indexing the
batch, by a tensor, or down to ``[B]`` alone is refused in words at its line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, generate_code, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.other_size import check_other_size


def _blocks(graph) -> list[tuple[str, dict]]:
    return [(n.type, n.params) for n in graph.nodes if n.type not in ("Input", "Output")]


class TabularModel(nn.Module):
    """fastai's TabularModel, cut down: an embedding per categorical column, joined with the
    continuous columns, then a head."""

    def __init__(self):
        super().__init__()
        self.embeds = nn.ModuleList([nn.Embedding(n, d) for n, d in ((5, 2), (7, 3), (4, 2))])
        self.bn_cont = nn.BatchNorm1d(4)
        self.fc = nn.Linear(2 + 3 + 2 + 4, 2)

    def forward(self, x_cat, x_cont):
        x = [e(x_cat[:, i]) for i, e in enumerate(self.embeds)]
        x = torch.cat(x, 1)
        return self.fc(torch.cat([x, self.bn_cont(x_cont)], 1))


def test_fastai_tabular_embeds_each_column(tmp_path):
    torch.manual_seed(0)
    model = TabularModel().eval()
    graph, weights = import_torch(model, [[3], [4]], ["int64", "float32"])
    # a column [B] is kept as [B, 1] for its Embedding, then flattened to the model's [B, E]
    assert _blocks(graph)[:3] == [("Slice", {"dim": 0, "start": 0, "end": 1}),
                                  ("Embedding", {"num_embeddings": 5, "embedding_dim": 2}),
                                  ("Flatten", {})]
    assert [t for t, _ in _blocks(graph)].count("Slice") == 3  # not merged into a Chunk
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, [[3], [4]], ["int64", "float32"]) == 0
    x_cat, x_cont = torch.randint(0, 4, (6, 3)), torch.randn(6, 4)
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x_cat, x_cont), model(x_cat, x_cont))
    # more columns than the model reads: it still picks columns 0, 1 and 2, as the graph does
    other = check_other_size(model, graph, state, [[3], [4]], ["int64", "float32"])
    assert other.shapes is not None and other.warning is None
    namespace: dict = {"__name__": "generated"}
    exec(compile(generate_code(graph), "generated.py", "exec"), namespace)  # our own code
    written = namespace["TabularModel"]().eval()
    written.load_state_dict(state, strict=True)
    with torch.no_grad():
        torch.testing.assert_close(written(x_cat, x_cont), model(x_cat, x_cont))
    assert export_model(graph, "onnx", tmp_path / "tabular.onnx", state).max_abs_diff < 1e-5


class TemporalConvNet(nn.Module):
    """locuslab's TCN for sequence classification: the last step of the conv stack's map."""

    def __init__(self):
        super().__init__()
        self.tcn = nn.Sequential(nn.Conv1d(4, 8, 3, padding=1), nn.ReLU(),
                                 nn.Conv1d(8, 8, 3, padding=1), nn.ReLU())
        self.linear = nn.Linear(8, 3)

    def forward(self, inputs):
        y1 = self.tcn(inputs)
        return self.linear(y1[:, :, -1])


def test_tcn_last_step_at_any_length(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(TemporalConvNet(), [4, 20], tmp_path, other_shape=[4, 33])
    assert _blocks(graph)[4:6] == [("Slice", {"dim": 1, "start": -1, "end": None}),
                                   ("Flatten", {})]


class GoogLeNetInput(nn.Module):
    """torchvision GoogLeNet's ``_transform_input`` (weights trained with another
    normalisation), then a stem."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        x_ch0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
        x_ch1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
        x_ch2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
        x = torch.cat((x_ch0, x_ch1, x_ch2), 1)
        return self.conv1(x)


def test_googlenet_transform_input(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(GoogLeNetInput(), [3, 16, 16], tmp_path,
                                   other_shape=[3, 24, 20])
    blocks = _blocks(graph)
    # the unsqueeze puts back the channel the index dropped: the Slice keeps it, no Flatten
    assert [t for t, _ in blocks] == ["Slice", "Rescaling"] * 3 + ["Concat", "Conv2d"]
    assert blocks[0] == ("Slice", {"dim": 0, "start": 0, "end": 1})
    assert blocks[1][1]["scale"] == pytest.approx(0.229 / 0.5)


class Focus(nn.Module):
    """YOLOv5's Focus: the four pixel phases side by side as channels, then a conv."""

    def __init__(self, c1=3, c2=8):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(c1 * 4, c2, 1, bias=False), nn.BatchNorm2d(c2),
                                  nn.SiLU())

    def forward(self, x):
        return self.conv(torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2],
                                    x[..., 1::2, 1::2]), 1))


def test_yolov5_focus(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(Focus(), [3, 16, 16], tmp_path, other_shape=[3, 24, 32])
    slices = [p for t, p in _blocks(graph) if t == "Slice"]
    assert slices[:2] == [{"dim": 1, "start": 0, "end": None, "step": 2},
                          {"dim": 2, "start": 0, "end": None, "step": 2}]
    assert [(p["dim"], p["start"]) for p in slices] == [(1, 0), (2, 0), (1, 1), (2, 0),
                                                        (1, 0), (2, 1), (1, 1), (2, 1)]
    assert "Slice(2, 0, step=2)" in generate_code(graph)


class Spectrogram(nn.Module):
    """An audio model on a one-channel spectrogram [B, 1, F, T]: the channel dropped, then a
    1-D conv over time with the frequencies as channels."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(16, 8, 3)

    def forward(self, x):
        return self.conv(x[:, 0])


def test_spectrogram_channel_dropped(imported_round_trip, tmp_path):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(Spectrogram(), [1, 16, 30], tmp_path, other_shape=[1, 16, 41])
    assert _blocks(graph)[:2] == [("Slice", {"dim": 0, "start": 0, "end": 1}),
                                  ("Flatten", {"end_dim": 1})]


class LastStepHead(nn.Module):
    """nanoGPT's inference path: ``self.lm_head(x[:, [-1], :])``, the last step picked by a
    list of one position, which keeps the dimension ([B, 1, C]); ``[k]`` alike."""

    def __init__(self, position):
        super().__init__()
        self.position = position
        self.block = nn.Linear(8, 8)
        self.lm_head = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.block(x))
        return self.lm_head(x[:, [self.position], :])


@pytest.mark.parametrize(("position", "start", "end"), [(-1, -1, None), (2, 2, 3), (-3, -3, -2)])
def test_a_list_of_one_position_is_a_slice_that_keeps_the_dimension(
        imported_round_trip, tmp_path, position, start, end):
    torch.manual_seed(0)
    graph, _ = imported_round_trip(LastStepHead(position), [6, 8], tmp_path, other_shape=[9, 8])
    assert _blocks(graph)[2:4] == [("Slice", {"dim": 0, "start": start, "end": end}),
                                   ("Linear", {"out_features": 5})]


class Indexed(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


@pytest.mark.parametrize(("fn", "shape", "message"), [
    (lambda x: x[0], [4, 5], r"indexing with x\[0\] indexes the batch dimension \(keep it "
                             r"whole: x\[:, \.\.\.\]\)"),
    (lambda x: x[:, 0] * 2, [4], r"indexing with x\[:, 0\] of a \[B, 4\] tensor gives \[B\], "
                                 r"the batch alone; a LayerLoom tensor keeps a dimension after "
                                 r"the batch \(x\[:, 0:1\] keeps \[B, 1\]"),
    (lambda x: x[:, None, 0], [4, 5], r"indexing with x\[:, None, 0\] adds a dimension \(None\) "
                                      r"and slices at once"),
    (lambda x: x[:, [0, 2]], [4, 5], r"indexing with x\[:, \[0, 2\]\] picks elements by a list or "
                                     r"tensor of positions"),
    (lambda x: x[:, 5:], [4, 5], r"indexing with x\[:, 5:\] leaves nothing of a \[B, 4, 5\] "
                                 r"tensor \(its result is \[B, 0, 5\], empty\)"),
])
def test_refusals_say_why_at_the_line(fn, shape, message):
    with pytest.raises(GraphError, match=r"^test_import_indexing\.py:\d+: cannot import "
                                         r"operator\.getitem in Indexed\.forward: " + message):
        import_torch(Indexed(fn), [shape])

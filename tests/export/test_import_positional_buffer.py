"""The PyTorch tutorial's PositionalEncoding, a sinusoidal table kept in a registered buffer and
sliced to the input's length, imports as a SinusoidalPositionalEncoding block, which makes the
same table from ``max_len`` and the width: no parameter, as in the model (it imported as a
PositionalEmbedding marked ``"trainable": false`` holding the buffer, 1,024 parameters the model
does not have, and a design without its weights file had a random table there). The graph runs at
any length up to the table's (tracing failed: "slice indices must be integers"). A buffer table
of other values stays a PositionalEmbedding marked ``"trainable": false``."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from layerloom.graph import compile_graph, generate_code, summarize
from layerloom.graph.import_torch import check_import, import_torch


def _sinusoids(max_len: int, d_model: int) -> torch.Tensor:
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


class PositionalEncoding(nn.Module):
    """The tutorial's, in its common batch-first forms."""

    def __init__(self, d_model: int, how: str, max_len: int = 64):
        super().__init__()
        self.how = how
        self.dropout = nn.Dropout(p=0.1)
        pe = _sinusoids(max_len, d_model)
        if how in ("[:, :L]", "requires_grad_"):
            pe = pe.unsqueeze(0)  # [1, max_len, d]
        elif how == "[:L].transpose":
            pe = pe.unsqueeze(1)  # [max_len, 1, d], as the tutorial keeps it
        self.register_buffer("pe", pe, persistent=how != "unsaved")

    def forward(self, x):
        if self.how == "[:, :L]":
            x = x + self.pe[:, :x.size(1)]
        elif self.how == "requires_grad_":  # the Annotated Transformer
            x = x + self.pe[:, : x.size(1)].requires_grad_(False)
        elif self.how == "[:L].transpose":
            x = x + self.pe[:x.size(1)].transpose(0, 1)
        else:  # [max_len, d]
            x = x + self.pe[:x.size(1), :]
        return self.dropout(x)


class Net(nn.Module):
    def __init__(self, how: str):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.pos_encoder = PositionalEncoding(16, how)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(self.pos_encoder(self.embed(x) * math.sqrt(16)).mean(1))


def _counts(module: nn.Module) -> tuple[int, int]:
    params = list(module.parameters())
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def _tokens(length: int) -> torch.Tensor:
    return torch.randint(0, 50, (2, length), generator=torch.Generator().manual_seed(length))


@pytest.mark.parametrize("how", ["[:, :L]", "[:L].transpose", "[:L, :]", "requires_grad_",
                                 "unsaved"])
def test_a_sinusoidal_buffer_table_imports_as_the_block_that_makes_it(how):
    torch.manual_seed(0)
    model = Net(how).eval()
    graph, weights = import_torch(model, [12], "int64")
    assert [n.type for n in graph.nodes] == ["Input", "Embedding", "Rescaling",
                                             "SinusoidalPositionalEncoding", "Dropout",
                                             "SequencePool", "Linear", "Output"]
    table = next(n for n in graph.nodes if n.type == "SinusoidalPositionalEncoding")
    assert table.params == {"max_len": 64} and table.extra == {}
    assert "pos_encoder.pe" not in weights.values()
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, [12], "int64", weights=weights) < 1e-5

    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    assert _counts(compiled) == _counts(model)  # the table is no parameter, as in the model
    assert summarize(graph).params == _counts(model)[0]
    torch.testing.assert_close(compiled.get_submodule("pos_encoder_add").table,
                               _sinusoids(64, 16), atol=0, rtol=0)
    namespace: dict = {}
    exec(compile(generate_code(graph, class_name="Imported"), "<generated>", "exec"), namespace)
    coded = namespace["Imported"]().eval()
    coded.load_state_dict(state, strict=True)
    assert _counts(coded) == _counts(compiled)
    for length in (12, 20, 64):  # any length the table covers
        with torch.no_grad():
            expected = model(_tokens(length))
            torch.testing.assert_close(compiled(_tokens(length)), expected, atol=1e-5, rtol=0)
            torch.testing.assert_close(coded(_tokens(length)), expected, atol=1e-5, rtol=0)


def test_a_buffer_table_of_other_values_imports_fixed():
    model = Net("[:, :L]")
    model.pos_encoder.pe.copy_(torch.randn(1, 64, 16, generator=torch.Generator().manual_seed(3)))
    graph, weights = import_torch(model, [12], "int64")
    table = next(n for n in graph.nodes if n.type == "PositionalEmbedding")
    assert table.params == {"max_len": 64} and table.extra == {"trainable": False}
    assert weights["pos_encoder_pe.weight"] == "pos_encoder.pe"
    compiled = compile_graph(graph).train()
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    optimizer = torch.optim.SGD(compiled.parameters(), lr=0.5, weight_decay=0.1)
    compiled(_tokens(12)).sum().backward()
    optimizer.step()
    kept = compiled.get_submodule("pos_encoder_pe").weight
    assert not kept.requires_grad and kept.grad is None
    torch.testing.assert_close(kept.detach(), model.pos_encoder.pe[0])
    assert not torch.equal(compiled.get_submodule("fc").weight, model.fc.weight)


def test_a_sinusoidal_table_written_another_way_is_still_one():
    """``1 / 10000 ** (2i / D)`` instead of the tutorial's ``exp``: the same table but for the
    last bits of float32."""
    model = Net("[:L, :]")
    position = torch.arange(64.0).unsqueeze(1)
    inv = 1.0 / (10000 ** (torch.arange(0, 16, 2).float() / 16))
    pe = torch.stack([torch.sin(position * inv), torch.cos(position * inv)], -1).flatten(1)
    model.pos_encoder.pe.copy_(pe)
    graph, _ = import_torch(model, [12], "int64")
    assert "SinusoidalPositionalEncoding" in [n.type for n in graph.nodes]


def test_a_parameter_table_stays_learned():
    class Learned(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(50, 16)
            self.pos = nn.Parameter(torch.randn(1, 64, 16))

        def forward(self, x):
            return (self.embed(x) + self.pos[:, :x.size(1)]).mean(1)

    model = Learned()
    graph, weights = import_torch(model, [12], "int64")
    table = next(n for n in graph.nodes if n.type == "PositionalEmbedding")
    assert table.extra == {}
    compiled = compile_graph(graph)
    compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
    assert _counts(compiled) == _counts(model)


def test_a_parameter_transposed_otherwise_is_still_refused_where_it_is():
    from layerloom.graph import GraphError

    class Transposed(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(6, 4))

        def forward(self, x):  # (x @ self.w.transpose(0, 1) alone is a Linear)
            return x @ self.w.transpose(0, 1).relu()

    with pytest.raises(GraphError, match=r"^test_import_positional_buffer\.py:\d+: cannot import "
                                         r"Tensor\.transpose in Transposed\.forward: it uses the "
                                         r"parameter 'w' directly"):
        import_torch(Transposed(), [4])


class PlainAttribute(nn.Module):
    """The table kept as a plain attribute (``self.pe = pe``), neither buffer nor parameter."""

    def __init__(self, buffer: bool):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        if buffer:
            self.register_buffer("pe", _sinusoids(64, 16).unsqueeze(0))
        else:
            self.pe = _sinusoids(64, 16).unsqueeze(0)

    def forward(self, x):
        return self.embed(x) + self.pe[:, :x.size(1)]  # sliced


def test_a_plain_tensor_attribute_sliced_is_refused_saying_to_keep_it_in_a_buffer(line_of):
    from layerloom.graph import GraphError

    with pytest.raises(GraphError) as caught:
        import_torch(PlainAttribute(buffer=False), [12], "int64")
    message = str(caught.value)
    assert ("it slices self.pe, a tensor kept as a plain attribute, by a size of the input, "
            "which tracing cannot do; keep it in a buffer instead "
            "(self.register_buffer('pe', ...) in __init__), which imports") in message
    assert f"at {line_of('sliced').replace(':', ' line ')}" in message
    graph, _ = import_torch(PlainAttribute(buffer=True), [12], "int64")  # as it says
    assert "SinusoidalPositionalEncoding" in [n.type for n in graph.nodes]

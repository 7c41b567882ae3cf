"""Learned positions looked up with torch.arange, as minGPT and nanoGPT write them
(``pos = torch.arange(0, t, dtype=torch.long, device=idx.device)``, maybe ``.unsqueeze(0)``,
then ``tok_emb(idx) + pos_emb(pos)``), import as a PositionalEmbedding block whose table is the
nn.Embedding's weight (was refused: "torch.arange ... no LayerLoom block does this"): the
imported graph gives the model's outputs at the traced length and at a shorter one, has the
model's parameter count, and generated code, TorchScript and ONNX give the same. Positions that
do not start at 0, or used other than added to the tokens, are refused at their line with the
pattern that imports."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, generate_code, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import import_torch


class MinGPT(nn.Module):
    """minGPT's embedding stem (positions [1, t]) with a final LayerNorm and a head."""

    def __init__(self, vocab=50, block_size=32, n_embd=16):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(0.1)
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab, bias=False)

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device).unsqueeze(0)  # shape (1, t)
        tok_emb = self.tok_emb(idx)
        pos_emb = self.pos_emb(pos)
        x = self.drop(tok_emb + pos_emb)
        return self.head(self.ln_f(x))


class NanoGPT(nn.Module):
    """nanoGPT's: the embeddings in a ModuleDict, positions [t], an encoder layer."""

    def __init__(self, vocab=40, block_size=24, n_embd=16):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, n_embd), wpe=nn.Embedding(block_size, n_embd),
            drop=nn.Dropout(0.0),
            h=nn.TransformerEncoderLayer(n_embd, 2, 32, dropout=0.0, batch_first=True),
            ln_f=nn.LayerNorm(n_embd)))
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)

    def forward(self, idx):
        device = idx.device
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=device)  # shape (t)
        tok_emb = self.transformer.wte(idx)
        pos_emb = self.transformer.wpe(pos)
        x = self.transformer.drop(tok_emb + pos_emb)
        x = self.transformer.h(x)
        return self.lm_head(self.transformer.ln_f(x))


class PositionsFirst(nn.Module):
    """Positions expanded over the batch and added first: ``pos(arange(t)[None].expand(b, t))
    + tok(idx)``, then the mean over the steps."""

    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(30, 8), nn.Embedding(20, 8, padding_idx=0)
        self.fc = nn.Linear(8, 3)

    def forward(self, idx):
        b, t = idx.shape
        positions = torch.arange(t, device=idx.device)[None].expand(b, t)
        return self.fc((self.pos(positions) + self.tok(idx)).mean(1))


def _round_trip(model, length, shorter, tmp_path, vocab):
    torch.manual_seed(0)
    model.eval()
    graph, weights = import_torch(model, [(length,)], ["int64"])
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    state = weights.apply(model.state_dict())
    for size in (length, shorter):
        sized = graph.copy()
        next(n for n in sized.nodes if n.type == "Input").params["shape"] = [size]
        compiled = compile_graph(sized).eval()
        compiled.load_state_dict(state, strict=True)
        idx = torch.randint(0, vocab, (4, size), generator=torch.Generator().manual_seed(size))
        with torch.no_grad():
            torch.testing.assert_close(compiled(idx), model(idx), atol=1e-5, rtol=1e-5)
    namespace: dict = {"__name__": "generated"}
    exec(compile(generate_code(graph), "generated.py", "exec"), namespace)  # our own code
    written = namespace[type(model).__name__]().eval()
    written.load_state_dict(state, strict=True)
    idx = torch.randint(0, vocab, (2, length))
    with torch.no_grad():
        torch.testing.assert_close(written(idx), model(idx), atol=1e-5, rtol=1e-5)
    for fmt in ("onnx", "torchscript"):
        result = export_model(graph, fmt, tmp_path / f"imported.{fmt}", state)
        assert result.max_abs_diff < 1e-4, (fmt, result.max_abs_diff)
    return graph, state


@pytest.mark.parametrize(("cls", "table", "vocab"), [
    (MinGPT, "pos_emb", 50), (NanoGPT, "transformer.wpe", 40), (PositionsFirst, "pos", 30)])
def test_arange_positions_import_as_positional_embedding(cls, table, vocab, tmp_path):
    torch.manual_seed(0)
    model = cls()
    graph, state = _round_trip(model, 12, 7, tmp_path, vocab)
    [node] = [n for n in graph.nodes if n.type == "PositionalEmbedding"]
    assert node.params == {"max_len": model.get_submodule(table).num_embeddings}
    assert node.id == table.replace(".", "_")
    weight = model.get_submodule(table).weight.detach()
    assert torch.equal(state[f"{node.id}.weight"], weight)
    assert [n.type for n in graph.nodes if n.type in ("Embedding", "Add")] == ["Embedding"]


def test_generated_code_adds_the_table():
    graph, _ = import_torch(MinGPT().eval(), [(12,)], ["int64"])
    code = generate_code(graph)
    assert "self.pos_emb = PositionalEmbedding(32, 16)" in code
    assert "pos_emb = self.pos_emb(tok_emb)  # (B, 12, 16)" in code


class FromOne(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(30, 8), nn.Embedding(20, 8)

    def forward(self, idx):
        t = idx.size(1)
        return self.tok(idx) + self.pos(torch.arange(1, t + 1))  # from one


class Scaled(FromOne):
    def forward(self, idx):
        return self.tok(idx) * self.pos(torch.arange(idx.size(1)))  # scaled


class Mask(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(30, 8)

    def forward(self, idx):
        return self.tok(idx) * torch.arange(idx.size(1)).unsqueeze(-1)  # mask


class NormedTable(FromOne):
    def __init__(self):
        super().__init__()
        self.pos = nn.Embedding(20, 8, max_norm=1.0)

    def forward(self, idx):
        return self.tok(idx) + self.pos(torch.arange(idx.size(1)))  # max norm


class SharedTable(FromOne):
    def forward(self, idx):
        pos = torch.arange(idx.size(1))
        x = self.tok(idx) + self.pos(pos)  # shared
        return x + self.pos(pos)


@pytest.mark.parametrize(("model", "marker", "message"), [
    (NormedTable, "max norm",
     "cannot import operator.add in NormedTable.forward: pos has max_norm=1.0, which rescales "
     "its rows as it looks them up (PositionalEmbedding adds them as they are)"),
    (SharedTable, "shared",
     "cannot import operator.add in SharedTable.forward: pos is called 2 times, sharing its "
     "weights; each LayerLoom block has weights of its own"),
    (FromOne, "from one",
     "cannot import operator.add in FromOne.forward: the positions of pos are [1, 2, 3, 4] ... "
     "for a sequence of 9 steps; PositionalEmbedding adds rows 0 to t-1 of its table, so only "
     "torch.arange(t) (from 0, step 1, t = the sequence's length) maps"),
    (Scaled, "scaled",
     "cannot import operator.mul in Scaled.forward: its other is pos(torch.arange(...)), a "
     "learned position embedding; it maps (to PositionalEmbedding) only added to the token "
     "embeddings: tok(idx) + pos(torch.arange(t, device=idx.device)) with t = idx.size(1), pos "
     "an nn.Embedding(max_len, D)"),
    (Mask, "mask",
     "cannot import Tensor.unsqueeze in Mask.forward: its input is torch.arange's positions; of "
     "positions made in forward, only an nn.Embedding of them added to the token embeddings "
     "maps (to PositionalEmbedding): tok(idx) + pos(torch.arange(t, device=idx.device)) with "
     "t = idx.size(1), pos an nn.Embedding(max_len, D)"),
])
def test_other_positions_are_refused_with_the_pattern_that_imports(model, marker, message, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model().eval(), [(9,)], ["int64"])
    assert str(caught.value) == f"{line_of(marker)}: {message}"

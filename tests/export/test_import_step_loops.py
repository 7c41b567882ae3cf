"""A Python loop over the steps of a sequence: bentrevett's seq2seq (a GRU encoder and a decoder
run one target step at a time, fed the target or its own prediction: teacher forcing) and a
Mamba-style selective scan written as a loop over the length. Neither imports (no block holds
such a loop); the refusal names the loop's line, says that it runs over the steps (dimension 1
of the input named), not the samples, and what imports instead. Before, both were said to be
"a loop over the samples of the batch" with the fix "compute the step for the whole batch at
once", which these models already do. A loop over the batch is still said to be one."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


class Encoder(nn.Module):
    def __init__(self, input_dim=20, emb_dim=8, hid_dim=16, dropout=0.1):
        super().__init__()
        self.embedding = nn.Embedding(input_dim, emb_dim)
        self.rnn = nn.GRU(emb_dim, hid_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, src):
        embedded = self.dropout(self.embedding(src))
        outputs, hidden = self.rnn(embedded)
        return hidden


class Decoder(nn.Module):
    def __init__(self, output_dim=20, emb_dim=8, hid_dim=16, dropout=0.1):
        super().__init__()
        self.output_dim = output_dim
        self.embedding = nn.Embedding(output_dim, emb_dim)
        self.rnn = nn.GRU(emb_dim + hid_dim, hid_dim)
        self.fc_out = nn.Linear(emb_dim + hid_dim * 2, output_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, input, hidden, context):
        input = input.unsqueeze(0)
        embedded = self.dropout(self.embedding(input))
        emb_con = torch.cat((embedded, context), dim=2)
        output, hidden = self.rnn(emb_con, hidden)
        output = torch.cat((embedded.squeeze(0), hidden.squeeze(0), context.squeeze(0)), dim=1)
        return self.fc_out(output), hidden


class Seq2Seq(nn.Module):
    """bentrevett's pytorch-seq2seq (2): sequence-first [S, B] ids, the decoder run step by
    step, given the target or its own best guess."""

    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = Encoder(), Decoder()

    def forward(self, src, trg, teacher_forcing_ratio=0.5):
        batch_size = trg.shape[1]
        trg_len = trg.shape[0]
        outputs = torch.zeros(trg_len, batch_size, self.decoder.output_dim)
        context = self.encoder(src)
        hidden = context
        input = trg[0, :]
        for t in range(1, trg_len):  # steps
            output, hidden = self.decoder(input, hidden, context)
            outputs[t] = output
            teacher_force = random.random() < teacher_forcing_ratio
            input = trg[t] if teacher_force else output.argmax(1)
        return outputs


class BatchFirstSeq2Seq(Seq2Seq):
    """As it is given batch-first ids ([B, S]), the samples first as a design's inputs are."""

    def forward(self, src, trg):
        return super().forward(src.t(), trg.t(), 0.5).transpose(0, 1)


class SelectiveScan(nn.Module):
    """A Mamba-style block: its state updated along the length by a loop."""

    def __init__(self, d=8, n=4):
        super().__init__()
        self.in_proj, self.out_proj = nn.Linear(d, 2 * d), nn.Linear(d, d)
        self.x_proj, self.dt_proj = nn.Linear(d, 2 * n + 1), nn.Linear(1, d)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, n + 1).float()).repeat(d, 1))
        self.D, self.n = nn.Parameter(torch.ones(d)), n

    def forward(self, x):
        b, length, d = x.shape
        x, z = self.in_proj(x).chunk(2, dim=-1)
        dt, B, C = self.x_proj(x).split([1, self.n, self.n], dim=-1)
        dt = F.softplus(self.dt_proj(dt))
        A = -torch.exp(self.A_log)
        h = torch.zeros(b, d, self.n)
        ys = []
        for i in range(length):  # scan
            h = torch.exp(dt[:, i, :, None] * A) * h + dt[:, i, :, None] * B[:, i, None] \
                * x[:, i, :, None]
            ys.append((h @ C[:, i, :, None]).squeeze(-1))
        return self.out_proj((torch.stack(ys, dim=1) + x * self.D) * F.silu(z))


class PerSample(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        return torch.stack([self.fc(x[i]) for i in range(x.size(0))])  # samples


def _refusal(model, shapes, dtypes) -> str:
    with pytest.raises(GraphError) as caught:
        import_torch(model.eval(), shapes, dtypes)
    return str(caught.value)


@pytest.mark.parametrize("model, shapes, dtypes, name, marker", [
    (BatchFirstSeq2Seq, [(7,), (6,)], ["int64", "int64"], "trg", "steps"),
    (SelectiveScan, (12, 8), "float32", "x", "scan")], ids=["seq2seq", "mamba scan"])
def test_a_loop_over_the_steps_is_refused_at_its_line_saying_what_imports(
        model, shapes, dtypes, name, marker, line_of):
    text = _refusal(model(), shapes, dtypes)
    file, line = line_of(marker).split(":")
    assert text.startswith(f"torch.fx cannot trace {model.__name__}: it loops over dimension 1 "
                           f"of its input {name!r} (a Python loop over a size read in forward: "
                           f"the steps of a sequence, [batch, length, ...], not its samples)")
    assert f"(at {file} line {line} `for " in text
    assert "teacher forcing" in text and "a scan (Mamba's)" in text
    assert "nn.GRU, nn.LSTM or nn.RNN given the whole [batch, length, features] sequence" in text
    assert "nn.Transformer (or nn.TransformerDecoder) given the whole target sequence with a " \
           "causal tgt_mask" in text
    assert "samples of the batch" not in text


def test_a_loop_over_the_samples_is_still_said_to_be_one(line_of):
    text = _refusal(PerSample(), (6,), "float32")
    assert "a loop over the samples of the batch" in text
    assert "compute the step for the whole batch at once" in text
    assert f"line {line_of('samples').split(':')[1]}" in text

"""A pooling window computed from sizes that covers whole dimensions, 1 on the others, as
bentrevett's FastText (pytorch-sentiment-analysis) averages its embeddings over the steps::

    pooled = F.avg_pool2d(embedded, (embedded.shape[1], 1)).squeeze(1)   # [B, L, E] -> [B, E]

torch pools a 3-D input as one map per sample (the batch its channels), so this is the mean over
the steps, kept: a Reduce block (mean, or max for F.max_pool2d, over dim -2, keepdim). Before,
the import made an AvgPool1d of kernel [L, 1] and stopped with "the imported graph of FastText
does not validate (an importer bug; please report it)". Any other 2-D pool of a [B, L, E] input
is refused saying what imports."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph
from layerloom.graph.import_torch import import_torch


class FastText(nn.Module):
    def __init__(self, vocab_size=30, embedding_dim=16, output_dim=3, pool=F.avg_pool2d,
                 window=None):
        super().__init__()
        self.pool, self.window = pool, window
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.fc = nn.Linear(embedding_dim, output_dim)

    def forward(self, text):
        embedded = self.embedding(text)  # [B, L, E]
        window = self.window or (embedded.shape[1], 1)
        pooled = self.pool(embedded, window).squeeze(1)  # pool
        return self.fc(pooled)


@pytest.mark.parametrize(("pool", "op"), [(F.avg_pool2d, "mean"), (F.max_pool2d, "max")])
def test_fasttexts_pool_over_the_steps_imports_as_a_reduce(pool, op):
    torch.manual_seed(0)
    model = FastText(pool=pool).eval()
    graph, weights = import_torch(model, [12], "int64")
    reduce = next(n for n in graph.nodes if n.type == "Reduce")
    assert reduce.params == {"op": op, "dim": [-2], "keepdim": True}
    for length in (12, 7):  # the window follows the length, as the model's
        other = graph.copy()
        next(n for n in other.nodes if n.type == "Input").params["shape"] = [length]
        compiled = compile_graph(other).eval()
        compiled.load_state_dict(weights.apply(model.state_dict()), strict=True)
        ids = torch.randint(0, 30, (3, length))
        with torch.no_grad():
            torch.testing.assert_close(compiled(ids), model(ids), atol=1e-6, rtol=0)


def test_another_window_over_the_samples_is_refused_at_its_line(line_of):
    class Windowed(FastText):
        def forward(self, text):
            embedded = self.embedding(text)
            return F.avg_pool2d(embedded, (embedded.shape[1], 2)).flatten(1)  # pair

    with pytest.raises(GraphError) as caught:
        import_torch(Windowed().eval(), [12], "int64")
    assert str(caught.value) == (
        f"{line_of('pair')}: cannot import torch.nn.functional.avg_pool2d in "
        f"Windowed.forward: a 3-D input (with "
        f"the batch) of a 2-D pool, whose window then runs over the batch's samples as "
        f"channels; a window of the whole dimension or 1 imports (the mean or max over it, as "
        f"FastText's F.avg_pool2d(x, (x.shape[1], 1)))")

"""A model whose output is ``[B]``, one value per sample (DCGAN's discriminator as the PyTorch
examples write it: ``output.view(-1, 1).squeeze(1)``; ``.view(-1)``, ``.squeeze(-1)``,
``[:, 0]`` and ``.flatten()`` of a one-column head, a sigmoid of it), imports with a final
``[B, 1]`` output holding the same values, as a design's tensors keep a dimension after the
batch, and a note says so; the import's check
takes the ``[B]`` and the ``[B, 1]`` of the same values as equal. The parameter count and the
scores are the model's, and the design exports to code, TorchScript and ONNX. Before, the import
stopped at "the batch alone". A ``[B]`` that forward computes further is still refused, saying
what imports."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch
from layerloom.graph.import_torch.training import ImportNote

nc, ndf = 3, 4


class Discriminator(nn.Module):
    """pytorch/examples dcgan/main.py, with ndf 4 to keep the test quick."""

    def __init__(self, ngpu):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is (nc) x 64 x 64
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 32 x 32
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 16 x 16
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)

        return output.view(-1, 1).squeeze(1)


class Head(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.how = how
        self.body = nn.Sequential(nn.Linear(6, 8), nn.ReLU())
        self.score = nn.Linear(8, 1)

    def forward(self, x):
        s = self.score(self.body(x))
        if self.how == "view":
            return s.view(-1)
        if self.how == "squeeze":
            return s.squeeze(-1)
        if self.how == "index":
            return s[:, 0]
        if self.how == "flatten":
            return s.flatten()
        if self.how == "sigmoid":
            return torch.sigmoid(s.view(-1))
        return torch.stack([s.view(-1), s.view(-1)], 1)  # the [B] computed further  # further


def _notes(caught) -> list[str]:
    return [str(w.message) for w in caught if w.category is ImportNote]


def test_dcgan_discriminator_imports_with_a_b_1_output(tmp_path):
    torch.manual_seed(0)
    model = Discriminator(ngpu=1).eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, (3, 64, 64))
    assert _notes(caught) == [
        "Discriminator.forward returns its output as [B], one value per sample; a design's "
        "tensors keep a dimension after the batch, so the design returns [B, 1] with the same "
        "values (out.squeeze(1) is the model's [B])"]
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 11_568
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (3, 64, 64), weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(4, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = model(x), compiled(x)
    assert want.shape == (4,) and got.shape == (4, 1)
    torch.testing.assert_close(got[:, 0], want, atol=1e-6, rtol=0)
    for fmt, name in (("python", "d.py"), ("torchscript", "d.pt"), ("onnx", "d.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=x).max_abs_diff < 1e-5


@pytest.mark.parametrize("how", ["view", "squeeze", "index", "flatten", "sigmoid"])
def test_a_one_column_head_returned_as_b_imports(how):
    torch.manual_seed(0)
    model = Head(how).eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, (6,))
    assert len(_notes(caught)) == 1 and "returns its output as [B]" in _notes(caught)[0]
    state = weights.apply(model.state_dict())
    assert summarize(graph).params == sum(p.numel() for p in model.parameters())
    assert check_import(model, graph, state, (6,), weights=weights) < 1e-5


def test_a_b_computed_further_is_refused_saying_what_imports(line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(Head("further").eval(), (6,))
    assert str(caught.value) == (
        f"{line_of('further')}: cannot import Tensor.view in Head.forward: it reshapes [3, 1] "
        f"(batch first) to [3], the batch alone; a LayerLoom tensor keeps at least one "
        f"dimension after the batch (keep the [B, 1]; only a [B] that forward returns as it "
        f"is imports, as [B, 1])")


def test_the_check_still_tells_other_values_apart():
    from layerloom.graph.import_torch.output_match import match_outputs

    scores = torch.tensor([0.1, 0.2, 0.3])
    assert match_outputs(scores, scores[:, None], 1e-5).agrees
    assert match_outputs(scores, scores[:, None] + 0.1, 1e-5).index == 0
    assert match_outputs(scores, scores.repeat(1, 1), 1e-5).shapes_differ

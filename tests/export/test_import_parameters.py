"""The model's parameters in the imported design: tied weights (GPT-2's output head sharing the
embedding's weight) are refused, naming both layers and the parameter, or untied only when asked
(``untie=True``, ``--untie``), with a note; parameters of modules ``forward`` never calls (an
unused input transform, Inception's auxiliary head) are named in a note with their count. Both
were silent: a tied model imported as two copies that trained apart (336 parameters for 176)."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from layerloom.cli import main
from layerloom.graph import summarize
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.training import ImportNote

TIED = ("TiedLM ties weights: 'emb.weight' and 'head.weight' are one parameter (emb (Embedding) "
        "and head (Linear) share it: weight tying); each LayerLoom block has weights of its "
        "own, so the design would hold 2 copies that train apart (160 parameters more than the "
        "model); untie them in the model (model.head.weight = nn.Parameter(model.emb.weight"
        ".detach().clone())) or import with --untie (untie=True) to accept 2 copies that start "
        "equal")


class TiedLM(nn.Module):  # GPT-2 / nanoGPT / AWD-LSTM weight tying
    def __init__(self, vocab=20, d=8):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, idx):
        return self.head(self.ln(self.emb(idx)))


class Stn(nn.Module):  # PointNet's input transform, built but not called
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 1)
        self.fc = nn.Linear(4, 9)


class Unused(nn.Module):
    def __init__(self):
        super().__init__()
        self.stn = Stn()
        self.conv = nn.Conv1d(3, 8, 1)
        self.spare = nn.Parameter(torch.zeros(5))
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.conv(x).amax(2))


def notes(caught) -> list[str]:
    return [str(w.message) for w in caught if w.category is ImportNote]


def test_tied_weights_are_refused_naming_both_layers_and_the_parameter():
    with pytest.raises(GraphError) as caught:
        import_torch(TiedLM(), (6,), "int64")
    assert str(caught.value) == TIED


def test_untie_imports_a_copy_for_each_layer_and_says_so():
    model = TiedLM().eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, weights = import_torch(model, (6,), "int64", untie=True)
    assert notes(caught) == [
        "untied as asked: 'emb.weight' and 'head.weight', one parameter in the model (emb "
        "(Embedding) and head (Linear) share it), are 2 in the design that start equal and "
        "train apart (160 parameters more than the model)"]
    assert sum(p.numel() for p in model.parameters()) == 176
    assert summarize(graph).params == 336
    assert sorted(weights.values()) == ["emb.weight", "head.weight", "ln.bias", "ln.weight"]


def test_the_command_line_refuses_tied_weights_unless_untie(tmp_path, monkeypatch, capsys):
    (tmp_path / "tied.py").write_text(
        "import torch\nfrom torch import nn\n\n"
        "class TiedLM(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.emb = nn.Embedding(20, 8)\n"
        "        self.ln = nn.LayerNorm(8)\n"
        "        self.head = nn.Linear(8, 20, bias=False)\n"
        "        self.head.weight = self.emb.weight\n\n"
        "    def forward(self, idx):\n"
        "        return self.head(self.ln(self.emb(idx)))\n")
    monkeypatch.chdir(tmp_path)
    args = ["import-torch", "tied.py:TiedLM", "--input-shape", "6", "--dtype", "int64",
            "-o", "tied.json"]
    assert main(args) != 0
    assert capsys.readouterr().err.strip() == f"error: {TIED}"
    assert not (tmp_path / "tied.json").exists()
    assert main([*args, "--untie"]) == 0
    err = capsys.readouterr().err
    assert "note: untied as asked: 'emb.weight' and 'head.weight'" in err
    assert (tmp_path / "tied.json").exists()


def test_untied_layers_import_without_a_note():
    model = TiedLM()
    model.head.weight = nn.Parameter(model.emb.weight.detach().clone())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import_torch(model, (6,), "int64")
    assert notes(caught) == []


def test_parameters_forward_never_uses_are_named_with_their_count():
    model = Unused()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, _ = import_torch(model, (3, 10))
    assert notes(caught) == [
        "left out: stn (Stn, 61 params), spare (a parameter, 5 values), never used by forward "
        "(as traced, in evaluation mode); the design holds 50 of the model's 116 parameters"]
    assert summarize(graph).params == 50

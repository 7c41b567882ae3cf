"""pytorch/examples' VAE samples in ``reparameterize`` at every call, in evaluation too, so no
design can give its outputs: the import is refused at the line, saying to sample only while
training (``if self.training:``, then ``return mu``), which then imports as the model in
evaluation. Before, ``torch.randn_like`` (where std was not ``torch.exp``: softplus) and
``logvar.mul(0.5).exp_()`` were refused with only "no LayerLoom block does this"."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, summarize
from layerloom.graph.import_torch import check_import, import_torch


class VAE(nn.Module):
    def __init__(self, std="exp", sample_in_eval=True):
        super().__init__()
        self.std, self.sample_in_eval = std, sample_in_eval
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 32), nn.Linear(32, 4), nn.Linear(32, 4)
        self.fc3, self.fc4 = nn.Linear(4, 32), nn.Linear(32, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        if not (self.sample_in_eval or self.training):
            return mu
        if self.std == "exp_":
            std = logvar.mul(0.5).exp_()  # exp_
        elif self.std == "softplus":
            std = F.softplus(logvar)
        else:
            std = torch.exp(0.5 * logvar)  # exp
        eps = torch.randn_like(std)  # randn_like
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


FIX = "return mu"


@pytest.mark.parametrize("std, marker, call", [  # std's exp imports: the Exp block
    ("exp", "randn_like", "torch.randn_like"), ("exp_", "randn_like", "torch.randn_like"),
    ("softplus", "randn_like", "torch.randn_like")])
def test_sampling_in_evaluation_is_refused_with_the_rewrite(std, marker, call, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(VAE(std), (1, 28, 28))
    message = str(caught.value)
    assert message.startswith(f"{line_of(marker)}: cannot import {call} in "
                              f"VAE.forward: no LayerLoom block does this; fix: "), message
    assert FIX in message


def test_sampling_only_while_training_imports_as_the_model_in_evaluation():
    torch.manual_seed(0)
    model = VAE(sample_in_eval=False).eval()
    with pytest.warns(UserWarning, match="self.training"):
        graph, weights = import_torch(model, (1, 28, 28))
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count == 51_416
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (1, 28, 28), weights=weights) < 1e-5

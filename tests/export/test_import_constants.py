"""Constants made in forward from numbers and added to a tensor import as a Normalize block
holding them (x + c is x - (-c), exactly; nothing learned, as in the model): PointNet's input
transform (fxia22/pointnet.pytorch, its STN3d as written there: an identity made with numpy,
repeated over the batch, added to fc3's output) and the modern ``torch.eye(3,
device=x.device)`` form, so PointNetfeat with its input transform imports whole, with the same
parameter count and outputs, and exports. Before, the import stopped at the add ("a constant
tensor made in forward") or at torch.eye ("no LayerLoom block does this"). A constant that is
not one value per channel (a map added to every channel) is held value by value: the input
flattened, the Normalize, and an Unflatten back (it was refused; buffers:
test_import_buffer_constants.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable

from layerloom.graph import compile_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch


class STN3d(nn.Module):
    def __init__(self):
        super(STN3d, self).__init__()
        self.conv1 = torch.nn.Conv1d(3, 64, 1)
        self.conv2 = torch.nn.Conv1d(64, 128, 1)
        self.conv3 = torch.nn.Conv1d(128, 1024, 1)
        self.fc1 = nn.Linear(1024, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 9)
        self.relu = nn.ReLU()

        self.bn1 = nn.BatchNorm1d(64)
        self.bn2 = nn.BatchNorm1d(128)
        self.bn3 = nn.BatchNorm1d(1024)
        self.bn4 = nn.BatchNorm1d(512)
        self.bn5 = nn.BatchNorm1d(256)

    def forward(self, x):
        batchsize = x.size()[0]
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = torch.max(x, 2, keepdim=True)[0]
        x = x.view(-1, 1024)

        x = F.relu(self.bn4(self.fc1(x)))
        x = F.relu(self.bn5(self.fc2(x)))
        x = self.fc3(x)

        iden = Variable(torch.from_numpy(np.array([1,0,0,0,1,0,0,0,1]).astype(np.float32))).view(1,9).repeat(batchsize,1)
        if x.is_cuda:
            iden = iden.cuda()
        x = x + iden
        x = x.view(-1, 3, 3)
        return x


class PointNetfeat(nn.Module):
    def __init__(self, global_feat = True):
        super(PointNetfeat, self).__init__()
        self.stn = STN3d()
        self.conv1 = torch.nn.Conv1d(3, 64, 1)
        self.conv2 = torch.nn.Conv1d(64, 128, 1)
        self.conv3 = torch.nn.Conv1d(128, 1024, 1)
        self.bn1 = nn.BatchNorm1d(64)
        self.bn2 = nn.BatchNorm1d(128)
        self.bn3 = nn.BatchNorm1d(1024)
        self.global_feat = global_feat

    def forward(self, x):
        n_pts = x.size()[2]  # noqa: F841 - as written there
        trans = self.stn(x)
        x = x.transpose(2, 1)
        x = torch.bmm(x, trans)
        x = x.transpose(2, 1)
        x = F.relu(self.bn1(self.conv1(x)))
        pointfeat = x  # noqa: F841 - kept for global_feat=False, cut here
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        x = torch.max(x, 2, keepdim=True)[0]
        x = x.view(-1, 1024)
        return x


class ModernSTN3d(STN3d):
    """The same transform with the identity written as most code does today."""

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = torch.max(x, 2, keepdim=True)[0].view(-1, 1024)
        x = F.relu(self.bn4(self.fc1(x)))
        x = self.fc3(F.relu(self.bn5(self.fc2(x))))
        iden = torch.eye(3, device=x.device).flatten().unsqueeze(0)
        return (x + iden).view(-1, 3, 3)


def _randomised(model: nn.Module) -> nn.Module:
    """Random weights and batch-norm statistics of a real scale, in evaluation mode."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif tensor.is_floating_point():
                scale = 1 / max(1, tensor[0].numel()) ** 0.5 if tensor.dim() > 1 else 0.1
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * scale)
    return model.eval()


def _imports_exactly(model: nn.Module, shape, tmp_path) -> list:
    graph, weights = import_torch(model, shape)
    state = weights.apply(model.state_dict())
    count = sum(p.numel() for p in model.parameters())
    assert summarize(graph).params == count
    compiled = compile_graph(graph).eval()
    assert sum(p.numel() for p in compiled.parameters()) == count
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(5, *shape, generator=torch.Generator().manual_seed(1))  # another batch
    with torch.no_grad():
        expected, got = model(x), compiled(x)
    assert got.shape == expected.shape and expected.abs().max() > 0.1
    assert (got - expected).abs().max() < 1e-5
    assert check_import(model, graph, state, shape, weights=weights) < 1e-5
    for fmt, name in (("python", "net.py"), ("torchscript", "net.pt"), ("onnx", "net.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state).max_abs_diff < 1e-4
    return graph.nodes


@pytest.mark.parametrize("cls", [STN3d, ModernSTN3d])
def test_pointnets_input_transform_imports_with_its_identity(cls, tmp_path):
    model = _randomised(cls())
    nodes = _imports_exactly(model, (3, 40), tmp_path)
    assert sum(p.numel() for p in model.parameters()) == 803_081
    assert [(n.type, n.params) for n in nodes[-4:]] == [
        ("Linear", {"out_features": 9}),
        ("Normalize", {"mean": [-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, -1.0], "std": [1.0]}),
        ("Unflatten", {"dim": 0, "sizes": [3, 3]}), ("Output", {})]
    assert nodes[-3].id == "add_constant"


def test_pointnetfeat_imports_with_its_input_transform(tmp_path):
    model = _randomised(PointNetfeat())
    nodes = _imports_exactly(model, (3, 40), tmp_path)
    assert sum(p.numel() for p in model.parameters()) == 803_081 + 143_104  # stn, then its own layers
    assert [n.type for n in nodes].count("MatMul") == 1  # torch.bmm(x, trans)


class Shifts(nn.Module):
    def __init__(self, constant: str):
        super().__init__()
        self.constant = constant
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        y = self.conv(x)
        if self.constant == "channels":  # one value per channel, made at x's batch size
            return y + torch.tensor([0.5, -1.0, 2.0]).view(1, 3, 1, 1).repeat(x.size(0), 1, 1, 1)
        return torch.ones(5, 5, device=x.device) + y  # a [5, 5] map added to every channel


def test_a_value_per_channel_imports_and_a_map_is_held_value_by_value(tmp_path):
    model = _randomised(Shifts("channels"))
    nodes = _imports_exactly(model, (3, 5, 5), tmp_path)
    assert [(n.type, n.params) for n in nodes[2:-1]] == [
        ("Normalize", {"mean": [-0.5, 1.0, -2.0], "std": [1.0]})]
    nodes = _imports_exactly(_randomised(Shifts("matrix")), (3, 5, 5), tmp_path)
    assert [(n.id, n.type, n.params) for n in nodes[2:-1]] == [
        ("add_constant_flatten", "Flatten", {}),
        ("add_constant", "Normalize", {"mean": [-1.0] * 75, "std": [1.0]}),
        ("add_constant_unflatten", "Unflatten", {"dim": 0, "sizes": [3, 5, 5]})]

"""Models of the kinds users write, brought in with ``import_torch``: each either imports (the
compiled graph gives the model's outputs) or is refused with a GraphError in words, naming the
op and where it is; never an internal error (IndexError, KeyError, a traceback)."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import check_import, import_torch


class IfOnAttribute(nn.Module):
    def __init__(self, use_bn: bool = True):
        super().__init__()
        self.use_bn = use_bn
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        x = self.conv(x)
        if self.use_bn:
            x = self.bn(x)
        return F.relu(x)


class KeywordDefaults(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x, scale=None, return_logits=True):
        y = self.fc(x)
        if scale is not None:
            y = y * scale
        return y if return_logits else y.softmax(-1)


class TupleOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 16)
        self.a = nn.Linear(16, 3)
        self.b = nn.Linear(16, 2)

    def forward(self, x):
        h = torch.relu(self.body(x))
        return self.a(h), self.b(h)


class DictOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return {"logits": self.fc(x)}


class InPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.b = nn.Linear(8, 8)
        self.c = nn.Linear(8, 8)

    def forward(self, x):
        y = self.a(x)
        y += self.b(x)
        y.relu_()
        z = self.c(y)
        z.add_(y)
        return z


class Buffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.full((3, 1, 1), 0.5))
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x - self.mean)


class FlattenHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


class ViewHead(FlattenHead):
    def forward(self, x):
        y = self.conv(x)
        return self.fc(y.view(y.size(0), -1))


class ReshapeHead(FlattenHead):
    def forward(self, x):
        B = x.shape[0]
        return self.fc(self.conv(x).reshape(B, -1))


class Interpolate(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return F.interpolate(self.conv(x), scale_factor=2, mode="nearest")


class CatMany(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 2, 1)
        self.b = nn.Conv2d(3, 3, 3, padding=1)
        self.c = nn.Conv2d(3, 4, 5, padding=2)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x), self.c(x)], dim=1)


class NestedSequential(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
            nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))

    def forward(self, x):
        return self.head(self.features(x))


class ModuleListLoop(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(8, 8) for _ in range(3))
        self.skip = nn.Identity()

    def forward(self, x):
        for layer in self.layers:
            x = F.gelu(layer(x))
        return self.skip(x)


class Activations(nn.Module):
    def __init__(self):
        super().__init__()
        self.acts = nn.Sequential(nn.Linear(8, 8), nn.SiLU(), nn.Linear(8, 8), nn.Mish(),
                                  nn.Linear(8, 8), nn.Hardswish(), nn.Linear(8, 8), nn.GELU(),
                                  nn.Linear(8, 8), nn.PReLU(), nn.Linear(8, 8), nn.Softplus(),
                                  nn.Linear(8, 8), nn.ELU(), nn.Linear(8, 4), nn.Softmax(dim=1))

    def forward(self, x):
        return self.acts(x)


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = F.dropout(x, p=0.2, training=self.training)
        return self.fc(x)


class MeanDims(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


class SumKeepdim(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return self.conv(x).sum(1, keepdim=True)


class SE(nn.Module):
    def __init__(self, c: int = 8):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, 2, 1)
        self.fc2 = nn.Conv2d(2, c, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc2(F.relu(self.fc1(self.pool(x)))))


class SENet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.se = SE(8)

    def forward(self, x):
        x = self.conv(x)
        return x * self.se(x)


class ScalarMul(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(x) * 0.5


class OneMinus(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return 1 - torch.sigmoid(self.fc(x))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return F.relu(x + self.conv2(F.relu(self.conv1(x))))


class LSTMLast(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 12, batch_first=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        out = self.lstm(x)[0]
        return self.fc(out[:, -1])


class GRULast(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 12, batch_first=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out[:, -1, :])


class EmbedMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc(self.emb(x).mean(dim=1))


class Conv1dStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(2, 8, 5, padding=2), nn.BatchNorm1d(8), nn.ReLU(),
                                 nn.MaxPool1d(2), nn.Conv1d(8, 8, 3), nn.ReLU(),
                                 nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 3))

    def forward(self, x):
        return self.net(x)


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 6)
        self.b = nn.Linear(4, 6)
        self.out = nn.Linear(12, 2)

    def forward(self, x, y):
        return self.out(torch.cat((self.a(x), self.b(y)), 1))


class HelperMethod(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def block(self, x):
        return F.relu(self.bn(self.conv(x)))

    def forward(self, x):
        return self.block(x).flatten(1)


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = self.fc(x)
        if y.sum() > 0:
            return y
        return -y


class DataDependentLoop(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        for _ in range(int(x.abs().max())):
            x = self.fc(x)
        return x


class SharedLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(self.fc(x))


class Reciprocal(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return torch.exp(self.fc(x))


class InterpolateSize(nn.Module):
    def forward(self, x):
        return F.interpolate(x, size=(8, 8), mode="bilinear", align_corners=False)


class MaxOverChannels(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x).max(dim=1)[0]


class VarArgs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, *xs):
        return self.fc(xs[0])


class NestedOut(TupleOut):
    def forward(self, x):
        h = self.body(x)
        return (self.a(h), self.b(h)), h


class LSTMWhole(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 4, batch_first=True)

    def forward(self, x):
        return self.lstm(x)


class LSTMHiddenSqueeze(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 12, batch_first=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h.squeeze(0))


class InPlaceFunctions(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.fc(x)
        skip = y
        out = self.act(y)  # changes skip too
        out = torch.relu_(out + skip)
        return out.sigmoid_()


class HalfSlice(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = self.fc(x)
        return y[:, : y.size(1) // 2]


class WrongShape(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(7, 2)

    def forward(self, x):
        return self.fc(x)


class SELinear(nn.Module):
    """The squeeze-and-excitation block as often written: view, Linear, view, expand_as."""

    def __init__(self, c: int = 8):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, padding=1)
        self.avg = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(c, 2, bias=False), nn.ReLU(inplace=True),
                                nn.Linear(2, c, bias=False), nn.Sigmoid())

    def forward(self, x):
        x = self.conv(x)
        b, c, _, _ = x.size()
        y = self.fc(self.avg(x).view(b, c)).view(b, c, 1, 1)
        return x * y.expand_as(x)


class PoolBySize(nn.Module):
    def forward(self, x):
        return torch.clamp(F.avg_pool2d(x, x.size()[2:]).flatten(1), min=0)


class AdaptiveMax(nn.Module):
    def forward(self, x):
        return F.adaptive_max_pool2d(x, 1).flatten(1)


class TutorialNet(nn.Module):
    """The classic tutorial's num_flat_features: a loop over x.size()[1:]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        x = self.conv(x)
        return self.fc(x.view(-1, self.num_flat_features(x)))

    def num_flat_features(self, x):
        n = 1
        for s in x.size()[1:]:
            n *= s
        return n


class SqueezeToBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc(x).squeeze(1)


class DropoutAlwaysOn(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return F.dropout(self.fc(x), 0.5)


class BiLSTMHidden(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 8)
        self.rnn = nn.LSTM(8, 6, bidirectional=True, batch_first=True)

    def forward(self, tokens):
        _, (hidden, _) = self.rnn(self.emb(tokens))
        return torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)


class CharRNN(nn.Module):
    """An initial state of None passed on explicitly: the same as none."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.rnn = nn.GRU(8, 8, num_layers=2, batch_first=True)
        self.fc = nn.Linear(8, 20)

    def forward(self, x, hidden=None):
        out, hidden = self.rnn(self.emb(x), hidden)
        return self.fc(out)


class MutatedSkip(nn.Module):
    """nn.ReLU(inplace=True) changes the tensor the skip connection holds too."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.conv(x)
        identity = y
        out = self.relu(y)
        return out + identity


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True))
        self.mid = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU())
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.out = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        skip = self.down(x)
        return torch.sigmoid(self.out(torch.cat([self.up(self.mid(skip)), skip], dim=1)))


class TensorDefault(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x, scale=torch.ones(1)):
        return self.fc(x)


class ConstantMadeInForward(TensorDefault):
    def forward(self, x):
        return self.fc(x) * torch.tensor([1.0, 2.0])


class KeywordsUnused(TensorDefault):
    def forward(self, x, **kwargs):
        return self.fc(x)


class DictInput(TensorDefault):
    def forward(self, batch):
        return self.fc(batch["image"])


class StackHeads(nn.Module):
    def __init__(self, dim: int = 1):
        super().__init__()
        self.a = nn.Linear(8, 4)
        self.b = nn.Linear(8, 4)
        self.dim = dim

    def forward(self, x):
        return torch.stack([self.a(x), self.b(x)], dim=self.dim).mean(1)


class StackLast(StackHeads):
    def __init__(self):
        super().__init__(dim=-1)


class MaxOverSteps(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = self.fc(x)
        return torch.max(y, 1)[0], y.max(dim=1).values


class PadThenConv(nn.Module):
    def __init__(self, mode: str = "constant"):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.mode = mode

    def forward(self, x):
        return self.conv(F.pad(F.pad(x, (1, 2, 0, 1), mode=self.mode), [1, 1]))


class PadReflect(PadThenConv):
    def __init__(self):
        super().__init__(mode="reflect")


# (model, input shapes, dtypes): expected "import" or a regex of the refusal.
CASES = {
    "if_on_attribute": (IfOnAttribute, [(3, 8, 8)], None),
    "keyword_defaults": (KeywordDefaults, [(8,)], None),
    "tuple_out": (TupleOut, [(8,)], None),
    "dict_out": (DictOut, [(8,)], None),
    "in_place": (InPlace, [(8,)], None),
    "buffer": (Buffer, [(3, 8, 8)], None),
    "flatten_head": (FlattenHead, [(3, 8, 8)], None),
    "view_head": (ViewHead, [(3, 8, 8)], None),
    "reshape_head": (ReshapeHead, [(3, 8, 8)], None),
    "interpolate": (Interpolate, [(3, 8, 8)], None),
    "cat_many": (CatMany, [(3, 8, 8)], None),
    "nested_sequential": (NestedSequential, [(3, 8, 8)], None),
    "module_list_loop": (ModuleListLoop, [(8,)], None),
    "activations": (Activations, [(8,)], None),
    "functional": (Functional, [(3, 8, 8)], None),
    "mean_dims": (MeanDims, [(3, 8, 8)], None),
    "sum_keepdim": (SumKeepdim, [(3, 8, 8)], None),
    "se_block": (SENet, [(3, 8, 8)], None),
    "scalar_mul": (ScalarMul, [(8,)], None),
    "one_minus": (OneMinus, [(8,)], None),
    "residual": (Residual, [(4, 8, 8)], None),
    "lstm_last": (LSTMLast, [(5, 6)], None),
    "gru_last": (GRULast, [(5, 6)], None),
    "embed_mean": (EmbedMean, [(7,)], ["int64"]),
    "conv1d_stack": (Conv1dStack, [(2, 32)], None),
    "two_inputs": (TwoInputs, [(8,), (4,)], None),
    "helper_method": (HelperMethod, [(3, 8, 8)], None),
    "data_dependent": (DataDependent, [(8,)], None),
    "data_dependent_loop": (DataDependentLoop, [(8,)], None),
    "shared_layer": (SharedLayer, [(8,)], None),
    "exp": (Reciprocal, [(8,)], None),
    "interpolate_size": (InterpolateSize, [(3, 4, 4)], None),
    "max_over_channels": (MaxOverChannels, [(3, 8, 8)], None),
    "varargs": (VarArgs, [(8,)], None),
    "nested_out": (NestedOut, [(8,)], None),
    "lstm_whole": (LSTMWhole, [(5, 6)], None),
    "lstm_hidden_squeeze": (LSTMHiddenSqueeze, [(5, 6)], None),
    "in_place_functions": (InPlaceFunctions, [(8,)], None),
    "half_slice": (HalfSlice, [(8,)], None),
    "wrong_shape": (WrongShape, [(8,)], None),
    "se_linear_expand_as": (SELinear, [(3, 8, 8)], None),
    "pool_by_size_clamp": (PoolBySize, [(3, 4, 4)], None),
    "adaptive_max": (AdaptiveMax, [(3, 4, 4)], None),
    "tutorial_num_flat_features": (TutorialNet, [(1, 6, 6)], None),
    "squeeze_to_batch": (SqueezeToBatch, [(8,)], None),
    "dropout_always_on": (DropoutAlwaysOn, [(8,)], None),
    "bilstm_hidden": (BiLSTMHidden, [(7,)], ["int64"]),
    "char_rnn_state_none": (CharRNN, [(6,)], ["int64"]),
    "mutated_skip": (MutatedSkip, [(4, 5, 5)], None),
    "unet": (UNet, [(3, 8, 8)], None),
    "tensor_default": (TensorDefault, [(8,)], None),
    "constant_made_in_forward": (ConstantMadeInForward, [(8,)], None),
    "keywords_unused": (KeywordsUnused, [(8,)], None),
    "dict_input": (DictInput, [(8,)], None),
    "stack_heads": (StackHeads, [(8,)], None),
    "stack_last": (StackLast, [(8,)], None),
    "max_over_steps": (MaxOverSteps, [(5, 8)], None),
    "pad_then_conv": (PadThenConv, [(3, 6, 6)], None),
    "pad_reflect": (PadReflect, [(3, 6, 6)], None),
}

# What each refusal must say: the op (or the module path and class) and where.
REFUSED = {
    "data_dependent": r"cannot trace DataDependent: .*depends on the data.*`if y\.sum\(\) > 0:` "
                      r"in DataDependent\.forward",
    "data_dependent_loop": r"cannot trace DataDependentLoop: .*depends on the data.*"
                           r"`for _ in range\(int\(x\.abs\(\)\.max\(\)\)\):`",
    "shared_layer": r"fc \(Linear\): it is called 2 times, sharing its weights",
    "varargs": r"VarArgs\.forward\(\*xs\) takes any number of inputs",
    "nested_out": r"NestedOut\.forward returns a nested tuple",
    "lstm_whole": r"LSTMWhole\.forward returns the whole output tuple of lstm",
    "wrong_shape": r"running WrongShape on the sample input failed at fc \(Linear\): "
                   r"mat1 and mat2 shapes cannot be multiplied",
    "tutorial_num_flat_features": r"cannot trace TutorialNet: it loops over or unpacks a "
                                  r"traced value.*`for s in x\.size\(\)\[1:\]:` in "
                                  r"TutorialNet\.num_flat_features",
    "dropout_always_on": r"functional\.dropout in DropoutAlwaysOn\.forward: training=True",
    "tensor_default": r"TensorDefault\.forward's argument 'scale' has a tensor as its default",
    "constant_made_in_forward": r"operator\.mul in ConstantMadeInForward\.forward: its other "
                                r"is a constant tensor made in forward",
    "dict_input": r"DictInput\.forward reads batch\['image'\]: it takes a dict",
    "stack_last": r"torch\.stack in StackLast\.forward: it stacks along a new last dimension",
    "pad_reflect": r"functional\.pad in PadReflect\.forward: mode='reflect'",
}
INTERNAL = re.compile(r"\b\w*(Error|Exception)\b|Traceback|tuple index|Proxy|NoneType|"
                      r"immutable_dict|While executing|slice\(None")


def outcome(name):
    cls, shapes, dtypes = CASES[name]
    torch.manual_seed(0)
    model = cls().eval()
    dtypes = dtypes or ["float32"] * len(shapes)
    graph, weights = import_torch(model, shapes, dtypes)
    state = weights.apply(model.state_dict())
    return check_import(model, graph, state, shapes, dtypes, weights=weights)


@pytest.mark.parametrize("name", list(CASES))
def test_user_model_imports_or_is_refused_in_words(name):
    if name not in REFUSED:
        assert outcome(name) <= 1e-5  # check_import compares outputs (atol 1e-5)
        return
    with pytest.raises(GraphError, match=REFUSED[name]) as info:
        outcome(name)
    message = str(info.value)
    assert "\n" not in message and not INTERNAL.search(message), message


def test_in_place_ops_are_followed():
    """``y += …; y.relu_(); z.add_(y)``: fx keeps later uses on the tensor as it was (and drops
    an in-place op whose result is unused); the import follows the change."""
    graph, _ = import_torch(InPlace().eval(), (8,))
    assert [n.type for n in graph.nodes].count("ReLU") == 1
    assert [n.type for n in graph.nodes].count("Add") == 2


def test_interpolate_becomes_upsample():
    graph, _ = import_torch(Interpolate().eval(), (3, 8, 8))
    up = next(n for n in graph.nodes if n.type == "Upsample")
    assert up.params["scale_factor"] == 2 and up.params.get("mode", "nearest") == "nearest"


def test_cli_refuses_data_dependent_model_in_one_line(tmp_path, monkeypatch, capsys):
    from layerloom.cli import main

    (tmp_path / "user_branchy_model.py").write_text(
        "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 4)\n\n"
        "    def forward(self, x):\n        if self.fc(x).mean() > 0:\n"
        "            return x\n        return self.fc(x)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["import-torch", "user_branchy_model.py:Net", "--input-shape", "4",
                 "-o", str(tmp_path / "g.json")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and not (tmp_path / "g.json").exists()
    assert re.fullmatch(r"error: torch\.fx cannot trace Net: .*depends on the data.*"
                        r"user_branchy_model\.py line 11 `if self\.fc\(x\)\.mean\(\) > 0:` "
                        r"in Net\.forward\)", err), err


@pytest.mark.parametrize("source, spec, expected", [
    ("from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
     "        super().__init__()\n        raise ValueError('no config file')\n",
     "Net", r"building the model with Net\(\) failed in its own code: no config file"),
    ("import torch\ndef f(:\n", "Net", r"invalid Python at user_bad_\w+\.py line 2"),
    ("import torch\nx = undefined_name\n", "Net",
     r"importing module 'user_bad_\w+' failed in its own code: name 'undefined_name'"),
])
def test_cli_says_where_the_users_own_code_failed(tmp_path, monkeypatch, capsys, source, spec,
                                                   expected):
    from layerloom.cli import main

    name = f"user_bad_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(["import-torch", f"{name}.py:{spec}", "--input-shape", "4", "-o", "g.json"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and re.fullmatch(f"error: .*{expected}.*", err), err
    assert "--debug" not in err


if __name__ == "__main__":
    import traceback
    for case in CASES:
        try:
            print(f"{case}: IMPORTS diff={outcome(case):.2e}")
        except GraphError as exc:
            print(f"{case}: REFUSED {exc}")
        except Exception as exc:  # noqa: BLE001
            print(f"{case}: CRASH {type(exc).__name__}: {exc}")
            traceback.print_exc(limit=-3)

"""More architectures people import, written from memory in the style of their public code:
torchvision's RegNetY (grouped convolutions, squeeze-and-excitation) and MobileNetV3-Small
(hard-swish, SE with hardsigmoid), torchaudio's M5 speech-command CNN (a 1-D audio CNN pooled
over time with ``F.avg_pool1d(x, x.shape[-1])``) and its Conformer (sequence-first ``[T, B, D]``
layers: half-step feed-forwards, self-attention, the convolution module with ``nn.GLU``),
WaveNet's gated dilated causal convolutions (``F.pad`` on the left, ``tanh * sigmoid``, skips
summed) and a convolutional VAE sampling only while training. Each imports with the model's
parameter count and outputs, and runs at another input size with the model's outputs there.

Refused, at their line, saying what imports: the VAE sampling in evaluation too
(``torch.randn_like``), a TabNet-style attentive transformer (its prior made in forward with
``torch.ones_like``; past it, its feature transformer's layers are shared between the steps,
which a design cannot hold), DETR's ``PositionEmbeddingLearned`` (row and column tables looked
up by ``torch.arange`` of the map's size). Seq2seq with teacher forcing and a Mamba-style scan:
``test_import_step_loops.py``."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.graph import GraphError, compile_graph, summarize
from layerloom.graph.import_torch import check_import, import_torch


class SqueezeExcitation(nn.Module):
    def __init__(
        self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid
    ):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input):
        scale = self.avgpool(input)
        scale = self.fc1(scale)
        scale = self.activation(scale)
        scale = self.fc2(scale)
        return self.scale_activation(scale)

    def forward(self, input):
        scale = self._scale(input)
        return scale * input


def conv_bn_act(cin, cout, k, stride=1, groups=1, act=nn.ReLU):
    layers = [
        nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class BottleneckTransform(nn.Sequential):
    def __init__(self, width_in, width_out, stride, group_width, bottleneck_multiplier, se_ratio):
        w_b = int(round(width_out * bottleneck_multiplier))
        g = w_b // group_width
        layers = {
            "a": conv_bn_act(width_in, w_b, 1),
            "b": conv_bn_act(w_b, w_b, 3, stride, groups=g),
        }
        if se_ratio:
            layers["se"] = SqueezeExcitation(w_b, int(round(se_ratio * width_in)))
        layers["c"] = conv_bn_act(w_b, width_out, 1, act=None)
        super().__init__(OrderedDict(layers))


class ResBottleneckBlock(nn.Module):
    def __init__(
        self, width_in, width_out, stride, group_width=8, bottleneck_multiplier=1.0, se_ratio=0.25
    ):
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = conv_bn_act(width_in, width_out, 1, stride, act=None)
        self.f = BottleneckTransform(
            width_in, width_out, stride, group_width, bottleneck_multiplier, se_ratio
        )
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x):
        if self.proj is not None:
            x = self.proj(x) + self.f(x)
        else:
            x = x + self.f(x)
        return self.activation(x)


class RegNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = conv_bn_act(3, 16, 3, 2)
        self.trunk_output = nn.Sequential(
            ResBottleneckBlock(16, 24, 2),
            ResBottleneckBlock(24, 24, 1),
            ResBottleneckBlock(24, 48, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(48, num_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.trunk_output(x)
        x = self.avgpool(x)
        x = x.flatten(start_dim=1)
        return self.fc(x)


def _make_divisible(v, divisor=8, min_value=None):
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class InvertedResidual(nn.Module):
    def __init__(self, cin, k, exp, cout, use_se, use_hs, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        act = nn.Hardswish if use_hs else nn.ReLU
        layers = []
        if exp != cin:
            layers.append(conv_bn_act(cin, exp, 1, act=act))
        layers.append(conv_bn_act(exp, exp, k, stride, groups=exp, act=act))
        if use_se:
            layers.append(
                SqueezeExcitation(
                    exp, _make_divisible(exp // 4, 8), scale_activation=nn.Hardsigmoid
                )
            )
        layers.append(conv_bn_act(exp, cout, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3Small(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        cfg = [
            (16, 3, 16, 16, True, False, 2),
            (16, 3, 72, 24, False, False, 2),
            (24, 3, 88, 24, False, False, 1),
            (24, 5, 96, 40, True, True, 2),
            (40, 5, 240, 40, True, True, 1),
        ]
        layers = [conv_bn_act(3, 16, 3, 2, act=nn.Hardswish)]
        layers += [InvertedResidual(*c) for c in cfg]
        layers.append(conv_bn_act(40, 240, 1, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(240, 64),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=0.2, inplace=True),
            nn.Linear(64, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


class M5(nn.Module):
    def __init__(self, n_input=1, n_output=10, stride=4, n_channel=8):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=20, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(2)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(2)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(self.bn1(x))
        x = self.pool1(x)
        x = self.conv2(x)
        x = F.relu(self.bn2(x))
        x = self.pool2(x)
        x = self.conv3(x)
        x = F.relu(self.bn3(x))
        x = self.pool3(x)
        x = F.avg_pool1d(x, x.shape[-1])
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        return F.log_softmax(x, dim=2)


class _FeedForwardModule(nn.Module):
    def __init__(self, input_dim, hidden_dim, dropout=0.0):
        super().__init__()
        self.sequential = nn.Sequential(
            nn.LayerNorm(input_dim),
            nn.Linear(input_dim, hidden_dim, bias=True),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, input_dim, bias=True),
            nn.Dropout(dropout),
        )

    def forward(self, input):
        return self.sequential(input)


class _ConvolutionModule(nn.Module):
    def __init__(self, input_dim, num_channels, depthwise_kernel_size, dropout=0.0):
        super().__init__()
        self.layer_norm = nn.LayerNorm(input_dim)
        self.sequential = nn.Sequential(
            nn.Conv1d(input_dim, 2 * num_channels, 1, stride=1, padding=0),
            nn.GLU(dim=1),
            nn.Conv1d(
                num_channels,
                num_channels,
                depthwise_kernel_size,
                stride=1,
                padding=(depthwise_kernel_size - 1) // 2,
                groups=num_channels,
            ),
            nn.BatchNorm1d(num_channels),
            nn.SiLU(),
            nn.Conv1d(num_channels, input_dim, kernel_size=1, stride=1, padding=0),
            nn.Dropout(dropout),
        )

    def forward(self, input):
        x = self.layer_norm(input)
        x = x.transpose(1, 2)
        x = self.sequential(x)
        return x.transpose(1, 2)


class ConformerLayer(nn.Module):
    def __init__(
        self,
        input_dim=16,
        ffn_dim=32,
        num_attention_heads=2,
        depthwise_conv_kernel_size=7,
        dropout=0.0,
        convolution_first=False,
    ):
        super().__init__()
        self.ffn1 = _FeedForwardModule(input_dim, ffn_dim, dropout)
        self.self_attn_layer_norm = nn.LayerNorm(input_dim)
        self.self_attn = nn.MultiheadAttention(input_dim, num_attention_heads, dropout=dropout)
        self.self_attn_dropout = nn.Dropout(dropout)
        self.conv_module = _ConvolutionModule(
            input_dim, input_dim, depthwise_conv_kernel_size, dropout
        )
        self.ffn2 = _FeedForwardModule(input_dim, ffn_dim, dropout)
        self.final_layer_norm = nn.LayerNorm(input_dim)
        self.convolution_first = convolution_first

    def _apply_convolution(self, input):
        residual = input
        input = input.transpose(0, 1)
        input = self.conv_module(input)
        input = input.transpose(0, 1)
        input = residual + input
        return input

    def forward(self, input, key_padding_mask=None):
        residual = input
        x = self.ffn1(input)
        x = x * 0.5 + residual
        if self.convolution_first:
            x = self._apply_convolution(x)
        residual = x
        x = self.self_attn_layer_norm(x)
        x, _ = self.self_attn(
            query=x, key=x, value=x, key_padding_mask=key_padding_mask, need_weights=False
        )
        x = self.self_attn_dropout(x)
        x = x + residual
        if not self.convolution_first:
            x = self._apply_convolution(x)
        residual = x
        x = self.ffn2(x)
        x = x * 0.5 + residual
        x = self.final_layer_norm(x)
        return x


class Conformer(nn.Module):
    def __init__(self, num_layers=2, **kw):
        super().__init__()
        self.conformer_layers = nn.ModuleList([ConformerLayer(**kw) for _ in range(num_layers)])

    def forward(self, input):
        x = input.transpose(0, 1)
        for layer in self.conformer_layers:
            x = layer(x)
        return x.transpose(0, 1)


class CausalConv1d(nn.Conv1d):
    def __init__(self, cin, cout, k, dilation=1):
        super().__init__(cin, cout, k, dilation=dilation)
        self.left = (k - 1) * dilation

    def forward(self, x):
        return super().forward(F.pad(x, (self.left, 0)))


class ResidualBlock(nn.Module):
    def __init__(self, res, skip, dilation):
        super().__init__()
        self.filter = CausalConv1d(res, res, 2, dilation)
        self.gate = CausalConv1d(res, res, 2, dilation)
        self.res = nn.Conv1d(res, res, 1)
        self.skip = nn.Conv1d(res, skip, 1)

    def forward(self, x):
        h = torch.tanh(self.filter(x)) * torch.sigmoid(self.gate(x))
        return x + self.res(h), self.skip(h)


class WaveNetGated(nn.Module):
    def __init__(self, classes=16, res=8, skip=8, dilations=(1, 2, 4, 8, 1, 2)):
        super().__init__()
        self.start = CausalConv1d(1, res, 2)
        self.blocks = nn.ModuleList(ResidualBlock(res, skip, d) for d in dilations)
        self.end1, self.end2 = nn.Conv1d(skip, skip, 1), nn.Conv1d(skip, classes, 1)

    def forward(self, x):
        x = self.start(x)
        skips = 0
        for block in self.blocks:
            x, s = block(x)
            skips = skips + s
        return self.end2(F.relu(self.end1(F.relu(skips))))


class ConvVAE(nn.Module):
    def __init__(self, latent=8, sample_in_eval=False):
        super().__init__()
        self.sample_in_eval = sample_in_eval
        self.enc = nn.Sequential(
            nn.Conv2d(3, 8, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 4, 2, 1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
        )
        self.mu, self.logvar = nn.Linear(16 * 4 * 4, latent), nn.Linear(16 * 4 * 4, latent)
        self.dec_in = nn.Linear(latent, 16 * 4 * 4)
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(8, 3, 4, 2, 1),
            nn.Sigmoid(),
        )

    def reparameterize(self, mu, logvar):
        if not (self.training or self.sample_in_eval):
            return mu
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)  # noise
        return mu + eps * std

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = self.reparameterize(mu, logvar)
        return self.dec(self.dec_in(z).view(-1, 16, 4, 4)), mu, logvar


class GLUBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.fc = nn.Linear(cin, 2 * cout, bias=False)
        self.bn = nn.BatchNorm1d(2 * cout)

    def forward(self, x):
        return F.glu(self.bn(self.fc(x)), dim=-1)


class TabNetLite(nn.Module):
    def __init__(self, features=10, n_d=8, n_a=8, steps=3, gamma=1.3, classes=3):
        super().__init__()
        self.steps, self.gamma, self.n_d = steps, gamma, n_d
        self.initial_bn = nn.BatchNorm1d(features)
        self.shared = GLUBlock(features, n_d + n_a)
        self.transformers = nn.ModuleList(GLUBlock(n_d + n_a, n_d + n_a) for _ in range(steps + 1))
        self.attentive = nn.ModuleList(
            nn.Sequential(nn.Linear(n_a, features, bias=False), nn.BatchNorm1d(features))
            for _ in range(steps)
        )
        self.final = nn.Linear(n_d, classes)

    def forward(self, x):
        x = self.initial_bn(x)
        prior = torch.ones_like(x)  # prior
        h = self.transformers[0](self.shared(x))
        att = h[:, self.n_d :]
        out = 0
        for step in range(self.steps):
            mask = torch.softmax(self.attentive[step](att) * prior, dim=-1)
            prior = prior * (self.gamma - mask)
            masked = mask * x
            h = self.transformers[step + 1](self.shared(masked))
            out = out + F.relu(h[:, : self.n_d])
            att = h[:, self.n_d :]
        return self.final(out)


class PositionEmbeddingLearned(nn.Module):
    def __init__(self, num_pos_feats=8):
        super().__init__()
        self.row_embed = nn.Embedding(50, num_pos_feats)
        self.col_embed = nn.Embedding(50, num_pos_feats)
        nn.init.uniform_(self.row_embed.weight)
        nn.init.uniform_(self.col_embed.weight)

    def forward(self, x):
        h, w = x.shape[-2:]
        i = torch.arange(w, device=x.device)
        j = torch.arange(h, device=x.device)
        x_emb = self.col_embed(i)
        y_emb = self.row_embed(j)
        pos = (
            torch.cat(
                [
                    x_emb.unsqueeze(0).repeat(h, 1, 1),  # columns
                    y_emb.unsqueeze(1).repeat(1, w, 1),
                ],
                dim=-1,
            )
            .permute(2, 0, 1)
            .unsqueeze(0)
            .repeat(x.shape[0], 1, 1, 1)
        )
        return pos


class DETRLearnedPos(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU())
        self.position = PositionEmbeddingLearned(8)
        self.proj = nn.Conv2d(16, 16, 1)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        f = self.backbone(x)
        pos = self.position(f)
        h = self.proj(f) + pos
        return self.head(h.flatten(2).transpose(1, 2))


IMPORTED = {
    "regnety (grouped convolutions, squeeze-excitation)": (RegNet, (3, 16, 16)),
    "mobilenetv3-small (hardswish, SE with hardsigmoid)": (MobileNetV3Small, (3, 32, 32)),
    "audio: m5 (Conv1d on the waveform, F.avg_pool1d over time)": (M5, (1, 400)),
    "conformer, torchaudio (sequence-first layers, GLU convolution module)": (Conformer, (12, 16)),
    "wavenet, gated (causal F.pad, tanh * sigmoid; last residual unused, left out)": (
        WaveNetGated,
        (1, 32),
    ),
    "vae, convolutional (sampling only while training)": (ConvVAE, (3, 16, 16)),
}


def _bigger(shape):
    """Images 1.5 times as large; a sequence (or a waveform) 1.5 times as long."""
    if len(shape) == 3:
        return (shape[0], shape[1] * 3 // 2, shape[2] * 3 // 2)
    return (shape[0] * 3 // 2, shape[1]) if shape[0] > 1 else (shape[0], shape[1] * 3 // 2)


@pytest.mark.parametrize("name", list(IMPORTED))
def test_it_imports_with_the_models_numbers_at_its_size_and_another(name):
    build, shape = IMPORTED[name]
    torch.manual_seed(0)
    model = build().eval()
    graph, weights = import_torch(model, shape)
    state = weights.apply(model.state_dict())
    held = summarize(graph).params
    unused = (
        model.blocks[-1].res.weight.numel() + model.blocks[-1].res.bias.numel()
        if isinstance(model, WaveNetGated)
        else 0
    )  # the last residual: never used, left out
    assert held == sum(p.numel() for p in model.parameters()) - unused
    assert check_import(model, graph, state, shape, weights=weights) < 1e-4
    other = graph.copy()
    next(n for n in other.nodes if n.type == "Input").params["shape"] = list(_bigger(shape))
    compiled = compile_graph(other).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(2, *_bigger(shape))
    with torch.no_grad():
        got, expected = compiled(x), model(x)
    pairs = zip(got, expected) if isinstance(expected, tuple) else [(got, expected)]
    for g, e in pairs:
        torch.testing.assert_close(g, e, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    "model, shape, marker, words",
    [
        (
            lambda: ConvVAE(sample_in_eval=True),
            (3, 16, 16),
            "noise",
            "randn_like draws new random values at every call, in evaluation too",
        ),
        (TabNetLite, (10,), "prior", "torch.ones_like makes a tensor in forward"),
        (
            DETRLearnedPos,
            (3, 16, 16),
            "columns",
            "its input is position.col_embed(torch.arange(...)), a learned table of a map's "
            "rows or columns repeated over the map (DETR's PositionEmbeddingLearned: row and "
            "column tables), which no block does; a learned table of every position imports",
        ),
    ],
    ids=["vae sampling in evaluation", "tabnet prior", "detr learned row and column tables"],
)
def test_it_is_refused_at_its_line_saying_what_imports(model, shape, marker, words, line_of):
    with pytest.raises(GraphError) as caught:
        import_torch(model().eval(), shape)
    text = str(caught.value)
    assert text.startswith(f"{line_of(marker)}: cannot import ")
    assert words in text

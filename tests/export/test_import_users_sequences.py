"""Users' sequence, point-cloud and transformer models the coverage benchmark did not hold, each
written as its authors write it: the PyTorch tutorial's tagger with a bidirectional GRU,
locuslab's TCN (weight_norm, Chomp1d, dilations), PointNet's classifier (max over the points),
lucidrains' ViT (einops, class token) and a DETR-like head (nn.Transformer, object queries).
Each imports from PyTorch and from its ONNX file with the model's outputs, or is refused naming
the line and what to change. (``benchmarks/import_coverage_bench.py`` lists them.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from einops.layers.torch import Rearrange
from tcn_parts import TemporalBlock
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


# 5. A part-of-speech tagger as the PyTorch tutorial writes it, with a bidirectional GRU ----------

class GRUTagger(nn.Module):
    def __init__(self, vocab_size=50, embedding_dim=16, hidden_dim=12, tagset_size=5):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.gru = nn.GRU(embedding_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.hidden2tag = nn.Linear(2 * hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        gru_out, _ = self.gru(embeds)
        tag_space = self.hidden2tag(gru_out)
        return F.log_softmax(tag_space, dim=-1)


# 6. locuslab/TCN: dilated causal convolutions with weight norm (its blocks: tcn_parts.py) ------

class TemporalConvNet(nn.Module):
    def __init__(self, num_inputs=4, num_channels=(8, 8, 8), kernel_size=2, dropout=0.2):
        super().__init__()
        layers = []
        num_levels = len(num_channels)
        for i in range(num_levels):
            dilation_size = 2 ** i
            in_channels = num_inputs if i == 0 else num_channels[i - 1]
            out_channels = num_channels[i]
            layers += [TemporalBlock(in_channels, out_channels, kernel_size, stride=1,
                                     dilation=dilation_size,
                                     padding=(kernel_size - 1) * dilation_size, dropout=dropout)]
        self.network = nn.Sequential(*layers)

    def forward(self, x):
        return self.network(x)


# 8. A DETR-like head: learned object queries decoded against image features -------------------

class DETRHead(nn.Module):
    def __init__(self, num_classes=5, hidden_dim=16, nheads=2, num_queries=6):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU())
        self.conv = nn.Conv2d(32, hidden_dim, 1)
        self.transformer = nn.Transformer(hidden_dim, nheads, 1, 1, dim_feedforward=32,
                                          dropout=0.0)
        self.linear_class = nn.Linear(hidden_dim, num_classes + 1)
        self.linear_bbox = nn.Linear(hidden_dim, 4)
        self.query_pos = nn.Parameter(torch.rand(num_queries, hidden_dim))
        self.row_embed = nn.Parameter(torch.rand(50, hidden_dim // 2))
        self.col_embed = nn.Parameter(torch.rand(50, hidden_dim // 2))

    def forward(self, inputs):
        h = self.conv(self.backbone(inputs))
        H, W = h.shape[-2:]
        pos = torch.cat([
            self.col_embed[:W].unsqueeze(0).repeat(H, 1, 1),
            self.row_embed[:H].unsqueeze(1).repeat(1, W, 1),
        ], dim=-1).flatten(0, 1).unsqueeze(1)
        h = self.transformer(pos + h.flatten(2).permute(2, 0, 1),
                             self.query_pos.unsqueeze(1).repeat(1, h.shape[0], 1))
        return self.linear_class(h), self.linear_bbox(h).sigmoid()


# 9. PointNet's classifier (fxia22/pointnet.pytorch, without the input transform) ---------------

class PointNetCls(nn.Module):
    def __init__(self, k=4):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(3, 32, 1)
        self.conv2 = torch.nn.Conv1d(32, 64, 1)
        self.conv3 = torch.nn.Conv1d(64, 128, 1)
        self.bn1 = nn.BatchNorm1d(32)
        self.bn2 = nn.BatchNorm1d(64)
        self.bn3 = nn.BatchNorm1d(128)
        self.fc1 = nn.Linear(128, 64)
        self.fc2 = nn.Linear(64, k)
        self.dropout = nn.Dropout(p=0.3)
        self.bn4 = nn.BatchNorm1d(64)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        x = torch.max(x, 2, keepdim=True)[0]
        x = x.view(-1, 128)
        x = F.relu(self.bn4(self.dropout(self.fc1(x))))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


# 10. lucidrains/vit-pytorch's ViT, small: einops patches, class token, pre-norm attention ------

class FeedForward(nn.Module):
    def __init__(self, dim, hidden_dim, dropout=0.):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden_dim), nn.GELU(),
                                 nn.Dropout(dropout), nn.Linear(hidden_dim, dim),
                                 nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


class Attention(nn.Module):
    def __init__(self, dim, heads=8, dim_head=64, dropout=0.):
        super().__init__()
        inner_dim = dim_head * heads
        project_out = not (heads == 1 and dim_head == dim)
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.norm = nn.LayerNorm(dim)
        self.attend = nn.Softmax(dim=-1)
        self.dropout = nn.Dropout(dropout)
        self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner_dim, dim), nn.Dropout(dropout)) \
            if project_out else nn.Identity()

    def forward(self, x):
        x = self.norm(x)
        qkv = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = map(lambda t: rearrange(t, 'b n (h d) -> b h n d', h=self.heads), qkv)
        dots = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        attn = self.attend(dots)
        attn = self.dropout(attn)
        out = torch.matmul(attn, v)
        out = rearrange(out, 'b h n d -> b n (h d)')
        return self.to_out(out)


class Transformer(nn.Module):
    def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0.):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.layers = nn.ModuleList([])
        for _ in range(depth):
            self.layers.append(nn.ModuleList([
                Attention(dim, heads=heads, dim_head=dim_head, dropout=dropout),
                FeedForward(dim, mlp_dim, dropout=dropout)
            ]))

    def forward(self, x):
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return self.norm(x)


class ViT(nn.Module):
    def __init__(self, *, image_size=16, patch_size=4, num_classes=10, dim=32, depth=2,
                 heads=2, mlp_dim=64, pool='cls', channels=3, dim_head=16, dropout=0.,
                 emb_dropout=0.):
        super().__init__()
        num_patches = (image_size // patch_size) ** 2
        patch_dim = channels * patch_size * patch_size
        self.to_patch_embedding = nn.Sequential(
            Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=patch_size, p2=patch_size),
            nn.LayerNorm(patch_dim),
            nn.Linear(patch_dim, dim),
            nn.LayerNorm(dim),
        )
        self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.dropout = nn.Dropout(emb_dropout)
        self.transformer = Transformer(dim, depth, heads, dim_head, mlp_dim, dropout)
        self.pool = pool
        self.to_latent = nn.Identity()
        self.mlp_head = nn.Linear(dim, num_classes)

    def forward(self, img):
        x = self.to_patch_embedding(img)
        b, n, _ = x.shape
        cls_tokens = repeat(self.cls_token, '1 1 d -> b 1 d', b=b)
        x = torch.cat((cls_tokens, x), dim=1)
        x += self.pos_embedding[:, :(n + 1)]
        x = self.dropout(x)
        x = self.transformer(x)
        x = x.mean(dim=1) if self.pool == 'mean' else x[:, 0]
        x = self.to_latent(x)
        return self.mlp_head(x)


IMPORTED = {  # name: (model, input shape, dtype, blocks its design holds)
    "gru-tagger": (GRUTagger, (12,), "int64", {"Embedding", "GRU", "LogSoftmax"}),
    "tcn": (TemporalConvNet, (4, 20), "float32", {"Conv1d", "Slice", "Add"}),
    "pointnet": (PointNetCls, (3, 32), "float32", {"Conv1d", "BatchNorm1d", "Reduce"}),
    "vit-lucidrains": (ViT, (3, 16, 16), "float32", {"ClassToken", "PositionalEmbedding"}),
}


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_a_users_model_imports_with_its_outputs(name, users_model_imported):
    cls, shape, dtype, blocks = IMPORTED[name]
    _, graph = users_model_imported(cls, shape, dtype)
    assert blocks <= {n.type for n in graph.nodes}


@pytest.mark.parametrize("name", ["gru-tagger", "tcn", "pointnet", "vit-lucidrains"])
def test_a_users_model_imports_from_its_onnx_file(name, tmp_path, users_onnx_imported):
    """lucidrains' class token, einops' repeat(cls, '1 1 d -> b 1 d', b=b), is an Expand over
    the batch then a Reshape to the batch's size: the file stopped at the Concat ("its input
    '/Reshape_1_output_0' is computed from the batch size")."""
    cls, shape, dtype, _ = IMPORTED[name]
    torch.manual_seed(0)
    graph = users_onnx_imported(cls().eval(), shape, tmp_path, dtype)
    if name == "vit-lucidrains":
        assert {"ClassToken", "PositionalEmbedding"} <= {n.type for n in graph.nodes}


def test_a_detr_head_is_refused_at_its_repeat_of_the_positions():
    with pytest.raises(GraphError, match=r"test_import_users_sequences\.py:\d+: cannot import "
                                         r"Tensor\.repeat in DETRHead\.forward"):
        import_torch(DETRHead().eval(), (3, 16, 16))

"""GPT-2 as transformers writes it (``modeling_gpt2.py``, cut down to a small width): its
``Conv1D`` layers (a Linear whose weight is kept ``[in, out]``, applied with ``torch.addmm`` on
the batch and steps flattened) import as Linear blocks holding the weight transposed;
``NewGELUActivation`` (GELU's tanh approximation written out) as GELU(approximate='tanh'); the
eager attention's causal mask (a tril buffer sliced to the length, ``torch.where`` with
``torch.finfo(dtype).min``, softmax, dropout, ``@ v``) as one ScaledDotProductAttention block
with is_causal=True and the dropout's rate, as does the SDPA attention newer versions run. The
tied ``lm_head`` is refused unless untied (``--untie``). The imported design has the model's
parameters (plus the untied copy) and outputs, and exports. Before, ``import-torch`` stopped at
the sliced mask ("tracing cannot do"), then at Conv1D's view ("moving the batch dimension")."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from layerloom.cli import main
from layerloom.graph import GraphError, compile_graph, load_graph, summarize
from layerloom.graph.export import export_model
from layerloom.graph.import_torch import check_import, import_torch

GPT2 = textwrap.dedent('''
    import math

    import torch
    from torch import nn


    class NewGELUActivation(nn.Module):
        def forward(self, input):
            return 0.5 * input * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (
                input + 0.044715 * torch.pow(input, 3.0))))


    class Conv1D(nn.Module):
        def __init__(self, nf, nx):
            super().__init__()
            self.nf = nf
            self.nx = nx
            self.weight = nn.Parameter(torch.empty(nx, nf))
            self.bias = nn.Parameter(torch.zeros(nf))
            nn.init.normal_(self.weight, std=0.02)

        def forward(self, x):
            size_out = x.size()[:-1] + (self.nf,)
            x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
            x = x.view(size_out)
            return x


    class GPT2Attention(nn.Module):
        def __init__(self, n_embd=32, n_head=4, n_positions=64, sdpa=False):
            super().__init__()
            self.register_buffer("bias", torch.tril(torch.ones(
                (n_positions, n_positions), dtype=torch.bool)).view(
                1, 1, n_positions, n_positions), persistent=False)
            self.register_buffer("masked_bias", torch.tensor(-1e4), persistent=False)
            self.embed_dim, self.num_heads = n_embd, n_head
            self.head_dim = self.embed_dim // self.num_heads
            self.split_size = self.embed_dim
            self.sdpa = sdpa
            self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
            self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
            self.attn_dropout = nn.Dropout(0.1)
            self.resid_dropout = nn.Dropout(0.1)

        def _attn(self, query, key, value):
            attn_weights = torch.matmul(query, key.transpose(-1, -2))
            attn_weights = attn_weights / torch.full(
                [], value.size(-1) ** 0.5, dtype=attn_weights.dtype,
                device=attn_weights.device)
            query_length, key_length = query.size(-2), key.size(-2)
            causal_mask = self.bias[:, :, key_length - query_length: key_length, :key_length]
            mask_value = torch.finfo(attn_weights.dtype).min
            mask_value = torch.full([], mask_value, dtype=attn_weights.dtype,
                                    device=attn_weights.device)
            attn_weights = torch.where(causal_mask, attn_weights.to(attn_weights.dtype),
                                       mask_value)
            attn_weights = nn.functional.softmax(attn_weights, dim=-1)
            attn_weights = attn_weights.type(value.dtype)
            attn_weights = self.attn_dropout(attn_weights)
            attn_output = torch.matmul(attn_weights, value)
            return attn_output, attn_weights

        def _split_heads(self, tensor, num_heads, attn_head_size):
            new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
            tensor = tensor.view(new_shape)
            return tensor.permute(0, 2, 1, 3)

        def _merge_heads(self, tensor, num_heads, attn_head_size):
            tensor = tensor.permute(0, 2, 1, 3).contiguous()
            new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
            return tensor.view(new_shape)

        def forward(self, hidden_states):
            query, key, value = self.c_attn(hidden_states).split(self.split_size, dim=2)
            query = self._split_heads(query, self.num_heads, self.head_dim)
            key = self._split_heads(key, self.num_heads, self.head_dim)
            value = self._split_heads(value, self.num_heads, self.head_dim)
            if self.sdpa:
                attn_output = nn.functional.scaled_dot_product_attention(
                    query, key, value, dropout_p=0.1 if self.training else 0.0, is_causal=True)
                attn_weights = None
            else:
                attn_output, attn_weights = self._attn(query, key, value)
            attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
            attn_output = self.resid_dropout(self.c_proj(attn_output))
            return attn_output, attn_weights


    class GPT2MLP(nn.Module):
        def __init__(self, intermediate_size, embed_dim=32):
            super().__init__()
            self.c_fc = Conv1D(intermediate_size, embed_dim)
            self.c_proj = Conv1D(embed_dim, intermediate_size)
            self.act = NewGELUActivation()
            self.dropout = nn.Dropout(0.1)

        def forward(self, hidden_states):
            return self.dropout(self.c_proj(self.act(self.c_fc(hidden_states))))


    class GPT2Block(nn.Module):
        def __init__(self, hidden_size=32, sdpa=False):
            super().__init__()
            self.ln_1 = nn.LayerNorm(hidden_size, eps=1e-5)
            self.attn = GPT2Attention(hidden_size, sdpa=sdpa)
            self.ln_2 = nn.LayerNorm(hidden_size, eps=1e-5)
            self.mlp = GPT2MLP(4 * hidden_size, hidden_size)

        def forward(self, hidden_states):
            residual = hidden_states
            attn_outputs = self.attn(self.ln_1(hidden_states))
            hidden_states = attn_outputs[0] + residual
            residual = hidden_states
            hidden_states = residual + self.mlp(self.ln_2(hidden_states))
            return (hidden_states,) + attn_outputs[1:]


    class GPT2LMHeadModel(nn.Module):
        def __init__(self, vocab_size=50, n_positions=64, n_embd=32, n_layer=2, sdpa=False):
            super().__init__()
            torch.manual_seed(0)
            self.wte = nn.Embedding(vocab_size, n_embd)
            self.wpe = nn.Embedding(n_positions, n_embd)
            self.drop = nn.Dropout(0.1)
            self.h = nn.ModuleList([GPT2Block(n_embd, sdpa) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)
            self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
            self.lm_head.weight = self.wte.weight
            with torch.no_grad():  # trained-looking norms and biases
                for name, p in self.named_parameters():
                    if name.endswith("bias"):
                        p.normal_(0, 0.1)
                    elif name.startswith(("ln", "h.")) and p.dim() == 1:
                        p.normal_(1, 0.3)

        def forward(self, input_ids):
            input_shape = input_ids.size()
            input_ids = input_ids.view(-1, input_shape[-1])
            position_ids = torch.arange(0, input_shape[-1], dtype=torch.long,
                                        device=input_ids.device).unsqueeze(0)
            hidden_states = self.drop(self.wte(input_ids) + self.wpe(position_ids))
            output_shape = (-1,) + input_shape[1:] + (hidden_states.size(-1),)
            for block in self.h:
                hidden_states = block(hidden_states)[0]
            hidden_states = self.ln_f(hidden_states).view(output_shape)
            return self.lm_head(hidden_states)


    class GPT2Sdpa(GPT2LMHeadModel):
        def __init__(self):
            super().__init__(sdpa=True)
''')


@pytest.fixture
def gpt2(tmp_path, monkeypatch):
    name = f"gpt2_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(GPT2)
    monkeypatch.chdir(tmp_path)
    sys.path.insert(0, str(tmp_path))
    yield name
    sys.path.remove(str(tmp_path))
    sys.modules.pop(name, None)


@pytest.mark.parametrize("cls", ["GPT2LMHeadModel", "GPT2Sdpa"])
def test_gpt2_imports_untied_with_its_outputs_and_exports(gpt2, cls, tmp_path, capsys):
    args = ["import-torch", f"{gpt2}.py:{cls}", "--input-shape", "12", "--dtype", "int64",
            "-o", "gpt2.json", "--weights", "gpt2.safetensors"]
    assert main(args) == 1
    assert "ties weights: 'wte.weight' and 'lm_head.weight'" in capsys.readouterr().err
    assert main(args + ["--untie"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "compiled graph matches the model" in out and "at input [17] too" in out
    graph = load_graph(tmp_path / "gpt2.json")
    types = [n.type for n in graph.nodes]
    assert types.count("Linear") == 9 and types.count("GELU") == 2  # 8 Conv1D and lm_head
    assert "Reshape" not in types
    assert [n.params for n in graph.nodes if n.type == "GELU"] == [{"approximate": "tanh"}] * 2
    attention = [n.params for n in graph.nodes if n.type == "ScaledDotProductAttention"]
    assert len(attention) == 2 and all(p["is_causal"] for p in attention)
    if cls == "GPT2LMHeadModel":  # the eager attention's dropout, folded into the block
        assert all(p["dropout"] == 0.1 for p in attention)
    original = getattr(__import__(gpt2), cls)().eval()
    count = sum(p.numel() for p in original.parameters())
    assert count == 29_120
    assert summarize(graph).params == count + 50 * 32  # the untied copy of the table
    model = compile_graph(graph).eval()
    state = load_file(str(tmp_path / "gpt2.safetensors"))
    model.load_state_dict(state, strict=True)
    assert sum(p.numel() for p in model.parameters()) == count + 50 * 32
    ids = torch.randint(0, 50, (4, 12), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = original(ids), model(ids)
    assert want.abs().max() > 1 and (got - want).abs().max() < 1e-5
    for fmt, name in (("python", "gpt2.py"), ("torchscript", "gpt2.pt"), ("onnx", "gpt2.onnx")):
        assert export_model(graph, fmt, tmp_path / name, state,
                            sample_inputs=ids).max_abs_diff < 1e-4


def test_conv1d_is_a_linear_holding_the_weight_transposed(gpt2):
    module = __import__(gpt2)
    layer = module.Conv1D(6, 4)
    graph, weights = import_torch(nn.Sequential(layer), (5, 4))
    assert [(n.type, n.params) for n in graph.nodes[1:-1]] == [
        ("Linear", {"out_features": 6})]
    state = weights.apply(nn.Sequential(layer).state_dict())
    assert torch.equal(state["_0.weight"], layer.weight.detach().t())


def test_a_conv1d_of_another_forward_is_traced_through():
    class Conv1D(nn.Module):  # a user's own layer of the same name: a real convolution
        def __init__(self):
            super().__init__()
            self.nf = 4
            self.weight = nn.Parameter(torch.randn(4, 2, 3))
            self.bias = nn.Parameter(torch.zeros(4))

        def forward(self, x):
            return F.conv1d(x, self.weight, self.bias, padding=1)

    model = nn.Sequential(Conv1D()).eval()
    graph, weights = import_torch(model, (2, 7))
    assert [n.type for n in graph.nodes[1:-1]] == ["Conv1d"]
    assert check_import(model, graph, weights.apply(model.state_dict()), (2, 7)) < 1e-5


def test_a_mask_that_is_not_causal_is_still_refused():
    class Banded(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("keep", torch.ones(6, 6, dtype=torch.bool).triu())

        def forward(self, x):
            att = torch.where(self.keep, x @ x.transpose(-2, -1), torch.finfo(x.dtype).min)
            return att.softmax(dim=-1) @ x

    # refused at the masking's line, saying what the mask keeps
    with pytest.raises(GraphError, match=r"test_import_gpt2\.py:\d+: .*on its scores \(a mask "
                                         r"or a bias\): it keeps fixed positions that are "
                                         r"neither every one nor the causal ones"):
        import_torch(Banded(), (6, 4))


class MadeMask(nn.Module):
    """A causal mask made in forward, in the two ways tutorials write it."""

    def __init__(self, how: str, window: int = 0):
        super().__init__()
        self.how, self.window = how, window
        self.qkv = nn.Linear(8, 24)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(8, dim=2)
        att = q @ k.transpose(-2, -1) / 8 ** 0.5
        ones = torch.ones(T, T, device=x.device)
        if self.how == "tril":
            att = att.masked_fill(torch.tril(ones) == 0, float("-inf"))
        elif self.how == "triu":
            att = att.masked_fill(torch.triu(ones, diagonal=1).bool(), float("-inf"))
        else:  # a sliding window: causal only while T <= window
            band = torch.tril(ones) * torch.triu(ones, diagonal=-self.window)
            att = att.masked_fill(band == 0, float("-inf"))  # band
        return F.softmax(att, dim=-1) @ v


@pytest.mark.parametrize("how", ["tril", "triu"])
def test_a_causal_mask_made_in_forward_imports(how):
    model = MadeMask(how).eval()
    graph, weights = import_torch(model, (6, 8))
    assert [n.params for n in graph.nodes if n.type == "ScaledDotProductAttention"] == [
        {"is_causal": True, "scale": pytest.approx(8 ** -0.5)}]
    state = weights.apply(model.state_dict())
    assert check_import(model, graph, state, (6, 8), weights=weights) < 1e-5
    compiled = compile_graph(graph).eval()
    compiled.load_state_dict(state, strict=True)
    x = torch.randn(2, 11, 8)
    with torch.no_grad():
        assert (compiled(x) - model(x)).abs().max() < 1e-5


def test_a_sliding_window_causal_at_the_traced_length_only_is_refused(line_of):
    """At 6 steps a window of 8 keeps exactly the causal positions; at 12 it does not, so it is
    not taken for is_causal (the design would differ from the model at other lengths)."""
    with pytest.raises(GraphError, match="masked_fill"):
        import_torch(MadeMask("band", window=8).eval(), (6, 8))


def test_scores_scaled_by_the_length_are_not_taken_for_a_fixed_scale():
    """``/ T`` would be the traced length's number in the block's scale, and another length's
    outputs would differ: the masked attention stays as written (and refused at its mask)."""
    class ByLength(MadeMask):
        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(8, dim=2)
            att = q @ k.transpose(-2, -1) / T
            att = att.masked_fill(torch.tril(torch.ones(T, T)) == 0, float("-inf"))
            return F.softmax(att, dim=-1) @ v

    with pytest.raises(GraphError, match="masked_fill"):
        import_torch(ByLength("tril").eval(), (6, 8))

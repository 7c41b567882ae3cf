"""Which ``torch.nn`` modules become which LayerLoom blocks, and with what params.

One rule per module type: ``rule(module) -> (block type, params)``, or :class:`Unsupported` with
the setting that has no block equivalent (``padding_mode='reflect'``, ``batch_first=False``…).
The params are read back from the module's own attributes, the same names ``torch.nn`` uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import modules as _modules


class Unsupported(Exception):
    """A module or call that no LayerLoom block expresses; the importer adds where it is."""


Rule = Callable[[nn.Module], tuple[str, dict]]
MODULE_RULES: dict[type, Rule] = {}


def rule(*types: type):
    def add(fn: Rule) -> Rule:
        for t in types:
            MODULE_RULES[t] = fn
        return fn
    return add


# Modules of other libraries (torchvision, timm, transformers), known by class name and their
# attributes: those libraries need not be importable here. A rule with ``weights=True`` maps a
# module with parameters of its own (matched by name with the block's, as for torch.nn's
# modules); ``when`` must hold of the module too, and ``transposed`` names the module's weights
# that the block holds transposed (transformers' Conv1D keeps a Linear's weight as [in, out]).
NAMED_RULES: dict[str, tuple[tuple[str, ...], Rule, bool]] = {}
_NAMED_WHEN: dict[str, Callable[[nn.Module], bool]] = {}
_NAMED_TRANSPOSED: dict[str, tuple[str, ...]] = {}


def named_rule(name: str, *attributes: str, weights: bool = False,
               when: Callable[[nn.Module], bool] | None = None, transposed: tuple[str, ...] = ()):
    def add(fn: Rule) -> Rule:
        NAMED_RULES[name] = (attributes, fn, weights)
        if when is not None:
            _NAMED_WHEN[name] = when
        if transposed:
            _NAMED_TRANSPOSED[name] = transposed
        return fn
    return add


def transposed_weights(module: nn.Module) -> tuple[str, ...]:
    """The names of ``module``'s own weights that its block holds transposed (``("weight",)``
    for transformers' Conv1D), or ``()``."""
    if find_rule(module) is None:
        return ()
    return _NAMED_TRANSPOSED.get(type(module).__name__, ())


def find_rule(module: nn.Module) -> Rule | None:
    """The rule for ``module``'s type, or for a subclass that keeps its base's ``forward``."""
    for cls in type(module).__mro__:
        if cls in MODULE_RULES:
            if cls is type(module) or type(module).forward is cls.forward:
                return MODULE_RULES[cls]
            return None
    named = NAMED_RULES.get(type(module).__name__)
    if named is not None and all(hasattr(module, a) for a in named[0]) \
            and (named[2] or not any(True for _ in module.parameters())) \
            and _NAMED_WHEN.get(type(module).__name__, lambda m: True)(module):
        return named[1]
    return None


@named_rule("StochasticDepth", "p", "mode")
def _stochastic_depth(m: nn.Module) -> tuple[str, dict]:
    """torchvision.ops.StochasticDepth (EfficientNet, ConvNeXt)."""
    _require(m.mode == "row", f"mode={m.mode!r} (the block drops rows: mode='row')")
    return "StochasticDepth", {"p": float(m.p)}


@named_rule("DropPath", "drop_prob")
def _drop_path(m: nn.Module) -> tuple[str, dict]:
    """timm.layers.DropPath: StochasticDepth in mode 'row'."""
    _require(getattr(m, "scale_by_keep", True), "scale_by_keep=False")
    return "StochasticDepth", {"p": float(m.drop_prob)}


@named_rule("ShiftedWindowAttention", "window_size", "shift_size", "num_heads", "qkv", "proj",
            "relative_position_bias_table", "relative_position_index", weights=True)
def _shifted_window_attention(m: nn.Module) -> tuple[str, dict]:
    """torchvision.models.swin_transformer.ShiftedWindowAttention (Swin V1), whole."""
    _require(not hasattr(m, "logit_scale") and not hasattr(m, "cpb_mlp"),
             "Swin V2's cosine attention (logit_scale, cpb_mlp) has no block; only V1's "
             "ShiftedWindowAttention maps")
    window, shift = list(m.window_size), list(m.shift_size)
    _require(len(window) == 2 and len(shift) == 2, f"window_size {window} and shift_size "
                                                   f"{shift} (two sizes each)")
    _require(isinstance(m.qkv, nn.Linear) and isinstance(m.proj, nn.Linear),
             "qkv and proj that are not nn.Linear")
    dim = m.qkv.in_features
    _require(m.qkv.out_features == 3 * dim and m.proj.in_features == dim
             and m.proj.out_features == dim, "qkv/proj sizes other than [C→3C], [C→C]")
    table = tuple(m.relative_position_bias_table.shape)
    expected = ((2 * window[0] - 1) * (2 * window[1] - 1), int(m.num_heads))
    _require(table == expected, f"a relative_position_bias_table of shape {list(table)} "
                                f"(expected {list(expected)})")
    return "ShiftedWindowAttention", {
        "num_heads": int(m.num_heads), "window_size": window, "shift_size": shift,
        "attention_dropout": float(getattr(m, "attention_dropout", 0.0)),
        "dropout": float(getattr(m, "dropout", 0.0)),
        "qkv_bias": m.qkv.bias is not None, "proj_bias": m.proj.bias is not None}


@named_rule("ShiftedWindowAttentionV2", weights=True)
def _shifted_window_attention_v2(m: nn.Module) -> tuple[str, dict]:
    raise Unsupported("Swin V2's window attention (cosine attention with a learned logit "
                      "scale and a continuous position bias MLP) has no LayerLoom block; "
                      "Swin V1's ShiftedWindowAttention imports")


@named_rule("PatchMerging", "reduction", "norm", weights=True)
def _patch_merging(m: nn.Module) -> tuple[str, dict]:
    """torchvision.models.swin_transformer.PatchMerging (Swin V1), whole."""
    norm, reduction = m.norm, m.reduction
    _require(isinstance(reduction, nn.Linear) and reduction.bias is None,
             "a reduction that is not a Linear without bias")
    dim = reduction.in_features // 4
    _require(reduction.in_features == 4 * dim and reduction.out_features == 2 * dim,
             f"a reduction of {reduction.in_features}→{reduction.out_features} (4C→2C)")
    _require(type(norm) is nn.LayerNorm and tuple(norm.normalized_shape) == (4 * dim,)
             and norm.elementwise_affine and norm.bias is not None,
             "a norm that is not nn.LayerNorm(4C) with weight and bias")
    return "PatchMerging", {"eps": float(norm.eps)}


def _hf_conv1d(m: nn.Module) -> bool:
    """transformers' Conv1D as GPT-2 uses it: ``weight`` [in, nf], ``bias`` [nf] (or None),
    and a ``forward`` of ``torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)`` viewed
    back to ``x.size()[:-1] + (self.nf,)``: a Linear over the last dimension."""
    import inspect

    # read from _parameters: while fx traces, a module's parameter attribute is a Proxy
    weight, bias = m._parameters.get("weight"), m._parameters.get("bias")
    if not isinstance(weight, nn.Parameter) or weight.dim() != 2 or weight.shape[1] != m.nf:
        return False
    if bias is not None and (not isinstance(bias, nn.Parameter) or tuple(bias.shape) != (m.nf,)):
        return False
    if set(dict(m.named_parameters(recurse=False))) - {"weight", "bias"} \
            or any(True for _ in m.children()):
        return False
    try:
        source = inspect.getsource(type(m).forward)
    except (OSError, TypeError):
        return False
    return "addmm" in source and "self.weight" in source and "self.nf" in source


@named_rule("Conv1D", "nf", "weight", "bias", weights=True, when=_hf_conv1d,
            transposed=("weight",))
def _conv1d_as_linear(m: nn.Module) -> tuple[str, dict]:
    """transformers' Conv1D (GPT-2's c_attn, c_proj, c_fc): a Linear whose weight is stored
    transposed, [in, out]; the block holds it as [out, in]."""
    return "Linear", {"out_features": int(m.nf), "bias": m.bias is not None}


def _gelu_tanh_written(m: nn.Module) -> bool:
    """A module whose ``forward`` writes GELU's tanh approximation out, as transformers'
    NewGELUActivation (GPT-2's ``gelu_new``) and minGPT's NewGELU do:
    ``0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x,
    3.0))))``."""
    import inspect

    try:
        source = inspect.getsource(type(m).forward)
    except (OSError, TypeError):
        return False
    return "tanh" in source and "0.044715" in source and "0.5" in source


@named_rule("NewGELUActivation", when=_gelu_tanh_written)
@named_rule("NewGELU", when=_gelu_tanh_written)
def _gelu_tanh(m: nn.Module) -> tuple[str, dict]:
    """GELU's tanh approximation written out (GPT-2, minGPT): nn.GELU(approximate='tanh')."""
    return "GELU", {"approximate": "tanh"}


def _rms_written(m: nn.Module) -> bool:
    """A module whose code writes an RMS norm over the last dimension with a scale, as
    transformers' T5LayerNorm and LlamaRMSNorm (and Mistral's, Qwen2's) and Meta's llama
    ``RMSNorm`` do: ``x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)`` times
    ``self.weight`` [D] (not Gemma's ``1 + self.weight``)."""
    import inspect

    weight = m._parameters.get("weight")
    if not isinstance(weight, nn.Parameter) or weight.dim() != 1 \
            or set(m._parameters) != {"weight"} or any(True for _ in m.children()):
        return False
    eps = getattr(m, "variance_epsilon", getattr(m, "eps", None))
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        return False
    try:
        source = inspect.getsource(type(m))
    except (OSError, TypeError):
        return False
    code = source.replace(" ", "")
    return "rsqrt(" in code and ".pow(2).mean(-1,keepdim=True)" in code \
        and "self.weight*" in code.replace("*self.weight", "self.weight*") \
        and "1+self.weight" not in code and "1.0+self.weight" not in code


def _rms_norm_module(m: nn.Module) -> tuple[str, dict]:
    """transformers' T5LayerNorm, LlamaRMSNorm, MistralRMSNorm, Qwen2RMSNorm, Meta's llama
    RMSNorm: the RMSNorm block with the module's weight (its dtype casts for half precision do
    nothing in float32)."""
    eps = getattr(m, "variance_epsilon", getattr(m, "eps", None))
    return "RMSNorm", {"eps": float(eps), "elementwise_affine": True}


for _name in ("T5LayerNorm", "LlamaRMSNorm", "MistralRMSNorm", "Qwen2RMSNorm", "RMSNorm"):
    named_rule(_name, "weight", weights=True, when=_rms_written)(_rms_norm_module)


@named_rule("PatchMergingV2", weights=True)
def _patch_merging_v2(m: nn.Module) -> tuple[str, dict]:
    raise Unsupported("Swin V2's patch merging (the norm after the reduction) has no "
                      "LayerLoom block; Swin V1's PatchMerging imports")


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise Unsupported(message)


@rule(nn.Conv1d, nn.Conv2d, nn.Conv3d)
def _conv(m: nn.Module) -> tuple[str, dict]:
    _require(m.padding_mode == "zeros", f"padding_mode={m.padding_mode!r} (LayerLoom pads "
                                        f"with zeros only)")
    return _base_name(m, "Conv"), {
        "out_channels": m.out_channels, "kernel_size": m.kernel_size, "stride": m.stride,
        "padding": m.padding, "dilation": m.dilation, "groups": m.groups,
        "bias": m.bias is not None}


@rule(nn.ConvTranspose1d, nn.ConvTranspose2d)
def _conv_transpose(m: nn.Module) -> tuple[str, dict]:
    _require(m.padding_mode == "zeros", f"padding_mode={m.padding_mode!r}")
    return _base_name(m, "ConvTranspose"), {
        "out_channels": m.out_channels, "kernel_size": m.kernel_size, "stride": m.stride,
        "padding": m.padding, "output_padding": m.output_padding, "dilation": m.dilation,
        "groups": m.groups, "bias": m.bias is not None}


@rule(nn.Linear)
def _linear(m: nn.Linear) -> tuple[str, dict]:
    return "Linear", {"out_features": m.out_features, "bias": m.bias is not None}


@rule(nn.BatchNorm1d, nn.BatchNorm2d)
def _batchnorm(m: nn.Module) -> tuple[str, dict]:
    _require(m.track_running_stats, "track_running_stats=False (the block keeps running "
                                    "statistics for evaluation)")
    _require(m.momentum is not None, "momentum=None (a cumulative average)")
    return _base_name(m, "BatchNorm"), {"eps": m.eps, "momentum": m.momentum,
                                        "affine": m.affine}


@rule(nn.LayerNorm)
def _layernorm(m: nn.LayerNorm) -> tuple[str, dict]:
    """``nn.LayerNorm(d)``, or ``nn.LayerNorm([C, H, W])`` over several trailing dimensions
    (``dims``: how many; the input's must be those sizes, or the model itself fails)."""
    has_bias = m.elementwise_affine and m.bias is not None
    return "LayerNorm", {"eps": m.eps, "elementwise_affine": m.elementwise_affine,
                         "bias": has_bias or not m.elementwise_affine,
                         "dims": len(m.normalized_shape)}


@rule(nn.RMSNorm)
def _rmsnorm(m: nn.RMSNorm) -> tuple[str, dict]:
    """``nn.RMSNorm(d)`` (eps None: float32's machine epsilon, as the module uses then)."""
    _require(len(m.normalized_shape) == 1, f"normalized_shape={list(m.normalized_shape)} "
             f"(RMSNorm normalises over the last dimension)")
    eps = torch.finfo(torch.float32).eps if m.eps is None else m.eps
    return "RMSNorm", {"eps": float(eps), "elementwise_affine": m.elementwise_affine}


@rule(nn.GroupNorm)
def _groupnorm(m: nn.GroupNorm) -> tuple[str, dict]:
    return "GroupNorm", {"num_groups": m.num_groups, "eps": m.eps, "affine": m.affine}


@rule(_modules.Rescaling)
def _rescaling(m: nn.Module) -> tuple[str, dict]:
    return "Rescaling", {"scale": float(m.scale), "offset": float(m.offset)}


def float32_decimal(value: float) -> float:
    """``value`` as a float32 holds it, in the shortest decimal that gives that float32 back
    (0.485, not 0.48500001430511475): a param as a person wrote it, compiled to the same."""
    return float(str(np.float32(value)))


@rule(_modules.Normalize)
def _normalize(m: nn.Module) -> tuple[str, dict]:
    """LayerLoom's own Normalize (an ONNX file's Sub or Div by a value per channel)."""
    return "Normalize", {"mean": [float32_decimal(v) for v in m.mean.flatten().tolist()],
                         "std": [float32_decimal(v) for v in m.std.flatten().tolist()]}


@rule(nn.ChannelShuffle, _modules.ChannelShuffle)
def _channel_shuffle(m: nn.Module) -> tuple[str, dict]:
    return "ChannelShuffle", {"groups": int(m.groups)}


@rule(nn.InstanceNorm2d)
def _instancenorm(m: nn.InstanceNorm2d) -> tuple[str, dict]:
    return "InstanceNorm2d", {"eps": m.eps, "momentum": m.momentum, "affine": m.affine,
                              "track_running_stats": m.track_running_stats}


_PLAIN_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.SiLU, nn.Mish, nn.Sigmoid, nn.Tanh, nn.Hardswish,
                      nn.Hardsigmoid, nn.SELU, nn.Identity)


@rule(*_PLAIN_ACTIVATIONS)
def _plain(m: nn.Module) -> tuple[str, dict]:
    for cls in _PLAIN_ACTIVATIONS:
        if isinstance(m, cls):
            return cls.__name__, {}
    raise AssertionError(type(m))


@rule(nn.LeakyReLU)
def _leaky(m: nn.LeakyReLU) -> tuple[str, dict]:
    return "LeakyReLU", {"negative_slope": m.negative_slope}


@rule(nn.ELU)
def _elu(m: nn.ELU) -> tuple[str, dict]:
    return "ELU", {"alpha": m.alpha}


@rule(nn.CELU)
def _celu(m: nn.CELU) -> tuple[str, dict]:
    return "CELU", {"alpha": m.alpha}


@rule(nn.GELU)
def _gelu(m: nn.GELU) -> tuple[str, dict]:
    return "GELU", {"approximate": m.approximate}


@rule(nn.Hardtanh)
def _hardtanh(m: nn.Hardtanh) -> tuple[str, dict]:
    _require(m.min_val < m.max_val, f"min_val {m.min_val} is not below max_val {m.max_val}")
    return "Hardtanh", {"min_val": float(m.min_val), "max_val": float(m.max_val)}


@rule(nn.Softplus)
def _softplus(m: nn.Softplus) -> tuple[str, dict]:
    return "Softplus", {"beta": m.beta, "threshold": m.threshold}


@rule(nn.PReLU)
def _prelu(m: nn.PReLU) -> tuple[str, dict]:
    return "PReLU", {"num_parameters": m.num_parameters}


@rule(nn.Softmax, nn.LogSoftmax)
def _softmax(m: nn.Module) -> tuple[str, dict]:
    _require(m.dim is not None, "dim=None (give the dimension explicitly)")
    _require(m.dim != 0, "dim=0 is the batch")
    return type(m).__name__, {"dim": batchless(m.dim)}


@rule(nn.MaxPool1d, nn.MaxPool2d)
def _maxpool(m: nn.Module) -> tuple[str, dict]:
    _require(not m.return_indices, "return_indices=True")
    return _base_name(m, "MaxPool"), {"kernel_size": m.kernel_size, "stride": m.stride,
                                      "padding": m.padding, "dilation": m.dilation,
                                      "ceil_mode": m.ceil_mode}


@rule(nn.AvgPool1d, nn.AvgPool2d)
def _avgpool(m: nn.Module) -> tuple[str, dict]:
    _require(getattr(m, "divisor_override", None) is None, "divisor_override")
    return _base_name(m, "AvgPool"), {"kernel_size": m.kernel_size, "stride": m.stride,
                                      "padding": m.padding, "ceil_mode": m.ceil_mode,
                                      "count_include_pad": m.count_include_pad}


@rule(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
def _adaptive(m: nn.Module) -> tuple[str, dict]:
    _require(not getattr(m, "return_indices", False), "return_indices=True")
    size = m.output_size
    _require(size is not None and (not isinstance(size, tuple) or None not in size),
             "an output_size of None (keep the input size)")
    return type(m).__name__, {"output_size": size}


@rule(nn.Dropout, nn.Dropout2d)
def _dropout(m: nn.Module) -> tuple[str, dict]:
    return type(m).__name__, {"p": m.p}


@rule(nn.Flatten)
def _flatten(m: nn.Flatten) -> tuple[str, dict]:
    _require(m.start_dim != 0, "start_dim=0 (it flattens the batch)")
    return "Flatten", {"start_dim": batchless(m.start_dim), "end_dim": batchless(m.end_dim)}


@rule(nn.Upsample)
def _upsample(m: nn.Upsample) -> tuple[str, dict]:
    _require(m.size is None, "a fixed size (use scale_factor)")
    return "Upsample", {"scale_factor": m.scale_factor, "mode": m.mode,
                        "align_corners": bool(m.align_corners)}


@rule(nn.ZeroPad1d, nn.ConstantPad1d, nn.ZeroPad2d, nn.ConstantPad2d)
def _zeropad(m: nn.Module) -> tuple[str, dict]:
    """Padding with zeros: ZeroPad2d, which pads the last two dimensions of what it is given
    (a [C, L] sequence's length with a 1-D pad: a causal convolution's left padding)."""
    _require(m.value == 0, f"value={m.value} (the ZeroPad2d block pads with zeros only)")
    padding = list(m.padding)
    return "ZeroPad2d", {"padding": padding + [0] * (4 - len(padding))}


@rule(nn.Embedding)
def _embedding(m: nn.Embedding) -> tuple[str, dict]:
    if m.max_norm is not None:
        raise Unsupported(f"max_norm={m.max_norm:g} (each row looked up is scaled down, in "
                          f"place, to a norm of at most {m.max_norm:g}; the Embedding block "
                          f"keeps its rows as they are): construct it without max_norm to "
                          f"import it (the outputs then differ where a row's norm is above "
                          f"{m.max_norm:g}: the import's check says so)")
    _require(not m.scale_grad_by_freq,
             "scale_grad_by_freq=True (each row's gradient is divided by how often its id "
             "occurs in the batch; the Embedding block's is not): construct it without "
             "scale_grad_by_freq to import it (the outputs are the same; training differs)")
    _require(not m.sparse,
             "sparse=True (sparse gradients, for an optimiser such as SparseAdam; the "
             "Embedding block's are dense): construct it without sparse to import it (the "
             "outputs are the same)")
    return "Embedding", {"num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim,
                         "padding_idx": m.padding_idx}


@rule(nn.LSTM, nn.GRU, nn.RNN)
def _recurrent(m: nn.RNNBase) -> tuple[str, dict]:
    _require(m.batch_first, "batch_first=False (LayerLoom sequences are [batch, length, "
                            "features])")
    _require(getattr(m, "proj_size", 0) == 0,
             f"proj_size={getattr(m, 'proj_size', 0)} (an LSTM with projections: each step's "
             f"hidden state is projected to {getattr(m, 'proj_size', 0)} values by a learned "
             f"matrix, weight_hr, and fed back so; the LSTM block has no projection, and an "
             f"nn.Linear after it is not the same model): only proj_size=0 imports")
    params = {"hidden_size": m.hidden_size, "num_layers": m.num_layers,
              "bidirectional": m.bidirectional, "dropout": m.dropout, "bias": m.bias,
              "output": "sequence"}
    if isinstance(m, nn.RNN):
        params["nonlinearity"] = m.nonlinearity
    return m.mode if m.mode in ("LSTM", "GRU") else "RNN", params


@rule(nn.MultiheadAttention)
def _attention(m: nn.MultiheadAttention) -> tuple[str, dict]:
    _require(m.batch_first, "batch_first=False (LayerLoom sequences are [batch, length, "
                            "features])")
    _require(m.bias_k is None and not m.add_zero_attn, "add_bias_kv or add_zero_attn")
    return "MultiheadAttention", {"num_heads": m.num_heads, "dropout": m.dropout,
                                  "bias": m.in_proj_bias is not None}


@rule(nn.TransformerEncoderLayer)
def _encoder_layer(m: nn.TransformerEncoderLayer) -> tuple[str, dict]:
    _require(m.self_attn.batch_first, "batch_first=False (LayerLoom sequences are [batch, "
                                      "length, features])")
    _require(m.linear1.bias is not None, "bias=False")
    activation = _activation_name(m.activation)
    _require(activation is not None, f"activation {m.activation!r} (relu or gelu only)")
    return "TransformerEncoderLayer", {
        "nhead": m.self_attn.num_heads, "dim_feedforward": m.linear1.out_features,
        "dropout": m.dropout.p, "activation": activation, "norm_first": m.norm_first,
        "layer_norm_eps": m.norm1.eps}


@rule(nn.TransformerEncoder)
def _encoder(m: nn.TransformerEncoder) -> tuple[str, dict]:
    """A stack of identical layers: one TransformerEncoderLayer node repeated ``num_layers``
    times (the importer sets the repeat)."""
    # a final nn.LayerNorm is chained after the encoder's node by the importer (encoder_norm.py)
    _require(m.norm is None or type(m.norm) is nn.LayerNorm,
             f"a final norm of type {type(m.norm).__name__} (nn.LayerNorm maps, as a LayerNorm "
             f"block after the encoder)")
    settings = [_encoder_layer(layer) for layer in m.layers]
    _require(all(s == settings[0] for s in settings), "layers with different settings")
    return settings[0]


def _activation_name(fn: Any) -> str | None:
    if fn is F.relu or isinstance(fn, nn.ReLU):
        return "relu"
    if fn is F.gelu or isinstance(fn, nn.GELU) and fn.approximate == "none":
        return "gelu"
    return None


def _base_name(m: nn.Module, stem: str) -> str:
    """``Conv2d`` for an ``nn.Conv2d`` or a subclass of it that keeps its ``forward``."""
    for cls in type(m).__mro__:
        if cls.__module__.startswith("torch.nn") and cls.__name__.startswith(stem):
            return cls.__name__
    raise AssertionError(type(m))


def batchless(dim: int) -> int:
    """A dimension counted with the batch (PyTorch's) as LayerLoom counts it, without."""
    return dim - 1 if dim > 0 else dim

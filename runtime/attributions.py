"""Why a trained model decides: attributions for one sample, through Captum.

:func:`explain_sample` answers "which parts of this input made the model give class C?" for a
module and one normalised sample; ``layerloom.runtime.explain`` (in ``explain_run.py``) does the
same for a trained run and a raw input file.

- images (``[C, H, W]`` float inputs): Grad-CAM on a convolutional block (the last one unless
  ``layer`` names another), in its element-wise form (HiResCAM: the same map for models that
  pool globally, faithful for models that flatten), upsampled to the input's ``H×W``; or Integrated Gradients / SmoothGrad
  on the pixels, summed over channels;
- texts (int64 token ids): Integrated Gradients on the embedding's output, summed over the
  embedding, one value per token;
- tables and sequences (``[F]`` floats, or ``[C, L]`` / ``[L, D]`` floats): Integrated Gradients
  per feature (per time step for sequences: summed over the channels of a ``[C, L]`` input that
  a 1-D convolution reads channels-first, over the features of an ``[L, D]`` input that a
  recurrent or attention layer reads step by step; see :func:`sequence_layout`).

The methods are Captum's (``captum.attr``): ``LayerGradientXActivation``, ``IntegratedGradients``,
``LayerIntegratedGradients``, ``NoiseTunnel``. Nothing here is written by hand but the choice of
layer, baseline and target, and the shape of the answer.

>>> exp = explain_sample(model, x, target=3)                   # doctest: +SKIP
>>> exp.method, exp.target, round(exp.probability, 3), exp.peak   # doctest: +SKIP
('gradcam', 3, 0.981, (12, 20))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import matplotlib_config
from .errors import TrainError

matplotlib_config.prepare()  # before captum imports matplotlib: see matplotlib_config

METHODS = ("auto", "gradcam", "ig", "smoothgrad")
CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


class ExplainError(TrainError):
    """An explanation that cannot be made, in words: an unknown layer, a method that does not
    suit the model, a class out of range. ``unreadable``: an input file that cannot be read as
    what it is named (a ``.png`` that is no image), which the CLI exits 2 for, as for any file
    it cannot read."""

    def __init__(self, message: str, *, unreadable: bool = False) -> None:
        super().__init__(message)
        self.unreadable = unreadable


@dataclass
class Explanation:
    """One sample explained for one class.

    ``heatmap`` is at the input's resolution: ``H×W`` for images, one value per token for
    texts, per feature for tables, per time step for sequences (``L`` values for a ``[C, L]``
    or ``[L, D]`` input). Larger means "pushed the model
    towards ``target``"; Grad-CAM's map is non-negative (ReLU'd, as in the paper).
    """

    kind: str  # "image" | "text" | "tabular" | "sequence"
    method: str  # "gradcam" | "ig" | "smoothgrad"
    target: int  # the class explained
    probability: float  # the model's probability of ``target`` for this sample
    predicted: int  # the class the model gives
    heatmap: np.ndarray
    layer: str | None = None  # Grad-CAM's block (its path in the model)
    label: str | None = None  # the class's name, where the dataset has names
    tokens: list[str] | None = field(default=None)  # texts: the tokens the heatmap scores

    @property
    def peak(self) -> tuple[int, ...]:
        """Where the map is largest: ``(row, col)`` for images, ``(index,)`` otherwise."""
        return tuple(int(i) for i in np.unravel_index(int(np.argmax(self.heatmap)),
                                                      self.heatmap.shape))

    def to_dict(self) -> dict:
        """The JSON ``layerloom explain --json`` prints (without the map itself)."""
        out = {"kind": self.kind, "method": self.method, "class": self.target,
               "label": self.label, "probability": self.probability,
               "predicted": self.predicted, "layer": self.layer, "peak": list(self.peak),
               "shape": list(self.heatmap.shape)}
        if self.tokens is not None:
            out["peak_token"] = self.tokens[self.peak[0]] if self.tokens else None
        return out


def input_kind(x: torch.Tensor) -> str:
    """What one sample (no batch dimension) is, for choosing a method."""
    if not x.is_floating_point():
        return "text"
    return {1: "tabular", 2: "sequence", 3: "image"}.get(x.dim(), "tabular")


def probabilities(output: torch.Tensor, head: str = "logits") -> torch.Tensor:
    """Class probabilities from what the model returns (see ``tasks.Task.head``)."""
    output = output.float()
    if head == "probs":
        return output
    if head == "log_probs":
        return output.exp()
    return output.softmax(-1)


def conv_layers(module: nn.Module) -> list[str]:
    """The paths of the model's convolutions, in the order the model runs them (compiled
    graphs register their submodules in topological order)."""
    return [name for name, sub in module.named_modules() if isinstance(sub, CONV_TYPES)]


def explain_sample(module: nn.Module, x: torch.Tensor, *, target: int | None = None,
            method: str = "auto", layer: str | None = None, head: str = "logits",
            classes: list[str] | None = None, vocab: list[str] | None = None,
            steps: int = 32, samples: int = 16, noise: float = 0.15,
            seed: int = 0) -> Explanation:
    """Explain ``module``'s output for one sample ``x`` (no batch dimension, normalised as in
    training).

    ``target``: the class to explain (default: the predicted one). ``method``: "gradcam"
    (images only), "ig" (Integrated Gradients, from an all-zero input — the normalised mean — or
    from padding tokens for texts), "smoothgrad" (the gradient averaged over ``samples`` noisy
    copies, noise ``noise`` × the input's spread), or "auto" (Grad-CAM for images with a
    convolution, Integrated Gradients otherwise). ``layer``: Grad-CAM's block, a module path
    such as ``conv2`` or ``layer4.1.c2`` (default: the last convolution).
    """
    from captum.attr import IntegratedGradients, LayerIntegratedGradients, NoiseTunnel, Saliency

    if method not in METHODS:
        raise ExplainError(f"unknown method {method!r}; choose one of {', '.join(METHODS[1:])}")
    kind = input_kind(x)
    module = module.eval()
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    batch = x.unsqueeze(0).to(device)
    with torch.no_grad():
        probs = probabilities(module(batch), head)[0]
    if probs.dim() != 1:
        raise ExplainError(f"explanations need a classifier's output (one score per class), "
                           f"but the model gives {list(probs.shape)} per sample")
    predicted = int(probs.argmax())
    target = predicted if target is None else int(target)
    if not 0 <= target < len(probs):
        raise ExplainError(f"class {target} does not exist: the model has {len(probs)} classes "
                           f"(0 to {len(probs) - 1})")
    if method == "auto":
        method = "gradcam" if kind == "image" and conv_layers(module) else "ig"

    def forward(inp):
        return module(inp).float()

    tokens = None
    if method == "gradcam":
        heatmap, layer = _gradcam(module, forward, batch, target, kind, layer)
    elif kind == "text":
        if method != "ig":
            raise ExplainError(f"{method} needs float inputs; a text model's token ids are "
                               f"explained with Integrated Gradients (method ig)")
        embedding = _embedding(module)
        lig = LayerIntegratedGradients(forward, embedding)
        attr = lig.attribute(batch, baselines=torch.zeros_like(batch), target=target,
                             n_steps=steps)
        heatmap = attr.sum(-1)[0].detach().cpu().numpy()
        ids = x.tolist()
        tokens = [vocab[i] if vocab and 0 <= i < len(vocab) else str(i) for i in ids]
        layer = _module_name(module, embedding)
    else:
        inp = batch.detach().clone().requires_grad_(True)
        if method == "ig":
            attr = IntegratedGradients(forward).attribute(inp, baselines=torch.zeros_like(inp),
                                                          target=target, n_steps=steps)
        else:
            torch.manual_seed(seed)
            spread = float(batch.std()) or 1.0
            attr = NoiseTunnel(Saliency(forward)).attribute(
                inp, nt_type="smoothgrad", nt_samples=samples, stdevs=noise * spread,
                target=target, abs=False)
            attr = attr * batch  # gradient × input: signed, in the input's units
        attr = attr[0].detach().cpu()
        if kind == "image":
            attr = attr.sum(0)
        elif kind == "sequence":
            # one value per time step: sum the other axis (channels of [C, L], features of
            # [L, D])
            attr = attr.sum(0 if sequence_layout(module, batch) == "channels_first" else -1)
        heatmap = attr.numpy()
        layer = None
    label = classes[target] if classes and target < len(classes) else None
    return Explanation(kind, method, target, float(probs[target]), predicted,
                       np.asarray(heatmap, dtype=np.float32), layer, label, tokens)


# blocks that read a [C, L] sample channels-first (time on the last axis) ...
_CHANNELS_FIRST = (nn.Conv1d, nn.ConvTranspose1d, nn.BatchNorm1d, nn.InstanceNorm1d,
                   nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d,
                   nn.LPPool1d)
# ... and those that read an [L, D] sample step by step (features on the last axis)
_TIME_FIRST = (nn.RNNBase, nn.MultiheadAttention, nn.TransformerEncoderLayer,
               nn.TransformerEncoder, nn.TransformerDecoderLayer, nn.Linear, nn.LayerNorm)


def _run_hooked(module: nn.Module, batch: torch.Tensor, handles: list) -> None:
    """Run ``batch`` through ``module`` once (no gradients) with the hooks ``handles`` were
    registered as; the hooks are removed whatever happens."""
    try:
        with torch.no_grad():
            module(batch)
    finally:
        for handle in handles:
            handle.remove()


def sequence_layout(module: nn.Module, batch: torch.Tensor) -> str:
    """How the model reads a 2-D float sample: ``"channels_first"`` (``[C, L]``, as LayerLoom's
    Conv1d and 1-D pooling take it) or ``"time_first"`` (``[L, D]``, as LSTM/GRU/RNN, attention
    and Transformer layers take it). Decided by the first of those blocks the forward pass of
    ``batch`` reaches (turned round where a Permute before it swapped the sample's two axes);
    where none tells (a Flatten first), the longer axis is taken as time."""
    from layerloom.graph.modules import (Attention, PositionalEmbedding, Recurrent,
                                         SequencePool)

    time_first = _TIME_FIRST + (Recurrent, Attention, SequencePool, PositionalEmbedding)
    found: list[str] = []

    def hook(mod, inp):
        if found:
            return
        if isinstance(mod, _CHANNELS_FIRST):
            layout = "channels_first"
        elif isinstance(mod, time_first):
            layout = "time_first"
        else:
            return
        shape = tuple(inp[0].shape) if inp and isinstance(inp[0], torch.Tensor) else ()
        swapped = (len(shape) == 3 and shape[1:] == tuple(batch.shape[1:])[::-1]
                   and shape[1] != shape[2])
        found.append(layout if not swapped else
                     ("time_first" if layout == "channels_first" else "channels_first"))

    _run_hooked(module, batch, [sub.register_forward_pre_hook(hook)
                                for name, sub in module.named_modules() if name])
    if found:
        return found[0]
    return "channels_first" if batch.shape[-1] > batch.shape[-2] else "time_first"


def _gradcam(module, forward, batch, target, kind, layer):
    from captum.attr import LayerAttribution, LayerGradientXActivation

    if kind != "image":
        raise ExplainError("Grad-CAM explains image models (inputs [C, H, W]); use method ig "
                           "for this model")
    convs = conv_layers(module)
    if not convs:
        raise ExplainError("Grad-CAM needs a convolutional block and this model has none; "
                           "use method ig")
    layer = layer or last_feature_map(module, batch)
    modules = dict(module.named_modules())
    if layer not in modules or layer == "":
        raise ExplainError(f"no block {layer!r} in the model; its convolutions are "
                           f"{', '.join(convs)}")
    # gradient × activation at the block, summed over its channels, ReLU'd: Grad-CAM in its
    # element-wise form (HiResCAM). For a model that pools globally before its classifier the
    # gradient is the same at every position and this is exactly Grad-CAM's map (up to a
    # constant factor); for one that flattens (seed-cnn), averaging the gradient over positions
    # first, as Grad-CAM does, mixes the evidence of every position and can point anywhere.
    cam = LayerGradientXActivation(forward, modules[layer]).attribute(batch, target=target)
    if cam.dim() != 4:
        raise ExplainError(f"{layer} gives {list(cam.shape[1:])} per sample, not a 2-D "
                           f"feature map: choose a 2-D convolution for Grad-CAM")
    if not _spatial(tuple(cam.shape)):
        raise ExplainError(_flat_map(layer, tuple(cam.shape), default=False))
    cam = cam.sum(1, keepdim=True).clamp(min=0)
    cam = LayerAttribution.interpolate(cam, tuple(batch.shape[-2:]), interpolate_mode="bilinear")
    return cam[0, 0].detach().cpu().numpy(), layer


def _spatial(shape: tuple) -> bool:
    """Whether a block's output ``[B, C, H, W]`` is a map with more than one position."""
    return len(shape) == 4 and shape[-2] * shape[-1] > 1


def last_feature_map(module: nn.Module, batch: torch.Tensor) -> str:
    """Grad-CAM's default block: the output of the last convolutional block, that is the last
    block (in the order the forward pass runs them) that still gives the feature map of the last
    convolution whose map is larger than 1×1, so its normalisation and activation are included
    as in the paper's "last convolutional layer". A 1×1 map (a small input through a deep
    network such as EfficientNet, or a global pooling) has one position and gives a flat map,
    so it is skipped; ExplainError when no convolution has more than one position. Found by
    running ``batch`` once with hooks."""
    order: list[tuple[str, tuple]] = []
    _run_hooked(module, batch, [sub.register_forward_hook(
        lambda _m, _i, out, name=name: order.append((name, tuple(out.shape)))
        if isinstance(out, torch.Tensor) else None)
        for name, sub in module.named_modules() if name and not list(sub.children())])
    modules = dict(module.named_modules())
    convs = [i for i, (name, _) in enumerate(order) if isinstance(modules[name], CONV_TYPES)]
    if not convs:
        return conv_layers(module)[-1]
    spatial = [i for i in convs if _spatial(order[i][1])]
    if not spatial:
        raise ExplainError(_flat_map(order[convs[-1]][0], order[convs[-1]][1], default=True))
    last = spatial[-1]
    best = order[last][0]
    for name, shape in order[last + 1:]:
        if shape != order[last][1]:
            break
        best = name
    return best


def _flat_map(layer: str, shape: tuple, default: bool) -> str:
    which = ("every convolution of this model gives a 1×1 map for this input (the last, "
             f"{layer}, gives {list(shape[1:])})" if default else
             f"{layer} gives a 1×1 map ({list(shape[1:])})")
    fix = ("explain it with Integrated Gradients instead (method ig: --method ig)" if default
           else "choose an earlier convolutional block (--layer) or Integrated Gradients "
                "(method ig: --method ig)")
    return (f"Grad-CAM needs a feature map with more than one position, but {which}, so its "
            f"map would be flat; {fix}")


def _embedding(module: nn.Module) -> nn.Module:
    found = [m for m in module.modules() if isinstance(m, nn.Embedding)]
    if not found:
        raise ExplainError("the model takes token ids but has no Embedding block to attribute "
                           "through")
    return found[0]


def _module_name(module: nn.Module, sub: nn.Module) -> str | None:
    return next((name for name, m in module.named_modules() if m is sub), None)


# -- many samples ---------------------------------------------------------------------------

def feature_importance(module: nn.Module, x: torch.Tensor, *, head: str = "logits",
                       steps: int = 16, limit: int = 256) -> np.ndarray:
    """A table model's global importance: the mean |Integrated Gradients| of each feature over
    (at most ``limit``) samples ``x``, each explained for the class the model gives it."""
    from captum.attr import IntegratedGradients

    module = module.eval()
    x = x[:limit]
    if x.dim() != 2 or not x.is_floating_point():
        raise ExplainError(f"feature importance is for tables ([N, F] floats), not "
                           f"{list(x.shape)} {x.dtype}")
    with torch.no_grad():
        predicted = probabilities(module(x), head).argmax(-1)

    def forward(inp):
        return module(inp).float()

    attr = IntegratedGradients(forward).attribute(x.clone().requires_grad_(True),
                                                  baselines=torch.zeros_like(x),
                                                  target=predicted, n_steps=steps)
    return attr.abs().mean(0).detach().cpu().numpy()


def activations(module: nn.Module, x: torch.Tensor, layer: str) -> torch.Tensor:
    """What block ``layer`` (a module path, e.g. ``conv1`` or ``layer2.0.c1``) outputs for the
    batch ``x``: its forward output, caught with a hook."""
    modules = dict(module.named_modules())
    if layer not in modules or layer == "":
        names = [n for n, m in module.named_modules() if n and not list(m.children())]
        raise ExplainError(f"no block {layer!r} in the model; its blocks are "
                           f"{', '.join(names[:30])}{' …' if len(names) > 30 else ''}")
    caught: list[torch.Tensor] = []

    def hook(_mod, _inp, out):
        caught.append(out[0] if isinstance(out, tuple) else out)

    handle = modules[layer].register_forward_hook(hook)
    try:
        with torch.no_grad():
            module.eval()(x)
    finally:
        handle.remove()
    if not caught:
        raise ExplainError(f"{layer} did not run for this input (it is skipped or unused)")
    return caught[0].detach().float().cpu()


def penultimate(module: nn.Module, x: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """Each sample's features as they enter the model's last Linear: what the classifier
    separates. ``[N, features]``."""
    linears = [name for name, m in module.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ExplainError("the model has no Linear layer, so it has no penultimate features "
                           "to show")
    target = dict(module.named_modules())[linears[-1]]
    caught: list[torch.Tensor] = []
    handle = target.register_forward_hook(
        lambda _m, inp, _out: caught.append(inp[0].detach().flatten(1).float().cpu()))
    try:
        with torch.no_grad():
            module.eval()
            for start in range(0, len(x), batch_size):
                module(x[start:start + batch_size])
    finally:
        handle.remove()
    return torch.cat(caught).numpy() if caught else np.zeros((0, 0), np.float32)


def embedding_2d(features: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """``features`` ``[N, D]`` projected to ``[N, 2]`` with scikit-learn's PCA or t-SNE."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n = len(features)
    if n < 3:
        raise ExplainError(f"a projection needs at least 3 samples, got {n}")
    if method == "pca":
        out = PCA(n_components=2, random_state=seed).fit_transform(features)
    elif method == "tsne":
        out = TSNE(n_components=2, perplexity=min(30.0, (n - 1) / 3), init="pca",
                   random_state=seed).fit_transform(features)
    else:
        raise ExplainError(f"unknown projection {method!r}; choose pca or tsne")
    return out.astype(np.float32)


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """An RGB ``uint8`` picture: ``image`` (``[C, H, W]`` in [0, 1], 1 or 3 channels) under
    ``heatmap`` (``H×W``) coloured from transparent-blue (low) to red (high)."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3 and img.shape[0] in (1, 3):
        img = img.transpose(1, 2, 0)
    if img.ndim == 2:
        img = img[..., None]
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    img = np.clip(img, 0.0, 1.0)
    h = np.asarray(heatmap, dtype=np.float32)
    span = float(h.max() - h.min())
    h = (h - h.min()) / span if span > 0 else np.zeros_like(h)
    colour = np.stack([h, 1.0 - np.abs(2.0 * h - 1.0), 1.0 - h], axis=-1)  # blue → green → red
    weight = (alpha * h)[..., None]
    out = img * (1.0 - weight) + colour * weight
    return (np.clip(out, 0.0, 1.0) * 255).round().astype(np.uint8)

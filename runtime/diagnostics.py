"""Per-layer diagnostics while a run trains, and what they say in words.

Every ``diagnose_every`` steps (TrainConfig), :class:`LayerProbe` watches one training step of
each block (a leaf module of the compiled model, named by its path, which is the node's id):

- ``act_mean``, ``act_std``: its output's mean and spread (over the batch's first 8 samples);
- ``zeros``: the share of those outputs that are exactly zero (after ReLU-like blocks: dead units);
- ``grad_norm``: the L2 norm of its parameters' gradient, before any clipping;
- ``update_ratio``: ``‖W_after − W_before‖ / ‖W_before‖`` of the optimiser step.

Hooks exist only during the watched step (registered before it, removed after), so the other
steps run exactly as without diagnostics; the cost is one watched step in ``diagnose_every``
plus a copy of the weights (benchmarks/diagnostics_bench.py measures it).

The rows go to the runs database as metrics of split ``"layer"`` named ``"<block>/<stat>"``;
:func:`diagnose` reads the latest ones and says what is wrong, naming the block and the fix.

>>> findings = diagnose({"relu1": {"zeros": 0.97}, "fc": {"update_ratio": 0.4}})
>>> [f.kind for f in findings]
['lr_too_high', 'dead_relu']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

STATS = ("act_mean", "act_std", "zeros", "grad_norm", "update_ratio")
ACT_SAMPLES = 8  # samples of a watched batch whose activations are measured
RELU_LIKE = (nn.ReLU, nn.ReLU6)

# the thresholds of the findings, with their reasons
DEAD_SHARE = 0.9  # > 90 % of a ReLU's outputs at exactly zero: most of its units are dead
UPDATE_TOO_HIGH = 1e-2  # one step moves weights by > 1 % of their size (healthy: ~1e-3)
VANISHING = 1e-7  # a block's gradient norm this small learns nothing
EXPLODING = 1e3  # this large, a step throws the weights far away


@dataclass(frozen=True)
class Finding:
    # "dead_relu" | "vanishing_gradient" | "exploding_gradient" | "lr_too_high" | "target_scale"
    kind: str
    block: str
    message: str  # what is wrong, naming the block, and the fix to try

    def to_dict(self) -> dict:
        return {"kind": self.kind, "block": self.block, "message": self.message}


def blocks_of(module: nn.Module) -> dict[str, nn.Module]:
    """The blocks to watch: leaf modules, by path (the node ids, composites' insides as
    ``layer2.0.c1``)."""
    return {name: sub for name, sub in module.named_modules()
            if name and not list(sub.children())}


class LayerProbe:
    """Watches one training step of every block of ``module`` at a time (see the module
    docstring): ``start()`` before the step, ``finish()`` after it returns the statistics."""

    def __init__(self, module: nn.Module):
        self.module = module
        self.blocks = blocks_of(module)
        self.params = {name: [p for p in sub.parameters(recurse=False) if p.requires_grad]
                       for name, sub in self.blocks.items()}
        self._handles: list = []
        self._before: dict[str, list[torch.Tensor]] = {}

    def start(self) -> None:
        """Hook every block for the next forward and backward pass, and keep the weights."""
        self.remove()
        self._seen: set[str] = set()
        self._pending: list = []
        self._grad_sq: list = []
        self._before = {name: [p.detach().clone() for p in ps]
                        for name, ps in self.params.items() if ps}
        for name, sub in self.blocks.items():
            self._handles.append(sub.register_forward_hook(self._forward_hook(name)))
            for p in self.params[name]:
                self._handles.append(p.register_post_accumulate_grad_hook(
                    self._grad_hook(name)))

    def _forward_hook(self, name: str):
        def hook(_module, _inputs, out):
            if not isinstance(out, torch.Tensor) or not out.is_floating_point() \
                    or out.numel() == 0 or name in self._seen:
                return
            self._seen.add(name)
            # the first few samples of the batch tell the share of dead units and the spread
            # as well as all of them, at a fraction of the reads
            x = out.detach()[:ACT_SAMPLES] if out.dim() > 1 else out.detach()
            if x.numel() > 1:
                mean, std = mean_std(x)
            else:
                std, mean = x.new_zeros(()), x.reshape(())
            zeros = 1.0 - torch.count_nonzero(x) / x.numel()  # no float copy of a mask
            stats = torch.stack([mean.float(), std.float(), zeros.float()])
            self._pending.append((name, stats))
        return hook

    def _grad_hook(self, name: str):
        def hook(param):
            if param.grad is not None:
                self._grad_sq.append((name, param.grad.detach().float().pow(2).sum()))
        return hook

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def finish(self) -> dict[str, dict[str, float]]:
        """The watched step's statistics per block (read with one device sync)."""
        self.remove()
        stats = {name: {} for name in self.blocks}
        if self._pending:
            values = torch.stack([s for _, s in self._pending]).tolist()
            for (name, _), (mean, std, zeros) in zip(self._pending, values):
                stats[name].update(act_mean=mean, act_std=std, zeros=zeros)
        if self._grad_sq:  # every squared gradient norm read at once
            grads: dict[str, float] = {}
            values = torch.stack([sq for _, sq in self._grad_sq]).tolist()
            for (name, _), sq in zip(self._grad_sq, values):
                grads[name] = grads.get(name, 0.0) + sq
            for name, sq in grads.items():
                stats[name]["grad_norm"] = math.sqrt(sq)
        names = [name for name, before in self._before.items() for _ in before]
        if names:  # every parameter's step and size with the foreach kernels, read at once
            after = [p.detach() for name in self._before for p in self.params[name]]
            before = [b for bs in self._before.values() for b in bs]
            steps = torch._foreach_norm(torch._foreach_sub(after, before))
            sizes = torch._foreach_norm(before)
            values = torch.stack([torch.stack(steps), torch.stack(sizes)]).float().tolist()
            diff: dict[str, float] = {}
            size: dict[str, float] = {}
            for name, d, w in zip(names, *values):
                diff[name] = diff.get(name, 0.0) + d * d
                size[name] = size.get(name, 0.0) + w * w
            for name, w in size.items():
                if w > 0:
                    stats[name]["update_ratio"] = math.sqrt(diff[name]) / math.sqrt(w)
        self._before = {}
        return {name: s for name, s in stats.items() if s}


def mean_std(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean and (unbiased) standard deviation of all of ``x``'s values, in float32, from two
    vectorised passes. ``torch.std_mean``'s one-pass reduction is about 18× slower on a CPU: 1 ms
    for 8 samples of seed-cnn's 26×26×32 map, so that a watched step at batch 32 cost 3.5 ms more
    than a plain one of 6.3 ms (1.4 ms more with this). Summing the differences from the mean
    keeps the precision that a sum of squares would lose.

    >>> mean, std = mean_std(torch.tensor([[1.0, 2.0], [3.0, 6.0]]))
    >>> round(mean.item(), 4), round(std.item(), 4)
    (3.0, 2.1602)
    """
    mean = x.mean(dtype=torch.float32)
    std = torch.linalg.vector_norm(x.float() - mean) / math.sqrt(x.numel() - 1)
    return mean, std


def as_metrics(stats: dict[str, dict[str, float]]) -> dict[str, float]:
    """``{"conv1/grad_norm": 0.3, …}``: the rows the runs database keeps (split "layer")."""
    return {f"{block}/{stat}": value for block, values in stats.items()
            for stat, value in values.items() if math.isfinite(value)}


def from_metrics(metrics: dict[str, float]) -> dict[str, dict[str, float]]:
    """The inverse of :func:`as_metrics`."""
    out: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        block, _, stat = key.rpartition("/")
        if block and stat in STATS:
            out.setdefault(block, {})[stat] = value
    return out


def diagnose(stats: dict[str, dict[str, float]], kinds: dict[str, str] | None = None, *,
             early: bool = False, target: str | None = None) -> list[Finding]:
    """What is wrong, block by block, from one watched step's statistics; most urgent first.

    ``kinds`` maps blocks to their module type names (``{"relu1": "ReLU"}``); without it a
    block counts as ReLU-like when its name says so. A learning rate that is too high is said
    once, naming the block that moves most, when the typical block (the median) moves by more
    than ``UPDATE_TOO_HIGH`` of its weights. ``early``: a step at the very start of training,
    where adaptive optimisers (Adam) move every weight by about the learning rate whatever its
    size; then only a step larger than the weights themselves counts. ``target``: a
    regression target far from unit scale learned as it is (``target_advice.cause``):
    huge gradients are then said once, with that cause, not as an explosion to cure with a
    lower learning rate.
    """
    findings: list[Finding] = []
    norms = {b: s["grad_norm"] for b, s in stats.items() if "grad_norm" in s}
    huge = {b: n for b, n in norms.items() if not math.isfinite(n) or n > EXPLODING}
    if target and huge:
        block = max(huge, key=lambda b: huge[b] if math.isfinite(huge[b]) else math.inf)
        findings.append(Finding("target_scale", block, (
            f"{block}: its gradient norm is {huge[block]:.3g}: {target}")))
    ratios = {b: s["update_ratio"] for b, s in stats.items() if "update_ratio" in s}
    if ratios:
        block, ratio = max(ratios.items(), key=lambda kv: kv[1])
        typical = sorted(ratios.values())[(len(ratios) - 1) // 2]
        if typical > (1.0 if early else UPDATE_TOO_HIGH) or not math.isfinite(ratio):
            findings.append(Finding("lr_too_high", block, (
                f"{block}: one step changes its weights by {ratio:.1%} of their size (healthy "
                f"is about 0.1 %): the learning rate is too high. Try a rate 10× lower, or "
                f"find one with the LR finder.")))
    for block, s in stats.items():
        norm = s.get("grad_norm")
        if norm is None:
            continue
        if not math.isfinite(norm) or norm > EXPLODING:
            if target:  # said above, with its cause
                continue
            findings.append(Finding("exploding_gradient", block, (
                f"{block}: its gradient norm is {norm:.3g}: gradients are exploding. Lower the "
                f"learning rate, clip gradients (grad_clip 1.0) or add normalisation "
                f"(BatchNorm/LayerNorm) before it.")))
        elif norm < VANISHING:
            findings.append(Finding("vanishing_gradient", block, (
                f"{block}: its gradient norm is {norm:.1e}: almost no gradient reaches it, so "
                f"it does not learn. Use ReLU-like activations instead of saturating ones, add "
                f"normalisation or residual connections, or check the blocks after it.")))
    for block, s in stats.items():
        zeros = s.get("zeros")
        kind = (kinds or {}).get(block, "")
        relu_like = kind in ("ReLU", "ReLU6") if kinds else "relu" in block.lower()
        if relu_like and zeros is not None and zeros > DEAD_SHARE:
            findings.append(Finding("dead_relu", block, (
                f"{block}: {zeros:.0%} of its outputs are zero, so most of its units are dead "
                f"(they pass no gradient). Lower the learning rate, use LeakyReLU or GELU, "
                f"or check the block before it (a large negative bias, say).")))
    return findings


def kinds_of(module: nn.Module) -> dict[str, str]:
    """Each block's module type name, for :func:`diagnose`."""
    return {name: type(sub).__name__ for name, sub in blocks_of(module).items()}


@dataclass
class LayerHistory:
    """A run's recorded diagnostics: ``values[stat][i][j]`` is block ``blocks[i]`` at watched
    step ``steps[j]`` (None where that block has no such number, e.g. a ReLU's gradient)."""

    steps: list[int]
    blocks: list[str]
    values: dict[str, list[list[float | None]]]

    def latest(self) -> dict[str, dict[str, float]]:
        """The last watched step's statistics, as :func:`diagnose` takes them."""
        out: dict[str, dict[str, float]] = {}
        for stat, rows in self.values.items():
            for block, row in zip(self.blocks, rows):
                if row and row[-1] is not None:
                    out.setdefault(block, {})[stat] = row[-1]
        return out

    def findings(self, kinds: dict[str, str] | None = None,
                 target: str | None = None) -> list[Finding]:
        """What went wrong at any watched step, each (kind, block) once, earliest first: a
        learning rate that wrecked the model in its first steps is still said after the model
        has gone quiet. ``kinds``: block types (see :func:`kinds_from_graph`); ``target``: as
        :func:`diagnose` takes it."""
        seen, out = set(), []
        for j, step in enumerate(self.steps):
            stats: dict[str, dict[str, float]] = {}
            for stat, rows in self.values.items():
                for block, row in zip(self.blocks, rows):
                    if row[j] is not None:
                        stats.setdefault(block, {})[stat] = row[j]
            for finding in diagnose(stats, kinds, early=step < 10, target=target):
                if (finding.kind, finding.block) not in seen:
                    seen.add((finding.kind, finding.block))
                    out.append(finding)
        return out


def history(store, run_id: int) -> LayerHistory:
    """The diagnostics a run recorded (split ``"layer"`` of its metrics)."""
    return from_rows(store.metrics(run_id, split="layer"))


def from_rows(rows) -> LayerHistory:
    """A :class:`LayerHistory` from metric rows (``store.Metric`` objects or dicts with
    ``step``, ``split``, ``name``, ``value``; rows of other splits are passed over), blocks in
    the order the model runs them."""
    def get(row, key):
        return row.get(key) if isinstance(row, dict) else getattr(row, key)

    rows = [r for r in rows if get(r, "split") == "layer"]
    steps = sorted({get(r, "step") for r in rows})
    column = {s: j for j, s in enumerate(steps)}
    blocks: list[str] = []
    cells: dict[tuple[str, str], list] = {}
    for r in rows:
        block, _, stat = get(r, "name").rpartition("/")
        if not block or stat not in STATS:
            continue
        if block not in blocks:
            blocks.append(block)
        cells.setdefault((stat, block), [None] * len(steps))[column[get(r, "step")]] = \
            get(r, "value")
    values = {stat: [cells.get((stat, b), [None] * len(steps)) for b in blocks]
              for stat in STATS}
    return LayerHistory(steps, blocks, values)


def kinds_from_graph(graph: dict, blocks: list[str]) -> dict[str, str]:
    """Block types for recorded block paths, read from the run's graph (a dict in the graph
    format): a path's last part is a node id, at the top level or inside a composite block."""
    types = {n["id"]: n.get("type", "") for n in graph.get("nodes", [])}
    for block in (graph.get("blocks") or {}).values():
        for n in block.get("nodes", []):
            types.setdefault(n["id"], n.get("type", ""))
    return {b: types.get(b.rpartition(".")[2], "") for b in blocks}

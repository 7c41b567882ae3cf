"""Bring a PyTorch model into LayerLoom: ``torch.fx`` traces it into an editable graph.

>>> graph, weights = import_torch(MyNet(), (3, 32, 32))          # doctest: +SKIP
>>> model = compile_graph(graph)                                  # doctest: +SKIP
>>> model.load_state_dict(weights.apply(MyNet_state_dict))        # doctest: +SKIP

Leaf modules and functions with a LayerLoom block become that block with its params; the
user's own modules are traced through. Anything without a block is a :class:`GraphError` naming
the module path and type (or the function and where it was called). Nothing is unpickled: the
model is the user's own code, imported by name.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import fx, nn

from ..errors import GraphError
from ..model import Graph
from .attention_masks import read_attention_masks
from .causal_attention import fuse_causal_masks
from .channels_first_norm import fuse_channels_first_norms
from .detached import read_detached_weights
from .einsums import expand_einsums
from .glu import split_glus
from .grouped_heads import unrepeat_heads
from .hooks import hook_hint, warn_hooks
from .importer import Importer
from .label_inputs import refuse_other_uses
from .masked_scores import masks_to_attention
from .merged_heads import unmerge_heads
from .output_match import match_outputs
from .parameters import note_left_out, refuse_tied
from .qkv_first import split_qkv
from .rotary import fuse_rotary
from .rearrangements import expand_rearrangements
from .sequence_first import batch_first_while_traced, fold_sequence_first
from .trace import BATCH, propagate, sample_inputs, trace
from .user_files import load_file, model_classes, stdlib_named
from .user_imports import user_imports
from .weights import WeightMap
from .affine import fuse_affines
from .written_out import fuse_scale_shifts, write_out

__all__ = ["WeightMap", "check_import", "import_torch", "instantiate", "load_callable"]


def import_torch(model_or_callable: nn.Module | Callable[[], nn.Module],
                 input_shape: Sequence[int] | Sequence[Sequence[int]],
                 dtype: str | Sequence[str] = "float32", *,
                 name: str | None = None, untie: bool = False) -> tuple[Graph, WeightMap]:
    """Trace ``model_or_callable`` (a module, or a function returning one) on inputs of
    ``input_shape`` (without the batch; a list of shapes for several inputs) and return the
    graph and the :class:`WeightMap` from the compiled graph's keys to the model's.

    Tied weights (one parameter of two layers) are refused: each block has weights of its own;
    ``untie=True`` accepts a copy for each layer, noted. Parameters ``forward`` never uses are
    noted (:mod:`.parameters`)."""
    model = instantiate(model_or_callable)
    graph, weights, gm = traced_import(model, input_shape, dtype, name=name)
    refuse_tied(model, weights.values(), untie)
    note_left_out(model, gm)
    return graph, weights


def traced_import(model: nn.Module, input_shape, dtype: str | Sequence[str] = "float32", *,
                  name: str | None = None) -> tuple[Graph, WeightMap, fx.GraphModule]:
    """:func:`import_torch` without its checks of the model's parameters, and the traced
    module: the ONNX importer's module holds a file's initializers, which the exporter writes
    once for equal weights of different layers."""
    shapes = _shapes(input_shape)
    dtypes = [dtype] * len(shapes) if isinstance(dtype, str) else list(dtype)
    if len(dtypes) != len(shapes) or any(d not in ("float32", "int64") for d in dtypes):
        raise GraphError(f"dtype must be 'float32' or 'int64', one per input, got {dtype!r}")
    was_training = model.training
    model.eval()
    try:
        with batch_first_while_traced(model):  # batch_first=False: traced between transposes
            return _traced_import(model, shapes, dtypes, name)
    finally:
        model.train(was_training)


def _traced_import(model: nn.Module, shapes: list[tuple[int, ...]], dtypes: list[str],
                   name: str | None) -> tuple[Graph, WeightMap, fx.GraphModule]:
    """:func:`traced_import` with ``model``'s sequence-first modules batch-first."""
    gm = trace(model)
    refuse_other_uses(model, gm, shapes)  # an input of shape []: an Embedding's ids only
    warn_hooks(model)
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(shapes):
        raise GraphError(f"{type(model).__name__}.forward takes {len(placeholders)} "
                         f"input(s) ({', '.join(n.name for n in placeholders)}), but "
                         f"{len(shapes)} shape(s) were given")
    samples = sample_inputs(model, shapes, dtypes)
    values = propagate(gm, samples)
    if fold_sequence_first(gm, values):  # DETR's [S, B, E]: the batch first again
        values = propagate(gm, samples)
    if read_detached_weights(gm):  # d2l's self.weight.data: the weight, frozen
        values = propagate(gm, samples)
    if expand_rearrangements(gm, values):  # einops, pixel shuffles: reshapes, permutes
        values = propagate(gm, samples)
    if unmerge_heads(gm, values, samples):  # lucidrains' '(b h) n d': heads kept apart
        values = propagate(gm, samples)
    if expand_einsums(gm, values):  # einsum attention: permutes and a matmul
        values = propagate(gm, samples)
    if write_out(gm, values):  # addcmul, unfold's patches: adds, products, reshapes
        values = propagate(gm, samples)
    if fuse_rotary(gm, values):  # RoPE's x * cos + rotate_half(x) * sin: RotaryEmbedding
        values = propagate(gm, samples)
    if fuse_scale_shifts(gm, values):  # ResMLP's x * alpha + beta: a Scale with a bias
        values = propagate(gm, samples)
    if fuse_affines(gm, values):  # d2l's X @ self.W + self.b: a Linear with a bias
        values = propagate(gm, samples)
    if read_attention_masks(gm, values, samples, propagate):  # sdpa's attn_mask
        values = propagate(gm, samples)
    split = split_qkv(gm, values)  # timm's q, k, v split, as chunk (the batch stays first)
    fused = fuse_channels_first_norms(gm, values, model)  # ConvNeXt's LayerNorm by hand
    fused = fuse_causal_masks(gm, values, model) or fused  # GPT-2's masked attention
    fused = split_glus(gm, values, model) or fused  # F.glu, nn.GLU: chunk, sigmoid, mul
    if split or fused:
        values = propagate(gm, samples)
    if masks_to_attention(gm, values, model):  # BERT's scores + (1 - mask) * -10000
        values = propagate(gm, samples)
        if read_attention_masks(gm, values, samples, propagate):
            values = propagate(gm, samples)
    if unrepeat_heads(gm, values):  # LLaMA's repeat_kv: enable_gqa
        values = propagate(gm, samples)
    graph, weights = Importer(model, gm, values, BATCH, dtypes).run(
        name or _graph_name(model))
    return graph, weights, gm


def load_callable(spec: str, search: Sequence[str | Path] = (".",)) -> Callable:
    """``package.module:Name`` or ``path/to/file.py:Name`` → the object it names; a file alone
    (``file.py``) names its one ``nn.Module`` class.

    The module is the user's own code, imported by name from ``search`` (the current folder)
    and ``sys.path``; a file is loaded from its path (:mod:`.user_files`), so a ``types.py`` is
    that file, not Python's ``types``. The modules of those folders are made under a private
    name and ``sys.path`` is left as it was (:mod:`.user_imports`): a user's ``copy.py`` never
    shadows Python's, nor one user's ``layers.py`` another's. Nothing is unpickled.
    """
    module_name, sep, attr = spec.partition(":")
    file = module_name.endswith(".py")
    if not module_name or (sep or not file) and not attr:
        raise GraphError(f"expected MODULE:CALLABLE or FILE.py[:CALLABLE] (e.g. "
                         f"mymodels:TinyNet or mymodels.py), got {spec!r}")
    folders = [Path(s) for s in search]
    if not file and Path(module_name).suffix and Path(module_name).is_file():
        raise GraphError(f"{module_name}: a model file's name ends in .py; rename it (e.g. to "
                         f"{Path(module_name).stem}.py) and give {Path(module_name).stem}.py:"
                         f"{attr}, or give a module's name, such as mymodels:{attr}")
    if file:  # the file's own imports of its neighbours, then of the search folders'
        path = Path(module_name).resolve()
        with user_imports([path.parent, *folders]) as package:
            return _named_in(load_file(path, package, module_name), path.name, attr)
    try:
        with user_imports(folders):
            module = importlib.import_module(module_name)
    except ImportError as exc:
        said = next(filter(None, (stdlib_named(exc, f.resolve()) for f in folders)), None)
        raise GraphError(f"cannot import module {module_name!r}: "
                         f"{said or _import_failure(exc, module_name, attr)}") from None
    except SyntaxError as exc:
        raise GraphError(f"cannot import module {module_name!r}: invalid Python at "
                         f"{Path(exc.filename or module_name).name} line {exc.lineno}: "
                         f"{exc.msg}") from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed while it ran
        raise GraphError(f"importing module {module_name!r} failed in its own code: "
                         f"{exc}") from None
    return _named_in(module, f"module {module_name!r}", attr)


def _import_failure(exc: ImportError, module_name: str, attr: str) -> str:
    """Why ``module_name`` did not import, with what to do: the module is nowhere to be found
    (``mymodels``: no ``mymodels.py`` here), or a module it imports is not installed."""
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    if missing and (module_name == missing or module_name.startswith(f"{missing}.")):
        file = module_name.replace(".", "/") + ".py"
        return (f"there is no {file} in the current folder, nor a module of that name on "
                f"Python's path; run the command in the folder that holds it, or name the file "
                f"itself (path/to/{file}:{attr})")
    if missing:
        return (f"it imports {missing!r}, which is not installed in this Python; install it "
                f"(pip install {missing.split('.')[0]}) and import again")
    return str(exc)


def _named_in(module, shown: str, attr: str) -> Callable:
    """``module``'s ``attr`` (dotted: ``Outer.Inner``); without ``attr``, its one model class.
    A GraphError listing the module's model classes where neither is found."""
    classes = model_classes(module)
    listed = f" (its nn.Module classes: {', '.join(classes)})" if classes else \
        " (it defines no nn.Module class)"
    if not attr:
        if len(classes) != 1:
            raise GraphError(f"{shown} defines {len(classes) or 'no'} nn.Module classes"
                             f"{': ' + ', '.join(classes) if classes else ''}; name the model's "
                             f"class or builder, e.g. {shown}:{classes[-1] if classes else 'Net'}")
        return getattr(module, classes[0])
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise GraphError(f"{shown} has no {attr!r}{listed}")
        obj = getattr(obj, part)
    return obj


def check_import(model: nn.Module, graph: Graph, state_dict: dict, input_shape,
                 dtype: str | Sequence[str] = "float32", atol: float = 1e-5,
                 weights: WeightMap | None = None, compiled: nn.Module | None = None) -> float:
    """Compile ``graph``, load ``state_dict`` (strictly) and compare it with ``model`` on a
    random batch: the largest absolute difference, or a :class:`GraphError` when it exceeds
    ``atol`` (relative to the output's scale).

    With ``weights`` (the import's :class:`WeightMap`) it is checked a second time on a copy
    of the model whose near-zero parameters (a zero-initialised head, a layer scale of 1e-6)
    are given random values of a real scale: outputs of ~0 would otherwise match trivially.
    ``compiled``: ``graph`` compiled already, where the caller has it (the second-size check
    uses the same one); its weights are loaded here.
    """
    from ..compile import compile_graph

    shapes = _shapes(input_shape)
    dtypes = [dtype] * len(shapes) if isinstance(dtype, str) else list(dtype)
    compiled = compiled if compiled is not None else compile_graph(graph)
    worst = _compare(model, compiled, state_dict, shapes, dtypes, atol)
    if weights is not None:
        lively = copy.deepcopy(model)
        if _wake(lively):
            worst = max(worst, _compare(lively, compiled, weights.apply(lively.state_dict()),
                                        shapes, dtypes, atol, " (with its near-zero "
                                        "parameters given random values)"))
    return worst


def _wake(model: nn.Module) -> int:
    """Give every floating parameter whose values are all below 1e-3 random values of a real
    scale; how many were changed."""
    generator = torch.Generator().manual_seed(1)
    changed = 0
    with torch.no_grad():
        for param in model.parameters():
            if param.is_floating_point() and param.numel() and param.abs().max() < 1e-3:
                fan_in = max(1, param[0].numel()) if param.dim() > 1 else 4
                param.copy_(torch.randn(param.shape, generator=generator) / fan_in ** 0.5)
                changed += 1
    return changed


def _compare(model: nn.Module, compiled: nn.Module, state_dict: dict, shapes, dtypes,
             atol: float, note: str = "") -> float:
    try:
        compiled.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        raise GraphError(f"the imported weights do not fit the graph (an importer bug; please "
                         f"report it): {_misfit(compiled, state_dict, exc)}") from None
    was_training = model.training
    model.eval()
    compiled.eval()
    samples = sample_inputs(model, shapes, dtypes)
    try:
        with torch.no_grad():
            expected, got = model(*samples), compiled(*samples)
    finally:
        model.train(was_training)
    match = match_outputs(expected, got, atol)
    if not match.agrees:
        raise GraphError(f"the imported graph's output {match.index} differs from the model's"
                         f"{note}: shape {match.shape} vs {match.expected_shape}, max abs diff "
                         f"{match.diff:.3g}{hook_hint(model)}")
    return match.diff


def _misfit(compiled: nn.Module, state_dict: dict, exc: RuntimeError) -> str:
    """Why ``state_dict`` does not load into ``compiled``, in one line (torch's message lists
    every key on lines of its own)."""
    expected = compiled.state_dict()

    def some(keys: list[str]) -> str:
        return ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")

    parts = []
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    sizes = [k for k in expected if k in state_dict
             and tuple(expected[k].shape) != tuple(state_dict[k].shape)]
    if missing:
        parts.append(f"no weights for the graph's {some(missing)}")
    if unexpected:
        parts.append(f"no place in the graph for the weights {some(unexpected)}")
    if sizes:
        parts.append(f"shapes other than the graph's for {some(sizes)}")
    return "; ".join(parts) or str(exc).strip().splitlines()[0]


def instantiate(obj) -> nn.Module:
    """``obj`` if it is a module, else what calling it without arguments returns."""
    if isinstance(obj, nn.Module):
        return obj
    if callable(obj):
        try:
            made = obj()
        except TypeError as exc:
            raise GraphError(f"{getattr(obj, '__name__', obj)!s}() needs arguments ({exc}); "
                             f"point to a function that builds the model without any") from None
        except Exception as exc:  # noqa: BLE001 - the user's constructor failed
            raise GraphError(f"building the model with {getattr(obj, '__name__', obj)!s}() "
                             f"failed in its own code: {exc}") from None
        if isinstance(made, nn.Module):
            return made
        raise GraphError(f"{getattr(obj, '__name__', obj)!s}() returned "
                         f"{type(made).__name__}, not a torch.nn.Module")
    raise GraphError(f"expected a torch.nn.Module or a function returning one, got "
                     f"{type(obj).__name__}")


def _shapes(input_shape) -> list[tuple[int, ...]]:
    items = list(input_shape)
    shapes = [tuple(s) for s in items] if items and isinstance(items[0], (list, tuple)) \
        else [tuple(items)]
    for shape in shapes:  # () is one value per sample (a class id): [B]
        if any(not isinstance(d, int) or d < 1 for d in shape):
            raise GraphError(f"input shape must be positive whole numbers without the batch, "
                             f"e.g. 3,224,224 ([] for one class id per sample); got "
                             f"{list(shape)}")
    return shapes


def _graph_name(model: nn.Module) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", type(model).__name__)[:64] or "imported"

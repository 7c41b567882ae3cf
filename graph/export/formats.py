"""The single-file formats: how each is written and how it is loaded back to be checked.

Each format is a :class:`Format`: ``write(ref, path)`` writes the file(s) (returning notes such
as which TorchScript method worked), ``load(ref, path)`` returns a function from input tensors to
outputs. The driver in ``__init__`` writes to a temporary name, loads, compares, and only then
moves the files into place.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import inspect
import io
import os
import re
import sys
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import parametrize

from ..compile import compile_graph
from ..io import dumps_graph, load_graph
from . import normalization
from .blame import find_culprit, first_line
from .errors import ExportError
from .reference import Reference
from .verify import fit_problems

Runner = Callable[[list[torch.Tensor]], list]


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    help: str
    write: Callable[[Reference, Path], dict]
    load: Callable[[Reference, Path], Runner]
    extra_files: Callable[[Path], list[Path]] = lambda path: []
    # probe(block, samples, checks): the block alone through this format, traced on
    # ``samples``, run on ``checks``; names the block to blame for a mismatch
    probe: Callable[[nn.Module, tuple, tuple], list] | None = None
    # the libraries it imports when it first writes or loads (C extensions among them), which
    # ``export.preload`` imports before any file is made
    modules: tuple[str, ...] = ()


# -- json: the graph itself --------------------------------------------------------------------

def _write_json(ref: Reference, path: Path) -> dict:
    path.write_text(dumps_graph(ref.graph), encoding="utf-8")
    return {}


def _load_json(ref: Reference, path: Path) -> Runner:
    """The graph read back, compiled, given the model's weights (strictly): same outputs."""
    model = compile_graph(load_graph(path))
    _load_strict(model, ref.state_dict, "json")
    return lambda inputs: ref.run(model.eval(), inputs)


# -- safetensors: the weights --------------------------------------------------------------------

def write_weights(ref: Reference, path: Path) -> dict:
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in ref.state_dict.items()}
    metadata = {"format": "pt", "graph": ref.graph.name}
    if ref.normalization:  # the inputs these weights were trained on were standardised
        metadata[normalization.KEY] = normalization.to_json(ref.normalization)
        metadata["layerloom.input"] = normalization.sentence(ref.normalization)
    try:
        save_file(tensors, str(path), metadata=metadata)
    except Exception as exc:  # noqa: BLE001 - safetensors says a full disk as its own error
        code = re.search(r"\(os error (\d+)\)", str(exc))
        if code is None:
            raise
        raise OSError(int(code[1]), os.strerror(int(code[1])), str(path)) from None
    return {}


def _load_weights(ref: Reference, path: Path) -> Runner:
    """A fresh compile of the graph with the file's weights loaded strictly."""
    from safetensors.torch import load_file

    with torch.random.fork_rng():
        torch.manual_seed(12345)  # other weights than the reference's, so loading must matter
        model = compile_graph(ref.graph)
    _load_strict(model, load_file(str(path)), "safetensors")
    return lambda inputs: ref.run(model.eval(), inputs)


def _load_strict(model: nn.Module, state: dict, fmt: str) -> None:
    problem = fit_problems(model, state)
    if problem:
        raise ExportError(fmt, f"the weights do not load strictly: {problem}")
    model.load_state_dict(state, strict=True)


# -- python: generated code plus weights beside it --------------------------------------------------

def weights_beside(path: Path) -> Path:
    return path.with_suffix(".safetensors")


def _write_python(ref: Reference, path: Path) -> dict:
    from ..codegen import generate_code

    path.write_text(generate_code(ref.graph, data=ref.data, normalization=ref.normalization),
                    encoding="utf-8")
    write_weights(ref, weights_beside(path))
    return {"class": model_class(path).__name__}


def model_class(path: Path) -> type:
    """The model class of a generated file: the last ``nn.Module`` it defines."""
    name = f"_layerloom_export_{uuid.uuid4().hex}"
    # the loader named: from the suffix alone, a file not ending in .py would get none
    spec = importlib.util.spec_from_file_location(
        name, path, loader=importlib.machinery.SourceFileLoader(name, str(path)))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing look the module up while it runs
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - generated code that does not run is an export error
        raise ExportError("python", f"the generated code does not run: {first_line(exc)}") from None
    finally:
        sys.modules.pop(name, None)
    classes = [c for c in vars(module).values() if inspect.isclass(c)
               and issubclass(c, nn.Module) and c.__module__ == name]
    if not classes:
        raise ExportError("python", "the generated code defines no model class")
    return classes[-1]


def _load_python(ref: Reference, path: Path) -> Runner:
    from safetensors.torch import load_file

    model = model_class(path)()
    _load_strict(model, load_file(str(weights_beside(path))), "python")
    return lambda inputs: ref.run(model.eval(), inputs)


# -- torchscript --------------------------------------------------------------------------------

def _write_torchscript(ref: Reference, path: Path) -> dict:
    """``torch.jit.script``; if scripting fails, ``torch.jit.trace`` (the compiled model is
    straight-line code, so a trace records all of it), checked on another batch size.

    What is written is :func:`inference_copy` of the model: activations in place where nothing
    else reads their input, and a model with 2-D convolutions channels-last. It still takes and
    gives NCHW tensors, trains as the model does, and runs a batch several times faster."""
    layout = "channels_last" if wants_channels_last(ref) else "contiguous"
    model = inference_copy(ref.model, channels_last=layout == "channels_last")
    try:
        if any(parametrize.is_parametrized(m) for m in model.modules()):
            # scripts, but its weight_norm raises "Parametrization is not working with
            # scripting" at each call: traced instead
            raise RuntimeError("weight-normed layers (torch's parametrizations) do not script")
        with warnings.catch_warnings():  # torch.jit.script warns it is deprecated; it still works
            warnings.simplefilter("ignore")
            module, method, why = torch.jit.script(model), "script", None
    except Exception as exc:  # noqa: BLE001 - fall back to tracing
        why = first_line(exc)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module, method = torch.jit.trace(model, tuple(ref.samples),
                                                 check_trace=False), "trace"
        except Exception as trace_exc:  # noqa: BLE001
            culprit = find_culprit(ref, _trace_attempt)
            if culprit:
                raise ExportError("torchscript", culprit[2], node=culprit[0],
                                  block=culprit[1]) from None
            raise ExportError("torchscript", f"neither scripting ({why}) nor tracing "
                                             f"({first_line(trace_exc)}) works") from None
    with warnings.catch_warnings():  # deprecated in favour of torch.export, still supported
        warnings.simplefilter("ignore", DeprecationWarning)
        extra = ({normalization.EXTRA_FILE: normalization.to_json(ref.normalization)}
                 if ref.normalization else {})
        buffer = io.BytesIO()  # torch's own file writer aborts the process on a full disk
        torch.jit.save(module, buffer, _extra_files=extra)
    path.write_bytes(buffer.getvalue())
    return {"method": method, "layout": layout, **({"script_error": why} if why else {})}


# -- the TorchScript file runs fast as a user loads it -------------------------------------------
#
# seed-cnn, a batch of 64 on one CPU thread (benchmarks/torchscript_layout_bench.py): NCHW as the
# model is compiled 20 ms; channels-last 9 ms; channels-last with its ReLUs in place 4.8 ms (an
# activation that allocates its output faults fresh pages in on every call: a process that has
# not tuned malloc gets each buffer over 128 KiB from mmap). Batch 1: 0.24 ms before, 0.12 after.

# activations that may overwrite their input, and whose in-place backward reads their result
IN_PLACE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU)
# producers whose backward does not read their own output, so it may be overwritten
OVERWRITABLE = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
                nn.ConvTranspose3d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
                nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d,
                nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)


def wants_channels_last(ref: Reference) -> bool:
    """Whether the TorchScript file runs channels-last: models with 2-D convolutions and an
    image input ([C, H, W] floats). On a CPU, PyTorch's pooling and oneDNN's convolutions run
    several times faster on channels-last tensors than on NCHW ones."""
    if not any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in ref.model.modules()):
        return False
    return any(len(spec.shape) == 3 and spec.dtype == "float32" for spec in ref.inputs)


def inference_copy(model: nn.Module, channels_last: bool = False) -> nn.Module:
    """A copy of a compiled model (an fx ``GraphModule``) that computes the same values with less
    memory traffic: each ReLU (ReLU6, LeakyReLU with a positive slope) whose input feeds nothing
    else and comes from a layer that does not keep its output for backward runs in place; with
    ``channels_last``, its weights are channels-last, each 4-D float input is turned
    channels-last first and its outputs are given back contiguous (NCHW in, NCHW out). The
    model itself is left as it is."""
    import copy

    from torch import fx

    if not isinstance(model, fx.GraphModule):
        return model
    out = copy.deepcopy(model)
    for sub in out.modules():
        if isinstance(sub, fx.GraphModule):
            _activations_in_place(sub)
    if not channels_last:
        return out
    graph = out.graph
    for node in list(graph.nodes):
        if node.op == "placeholder":
            with graph.inserting_after(node):
                converted = graph.call_function(_to_channels_last, (node,))
            node.replace_all_uses_with(converted,
                                       delete_user_cb=lambda u, c=converted: u is not c)
        elif node.op == "output":
            with graph.inserting_before(node):
                node.args = (_map_outputs(graph, node.args[0]),)
    graph.lint()
    out.recompile()
    return out.to(memory_format=torch.channels_last)


def _activations_in_place(gm) -> int:
    modules = dict(gm.named_modules())
    calls: dict[str, int] = {}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            calls[node.target] = calls.get(node.target, 0) + 1
    changed = 0
    for node in gm.graph.nodes:
        act = modules.get(node.target) if node.op == "call_module" else None
        if not isinstance(act, IN_PLACE) or act.inplace or calls[node.target] != 1:
            continue
        if isinstance(act, nn.LeakyReLU) and act.negative_slope <= 0:
            continue
        if len(node.args) != 1 or node.kwargs:
            continue
        src = node.args[0]
        if not (hasattr(src, "op") and src.op == "call_module" and len(src.users) == 1
                and isinstance(modules.get(src.target), OVERWRITABLE)):
            continue
        act.inplace = True
        changed += 1
    if changed:
        gm.recompile()
    return changed


def _to_channels_last(x: torch.Tensor) -> torch.Tensor:
    if x.dim() == 4 and x.is_floating_point():
        return x.contiguous(memory_format=torch.channels_last)
    return x


def _map_outputs(graph, value):
    """Each tensor the output node returns, through ``.contiguous()`` (a no-op for one that
    already is)."""
    from torch import fx

    if isinstance(value, fx.Node):
        return graph.call_method("contiguous", (value,))
    if isinstance(value, (tuple, list)):
        return type(value)(_map_outputs(graph, v) for v in value)
    if isinstance(value, dict):
        return {k: _map_outputs(graph, v) for k, v in value.items()}
    return value


def _trace_attempt(module: nn.Module, samples: tuple, checks: tuple = ()) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return torch.jit.script(module)
        except Exception:  # noqa: BLE001 - as the whole model: tracing after scripting
            return torch.jit.trace(module, samples, check_trace=False)


def _probe_torchscript(module: nn.Module, samples: tuple, checks: tuple) -> list:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(_trace_attempt(module, samples), buffer)
        buffer.seek(0)
        loaded = torch.jit.load(buffer)
    with torch.no_grad():
        return [loaded(*checks)]


def _load_torchscript(ref: Reference, path: Path) -> Runner:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = torch.jit.load(str(path), map_location="cpu")
    return lambda inputs: ref.run(module.eval(), inputs)


FORMATS: dict[str, Format] = {}


def _register(fmt: Format) -> None:
    FORMATS[fmt.name] = fmt


# Each format's help is what the Export page says of its file, for someone who has never met
# the format: what the file holds, what opens it, and the line of code (or the program) that
# loads it.
_register(Format(
    "json", ".json",
    "Your design as a text file, without its weights: its blocks, their settings and how "
    "they connect. LayerLoom opens it again (Open → Open a design (JSON)); in Python, "
    "`layerloom.graph.load_graph(\"model.json\")` reads it.",
    _write_json, _load_json))
_register(Format(
    "python", ".py",
    "PyTorch code you can read and change: a .py file defining the model as a class, with its "
    "weights in a .safetensors file beside it. It needs torch and safetensors, not "
    "LayerLoom: import the class, make `model = TheClass()`, then "
    "`model.load_state_dict(safetensors.torch.load_file(\"model.safetensors\"))`.",
    _write_python, _load_python, lambda path: [weights_beside(path)],
    modules=("safetensors.torch",)))
_register(Format(
    "torchscript", ".pt",
    "The model and its weights in one file that PyTorch runs without LayerLoom or "
    "the model's code (TorchScript): `model = torch.jit.load(\"model.pt\")` in Python, "
    "`torch::jit::load` in C++ (LibTorch).",
    _write_torchscript, _load_torchscript, probe=_probe_torchscript))
_register(Format(
    "safetensors", ".safetensors",
    "Only the weights (the numbers training learns, each table named), without the design: "
    "for this design in LayerLoom (Open → Weights for this design) or for the Python file's "
    "model: "
    "`model.load_state_dict(safetensors.torch.load_file(\"model.safetensors\"))`.",
    write_weights, _load_weights, modules=("safetensors.torch",)))

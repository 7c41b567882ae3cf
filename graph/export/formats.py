"""The single-file formats: how each is written and how it is loaded back to be checked.

Each format is a :class:`Format`: ``write(ref, path)`` writes the file(s) (returning notes such
as which TorchScript method worked), ``load(ref, path)`` returns a function from input tensors to
outputs. The driver in ``__init__`` writes to a temporary name, loads, compares, and only then
moves the files into place.
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import sys
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..compile import compile_graph
from ..io import dumps_graph, load_graph
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
    save_file(tensors, str(path), metadata={"format": "pt", "graph": ref.graph.name})
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

    path.write_text(generate_code(ref.graph), encoding="utf-8")
    write_weights(ref, weights_beside(path))
    return {"class": model_class(path).__name__}


def model_class(path: Path) -> type:
    """The model class of a generated file: the last ``nn.Module`` it defines."""
    name = f"_layerloom_export_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
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
    straight-line code, so a trace records all of it), checked on another batch size."""
    try:
        with warnings.catch_warnings():  # torch.jit.script warns it is deprecated; it still works
            warnings.simplefilter("ignore")
            module, method, why = torch.jit.script(ref.model), "script", None
    except Exception as exc:  # noqa: BLE001 - fall back to tracing
        why = first_line(exc)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module, method = torch.jit.trace(ref.model, tuple(ref.samples),
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
        torch.jit.save(module, str(path))
    return {"method": method, **({"script_error": why} if why else {})}


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


_register(Format("json", ".json", "the graph itself (no weights)", _write_json, _load_json))
_register(Format("python", ".py", "generated PyTorch code, weights beside it (.safetensors)",
                 _write_python, _load_python, lambda path: [weights_beside(path)]))
_register(Format("torchscript", ".pt", "TorchScript (torch.jit.load, no LayerLoom needed)",
                 _write_torchscript, _load_torchscript, probe=_probe_torchscript))
_register(Format("safetensors", ".safetensors", "the weights, keyed as the compiled graph's",
                 write_weights, _load_weights))

"""Trace a PyTorch model with ``torch.fx`` and run it once, recording every node's value.

Modules with a LayerLoom block are leaves of the trace (a subclass of ``nn.Conv2d`` that keeps
its ``forward`` too), as are ``torch.nn``'s own modules; the user's own modules are traced
through, so their functions and additions become blocks of their own.
"""

from __future__ import annotations

import contextlib
import inspect
import operator
import linecache
import re
import sys
import types
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn

from ..errors import GraphError
from .decoders import TRACED_THROUGH, decoder_layers, transformer_parts
from .loops import loop_reason, looped_size
from .modules import find_rule
from .rearrangements import einops_layer, einops_traced
from .sequence_first import SequenceFirstCalls
from .user_source import grad_follows_training

BATCH = 3  # an unusual batch size, so that a dimension equal to it is rarely confused with it
# fx node meta: where the node came from in words, for a model that is not the user's code (an
# ONNX file's node); import errors name it instead of a line of Python
ORIGIN = "layerloom_origin"
# fx node meta: the block name of the module that made the node, where the model does not
# say it in nn_module_stack (an ONNX file of the dynamo exporter: its node's name scope)
SCOPE = "layerloom_scope"
# fx node meta: a reshape's target sizes after the batch that follow a free length of an ONNX
# file's input, each an expression over its variable ('=height') or None (a number)
FREE_SIZES = "layerloom_free_sizes"

# What torch.fx appends to an error raised while it runs a traced node: the node, an empty
# "Original traceback" and an advertisement for tlparse, none of it about the user's model.
_FX_NOTE = re.compile(r"\s*While executing %.*?(?:Use tlparse[^\n]*|\Z)", re.S)


def without_fx_notes(message: str) -> str:
    """``message`` without torch.fx's notes (``While executing %…``, ``Use tlparse…``)."""
    return _FX_NOTE.sub("", message).rstrip()


_TORCH_DIR = Path(torch.__file__).resolve().parent
_TRACER = str(Path(__file__).resolve())  # its create_node's frame
_STAND_INS = str(Path(__file__).resolve().with_name("rearrangements.py"))  # einops' calls
# the transposes around a sequence-first module: named at the user's call of it
_SEQUENCE_FIRST = str(Path(__file__).resolve().with_name("sequence_first.py"))
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')


def user_frames(node: fx.Node) -> list[tuple[str, int]]:
    """The frames of the user's code (outside torch and this file) in the stack torch.fx
    recorded while tracing ``node``, as ``(file, line)``, the innermost last."""
    found = []
    for frame in _FRAME.finditer(node.stack_trace or ""):
        path = frame["file"]
        try:
            inside = Path(path).resolve().is_relative_to(_TORCH_DIR)
        except OSError:
            inside = False
        if not inside and not path.startswith("<") \
                and path not in (_TRACER, _STAND_INS, _SEQUENCE_FIRST):
            found.append((path, int(frame["line"])))
    return found


class _Refused(Exception):
    """A trace stopped by the tracer itself, with the reason in words."""


class _Tracer(fx.Tracer):
    record_stack_traces = True  # node.stack_trace: the user's line, named in import errors

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sequence_first = SequenceFirstCalls()  # batch_first=False modules, transposed

    def to_bool(self, obj: fx.Proxy) -> bool:
        """A traced value used as a bool. ``x.is_cuda`` (and ``x.device.type == 'cuda'``) is
        False: the model is imported from the CPU, and the graph runs on any device. An
        ``assert`` on sizes alone (nanoGPT's ``assert t <= self.block_size``) holds at the
        traced size and computes nothing: traced past. Anything else stops the trace."""
        device = _on_cpu(obj)
        if device is not None:
            return device
        if _asserted(sys._getframe(2)):
            if _sizes_only(obj.node):
                return True
            raise _Refused("an assert checks the data (a value computed from a tensor's "
                           "values), which tracing cannot know; remove this line, or move "
                           "the check out of forward")
        return super().to_bool(obj)

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        if isinstance(m, TRACED_THROUGH):
            return False
        return find_rule(m) is not None or einops_layer(m) \
            or super().is_leaf_module(m, qualname)

    def call_module(self, m: nn.Module, forward, args, kwargs):
        """A module made inside ``forward`` is no layer of the model (pytorch-pretrained-BERT's
        ``nn.Softmax(dim=-1)(scores)``): one without weights is traced through, as the
        function it calls; fx stops at it ("not installed as a submodule")."""
        try:
            self.path_of_module(m)
        except NameError:
            if next(iter(m.parameters()), None) is None and next(iter(m.buffers()), None) is None:
                return forward(*args, **kwargs)
            made = f"nn.{type(m).__name__}({m.extra_repr()})" \
                if type(m).__module__.startswith("torch.nn") else type(m).__name__
            raise _Refused(f"it makes {made}, a layer with weights, inside forward, so its "
                           f"weights are drawn anew at every call: the model gives other "
                           f"outputs each time, and has no weights of that layer to import "
                           f"(nor would an optimiser given model.parameters() train them); "
                           f"make the layer in __init__ (self.layer = {made}) and call it in "
                           f"forward") from None
        if self.sequence_first.wraps(m):
            return self.sequence_first.call(m, forward, args, kwargs, self.call_module)
        if isinstance(m, nn.TransformerDecoder):
            return decoder_layers(self, m, forward, args, kwargs)
        if isinstance(m, nn.Transformer):
            return transformer_parts(self, m, forward, args, kwargs)
        return super().call_module(m, forward, args, kwargs)

    def proxy(self, node: fx.Node) -> fx.Proxy:
        return _Proxy(node, self)

    def iter(self, obj: fx.Proxy) -> Iterator:
        """A traced value iterated whole (``list(x.chunk(2, 1))``, ultralytics' C2f): the parts
        of a split into a number known without the data (``chunk(n)``, ``split`` by a list of
        sizes, ``tensor_split(x, n)``); anything else stops the trace, as fx does."""
        count = _parts(obj.node)
        if count is None:
            return super().iter(obj)
        return iter([obj[i] for i in range(count)])

    def create_node(self, *args, **kwargs) -> fx.Node:
        node = super().create_node(*args, **kwargs)
        if not torch.is_grad_enabled():  # made inside `with torch.no_grad():`: a gradient stop
            # but not inside `with torch.set_grad_enabled(self.training):`, traced in evaluation
            # mode: the model has a gradient there while it trains
            if not _grad_follows_training(sys._getframe(1)):
                node.meta["no_grad"] = True
        return node


class _Proxy(fx.Proxy):
    """fx's Proxy whose ``len`` is known for a split into a number of parts known without the
    data, as ``list(x.chunk(2, 1))`` asks before it iterates."""

    def __len__(self) -> int:
        count = _parts(self.node)
        return count if count is not None else super().__len__()


def _parts(node: fx.Node) -> int | None:
    """How many tensors the split at ``node`` gives, where its arguments say so."""
    if node.op == "call_method":
        name, rest = node.target, node.args[1:]
    elif node.op == "call_function" and node.target in (torch.chunk, torch.split,
                                                         torch.tensor_split):
        name, rest = node.target.__name__, node.args[1:]
    else:
        return None
    kwargs = node.kwargs
    if name == "chunk":
        chunks = rest[0] if rest else kwargs.get("chunks")
        return chunks if type(chunks) is int and chunks > 0 else None
    if name == "split":
        sizes = rest[0] if rest else kwargs.get("split_size_or_sections",
                                               kwargs.get("split_size"))
        if isinstance(sizes, (list, tuple)) and all(type(s) is int for s in sizes):
            return len(sizes)
        return None
    if name == "tensor_split":
        sections = rest[0] if rest else kwargs.get("sections", kwargs.get("indices"))
        if type(sections) is int and sections > 0:
            return sections
        if isinstance(sections, (list, tuple)) and all(type(s) is int for s in sections):
            return len(sections) + 1
    return None


def _on_cpu(obj: fx.Proxy) -> bool | None:
    """What ``obj`` is on the CPU where it reads only where a tensor is: ``x.is_cuda``
    (False), ``x.device.type == "cuda"`` (compared with "cpu"); None for anything else."""
    if isinstance(obj, fx.proxy.Attribute):
        return False if obj.attr in ("is_cuda", "is_mps", "is_xpu") else None
    node = obj.node
    if node.op != "call_function" or node.target not in (operator.eq, operator.ne) \
            or len(node.args) != 2:
        return None
    sides = ["cpu" if _device_type(a) else a for a in node.args]
    if not any(_device_type(a) for a in node.args) or not all(isinstance(v, str) for v in sides):
        return None
    return (sides[0] == sides[1]) == (node.target is operator.eq)


def _device_type(arg: Any) -> bool:
    """``arg`` is the node of ``x.device.type``."""
    return isinstance(arg, fx.Node) and arg.op == "call_function" and arg.target is getattr \
        and arg.args[1] == "type" and isinstance(arg.args[0], fx.Node) \
        and arg.args[0].target is getattr and arg.args[0].args[1] == "device"


def _asserted(frame) -> bool:
    """The running instruction of ``frame`` decides an ``assert`` (a jump when true, then
    the AssertionError)."""
    import dis

    instructions = list(dis.get_instructions(frame.f_code))
    at = next((i for i, inst in enumerate(instructions) if inst.offset >= frame.f_lasti), None)
    if at is None or at + 1 >= len(instructions):
        return False
    return "IF_TRUE" in instructions[at].opname \
        and instructions[at + 1].opname == "LOAD_ASSERTION_ERROR"


_SIZE_READS = ("size", "dim", "numel")


def _sizes_only(node: fx.Node) -> bool:
    """``node`` is computed from the sizes of tensors and numbers alone (``t <= 1024`` with
    ``t = x.size(1)``), never from their values."""
    if node.op == "call_method" and node.target in _SIZE_READS:
        return True
    if node.op == "call_function" and node.target is getattr:
        return node.args[1] in ("shape", "ndim")
    if node.op == "call_function" and getattr(node.target, "__module__", "") in (
            "_operator", "operator"):
        return all(_sizes_only(a) for a in node.all_input_nodes)
    return False


def _grad_follows_training(frame) -> bool:
    """The innermost grad-mode ``with`` of the user's code around the running ``frame`` (and
    its callers) is ``torch.set_grad_enabled(self.training)``."""
    while frame is not None:
        file = frame.f_code.co_filename
        if file == _TRACER:
            if isinstance(frame.f_locals.get("self"), _Tracer):  # its own hooks (call_module)
                frame = frame.f_back  # lie between the model's code and the node: passed
                continue
            return False  # trace() itself: the model's code is all inside
        try:
            inside = Path(file).resolve().is_relative_to(_TORCH_DIR)
        except OSError:
            inside = True
        if not inside and not file.startswith("<"):
            found = grad_follows_training(file, frame.f_lineno)
            if found is not None:
                return found
        frame = frame.f_back
    return False


def leaf(module: nn.Module, path: str) -> bool:
    """Whether the trace keeps ``module`` (at ``path``) whole, as one node, rather than tracing
    through its ``forward``."""
    return _Tracer().is_leaf_module(module, path)


def trace(model: nn.Module) -> fx.GraphModule:
    """``model`` as a ``GraphModule``, dead code (unused tuple parts, shape reads) removed.

    Optional arguments of ``forward`` (``attn_mask=None``, ``return_features=False``) keep
    their defaults: they are not inputs of the imported graph.
    """
    _no_varargs(model)
    concrete = optional_args(model)
    with einops_traced(list(_user_spaces(model).values())):
        graph, reads = _traced(model, concrete)
    _drop_specialised(graph, set(concrete))
    gm = fx.GraphModule(model, graph, class_name=type(model).__name__)
    gm.meta["training_reads"] = reads
    _follow_inplace(gm)
    gm.graph.eliminate_dead_code()
    for node in [n for n in gm.graph.nodes if n.op == "placeholder"]:
        if str(node.target).startswith("**") and not node.users:  # forward(x, **kwargs)
            gm.graph.erase_node(node)
    gm.recompile()
    return gm


def _traced(model: nn.Module, concrete: dict) -> tuple[fx.Graph, list]:
    """The graph of ``model`` traced with ``concrete`` arguments, and where ``self.training``
    was read: traced again with buffers, and with ``len``, where the first trace fails."""
    tracer, reads = _Tracer(), []
    traced_through = [m for name, m in model.named_modules() if not name
                      or not tracer.is_leaf_module(m, name)]
    try:
        with torch.enable_grad(), _training_reads(traced_through, reads), _finfo_traced(model), \
                warnings.catch_warnings():
            # a backward hook cannot wrap a traced value; the import warns of the hook itself
            warnings.filterwarnings("ignore", message="For backward hooks to be called")
            with _state_kept(model):
                graph = tracer.trace(model, concrete_args=concrete or None)
    except Exception as exc:  # fx raises TraceError, TypeError, NotImplementedError…
        graph = _trace_buffers(model, concrete)
        if graph is None and (_LEN_UNTRACED in str(exc) or _INT_UNTRACED in str(exc)):
            graph, exc = _trace_lengths(model, concrete, tracer_reads=reads)
        if graph is None:
            raise GraphError(_trace_failure(model, exc)) from None
    return graph, reads


def _trace_buffers(model: nn.Module, concrete: dict) -> fx.Graph | None:
    """The trace again with buffers as values of the graph, or None where it fails too.

    fx keeps a buffer a plain tensor, so the PyTorch tutorial's ``self.pe[:, :x.size(1)]``
    indexes a tensor with a traced size, which fails. Only a model that fails so is traced this
    way: elsewhere a buffer read in Python (``if self.initialised:``) must stay a tensor."""
    if next(model.buffers(), None) is None:
        return None
    tracer = _Tracer()
    tracer.proxy_buffer_attributes = True
    try:
        with _finfo_traced(model), _state_kept(model):
            return tracer.trace(model, concrete_args=concrete or None)
    except Exception:  # noqa: BLE001 - the first failure is the one reported
        return None


@contextlib.contextmanager
def _state_kept(model: nn.Module) -> Iterator[None]:
    """The modules' plain attributes as they were before a trace, after it: a forward that
    keeps what it computed (the 2019 transformer tutorial's ``self.src_mask = mask``, made once
    for a length) leaves a traced value in the model, which the next trace (or the model's own
    run) would read as if it held the mask. What fx itself adds (``_tensor_constant0``, read by
    the traced graph) stays; a traced value added by the model's code goes."""
    kept = [(m, dict(vars(m))) for m in model.modules()]
    try:
        yield
    finally:
        for module, before in kept:
            now = vars(module)
            for name in [n for n in now if n not in before and isinstance(now[n], fx.Proxy)]:
                del now[name]
            for name, value in before.items():
                if now.get(name, value) is not value or name not in now:
                    now[name] = value


_FINFO = torch.finfo


def _traced_finfo(type: Any = None) -> Any:  # noqa: A002 - torch.finfo's own argument name
    """``torch.finfo`` while the model is traced: of a traced tensor's dtype (transformers'
    GPT-2's ``torch.finfo(attn_weights.dtype).min``), float32's, the dtype of every imported
    model's computation; of anything else, torch's own."""
    if isinstance(type, fx.Proxy):
        return _FINFO(torch.float32)
    return _FINFO() if type is None else _FINFO(type)


_SIZED = ("ones", "zeros", "empty", "rand", "randn")  # torch.ones(T, T): sizes as arguments


def _sizes_packed(factory: Any) -> Any:
    """``factory`` (``torch.ones``…) taking traced sizes one by one as well: fx can trace
    ``torch.ones((T, T))`` but not ``torch.ones(T, T)`` (a mask made in forward)."""
    def call(*size: Any, **kwargs: Any) -> Any:
        if len(size) > 1 and any(isinstance(s, fx.Proxy) for s in size):
            return factory(tuple(size), **kwargs)
        return factory(*size, **kwargs)
    call.__wrapped__ = factory
    return call


class _TracingTorch(types.ModuleType):
    """What the name ``torch`` is in the model's own modules while it is traced: torch itself,
    but for ``torch.finfo`` of a traced dtype and ``torch.ones(T, T)`` with traced sizes
    (:func:`_traced_finfo`, :func:`_sizes_packed`). Only the model's modules see it: torch's
    own code, and modules imported meanwhile, keep torch's objects."""

    def __init__(self) -> None:
        super().__init__("torch")
        self.finfo = _traced_finfo
        for name in _SIZED:
            setattr(self, name, _sizes_packed(getattr(torch, name)))

    def __getattr__(self, name: str) -> Any:
        return getattr(torch, name)


def _user_spaces(model: nn.Module) -> dict[int, dict]:
    """The global namespaces of the modules whose classes make up ``model``, but torch's."""
    spaces: dict[int, dict] = {}
    for module in model.modules():
        for cls in type(module).__mro__:
            name = getattr(cls, "__module__", "") or ""
            found = sys.modules.get(name)
            if found is None or name.split(".")[0] in ("torch", "builtins"):
                continue
            spaces[id(vars(found))] = vars(found)
    return spaces


@contextlib.contextmanager
def _finfo_traced(model: nn.Module) -> Iterator[None]:
    """While ``model`` is traced, ``torch`` in its modules is a :class:`_TracingTorch`:
    ``torch.finfo`` of a traced dtype is float32's, and ``torch.ones(T, T)`` (and zeros,
    empty, rand, randn) take traced sizes one by one."""
    spaces = [space for space in _user_spaces(model).values() if space.get("torch") is torch]
    stand_in = _TracingTorch()
    try:
        for space in spaces:
            space["torch"] = stand_in
        yield
    finally:
        for space in spaces:
            if space.get("torch") is stand_in:
                space["torch"] = torch


_LEN_UNTRACED = "'len' is not supported in symbolic tracing"


def _traced_len(obj: Any) -> Any:
    """``len`` while the model is traced: of a traced tensor, its first size (the batch of a
    batch-first tensor: rtdl's FT-Transformer's ``self.expand(len(x), 1)``), traced as
    ``x.size(0)``; of anything else, Python's own."""
    if isinstance(obj, fx.Proxy):
        return obj.size(0)
    return len(obj)


# int() of a traced size: the official Swin's window_reverse, B = int(windows.shape[0] / (H * W
# / window_size / window_size))
_INT_UNTRACED = "int() argument must be a string, a bytes-like object or a real number, not " \
    "'"  # then the tracer's proxy class's name


def _traced_int(value: Any = 0, *rest: Any) -> Any:
    """``int`` while the model is traced: of a traced number computed from sizes only (a
    traced shape's, ``len``'s), a node that takes its ``int`` when the graph runs, the size then
    read as the other sizes are; of anything else, Python's own, so that ``int`` of a value
    computed from the data (``range(int(x.abs().max()))``) is still refused as depending on
    the data."""
    if isinstance(value, fx.Proxy) and not rest and _of_sizes(value.node):
        return value.tracer.create_proxy("call_function", int, (value,), {})
    return int(value, *rest)


def _of_sizes(node: fx.Node) -> bool:
    """Whether a traced number is computed from sizes alone: arithmetic and indexing over
    ``x.size()``, ``x.shape``, ``x.dim()``/``x.ndim``/``x.numel()`` and numbers, never over a
    tensor's values."""
    seen: set[fx.Node] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current.op == "call_method" and current.target in _SIZE_METHODS:
            continue
        if current.op == "call_function" and current.target is getattr \
                and current.args[1:2] in (("shape",), ("ndim",)):
            continue
        if current.op != "call_function" or not _is_arithmetic(current.target):
            return False
        stack.extend(arg for arg in current.all_input_nodes)
    return True


_SIZE_METHODS = ("size", "dim", "numel")


def _is_arithmetic(target: Any) -> bool:
    """The functions a size computation uses: ``operator``'s (``+``, ``//``, ``**``, indexing…),
    ``math``'s and the builtins ``int``, ``round``, ``min``, ``max``, ``abs``."""
    return getattr(target, "__module__", None) in ("_operator", "operator", "math") \
        or target in (int, round, min, max, abs, float)


@contextlib.contextmanager
def _lengths_traced(model: nn.Module) -> Iterator[None]:
    """``len`` and ``int`` of the modules' code (the globals of their classes' modules) are
    :func:`_traced_len` and :func:`_traced_int` while the model is traced; a module that
    defines its own keeps it."""
    patches = {"len": _traced_len, "int": _traced_int}
    spaces = list(_user_spaces(model).values())
    try:
        for space in spaces:
            for name, patch in patches.items():
                space.setdefault(name, patch)
        yield
    finally:
        for space in spaces:
            for name, patch in patches.items():
                if space.get(name) is patch:
                    del space[name]


def _trace_lengths(model: nn.Module, concrete: dict,
                   tracer_reads: list) -> tuple[fx.Graph | None, Exception | None]:
    """The trace again with ``len`` of a traced tensor as its first size (and with buffers as
    values of the graph where that is what it takes): the graph, or None and why it failed."""
    traced_through = [m for name, m in model.named_modules() if not name
                      or not _Tracer().is_leaf_module(m, name)]
    failure: Exception | None = None
    for buffers in (False, True):
        tracer = _Tracer()
        tracer.proxy_buffer_attributes = buffers
        tracer_reads.clear()
        try:
            with torch.enable_grad(), _lengths_traced(model), _finfo_traced(model), \
                    _training_reads(traced_through, tracer_reads), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="For backward hooks to be called")
                with _state_kept(model):
                    return tracer.trace(model, concrete_args=concrete or None), None
        except Exception as exc:  # noqa: BLE001 - said by the caller
            failure = failure or exc
            if not buffers and next(model.buffers(), None) is None:
                break
    return None, failure


@contextlib.contextmanager
def _training_reads(modules: Sequence[nn.Module], reads: list) -> Iterator[None]:
    """Record where code reads ``self.training`` of ``modules`` while they are traced, as
    ``(file, line, function)``: an ``if self.training:`` is decided once, when the model is
    traced (in evaluation mode), so the import must say where the model does something else
    while training. For the trace only, each module's class has ``training`` as a property
    that notes its reader (the instance keeps its value; nothing is subclassed)."""

    def read(self: nn.Module) -> bool:
        frame = sys._getframe(1)
        reads.append((frame.f_code.co_filename, frame.f_lineno,
                      getattr(frame.f_code, "co_qualname", frame.f_code.co_name)))
        return self.__dict__.get("training", True)

    def write(self: nn.Module, mode: bool) -> None:
        self.__dict__["training"] = mode

    watched = [cls for cls in dict.fromkeys(type(m) for m in modules)
               if "training" not in vars(cls)]
    try:
        for cls in watched:
            cls.training = property(read, write)
        yield
    finally:
        for cls in watched:
            if isinstance(vars(cls).get("training"), property):
                delattr(cls, "training")


def _no_varargs(model: nn.Module) -> None:
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return
    for name, param in signature.parameters.items():
        if isinstance(param.default, torch.Tensor):
            raise GraphError(f"{type(model).__name__}.forward's argument {name!r} has a tensor "
                             f"as its default; an imported model takes only its inputs (keep "
                             f"the tensor in a buffer: self.register_buffer({name!r}, ...))")
        if param.kind is param.VAR_POSITIONAL:
            raise GraphError(f"{type(model).__name__}.forward(*{name}) takes any number of "
                             f"inputs; an imported model names each input "
                             f"(forward(self, x, y))")


def _trace_failure(model: nn.Module, exc: Exception) -> str:
    """Why fx could not trace ``model``, in words, with the line of the user's code where it
    stopped (the innermost frame outside torch) and the module whose code it is."""
    torch_dir = Path(torch.__file__).resolve().parent
    where, frame_module, packs, plain, mine = "", None, False, [], False
    looped = None  # the input and dimension a range(...) of the user's line loops over
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        path = Path(code.co_filename)
        packs = packs or path.parts[-3:] == ("nn", "utils", "rnn.py")
        try:
            inside_torch = path.resolve().is_relative_to(torch_dir)
        except OSError:
            inside_torch = False
        # an installed library's frame (einops') names the line only where no frame of the
        # user's own files does
        library = bool({"site-packages", "dist-packages"} & set(path.parts))
        if not inside_torch and path.name != "trace.py" and path.exists() \
                and (not library or not mine):
            mine = mine or not library
            line = linecache.getline(str(path), tb.tb_lineno).strip()
            owner = tb.tb_frame.f_locals.get("self")
            frame_module = type(owner).__name__ if isinstance(owner, nn.Module) else None
            plain = _plain_tensors(owner, line)
            looped = looped_size(line, tb.tb_frame.f_locals)
            where = f" at {path.name} line {tb.tb_lineno}" + (f" `{line}`" if line else "") \
                + (f" in {frame_module}.{code.co_name}" if frame_module else "")
        tb = tb.tb_next
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    proxy = "Proxy" in text or "symbolically traced" in text or "TraceError" in repr(type(exc))
    if isinstance(exc, _Refused):
        reason = text
    elif type(model).__module__.split(".")[0] == "transformers":
        reason = ("it is a Hugging Face transformers model; transformers wraps forward in "
                  "decorators that take any arguments (*args, **kwargs) and reads sizes in "
                  "ways that tracing cannot follow, so its models do not import as they are. "
                  "The same layers written in plain PyTorch do (a forward that names its "
                  "inputs: BERT's embeddings with their position and token type ids, GPT-2's "
                  "blocks as modeling_gpt2.py writes them, with --untie; the README's 'Bring "
                  "your own model' lists what imports), and so does the model exported to "
                  "ONNX: torch.onnx.export of a module returning its logits, given input_ids "
                  "alone, then layerloom import-onnx")
    elif packs:  # fails deep in torch (`__cuda_array_interface__` must be a dict)
        reason = ("it packs a sequence (nn.utils.rnn.pack_padded_sequence), and packed "
                  "sequences do not import: a packed batch carries each sample's length, and "
                  "lengths are not supported; feed the padded batch to the LSTM itself, made "
                  "with batch_first=True, without pack_padded_sequence and pad_packed_sequence "
                  "(the padding steps then run as steps)")
    elif "slice indices must be integers" in text and plain:
        reason = (f"it slices self.{plain[0]}, a tensor kept as a plain attribute, by a size of "
                  f"the input, which tracing cannot do; keep it in a buffer instead "
                  f"(self.register_buffer({plain[0]!r}, ...) in __init__), which imports")
    elif "slice indices must be integers" in text:
        reason = ("it slices a tensor attribute by a size of the input (such as "
                  "self.bias[:, :, :T, :T]), which tracing cannot do")
        if "masked_fill" in where:
            reason += ("; for a causal mask in attention, call F.scaled_dot_product_attention("
                       "q, k, v, is_causal=True) (the ScaledDotProductAttention block)")
    elif "unknown to einops" in text:
        reason = ("it calls an einops function that tracing cannot follow (such as "
                  "einops.einsum); einops' rearrange, reduce and repeat import, and so does "
                  "torch.einsum: write torch.einsum('b l d, d n -> b l d n' as 'bld,dn->bldn', "
                  "...) in its place")
    elif "does not support item assignment" in text:
        reason = ("it assigns into part of a tensor (such as `y[:, 0:2] = ...` or "
                  "`y[:, 0] = 0`), an in-place write that no block makes; compute the part and "
                  "join it with the rest instead: y = torch.cat([y[:, 0:2] * 2 - 0.5, "
                  "y[:, 2:]], dim=1)")
    elif "parameter is not a member of this module" in text:
        reason = ("it makes a parameter inside forward (nn.Parameter(...)), so its values are "
                  "new at every call, and no optimiser given model.parameters() learns them; "
                  "the model has no weights there to import. Make it in __init__ "
                  "(self.weight = nn.Parameter(torch.randn(n_in, n_out))) and use it in "
                  "forward (x @ self.weight imports as a Linear)")
    elif "cannot be interpreted as an integer" in text and looped is not None \
            and looped[1] != 0:  # over the steps: a recurrence by hand (teacher forcing, scans)
        reason = loop_reason(*looped)
    elif "cannot be interpreted as an integer" in text:
        reason = ("it uses a traced size as a Python number (such as `range(len(x))` or "
                  "`range(x.size(0))`, a loop over the samples of the batch), which tracing "
                  "cannot know; compute the step for the whole batch at once instead")
    elif "cannot be iterated" in text:
        reason = ("it loops over or unpacks a traced value (such as `for s in x.size()[1:]` or "
                  "`*x.shape`), whose length tracing cannot know; write torch.flatten(x, 1) or "
                  "x.view(x.size(0), -1) instead")
    elif proxy:
        reason = ("its control flow or a Python value depends on the data: control flow that "
                  "depends on tensor values (or sizes), such as `if x.sum() > 0`, cannot be "
                  "traced, so such a model cannot be imported")
    else:
        reason = f"{text} (running forward on traced inputs failed)"
    return f"torch.fx cannot trace {type(model).__name__}: {reason}" + (
        f" ({where.strip()})" if where else "")


def _plain_tensors(owner: Any, line: str) -> list[str]:
    """The tensors ``owner`` keeps as plain attributes (``self.pe = pe``: neither a buffer nor
    a parameter) that ``line`` reads as ``self.NAME``."""
    if not isinstance(owner, nn.Module):
        return []
    return [name for name, value in vars(owner).items()
            if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter)
            and re.search(rf"\bself\.{re.escape(name)}\b", line)]


def optional_args(model: nn.Module) -> dict[str, Any]:
    """``forward``'s arguments that have a default of ``None``, a bool, a number or a string."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return {}
    out = {}
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is not param.empty and (param.default is None or isinstance(
                param.default, (bool, int, float, str))):
            out[name] = param.default
    return out


_GUARDS = {"_assert_is_none", "_assert", "eq", "ne", "is_", "is_not", "not_"}


def _drop_specialised(graph: fx.Graph, names: set[str]) -> None:
    """Remove the placeholders fx keeps for arguments traced at their defaults, with the
    checks fx adds on them (``_assert_is_none``); an argument whose default feeds the
    computation itself cannot be left out."""
    for node in [n for n in graph.nodes if n.op == "placeholder"]:
        if str(node.target).rstrip("_0123456789") not in names and node.target not in names:
            continue
        if not node.args:  # fx gave it no default: a real input
            continue
        seen, stack = [], [node]
        while stack:
            current = stack.pop()
            for user in current.users:
                if user not in seen:
                    seen.append(user)
                    stack.append(user)
        if any(getattr(u.target, "__name__", "") not in _GUARDS for u in seen):
            continue  # used by the computation: stays an input (reported by the shape check)
        order = {n: i for i, n in enumerate(graph.nodes)}
        for user in sorted(seen, key=order.get, reverse=True):
            graph.erase_node(user)
        graph.erase_node(node)


class _Recorder(fx.Interpreter):
    def __init__(self, gm: fx.GraphModule):
        super().__init__(gm)
        self.values: dict[fx.Node, Any] = {}

    def run_node(self, n: fx.Node) -> Any:
        if n.target is operator.getitem and isinstance(n.args[1], str) \
                and isinstance(n.args[0], fx.Node) and n.args[0].op == "placeholder":
            raise GraphError(f"{type(self.module).__name__}.forward reads "
                             f"{n.args[0].target}[{n.args[1]!r}]: it takes a dict; an "
                             f"imported model takes each input as a tensor "
                             f"(forward(self, x, y))") from None
        try:
            result = super().run_node(n)
        except Exception as exc:
            if ORIGIN in n.meta:
                where = n.meta[ORIGIN]
            elif n.op == "call_module":
                where = f"{n.target} ({type(self.module.get_submodule(n.target)).__name__})"
            else:
                where = n.name
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GraphError(f"running {type(self.module).__name__} on the sample input failed "
                             f"at {where}: {text} (are the input shapes and dtypes right?)") from None
        self.values[n] = result
        return result


_SHAPES_RIGHT = " (are the input shapes and dtypes right?)"


def propagate(gm: fx.GraphModule, samples: Sequence[torch.Tensor]) -> dict[fx.Node, Any]:
    """The value of every node for ``samples`` (batch first), in evaluation mode."""
    recorder = _Recorder(gm)
    try:
        with torch.no_grad():
            recorder.run(*samples)
    except GraphError as exc:  # fx appends its notes (While executing %…) to the message
        text = str(exc).split("\n\nWhile executing")[0].rstrip()
        if text.endswith(_SHAPES_RIGHT) and _runs_alone(gm, samples):
            text = text[:-len(_SHAPES_RIGHT)] + _one_sample(samples[0].shape[0])
        raise GraphError(text) from None
    return recorder.values


def _runs_alone(gm: fx.GraphModule, samples: Sequence[torch.Tensor]) -> bool:
    """The model runs on the first sample alone, a batch of one, where a batch failed."""
    if not samples or any(not isinstance(s, torch.Tensor) or s.dim() == 0 or s.shape[0] < 2
                          for s in samples):
        return False
    try:
        with torch.no_grad():
            _Recorder(gm).run(*[s[:1] for s in samples])
    except Exception:  # noqa: BLE001 - it fails alone too: the shapes may be wrong
        return False
    return True


def _one_sample(batch: int) -> str:
    """What to do with a model that takes a batch of one sample only."""
    return (f"; it runs on one sample but not on a batch of {batch}: a tensor in it is made "
            f"for a batch of one (as DETR's demo gives its decoder self.query_pos.unsqueeze(1)"
            f", [Q, 1, D], beside the batch's maps); a design trains on batches, so make the "
            f"model take a batch of any size (there: self.query_pos.unsqueeze(1).repeat(1, "
            f"x.size(0), 1))")


def _follow_inplace(gm: fx.GraphModule) -> None:
    """An op that changes a tensor in place (``z.add_(y)``, ``x.relu_()``,
    ``nn.ReLU(inplace=True)``): the uses of that tensor after it read the changed tensor, so
    they are made to take the op's result (fx keeps them on the tensor as it was, and would
    drop an in-place op whose result is not used)."""
    order = {n: i for i, n in enumerate(gm.graph.nodes)}
    for node in list(gm.graph.nodes):
        if not node.args or not isinstance(node.args[0], fx.Node) or not _in_place(gm, node):
            continue
        at = order[node]
        node.args[0].replace_all_uses_with(
            node, delete_user_cb=lambda u, at=at: order.get(u, at + 1) > at)


def _in_place(gm: fx.GraphModule, node: fx.Node) -> bool:
    if node.op == "call_method":
        return node.target.endswith("_") and not node.target.startswith("_")
    if node.op == "call_module":
        return getattr(gm.get_submodule(node.target), "inplace", False) is True
    if node.op != "call_function":
        return False
    name = getattr(node.target, "__name__", "")
    if getattr(node.target, "__module__", "") in ("_operator", "operator"):
        return False
    return name.endswith("_") and not name.startswith("_") \
        or node.kwargs.get("inplace") is True \
        or name in ("relu", "relu6", "silu", "mish", "hardswish", "hardsigmoid", "elu",
                    "hardtanh") \
        and len(node.args) > 1 and node.args[-1] is True


def _argument_names(model: nn.Module) -> list[str]:
    """The names of ``model.forward``'s arguments, in order ([] where it has no signature)."""
    try:
        parameters = inspect.signature(model.forward).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def sample_inputs(model: nn.Module, shapes: Sequence[Sequence[int]],
                  dtypes: Sequence[str]) -> list[torch.Tensor]:
    """Random inputs of ``BATCH`` samples; token ids stay below the smallest vocabulary, and
    an int64 input named for a mask (``attention_mask``) holds ones and zeros, as a
    tokenizer's does."""
    generator = torch.Generator().manual_seed(0)
    vocab = min((m.num_embeddings for m in model.modules() if isinstance(m, nn.Embedding)),
                default=100)
    names = _argument_names(model)
    out = []
    for index, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        if dtype == "int64":
            mask = index < len(names) and "mask" in names[index].lower()
            out.append(torch.randint(0, 2 if mask else vocab, (BATCH, *shape),
                                     generator=generator))
        else:
            out.append(torch.randn((BATCH, *shape), generator=generator))
    return out

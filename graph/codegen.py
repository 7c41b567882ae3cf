"""``generate_code(graph)``: a valid graph as one standalone, readable PyTorch module.

The module imports only torch. It holds the few LayerLoom helper modules the graph uses (copied
from ``graph/modules.py``), one class per composite block (defined once, reused; its ``__init__``
takes the settings that differ between the places it is used), and the model's class, named
after the graph. ``forward`` has one line per node with its output shape as a comment.

Names come from ``graph/naming.py``, as the compiler's do, so the generated class loads a compiled
model's ``state_dict`` with ``strict=True`` and computes the same outputs. No text from the graph
reaches the source raw: ids and names become identifiers, values become ``repr`` literals, and
labels, names and descriptions appear only in comments, reduced to printable characters.

How a block's module is written: the block's own ``build`` runs while a profiler records the
arguments each module's ``__init__`` received, and the code repeats that call. So any block,
plugins included, is written exactly as it was built.
"""

from __future__ import annotations

import inspect
import math
import numbers
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrize import type_before_parametrizations

from .code_header import (
    comment,
    data_line,
    description_lines,
    io_lines,
    normalization_lines,
    normalization_source,
)
from .code_header import comment_block as _comment_block
from .compile import MERGES, SPLITS, build_layer, ordered, ports_of, split_call
from .errors import GraphError
from .model import Block, Graph
from .naming import RESERVED, Namespace, class_name, node_names
from .resolve import Level, NodeInfo, Resolution
from .summary import _frozen
from .validate import validate

HELPERS = "layerloom.graph.modules"


def generate_code(graph: Graph | dict, variables: Mapping[str, Any] | None = None,
                  class_name: str | None = None, data: str | None = None,
                  normalization: dict | None = None) -> str:
    """The source of a module defining the model of ``graph`` (class named after the graph, or
    ``class_name``, made a legal identifier). ``data``: the dataset the weights going with the
    code were trained on, for the header (see ``code_header``). ``normalization``: how those
    weights' training inputs were standardised (``kind``, ``mean``, ``std``, ``scale``); the
    code then says so in its header and defines ``INPUT_NORMALIZATION`` and
    ``standardize_input(raw)``. An invalid graph raises :class:`GraphError`."""
    report = validate(graph, variables)
    report.raise_if_invalid()
    return _Writer(report.resolution, class_name, data, normalization).write()


# -- what the source is made of ------------------------------------------------------------------

@dataclass(eq=False)
class Lit:
    value: Any
    source: str


@dataclass(eq=False)
class Arg:
    name: str  # parameter name ("*" for an element of *args)
    value: Any  # Lit | Call | Seq
    keyword: bool
    default: bool = False  # equal to the parameter's default: may be left out


@dataclass(eq=False)
class Call:
    callee: Any  # "nn.Conv2d", a helper's name, or a ClassDef
    args: list[Arg]


@dataclass(eq=False)
class Seq:
    items: list  # Call | InstanceRef


@dataclass(eq=False)
class Line:
    code: str
    shape: str | None = None
    note: str | None = None


@dataclass(eq=False)
class Instance:
    """One level (the model, or one copy of a composite block) as it will be written."""

    block: Block | None
    inputs: list[tuple[str, str]]  # (argument name, shape comment)
    init: list[tuple[str, Any]] = field(default_factory=list)  # (attribute, Call | Seq | Instance)
    lines: list[Line] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)
    children: list[Instance] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)  # attributes of nodes "trainable": false
    cls: ClassDef | None = None


@dataclass(eq=False)
class ClassDef:
    block: Block | None
    instances: list[Instance]
    name: str = ""
    params: list[tuple[str, str | None]] = field(default_factory=list)  # (name, annotation)
    slots: dict[tuple, str | None] = field(default_factory=dict)  # slot path -> param or None
    dropped: set = field(default_factory=set)  # slot paths left out (default everywhere)
    values: dict[int, dict[str, Lit]] = field(default_factory=dict)  # id(instance) -> args


# -- recording constructor calls -----------------------------------------------------------------

class _Recorder:
    """Records, for every nn.Module built while active, the arguments of its ``__init__``."""

    def __init__(self):
        self.calls: dict[int, tuple[nn.Module, Any, dict]] = {}

    def __call__(self, frame, event, arg):
        if event != "call" or frame.f_code.co_name != "__init__":
            return
        code = frame.f_code
        count = code.co_argcount + code.co_kwonlyargcount
        names = list(code.co_varnames[:count])
        if code.co_flags & inspect.CO_VARARGS:
            names.append(code.co_varnames[count])
            count += 1
        if code.co_flags & inspect.CO_VARKEYWORDS:
            names.append(code.co_varnames[count])
        if not names:
            return
        local = frame.f_locals
        obj = local.get(names[0])
        if isinstance(obj, nn.Module) and id(obj) not in self.calls:  # the most derived __init__
            values = {n: _freeze(local[n]) for n in names[1:] if n in local}
            self.calls[id(obj)] = (obj, code, values)

    def build(self, info: NodeInfo, layer) -> nn.Module:
        previous = sys.getprofile()
        sys.setprofile(self)
        try:
            return build_layer(info, layer)
        finally:
            if previous is None or callable(previous):
                sys.setprofile(previous)
            else:  # cProfile's C profiler: it cannot be handed back to setprofile
                sys.setprofile(None)
                previous.enable()


def _original_function(func, code, depth: int = 3):
    """``func`` if its code is ``code``, else the function it wraps with that code, found
    through ``__wrapped__`` or its closure (torch.compile's dynamo replaces
    ``nn.Module.__init__`` with a closure over the original, without ``__wrapped__``)."""
    if getattr(func, "__code__", None) is code:
        return func
    if depth == 0:
        return None
    inner = [getattr(func, "__wrapped__", None)]
    inner += [c.cell_contents for c in (getattr(func, "__closure__", None) or ())
              if callable(getattr(c, "cell_contents", None))]
    return next((f for f in (_original_function(i, code, depth - 1) for i in inner if i) if f),
                None)


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return type(value)(_freeze(v) for v in value) if type(value) in (list, tuple) else value
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    return value


# -- literals ------------------------------------------------------------------------------------

def literal(value) -> str:
    """Python source for a plain value; anything else raises TypeError."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, torch.dtype):
        return str(value)  # torch.float32
    raise TypeError(f"{type(value).__name__} {value!r}")


def shape_text(shape, dtype: str | None = None) -> str:
    text = "(" + ", ".join(["B"] + [str(d) for d in shape]) + ")"
    return text + " int64" if dtype == "int64" else text


def _collapsible(annotation) -> bool:
    """A parameter that takes ``n`` or ``(n, n)`` alike (torch's ``_size_2_t``...)."""
    if isinstance(annotation, str):
        return "_size_" in annotation or "_ratio_" in annotation
    args = typing.get_args(annotation)
    scalar = any(a in (int, float) for a in args)
    return scalar and any(typing.get_origin(a) is tuple for a in args)


def _same(value, default) -> bool:
    if default is inspect.Parameter.empty or type(value) is not type(default):
        return False
    return value == default


# -- the writer ----------------------------------------------------------------------------------

class _Writer:
    def __init__(self, res: Resolution, class_name: str | None, data: str | None = None,
                 normalization: dict | None = None):
        self.res = res
        self.class_name = class_name
        self.data = data
        self.normalization = normalization
        self.recorder = _Recorder()
        self.helpers: dict[str, type] = {}  # copied from graph/modules.py
        self.imports: dict[str, tuple[str, str]] = {}  # plugin classes: name -> (module, class)
        self.identifiers: set[str] = set()  # every name used, classes must avoid them

    # - walking the resolution -

    def instance(self, level: Level, ids: list[str], block: Block | None) -> Instance:
        names = node_names(ids)
        self.identifiers.update(names.values())
        inputs = ordered(level.inputs, ids)
        inst = Instance(block, [(names[i], shape_text(level.nodes[i].shape, level.nodes[i].dtype))
                                for i in inputs])
        var = {i: names[i] for i in inputs}
        port_vars: dict[str, list[str]] = {}  # a node with several outputs: a name per port
        ns = Namespace()
        ns.taken.update(names.values())
        for node_id, info in level.nodes.items():
            if not info.used or info.type == "Input":
                continue
            args = [var[source] if port is None else port_vars[source][port]
                    for source, port in zip(info.inputs, ports_of(info))]
            if info.type == "Output":
                var[node_id] = args[0]
                continue
            name = names[node_id]
            if info.repeat == 0:
                var[node_id] = args[0]
                inst.lines.append(Line(f"# {name}: repeat 0, passes {args[0]} through"))
                continue
            var[node_id] = name
            target = name
            shape = shape_text(info.shape, info.dtype)
            if info.ports is not None:  # several outputs: unpacked, one name per port
                port_vars[node_id] = [ns.name(f"{name}_{port}") for port in info.ports]
                target = ", ".join(port_vars[node_id])
                shape = ", ".join(shape_text(s, d) for s, d in zip(info.port_shapes,
                                                                   info.port_dtypes))
            if info.spec is not None and info.type in MERGES:
                code = self.merge(info, args, name)
            elif info.spec is not None and info.type in SPLITS:
                function, how, dim = split_call(info)
                code = (f"{target} = torch.{function.__name__}({args[0]}, {literal(how)}, "
                        f"dim={dim})")
            else:
                inst.init.append((name, self.node_expr(info, inst)))
                if info.node.extra.get("trainable") is False:
                    inst.frozen.append(name)
                joined = ", ".join(args)
                if info.spec is not None and info.spec.ports.kind == "variadic":
                    joined = f"[{joined}]"
                code = f"{target} = self.{name}({joined})"
                if info.repeat > 1 and len(args) > 1:  # copies in turn, each given the mask
                    layer = ns.name("layer")
                    inst.lines.append(Line(f"{target} = {args[0]}"))
                    inst.lines.append(Line(f"for {layer} in self.{name}:"))
                    code = f"    {target} = {layer}({target}, {', '.join(args[1:])})"
            label = comment(info.node.label) if info.node.label else None
            inst.lines.append(Line(code, shape, label))
        inst.returns = [var[o] for o in ordered(level.outputs, ids) if level.nodes[o].used]
        return inst

    def merge(self, info: NodeInfo, args: list[str], name: str) -> str:
        if info.type == "Concat":
            dim = build_layer(info, info.copies[0]).dim
            return f"{name} = torch.cat([{', '.join(args)}], dim={dim})"
        return f"{name} = " + (" + " if info.type == "Add" else " * ").join(args)

    def node_expr(self, info: NodeInfo, parent: Instance):
        if info.block is not None:
            ids = [n.id for n in info.block.nodes]
            copies = [self.instance(level, ids, info.block) for level in info.copies]
            parent.children.extend(copies)
        else:
            copies = [self.call(self.recorder.build(info, layer), info.path)
                      for layer in info.copies]
        return copies[0] if len(copies) == 1 else Seq(copies)

    def call(self, module: nn.Module, where: str) -> Call:
        record = self.recorder.calls.get(id(module))
        if record is None:
            raise GraphError(f"cannot write {type(module).__name__} as code: its block did not "
                             f"build it through its constructor", node=where)
        obj, code, values = record
        func = next((f for k in type(obj).__mro__ if "__init__" in vars(k)
                     for f in [_original_function(vars(k)["__init__"], code)] if f), None)
        if func is None:  # a decorated __init__: its arguments cannot be matched safely
            raise GraphError(f"cannot write {type(obj).__name__} as code: its __init__ is "
                             f"wrapped", node=where)
        params = list(inspect.signature(func).parameters.values())[1:]
        # a weight-normed layer's class is torch's parametrised subclass, made at run time;
        # the code writes the layer's own class (the WeightNorm around it parametrises it)
        callee = self.callee(type_before_parametrizations(obj), where)
        star = any(p.kind is p.VAR_POSITIONAL and values.get(p.name) for p in params)
        args: list[Arg] = []
        positional = True
        for index, p in enumerate(params):
            if p.name not in values:
                continue
            value = values[p.name]
            if p.kind is p.VAR_POSITIONAL:
                args += [Arg("*", self.value(v, where), False) for v in value]
            elif p.kind is p.VAR_KEYWORD:
                for key, v in value.items():
                    if not str(key).isidentifier() or key in RESERVED:
                        raise GraphError(f"cannot write {type(obj).__name__} as code: keyword "
                                         f"{key!r}", node=where)
                    args.append(Arg(key, self.value(v, where), True))
            else:
                if (_collapsible(p.annotation) and isinstance(value, tuple) and value
                        and len({(type(v), v) for v in value}) == 1):
                    value = value[0]
                required = p.default is p.empty
                if p.kind is p.POSITIONAL_ONLY or star or (required and index < 2 and positional):
                    args.append(Arg(p.name, self.value(value, where), False))
                    continue
                positional = False
                args.append(Arg(p.name, self.value(value, where), True, _same(value, p.default)))
        return Call(callee, args)

    def value(self, value, where: str):
        if isinstance(value, nn.Module):
            return self.call(value, where)
        try:
            return Lit(value, literal(value))
        except TypeError as exc:
            raise GraphError(f"cannot write a constructor argument as code: {exc}",
                             node=where) from None

    def callee(self, cls: type, where: str) -> str:
        if cls.__module__ == HELPERS:
            self.helpers[cls.__name__] = cls
            return cls.__name__
        if getattr(nn, cls.__name__, None) is cls:
            return f"nn.{cls.__name__}"
        path = f"{cls.__module__}.{cls.__qualname__}"
        if not all(part.isidentifier() for part in path.split(".")):
            raise GraphError(f"cannot write {path} as code", node=where)
        if cls.__module__.split(".")[0] == "torch":
            return path
        self.imports[cls.__qualname__] = (cls.__module__, cls.__qualname__)
        return cls.__qualname__

    # - classes -

    def classes(self, top: Instance) -> list[ClassDef]:
        everything: list[Instance] = []
        depth: dict[int, int] = {}

        def walk(inst: Instance) -> int:
            d = 1 + max((walk(c) for c in inst.children), default=0)
            depth[id(inst)] = d
            everything.append(inst)
            return d

        walk(top)
        defs: list[ClassDef] = []
        for d in sorted(set(depth.values())):
            groups: dict[Any, ClassDef] = {}
            for inst in everything:
                if depth[id(inst)] != d:
                    continue
                inst.init = [(attr, self.resolve_refs(expr)) for attr, expr in inst.init]
                key = (id(inst.block) if inst.block else None,
                       tuple(line.code for line in inst.lines), tuple(inst.returns),
                       tuple(name for name, _ in inst.inputs), tuple(inst.frozen),
                       tuple((attr, _skeleton(expr)) for attr, expr in inst.init))
                if key not in groups:
                    groups[key] = ClassDef(inst.block, [])
                    defs.append(groups[key])
                groups[key].instances.append(inst)
                inst.cls = groups[key]
            for cd in groups.values():
                self.settle(cd)
        return defs

    def resolve_refs(self, expr):
        if isinstance(expr, Instance):
            cd = expr.cls
            return Call(cd, [Arg(name, lit, True) for name, lit in cd.values[id(expr)].items()])
        if isinstance(expr, Seq):
            return Seq([self.resolve_refs(e) for e in expr.items])
        return expr

    def settle(self, cd: ClassDef) -> None:
        """Which constructor arguments differ between the instances: those become params."""
        slots = [dict(_slots(inst)) for inst in cd.instances]
        ns = Namespace()
        by_column: dict[tuple, str] = {}
        for path, arg in _slots(cd.instances[0]):
            column = tuple(s[path].value.source for s in slots)
            if len(set(column)) == 1:
                cd.slots[path] = None
                if all(s[path].default for s in slots):
                    cd.dropped.add(path)
                continue
            if column not in by_column:
                base = arg.name if arg.name != "*" else f"{path[0]}_arg"
                if base in ns.taken or base in by_column.values():
                    base = f"{path[0]}_{base}"
                name = ns.name(base)
                by_column[column] = name
                values = [s[path].value.value for s in slots]
                cd.params.append((name, _annotation(values)))
                for inst, s in zip(cd.instances, slots):
                    cd.values.setdefault(id(inst), {})[name] = s[path].value
            cd.slots[path] = by_column[column]
        for inst in cd.instances:
            cd.values.setdefault(id(inst), {})
        self.identifiers.update(name for name, _ in cd.params)

    # - rendering -

    def write(self) -> str:
        res = self.res
        top = self.instance(res.top, [n.id for n in res.graph.nodes], None)
        defs = self.classes(top)
        taken = set(self.helpers) | set(self.imports) | self.identifiers
        if self.normalization:  # module-level names of the generated code
            taken |= {"INPUT_NORMALIZATION", "standardize_input"}
        main = defs[-1]
        main.name = class_name(self.class_name or res.graph.name, taken)
        taken.add(main.name)
        for cd in defs[:-1]:
            cd.name = class_name(cd.block.name, taken)
            taken.add(cd.name)
        out = [
            "# Generated by LayerLoom: a standalone PyTorch model.",
            "# Load weights with model.load_state_dict(...); edit freely.",
            f"# Graph: {comment(res.graph.name)}",
        ]
        names = node_names([n.id for n in res.graph.nodes])
        ids = [n.id for n in res.graph.nodes]
        out += io_lines(res.top, [(names[i], i) for i in ordered(res.top.inputs, ids)],
                        [(names[o], o) for o in ordered(res.top.outputs, ids)
                         if res.top.nodes[o].used])
        out += data_line(self.data)
        out += normalization_lines(self.normalization)
        out += description_lines(res.graph, res.top, self.data)
        params = res.top.n_params
        frozen = _frozen(res.top)
        out.append(f"# Parameters: {params:,}" + (
            f" (trainable {params - frozen:,}: blocks marked frozen for fine-tuning)"
            if frozen else ""))
        out.append("")
        if any(len(cd.instances[0].returns) > 1 for cd in defs):
            out += ["from typing import Tuple", ""]
        out += ["import torch", "from torch import Tensor, nn"]
        for module, qualname in sorted(self.imports.values()):
            out.append(f"from {module} import {qualname}  # a plugin block's module")
        if self.normalization:
            out += ["", ""] + normalization_source(self.normalization)
        for name in sorted(self.helpers):
            source = inspect.getsource(self.helpers[name]).rstrip()
            out += ["", "", source]
        for cd in defs:
            out += ["", ""] + self.render_class(cd)
        out += ["", "", 'if __name__ == "__main__":', f"    model = {main.name}().eval()"]
        samples = []
        for input_id in ordered(res.top.inputs, [n.id for n in res.graph.nodes]):
            info = res.top.nodes[input_id]
            dims = ", ".join(str(d) for d in (2,) + tuple(info.shape))
            dtype = ", dtype=torch.long" if info.dtype == "int64" else ""
            samples.append(f"torch.zeros({dims}{dtype})")
        out.append(f"    outputs = model({', '.join(samples)})")
        if len(top.returns) > 1:
            out.append("    print([tuple(o.shape) for o in outputs])")
        else:
            out.append("    print(tuple(outputs.shape))")
        return "\n".join(out) + "\n"

    def render_class(self, cd: ClassDef) -> list[str]:
        first = cd.instances[0]
        out = []
        if cd.block is not None:
            text = f"The composite block {comment(cd.block.name)}"
            if cd.block.description:
                text += f": {cd.block.description}"
            out += _comment_block(text, 300)
        out.append(f"class {cd.name}(nn.Module):")
        params = "".join(f", {name}: {ann}" if ann else f", {name}" for name, ann in cd.params)
        out.append(f"    def __init__(self{params}):")
        out.append("        super().__init__()")
        for attr, expr in first.init:
            out.append(f"        self.{attr} = {self.render(cd, expr, (attr,), 8)}")
        if first.frozen:
            out.append("        # frozen for fine-tuning (\"trainable\": false): no gradients")
            out += [f"        self.{attr}.requires_grad_(False)" for attr in first.frozen]
        args = ", ".join(f"{name}: Tensor" for name, _ in first.inputs)
        returns = "Tensor" if len(first.returns) == 1 else \
            "Tuple[" + ", ".join(["Tensor"] * len(first.returns)) + "]"
        out += ["", f"    def forward(self{', ' if args else ''}{args}) -> {returns}:"]
        for k, (name, _) in enumerate(first.inputs):
            out.append(f"        # {name}: {_merged([i.inputs[k][1] for i in cd.instances])}")
        for k, line in enumerate(first.lines):
            text = line.code
            if line.shape:
                text += f"  # {_merged([i.lines[k].shape for i in cd.instances])}"
                if line.note:
                    text += f"  {line.note}"
            out.append("        " + text)
        out.append("        return " + ", ".join(first.returns))
        if first.frozen:
            frozen = ", ".join(f"self.{attr}" for attr in first.frozen)
            out += ["", f"    def train(self, mode: bool = True) -> \"{cd.name}\":",
                    "        super().train(mode)",
                    "        # frozen blocks' batch norms keep their running statistics: they "
                    "stay in eval mode",
                    f"        for frozen in ({frozen},):",
                    "            for module in frozen.modules():",
                    "                if isinstance(module, nn.modules.batchnorm._BatchNorm):",
                    "                    module.eval()",
                    "        return self"]
        return out

    def render(self, cd: ClassDef, expr, path: tuple, indent: int) -> str:
        if isinstance(expr, Seq):
            items = [self.render(cd, e, path + (i,), indent + 4) for i, e in enumerate(expr.items)]
            one_line = "nn.Sequential(" + ", ".join(items) + ")"
            if len(one_line) + indent <= 90:
                return one_line
            pad = " " * (indent + 4)
            return "nn.Sequential(\n" + "".join(f"{pad}{i},\n" for i in items) + " " * indent + ")"
        callee = expr.callee.name if isinstance(expr.callee, ClassDef) else expr.callee
        parts = []
        for j, arg in enumerate(expr.args):
            where = path + (j,)
            if isinstance(arg.value, Lit):
                if where in cd.dropped:
                    continue
                param = cd.slots.get(where)
                text = param if param else arg.value.source
            else:
                text = self.render(cd, arg.value, where, indent)
            parts.append(f"{arg.name}={text}" if arg.keyword else text)
        return f"{callee}({', '.join(parts)})"


def _skeleton(expr):
    if isinstance(expr, Seq):
        return ("seq", tuple(_skeleton(e) for e in expr.items))
    if isinstance(expr, Lit):
        return "lit"
    callee = id(expr.callee) if isinstance(expr.callee, ClassDef) else expr.callee
    return ("call", callee, tuple((a.name, a.keyword, _skeleton(a.value)) for a in expr.args))


def _slots(inst: Instance):
    """``(path, Arg)`` for every literal argument in an instance's ``__init__``, in order."""
    def walk(expr, path):
        if isinstance(expr, Seq):
            for i, e in enumerate(expr.items):
                yield from walk(e, path + (i,))
            return
        for j, arg in enumerate(expr.args):
            if isinstance(arg.value, Lit):
                yield path + (j,), arg
            else:
                yield from walk(arg.value, path + (j,))

    for attr, expr in inst.init:
        yield from walk(expr, (attr,))


def _annotation(values: list) -> str | None:
    for kind in (bool, int, float, str):
        if all(type(v) is kind for v in values):
            return kind.__name__
    return None


def _merged(shapes: list[str | None]) -> str:
    """The shapes one line of a reused class sees: ``A``, ``A or B``, or ``first … last``."""
    distinct = list(dict.fromkeys(s for s in shapes if s))
    if len(distinct) > 2:
        return f"{distinct[0]} … {distinct[-1]}"
    return " or ".join(distinct)

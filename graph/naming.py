"""Python names for graph ids: one rule shared by the compiler and code generation.

Node ids become submodule attributes (so ``state_dict`` keys read ``conv1.weight``) and local
variables of ``forward``; the graph's and composite blocks' names become class names. Both the
compiled model and the generated source must agree on every name, so both ask this module.

Any text becomes a legal, unique identifier, never raw source: characters outside
``[A-Za-z0-9_]`` (unicode letters after accent folding, quotes, newlines...) turn into ``_``, a
leading digit gets a ``_`` in front (as do leading double underscores, which a class would
mangle), a keyword, builtin or ``nn.Module`` attribute gets a ``_`` after it, and a name already
taken gets ``_1``, ``_2``...

>>> ns = Namespace()
>>> [ns.name(x) for x in ("conv1", "conv-1", "class", "1st", "forward", "conv1", "", "__import__")]
['conv1', 'conv_1', 'class_', '_1st', 'forward_', 'conv1_1', '_', '_import__']
>>> class_name("seed-cnn"), class_name("résumé net"), class_name("def")
('SeedCnn', 'ResumeNet', 'Def')
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable

from torch import fx, nn

_ILLEGAL = re.compile(r"[^0-9A-Za-z_]")

# Names the generated module itself uses, fx's own globals, and everything an nn.Module (or an
# fx GraphModule) already has as an attribute: a submodule named ``forward`` or ``training``
# would break the model.
# Only Python's own builtins, not what a shell adds (``_``, IPython's ``display``): the same graph
# must get the same names in every process.
_BUILTINS = [name for name, obj in vars(builtins).items()
             if getattr(obj, "__module__", None) == "builtins" and not name.startswith("_")]
RESERVED = frozenset(
    keyword.kwlist + _BUILTINS + ["Ellipsis", "NotImplemented"]
    + ["self", "torch", "nn", "Tensor", "typing", "List", "Optional", "Tuple", "operator",
       "inf", "nan", "NoneType", "device", "fx_pytree", "pytree", "F",
       "l", "O", "I"]  # E741: names linters reject as ambiguous
    + dir(nn.Module()) + dir(nn.Sequential()) + dir(fx.GraphModule(nn.Module(), fx.Graph()))
)


def ascii_identifier(text: str) -> str:
    """``text`` folded to ``[A-Za-z0-9_]`` with no leading digit; never empty."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    name = _ILLEGAL.sub("_", folded) or "_"
    if name[0].isdigit():
        name = "_" + name
    return name


class Namespace:
    """Hands out legal, unique identifiers, like ``torch.fx``'s ``_Namespace``."""

    def __init__(self, reserved: Iterable[str] = RESERVED):
        self.reserved = frozenset(reserved)
        self.taken: set[str] = set()

    def name(self, text: str) -> str:
        base = ascii_identifier(text)
        if base.startswith("__"):  # a class would mangle ``self.__x`` to ``self._Cls__x``
            base = "_" + base.lstrip("_")
        if base in self.reserved:
            base += "_"
        candidate, i = base, 0
        while candidate in self.taken or candidate in self.reserved:
            i += 1
            candidate = f"{base}_{i}"
        self.taken.add(candidate)
        return candidate


def node_names(ids: Iterable[str], reserved: Iterable[str] = RESERVED) -> dict[str, str]:
    """Attribute/variable name of every node id of one graph level, in the order given.

    The compiler and the code generator both call this with the ids in the order the graph (or
    the composite block) lists its nodes, so they name every submodule alike.
    """
    ns = Namespace(reserved)
    return {node_id: ns.name(node_id) for node_id in ids}


def class_name(text: str, taken: Iterable[str] = ()) -> str:
    """A CamelCase class name for a graph or block name, not in ``taken``.

    >>> class_name("resnet_18"), class_name("", ["Model"])
    ('Resnet18', 'Model2')
    """
    words = [w for w in re.split(r"_+", ascii_identifier(text)) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    if name[0].isdigit():
        name = "Model" + name
    if name in RESERVED:
        name += "Model"
    taken = set(taken)
    candidate, i = name, 2
    while candidate in taken:
        candidate = f"{name}{i}"
        i += 1
    return candidate


# top-level modules a generated file must not shadow: it imports torch (and users import these
# beside it), and a file named ``torch.py`` would be imported in torch's place
_SHADOWED = frozenset(sys.stdlib_module_names) | {"torch", "torchvision", "numpy", "safetensors",
                                                   "onnx", "onnxruntime", "layerloom"}


def module_name(text: str | None) -> str:
    """A file stem that Python can import as a module: lowercase ``[a-z0-9_]``, one ``_`` for
    each run of anything else, no leading digit, at most 64 characters, never a keyword nor the
    name of a module the file would shadow; ``model`` when nothing is left.

    >>> module_name("seed-cnn"), module_name("seed-cnn-run3"), module_name("My net!")
    ('seed_cnn', 'seed_cnn_run3', 'my_net')
    >>> module_name("3 layers"), module_name("class"), module_name("torch"), module_name("--")
    ('model_3_layers', 'class_', 'torch_model', 'model')
    """
    folded = ascii_identifier(str(text or "")).lower()
    name = re.sub(r"_+", "_", folded).strip("_")[:64].strip("_")
    if not name:
        return "model"
    if name[0].isdigit():
        name = "model_" + name
    if keyword.iskeyword(name):
        name += "_"
    elif name in _SHADOWED:
        name += "_model"
    return name


def shadowed_module(stem: str) -> str | None:
    """What a file named ``STEM.py`` would be imported in place of, in its folder: ``Python's
    own json module``, ``the torch package``; None for a name no module of the kind has.

    >>> shadowed_module("json"), shadowed_module("torch"), shadowed_module("my_net")
    ("Python's own json module", 'the torch package', None)
    """
    if stem in sys.stdlib_module_names:
        return f"Python's own {stem} module"
    return f"the {stem} package" if stem in _SHADOWED else None


def file_stem(name: str | None, default: str = "model") -> str:
    """A file name stem from a graph's or run's name, for a download or an export: lowercase
    letters, digits, ``.``, ``_`` and ``-``, runs of anything else one ``-``, at most 64
    characters; ``default`` when nothing is left.

    >>> file_stem("/etc/passwd"), file_stem("My net!"), file_stem(".."), file_stem("", "design")
    ('etc-passwd', 'my-net', 'model', 'design')
    """
    text = re.sub(r"[^a-z0-9._-]+", "-", str(name or "").lower())
    text = text.strip(".-_")[:64].strip(".-_")
    return text or default

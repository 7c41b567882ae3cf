"""The block library: one :class:`BlockSpec` per block type, registered by name.

Everything that needs to know a block reads its spec: the validator (params, ports, shape rule),
summaries (params, MACs), the compiler (``build``), the UI palette and inspector, and the docs.
Third parties add blocks through the entry-point group ``layerloom.blocks``: each entry point
names a module (registering on import) or a callable returning a spec or a list of specs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from .errors import GraphError
from .params import Param

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Ports:
    """A block's inputs: ``none`` (Input), ``single``, ``named`` (query/key/value) or
    ``variadic`` (Add, Concat). ``min``/``max`` bound how many may be connected."""

    kind: str = "single"
    names: tuple[str, ...] = ()
    min: int = 1
    max: int | None = 1

    def describe(self) -> dict:
        return {"kind": self.kind, "names": list(self.names), "min": self.min, "max": self.max}


NONE = Ports("none", min=0, max=0)
SINGLE = Ports()


def _zero(p: dict, ins: Sequence[Shape], out: Shape) -> int:
    return 0


@dataclass(frozen=True)
class BlockSpec:
    """Everything LayerLoom knows of one block type.

    ``infer(p, ins)`` returns the output shape (no batch) from the coerced params ``p`` and the
    input shapes, raising :class:`~layerloom.graph.errors.ShapeError` when they do not fit;
    ``inferred`` maps sizes that follow from the input (``in_channels``…) to functions of the
    input shapes; ``build(p, ins)`` returns the ``torch.nn`` module; ``count_params`` and ``macs``
    give its trainable parameters and the multiply-accumulates of one sample's forward pass.
    """

    type: str
    category: str
    help: str
    infer: Callable[[dict, Sequence[Shape]], Shape]
    build: Callable[[dict, Sequence[Shape]], Any]
    params: tuple[Param, ...] = ()
    ports: Ports = SINGLE
    count_params: Callable[[dict, Sequence[Shape], Shape], int] = _zero
    macs: Callable[[dict, Sequence[Shape], Shape], int] = _zero
    inferred: dict[str, Callable[[Sequence[Shape]], Any]] = field(default_factory=dict)
    input_dtype: str = "float"  # "float" | "int" | "any"
    # a dtype per input port where they differ (attention's key_padding_mask takes int64 among
    # float ports): port i takes port_dtypes[i], a port past its end takes input_dtype
    port_dtypes: tuple[str, ...] = ()
    # named input ports that a repeated node gives to every copy (a padding mask), while its
    # first input goes through the copies one after another
    shared_ports: tuple[str, ...] = ()
    output_dtype: str = "float"  # "float" | "same"
    key_params: tuple[str, ...] = ()
    doc_url: str | None = None
    # (params, input shapes) pairs the registry-wide test runs through a real forward pass
    examples: tuple[tuple[dict, tuple[Shape, ...]], ...] = ()
    # A block with several outputs declares them here: ``outputs(p, ins)`` gives its named
    # output ports with their shapes, ``[(name, shape), ...]`` (``infer`` gives the first one's
    # shape); its module returns a tuple, one tensor per port, and an edge from it picks one with
    # ``source_port``. None: one output, as most blocks have.
    outputs: Callable[[dict, Sequence[Shape]], Sequence[tuple[str, Shape]]] | None = None

    def port_dtype(self, index: int) -> str:
        """What input port ``index`` takes: "float", "int" or "any"."""
        return self.port_dtypes[index] if index < len(self.port_dtypes) else self.input_dtype

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def has_weights(self) -> bool:
        """Whether the block can hold trainable parameters (it counts them): a ReLU, an Add
        or a MaxPool2d has none to freeze."""
        return self.count_params is not _zero

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params if not p.inferred}

    def describe(self) -> dict:
        """A JSON-ready form for the palette, the inspector and the docs."""
        return {"type": self.type, "category": self.category, "help": self.help,
                "doc_url": self.doc_url, "ports": self.ports.describe(),
                "params": [p.describe() for p in self.params if not p.inferred],
                "inferred": [p.name for p in self.params if p.inferred],
                "key_params": list(self.key_params),
                "outputs": "several" if self.outputs is not None else "one"}


_REGISTRY: dict[str, BlockSpec] = {}
_plugins_loaded = False


def register(spec: BlockSpec) -> BlockSpec:
    """Add ``spec`` to the library and return it unchanged; a second spec of a type replaces
    nothing and is an error."""
    if spec.type in _REGISTRY and _REGISTRY[spec.type] is not spec:
        raise ValueError(f"block type {spec.type!r} is registered twice")
    _REGISTRY[spec.type] = spec
    return spec


def get_block(type_name: str) -> BlockSpec:
    """The spec of ``type_name``; an unknown name raises with the nearest names."""
    _load_plugins()
    spec = _REGISTRY.get(type_name)
    if spec is None:
        raise GraphError(unknown_type_message(type_name, ()))
    return spec


def find_block(type_name: str) -> BlockSpec | None:
    _load_plugins()
    return _REGISTRY.get(type_name)


def all_blocks() -> list[BlockSpec]:
    _load_plugins()
    return list(_REGISTRY.values())


# Keras' names for layers that have a block under PyTorch's name: a design written from a
# Keras model (the design note's example is one) is pointed at the block to use.
KERAS_NAMES = {
    "dense": ("Linear",), "conv1d": ("Conv1d",), "conv2d": ("Conv2d",), "conv3d": ("Conv3d",),
    "conv2dtranspose": ("ConvTranspose2d",), "conv1dtranspose": ("ConvTranspose1d",),
    "depthwiseconv2d": ("Conv2d",), "maxpooling1d": ("MaxPool1d",),
    "maxpooling2d": ("MaxPool2d",), "averagepooling1d": ("AvgPool1d",),
    "averagepooling2d": ("AvgPool2d",), "globalaveragepooling1d": ("AdaptiveAvgPool1d",),
    "globalaveragepooling2d": ("AdaptiveAvgPool2d",), "globalmaxpooling1d": ("AdaptiveMaxPool1d",),
    "globalmaxpooling2d": ("AdaptiveMaxPool2d",),
    "batchnormalization": ("BatchNorm2d", "BatchNorm1d"),
    "layernormalization": ("LayerNorm",), "groupnormalization": ("GroupNorm",),
    "multiheadattention": ("MultiheadAttention",), "simplernn": ("RNN",),
    "zeropadding2d": ("ZeroPad2d",), "upsampling2d": ("Upsample",),
    "concatenate": ("Concat",), "spatialdropout2d": ("Dropout2d",),
}


def unknown_type_message(type_name: str, extra_names: Sequence[str]) -> str:
    """``unknown block type 'Conv2D' (did you mean 'Conv2d'?)``; Keras' names are pointed at
    their blocks (``'Dense'`` → ``'Linear'``)."""
    _load_plugins()
    names = list(_REGISTRY) + list(extra_names)
    by_lower = {n.lower(): n for n in names}
    close = [n for n in KERAS_NAMES.get(str(type_name).lower(), ()) if n in _REGISTRY]
    if str(type_name).lower() in by_lower and by_lower[str(type_name).lower()] not in close:
        close.append(by_lower[str(type_name).lower()])
    for match in difflib.get_close_matches(str(type_name).lower(), list(by_lower), n=3,
                                           cutoff=0.6):
        if by_lower[match] not in close:
            close.append(by_lower[match])
    hint = ""
    if close:
        hint = " (did you mean " + " or ".join(f"'{c}'" for c in close[:3]) + "?)"
    return f"unknown block type '{type_name}'{hint}"


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from . import blocks

    for ep in entry_points(group="layerloom.blocks"):
        loaded = ep.load()
        if callable(loaded) and not isinstance(loaded, type(blocks)):
            result = loaded()
            for spec in (result if isinstance(result, (list, tuple)) else [result]):
                if isinstance(spec, BlockSpec) and spec.type not in _REGISTRY:
                    register(spec)

"""Linear layers stacked with no activation between them: ``conv1 → conv2``, ``fc1 → fc2``
(through a Flatten, a Dropout or a BatchNorm, which are linear too) compute one linear map, so
the second adds weights and no power. A user from Keras writes ``Dense(64, activation='relu')``;
here the activation is a block of its own, and a design without it is valid but weaker than
meant: a warning on the second block names both and the fix."""

from __future__ import annotations

from typing import Iterator, Protocol

# layers that compute a linear (affine) map of their input
LINEAR_MAPS = frozenset({"Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
                         "ConvTranspose2d"})
# blocks between two of them that keep the whole linear: a reshape, a dropout (the identity
# once trained), a batch norm (an affine map once trained)
STILL_LINEAR = frozenset({"Identity", "Flatten", "Unflatten", "Reshape", "Dropout", "Dropout2d",
                          "BatchNorm1d", "BatchNorm2d"})
KERAS = {"Linear": "Dense(…, activation='relu')", "Conv1d": "Conv1D(…, activation='relu')",
         "Conv2d": "Conv2D(…, activation='relu')", "Conv3d": "Conv3D(…, activation='relu')"}


class _Info(Protocol):  # what this reads of a resolved node (resolve.NodeInfo)
    path: str
    inputs: list[str]
    repeat: int
    used: bool
    shape: tuple[int, ...] | None  # None: not worked out (an error on it or before it)

    @property
    def type(self) -> str: ...


def stacked_linear(nodes: dict[str, _Info]) -> Iterator[tuple[str, str]]:
    """``(path, message)`` for each linear layer fed by another with no activation between
    (``nodes``: one resolved level's nodes by id), and for a linear layer repeated with no
    activation in it.

    >>> from types import SimpleNamespace as N
    >>> def n(path, kind, *inputs):
    ...     return N(path=path, type=kind, inputs=list(inputs), repeat=1, used=True, shape=(4,))
    >>> level = {"x": n("x", "Input"), "fc1": n("fc1", "Linear", "x"),
    ...          "drop": n("drop", "Dropout", "fc1"), "fc2": n("fc2", "Linear", "drop")}
    >>> [path for path, _ in stacked_linear(level)]
    ['fc2']
    """
    def live(node_id: str) -> bool:  # in the model, and worked out: errors are said first
        info = nodes.get(node_id)
        return info is not None and info.used and info.shape is not None

    for node_id, info in nodes.items():
        if info.type not in LINEAR_MAPS or not live(node_id) or info.repeat == 0:
            continue
        if info.repeat >= 2:
            yield info.path, (f"its {info.repeat} copies follow one another with no activation "
                              f"between, so together they are one linear map: repeat a "
                              f"composite block of {info.type} → ReLU instead (select "
                              f"{info.path} and a ReLU after it, Group as block)")
        if len(info.inputs) != 1:
            continue
        between: list[str] = []
        source = info.inputs[0]
        while live(source) and nodes[source].type in STILL_LINEAR and \
                len(nodes[source].inputs) == 1:
            between.append(nodes[source].path)
            source = nodes[source].inputs[0]
        if not live(source) or nodes[source].type not in LINEAR_MAPS or \
                nodes[source].repeat == 0:
            continue
        first = nodes[source]
        via = f" (through {', '.join(reversed(between))})" if between else ""
        yield info.path, (f"{first.path} ({first.type}) → {info.path} ({info.type}) with no "
                          f"activation between{via}: together they are one linear map, so "
                          f"{info.path} adds weights but nothing the model could not do "
                          f"without it. {_fix(info, first.path)}")


def _fix(info: _Info, before: str) -> str:
    """Where the activation goes, and how it differs from Keras."""
    keras = KERAS.get(info.type)
    said = (f"; an activation is a block of its own here: Keras' {keras} is {info.type} → ReLU"
            if keras else "")
    return f"Add a ReLU (or another activation) block between {before} and {info.path}{said}."

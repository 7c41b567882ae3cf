"""The canvas component alone, on a hard-coded graph: ``streamlit run ui/canvas/demo_app.py``.

For manual and browser tests of the component; the real designer pages live elsewhere. It keeps
the edited level and a plain undo/redo history in the session, and prints the last event.
``?theme=dark`` shows the dark theme; ``?big=300`` a 300-block graph instead.
"""

from __future__ import annotations

import copy
import json

import streamlit as st

from layerloom.ui.canvas import canvas, events

CANVAS_KEY = "demo_canvas"


def _param(name, kind, default, help_, **extra):
    return {"name": name, "kind": kind, "default": default, "choices": None, "help": help_,
            **extra}


_TORCH = "https://pytorch.org/docs/stable/generated/torch.nn.{}.html"
_SINGLE = {"kind": "single"}

CATALOG = [
    {"type": "Input", "category": "I/O", "help": "A model input of a given shape.",
     "doc_url": "", "ports": {"kind": "none"}, "key_params": ["shape"],
     "params": [_param("shape", "shape", [1, 28, 28], "Shape without the batch dimension.")]},
    {"type": "Output", "category": "I/O", "help": "Marks what the model returns.",
     "doc_url": "", "ports": _SINGLE, "key_params": [], "params": []},
    {"type": "Conv2d", "category": "Convolution", "help": "2-D convolution.",
     "doc_url": _TORCH.format("Conv2d"), "ports": _SINGLE,
     "key_params": ["out_channels", "kernel_size"],
     "params": [_param("out_channels", "int", 32, "Output channels.", min=1),
                _param("kernel_size", "ints", 3, "Kernel size."),
                _param("stride", "ints", 1, "Stride."),
                _param("padding", "ints", 0, "Zero padding."),
                _param("bias", "bool", True, "Learn a bias.")]},
    {"type": "BatchNorm2d", "category": "Normalisation", "help": "Batch normalisation.",
     "doc_url": _TORCH.format("BatchNorm2d"), "ports": _SINGLE, "key_params": [],
     "params": [_param("eps", "float", 1e-5, "Added to the variance.")]},
    {"type": "ReLU", "category": "Activation", "help": "max(0, x).",
     "doc_url": _TORCH.format("ReLU"), "ports": _SINGLE, "key_params": [], "params": []},
    {"type": "Softmax", "category": "Activation", "help": "Softmax over a dimension.",
     "doc_url": _TORCH.format("Softmax"), "ports": _SINGLE, "key_params": ["dim"],
     "params": [_param("dim", "int", -1, "Dimension.")]},
    {"type": "MaxPool2d", "category": "Pooling", "help": "2-D max pooling.",
     "doc_url": _TORCH.format("MaxPool2d"), "ports": _SINGLE, "key_params": ["kernel_size"],
     "params": [_param("kernel_size", "ints", 2, "Window size.")]},
    {"type": "Flatten", "category": "Shape", "help": "Flattens all but the batch dimension.",
     "doc_url": _TORCH.format("Flatten"), "ports": _SINGLE, "key_params": [], "params": []},
    {"type": "Linear", "category": "Dense", "help": "Fully connected layer.",
     "doc_url": _TORCH.format("Linear"), "ports": _SINGLE, "key_params": ["out_features"],
     "params": [_param("out_features", "int", 10, "Output features.", min=1),
                _param("bias", "bool", True, "Learn a bias.")]},
    {"type": "Dropout", "category": "Regularisation", "help": "Zeroes elements with probability p.",
     "doc_url": _TORCH.format("Dropout"), "ports": _SINGLE, "key_params": ["p"],
     "params": [_param("p", "float", 0.5, "Drop probability.", min=0, max=1)]},
    {"type": "Add", "category": "Merge", "help": "Elementwise sum of its inputs.",
     "doc_url": "", "ports": {"kind": "variadic", "min": 2}, "key_params": [], "params": []},
    {"type": "Concat", "category": "Merge", "help": "Joins its inputs along a dimension.",
     "doc_url": "", "ports": {"kind": "variadic", "min": 2}, "key_params": ["dim"],
     "params": [_param("dim", "int", 0, "Dimension.")]},
    {"type": "MultiheadAttention", "category": "Sequence", "help": "Multi-head attention.",
     "doc_url": _TORCH.format("MultiheadAttention"),
     "ports": {"kind": "named", "names": ["query", "key", "value"], "min": 1, "max": 3},
     "key_params": ["num_heads"], "params": [_param("num_heads", "int", 4, "Heads.", min=1)]},
    {"type": "BasicBlock", "category": "Blocks", "help": "Two 3×3 convolutions and a shortcut.",
     "doc_url": "", "ports": {"kind": "named", "names": ["x"], "min": 1, "max": 1},
     "key_params": ["channels"], "params": [_param("channels", "int", 64, "Channels.")]},
]

# No positions: the canvas lays the graph out itself the first time.
GRAPH = {
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, 28, 28]}},
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 32, "padding": 1}},
        {"id": "relu1", "type": "ReLU"},
        {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 32, "padding": 1},
         "label": "residual conv"},
        {"id": "add", "type": "Add"},
        {"id": "pool", "type": "MaxPool2d"},
        {"id": "block", "type": "BasicBlock", "params": {"channels": 32}, "repeat": 2},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": "=classes"}},
        {"id": "soft", "type": "Softmax"},
        {"id": "probs", "type": "Output"},
        {"id": "conv3", "type": "Conv2d", "params": {"out_channels": 8}},
    ],
    "edges": [
        {"source": "image", "target": "conv1"}, {"source": "conv1", "target": "relu1"},
        {"source": "relu1", "target": "conv2"}, {"source": "relu1", "target": "add"},
        {"source": "conv2", "target": "add"}, {"source": "add", "target": "pool"},
        {"source": "pool", "target": "block", "port": "x"}, {"source": "block", "target": "flat"},
        {"source": "flat", "target": "fc"}, {"source": "fc", "target": "soft"},
        {"source": "soft", "target": "probs"}, {"source": "flat", "target": "conv3"},
    ],
}

_SHAPES = {"image": [1, 28, 28], "conv1": [32, 28, 28], "relu1": [32, 28, 28],
           "conv2": [32, 28, 28], "add": [32, 28, 28], "pool": [32, 14, 14],
           "block": [32, 14, 14], "flat": [6272], "fc": [10], "soft": [10], "probs": [10],
           "conv3": None}
_PARAMS = {"conv1": 320, "conv2": 9248, "block": 37_120, "fc": 62_730}
ANNOTATIONS = {
    "nodes": {
        node: {"output_shape": shape, "params": _PARAMS.get(node, 0), "macs": 0,
               "errors": [], "warnings": []}
        for node, shape in _SHAPES.items()
    },
    "edges": {f"{e['source']}->{e['target']}": {"shape": _SHAPES[e["source"]]}
              for e in GRAPH["edges"]},
}
ANNOTATIONS["nodes"]["conv3"]["errors"] = [
    "conv3: Conv2d needs a [C, H, W] input, but flat gives [6272]"]
ANNOTATIONS["nodes"]["soft"]["warnings"] = [
    "soft: a Softmax right before a cross-entropy loss; the loss applies its own"]


def big_graph(n: int) -> tuple[dict, dict]:
    """A chain of ``n`` blocks with a skip connection every few blocks, and its annotations:
    the ``?big=300`` stress case for canvas performance."""
    types = ["Conv2d", "BatchNorm2d", "ReLU", "Add"]
    nodes = [{"id": "image", "type": "Input", "params": {"shape": [3, 32, 32]}}]
    edges = []
    for i in range(1, n - 1):
        node_type = types[i % 4]
        nodes.append({"id": f"n{i}", "type": node_type})
        edges.append({"source": nodes[i - 1]["id"], "target": f"n{i}"})
        if node_type == "Add" and i >= 4:
            edges.append({"source": nodes[i - 4]["id"], "target": f"n{i}"})
    nodes.append({"id": "probs", "type": "Output"})
    edges.append({"source": nodes[-2]["id"], "target": "probs"})
    shape = [32, 32, 32]
    annotations = {
        "nodes": {nd["id"]: {"output_shape": shape, "params": 9248, "macs": 0, "errors": [],
                             "warnings": []} for nd in nodes},
        "edges": {f"{e['source']}->{e['target']}": {"shape": shape} for e in edges},
    }
    return {"nodes": nodes, "edges": edges}, annotations


def _handle(event: dict) -> None:
    """Apply one event to the session's level."""
    state = st.session_state
    kind = event["event"]
    state.selected = event.get("selected")
    if kind == "change":
        state.past = (state.past + [state.graph])[-50:]
        state.future = []
        state.graph = event["graph"]
    elif kind == "undo" and state.past:
        state.future.append(state.graph)
        state.graph = state.past.pop()
    elif kind == "redo" and state.future:
        state.past.append(state.graph)
        state.graph = state.future.pop()


def _take(value) -> bool:
    """Handle the canvas's queued events not handled yet, in order; True when any was new."""
    state = st.session_state
    new = False
    for event in events(value):
        if event["seq"] <= state.last_seq:
            continue
        if "graph" not in event:  # only a change carries the graph
            event = {**event, "graph": state.graph}
        state.last_seq, state.last_event = event["seq"], event
        _handle(event)
        new = True
    return new


def main() -> None:
    st.set_page_config(page_title="LayerLoom canvas", layout="wide")
    state = st.session_state
    big = st.query_params.get("big")
    graph, annotations = big_graph(int(big)) if big and big.isdigit() else (GRAPH, ANNOTATIONS)
    if "graph" not in state:
        state.graph = copy.deepcopy(graph)
        state.past, state.future = [], []
        state.selected, state.last_seq, state.last_event = None, 0, None
    theme = st.query_params.get("theme", "light")

    # The canvas's last action is in the session already: apply it before drawing, so that
    # this run draws its result, and tell the canvas which event the drawing answers (`ack`).
    _take(st.session_state.get(CANVAS_KEY))
    event = canvas(state.graph, CATALOG, annotations, selected=state.selected,
                   theme=theme if theme in ("light", "dark") else "light", height=600,
                   key=CANVAS_KEY, ack=state.last_seq)
    if _take(event):  # not applied above (no session value yet): draw it
        st.rerun()

    last = state.last_event
    summary = None if last is None else {
        "seq": last["seq"], "event": last["event"],
        "nodes": [n["id"] for n in last["graph"]["nodes"]],
        "edges": [f"{e['source']}->{e['target']}" + (f":{e['port']}" if "port" in e else "")
                  for e in last["graph"]["edges"]],
        "selected": last["selected"],
        **{k: v for k, v in last.items() if k in ("ids", "id")},
    }
    st.caption(f"Python holds {len(state.graph['nodes'])} blocks · undo depth "
               f"{len(state.past)} · redo depth {len(state.future)}")
    st.code(json.dumps(summary), language="json")
    st.json(last if last is not None else {}, expanded=1)


main()

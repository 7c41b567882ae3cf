"""Reading and writing graph files (``.json`` / ``.loom.json``).

A malformed file raises :class:`GraphError` listing every structural problem, each naming where
it is: JSON syntax errors with line and column, a wrong ``format`` or ``version``, a missing key,
a value of the wrong type.

Hostile files get the same treatment: a file over ``MAX_FILE_BYTES``, JSON nested deeper than
``MAX_JSON_DEPTH`` levels, or an integer of more than ``MAX_INT_DIGITS`` digits is refused with a
:class:`GraphError` before anything else reads it (never a ``RecursionError`` or ``ValueError``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from . import json_faults
from .errors import GraphError, Problem
from .model import FORMAT, VERSION, Block, Edge, Graph, Node
from .params import in_quotes
from .unknown_keys import check_unknown_sizes

_GRAPH_KEYS = {"format", "version", "name", "description", "variables", "blocks", "nodes", "edges"}
_NODE_KEYS = {"id", "type", "params", "repeat", "position", "label"}
_EDGE_KEYS = {"source", "target", "port", "source_port"}
_BLOCK_KEYS = {"params", "nodes", "edges", "description"}

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_JSON_DEPTH = 64  # a graph itself needs about 8 levels (blocks.B.nodes[i].params.k[j])
MAX_INT_DIGITS = 40  # about 2**133: far beyond any size, seed or count a design holds

# Migrations from older versions: version -> function(dict) -> dict of the next version.
MIGRATIONS: dict[int, Any] = {}


def load_graph(source: str | Path | dict) -> Graph:
    """Read a graph from a file path, a JSON string or an already parsed dict."""
    if isinstance(source, dict):
        return parse_graph(source)
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip()
                                    .lstrip(BOM).startswith("{")):
        path = Path(source)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise GraphError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB",
                                 file=str(path), unreadable=True)
            raw = path.read_bytes()
        except FileNotFoundError:
            raise GraphError("no such file", file=str(path), unreadable=True) from None
        except OSError as exc:
            raise GraphError(f"cannot read the file ({exc.strerror})", file=str(path),
                             unreadable=True) from None
        return loads_graph(decode_graph_bytes(raw, str(path)), filename=str(path))
    return loads_graph(source)


def decode_graph_bytes(data: bytes, filename: str | None = None) -> str:
    """The text of a graph file's bytes, or a :class:`GraphError` (``unreadable``) that says
    what the file seems to be instead (an ONNX or Keras model, a PyTorch checkpoint, a zip,
    UTF-16 text) or the line and column of the first byte that is not UTF-8."""
    kind = binary_kind(data)
    if kind:
        what, advice = kind
        raise GraphError(f"this is {what}, not a graph file (JSON text): {advice}",
                         file=filename, unreadable=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise GraphError(f"line {line}, column {column}: not UTF-8 text ({exc.reason}); save "
                         f"the file as UTF-8", file=filename, unreadable=True) from None


def binary_kind(data: bytes) -> tuple[str, str] | None:
    """``(what, advice)`` for a file given as a graph that is something else, from its first
    bytes; None for anything else (UTF-8 text included)."""
    head = data[:256]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text", "save the file as UTF-8"
    if head.startswith(b"\x89HDF"):
        return ("an HDF5 file (a Keras .h5 model?)",
                "export the model to ONNX and use `layerloom import-onnx`")
    if head.startswith(b"PK\x03\x04"):
        return ("a zip archive (a PyTorch .pt/.pth checkpoint or a .keras model?)",
                "for a PyTorch model use `layerloom import-torch`; export another "
                "framework's model to ONNX and use `layerloom import-onnx`")
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ("a Python pickle (a PyTorch checkpoint?), which is never unpickled",
                "for a PyTorch model use `layerloom import-torch`")
    if len(head) > 10 and head[8:10] == b'{"' and 2 <= int.from_bytes(head[:8], "little") \
            <= len(data) - 8:
        return ("a safetensors weights file",
                "a design's weights go with --weights (train, import-torch, import-onnx); the "
                "graph is the JSON file beside them")
    if head[:1] == b"\x08" and (b"onnx" in head.lower() or b"pytorch" in head):
        return "an ONNX model", "use `layerloom import-onnx` to turn it into a graph"
    return None


# What opens a design written elsewhere, and how a new one is made.
MAKE_ONE = "`layerloom new -o design.json` writes one to start from"
BRING_A_MODEL = ("a model from another tool comes in with `layerloom import-onnx` (or "
                 "`import-torch` for PyTorch code)")


def text_kind(text: str, filename: str | None = None) -> tuple[str, str]:
    """``(what, advice)`` for text given as a graph that holds no JSON at all: Python code (a
    model to import), YAML or another tool's text, from its name and first line."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    suffix = Path(filename).suffix.lower() if filename else ""
    if suffix == ".py" or first.startswith(("import ", "from ", "def ", "class ", "#!")):
        return ("Python code", "for a PyTorch model in it use `layerloom import-torch "
                f"{Path(filename).name if filename else 'FILE.py'}:ClassName`, which writes its "
                "design")
    if suffix in (".yaml", ".yml") or first == "---" or first.endswith(":") \
            or ": " in first.split("#")[0]:
        what = "YAML or another tool's settings"
    elif suffix in (".prototxt", ".pbtxt", ".cfg"):
        what = "another tool's model description"
    else:
        what = "text that is no JSON"
    return what, f"a design is a JSON object ({MAKE_ONE}); {BRING_A_MODEL}"


def foreign_json(data: dict) -> str | None:
    """What another tool's JSON given as a graph is, with what to do; None where it is not
    recognised."""
    if "keras_version" in data or data.get("class_name") in ("Sequential", "Functional",
                                                                "Model"):
        return ("this is a Keras model's JSON (model.to_json()): export the model to ONNX "
                "(tf2onnx) and use `layerloom import-onnx`")
    if "modelTopology" in data:
        return ("this is a TensorFlow.js model.json: convert the model to ONNX (tf2onnx) and "
                "use `layerloom import-onnx`")
    return None


def loads_graph(text: str, filename: str | None = None) -> Graph:
    """Read a graph from JSON text. A leading byte-order mark (as Windows Notepad writes) is
    skipped; a key given twice in one object is an error naming it (JSON readers would keep
    the last one silently). Text that is no JSON raises a :class:`GraphError` marked
    ``unreadable``; JSON that is no valid graph, one that is not."""
    duplicates: list[tuple[dict, list[tuple[str, Any, Any]]]] = []
    if not text.removeprefix(BOM).strip():  # a save cut short, a file made with touch
        raise GraphError('the file is empty; a design is a JSON object ("format": '
                         '"layerloom-graph", its nodes and edges)', file=filename,
                         unreadable=True)
    try:
        # NaN and Infinity, which JSON has not (no browser reads them: the canvas could not
        # be drawn), are kept as the text written, which validation names where it is wrong
        data = json.loads(text.removeprefix(BOM), parse_constant=str,
                          object_pairs_hook=lambda pairs: _object(pairs, duplicates))
    except json.JSONDecodeError as exc:
        text = text.removeprefix(BOM)
        if exc.pos == len(text) - len(text.lstrip()) \
                and text.lstrip()[:2] not in ("//", "/*"):  # no JSON at all: say what it is
            what, advice = text_kind(text, filename)
            raise GraphError(f"this is {what}, not a graph file (JSON text): {advice}",
                             file=filename, unreadable=True) from None
        pos, fault = json_faults.fault(text, exc)
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise GraphError(f"line {line}, column {column}: invalid JSON: {fault}", file=filename,
                         unreadable=True) from None
    except RecursionError:
        raise GraphError(f"JSON nested too deeply (a graph may nest at most {MAX_JSON_DEPTH} "
                         f"levels)", file=filename, unreadable=True) from None
    except ValueError:  # an integer beyond the interpreter's digit limit
        raise GraphError(f"a number has more than {MAX_INT_DIGITS} digits", file=filename,
                         unreadable=True) from None
    try:
        if duplicates:
            raise GraphError(problems=_duplicate_problems(data, duplicates))
        return parse_graph(data)
    except GraphError as exc:
        if filename:
            raise GraphError(problems=exc.problems, file=filename) from None
        raise


BOM = "\ufeff"


def _object(pairs: list[tuple[str, Any]], duplicates: list) -> dict:
    """A JSON object as a dict; keys given twice are noted in ``duplicates``."""
    obj: dict = {}
    twice = []
    for key, value in pairs:
        if key in obj:
            twice.append((key, obj[key], value))
        obj[key] = value
    if twice:
        duplicates.append((obj, twice))
    return obj


def _duplicate_problems(data: Any, duplicates: list) -> list[Problem]:
    """One problem per key given twice: where its object is (the node's id where it is in a
    node), and both values."""
    found = {id(obj): twice for obj, twice in duplicates}
    problems: list[Problem] = []
    stack: list[tuple[Any, tuple, str | None]] = [(data, (), None)]
    while stack:
        value, path, node = stack.pop()
        if isinstance(value, dict):
            if len(path) >= 2 and path[-2] == "nodes" and isinstance(path[-1], int) \
                    and isinstance(value.get("id"), str):
                node = value["id"]
            for key, first, last in found.get(id(value), []):
                where = _where(path) if path else "the top-level object"
                problems.append(Problem(node, f"{where} has the key '{key}' twice ("
                                              f"{_short(first)}, then {_short(last)}): keep "
                                              f"one (JSON readers silently take the last)"))
            items = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            continue
        stack.extend((item, path + (key,), node) for key, item in reversed(items))
    return problems


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def save_graph(graph: Graph, path: str | Path) -> None:
    """Write ``graph`` as indented JSON (atomically: a crash never leaves half a file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps_graph(graph), encoding="utf-8")
    tmp.replace(path)


def dumps_graph(graph: Graph) -> str:
    return json.dumps(graph.to_dict(), indent=2, ensure_ascii=False) + "\n"


def parse_graph(data: Any) -> Graph:
    """Build a :class:`Graph` from parsed JSON, collecting every structural problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise GraphError(f"a graph is a JSON object, got {_kind(data)}")
    fmt = data.get("format")
    if fmt != FORMAT:
        got = "no 'format' key" if fmt is None else f"format {fmt!r}"
        advice = foreign_json(data) or (f"a design has \"format\": \"{FORMAT}\", a version, "
                                        f"its name, nodes and edges ({MAKE_ONE}); "
                                        f"{BRING_A_MODEL}")
        raise GraphError(f"not a LayerLoom graph ({got}; expected \"format\": \"{FORMAT}\"): "
                         f"{advice}")
    check_unknown_sizes(data)  # before anything walks the file: what nothing reads, bounded
    _check_bounds(data)
    data = _migrate(data)
    for key in ("name", "nodes", "edges"):
        if key not in data:
            problems.append(Problem(None, f"missing key '{key}'"))
    name = data.get("name", "")
    if "name" in data and not isinstance(name, str):
        problems.append(Problem(None, f"'name' must be text, got {_kind(name)}"))
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(Problem(None, f"'description' must be text, got {_kind(description)}"))
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        problems.append(Problem(None, f"'variables' must be an object, got {_kind(variables)}"))
        variables = {}
    for var, value in variables.items():
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(Problem(None, f"variable '{var}' must be a finite number, got "
                                          f"{_kind(value)}", param=var))
        elif isinstance(value, bool) or not isinstance(value, (int, float, str)):
            problems.append(Problem(None, f"variable '{var}' must be a number or an "
                                          f"\"=expression\", got {_kind(value)}", param=var))
        elif isinstance(value, str) and not value.startswith("="):
            number = in_quotes(value, "float")
            problems.append(Problem(None, f"variable '{var}' is text {value!r}{number}; an "
                                          f"expression starts with '='", param=var))
    blocks = {}
    raw_blocks = data.get("blocks", {})
    if not isinstance(raw_blocks, dict):
        problems.append(Problem(None, f"'blocks' must be an object, got {_kind(raw_blocks)}"))
        raw_blocks = {}
    for block_name, raw in raw_blocks.items():
        where = f"blocks.{block_name}"
        if not isinstance(raw, dict):
            problems.append(Problem(None, f"{where} must be an object, got {_kind(raw)}"))
            continue
        for key in ("nodes", "edges"):
            if key not in raw:
                problems.append(Problem(None, f"{where}: missing key '{key}'"))
        params = raw.get("params", {})
        if not isinstance(params, dict):
            problems.append(Problem(None, f"{where}.params must be an object, got "
                                          f"{_kind(params)}"))
            params = {}
        blocks[block_name] = Block(
            name=block_name, params=params,
            nodes=_parse_nodes(raw.get("nodes", []), where, problems),
            edges=_parse_edges(raw.get("edges", []), where, problems),
            description=raw.get("description"),
            extra={k: v for k, v in raw.items() if k not in _BLOCK_KEYS})
    graph = Graph(
        name=name if isinstance(name, str) else "", description=description,
        variables=dict(variables), blocks=blocks,
        nodes=_parse_nodes(data.get("nodes", []), "", problems),
        edges=_parse_edges(data.get("edges", []), "", problems),
        version=VERSION, extra={k: v for k, v in data.items() if k not in _GRAPH_KEYS})
    if problems:
        raise GraphError(problems=problems)
    return graph


def _check_bounds(data: dict) -> None:
    """Refuse nesting beyond MAX_JSON_DEPTH and integers beyond MAX_INT_DIGITS digits, walking
    the data without recursion (so nothing that later walks it recursively can overflow).

    The walk keeps each container's depth only: building every value's path as it went made
    a file of a million numbers take seconds. Where a fault is found, a second walk with the
    paths names where it is."""
    max_bits = int(MAX_INT_DIGITS * 3.3219280948873626) + 1
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:
            _bounds_fault(data)
        for item in value.values() if isinstance(value, dict) else value:
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
            elif isinstance(item, int) and not isinstance(item, bool) \
                    and item.bit_length() > max_bits:
                _bounds_fault(data)


def _bounds_fault(data: dict) -> None:
    """Raise the error :func:`_check_bounds` found, naming where it is in ``data``."""
    max_bits = int(MAX_INT_DIGITS * 3.3219280948873626) + 1
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        elif isinstance(value, int) and not isinstance(value, bool) \
                and value.bit_length() > max_bits:
            raise GraphError(f"{_where(path)}: a number of more than {MAX_INT_DIGITS} digits")
        else:
            continue
        if len(path) >= MAX_JSON_DEPTH:
            raise GraphError(f"{_where(path)}: nested more than {MAX_JSON_DEPTH} levels deep")
        stack.extend((item, path + (key,)) for key, item in items)
    raise GraphError(f"nested more than {MAX_JSON_DEPTH} levels deep, or a number of more "
                     f"than {MAX_INT_DIGITS} digits")  # not reached: the fault is named above


def _where(path: tuple) -> str:
    text = ""
    for key in path[:12]:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return (text + ("…" if len(path) > 12 else "")) or "the graph"


def _migrate(data: dict) -> dict:
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise GraphError(f"'version' must be a whole number, got {_kind(version)}"
                         if "version" in data else "missing key 'version'")
    if version > VERSION:
        raise GraphError(f"this graph is format version {version}, written by a newer LayerLoom; "
                         f"this one reads version {VERSION}: upgrade LayerLoom to open it")
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise GraphError(f"format version {version} is not supported (this LayerLoom reads "
                             f"version {VERSION} and has no migration from {version})")
        data = step(data)
        version = data["version"]
    return data


def _parse_nodes(raw: Any, where: str, problems: list[Problem]) -> list[Node]:
    prefix = f"{where}." if where else ""
    if not isinstance(raw, list):
        problems.append(Problem(None, f"'{prefix}nodes' must be a list, got {_kind(raw)}"))
        return []
    nodes = []
    for i, item in enumerate(raw):
        loc = f"{prefix}nodes[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(None, f"{loc} must be an object, got {_kind(item)}"))
            continue
        node_id = item.get("id")
        if not isinstance(node_id, str):
            problems.append(Problem(None, f"{loc}: 'id' must be text, got {_kind(node_id)}"
                                    if "id" in item else f"{loc}: missing key 'id'"))
            continue
        label = f"{loc} ({node_id})"
        ok = True
        if not isinstance(item.get("type"), str):
            problems.append(Problem(node_id, f"{label}: 'type' must be text, got "
                                             f"{_kind(item.get('type'))}" if "type" in item
                                    else f"{label}: missing key 'type'"))
            ok = False
        params = item.get("params", {})
        if not isinstance(params, dict):
            problems.append(Problem(node_id, f"{label}: 'params' must be an object, got "
                                             f"{_kind(params)}"))
            ok = False
        position = item.get("position")
        if position is not None and not (isinstance(position, list) and len(position) == 2 and
                                         all(_is_number(v) for v in position)):
            problems.append(Problem(node_id, f"{label}: 'position' must be [x, y], got "
                                             f"{_short(position)}"))
            ok = False
        repeat = item.get("repeat")
        if repeat is not None and not (isinstance(repeat, int) and not isinstance(repeat, bool)
                                       or isinstance(repeat, str)):
            problems.append(Problem(node_id, f"{label}: 'repeat' must be a whole number or an "
                                             f"\"=expression\", got {_kind(repeat)}"))
            ok = False
        text = item.get("label")
        if text is not None and not isinstance(text, str):
            problems.append(Problem(node_id, f"{label}: 'label' must be text, got {_kind(text)}"))
            ok = False
        if ok:
            nodes.append(Node(id=node_id, type=item["type"], params=dict(params), repeat=repeat,
                              position=list(position) if position is not None else None,
                              label=text,
                              extra={k: v for k, v in item.items() if k not in _NODE_KEYS}))
    return nodes


def _parse_edges(raw: Any, where: str, problems: list[Problem]) -> list[Edge]:
    prefix = f"{where}." if where else ""
    if not isinstance(raw, list):
        problems.append(Problem(None, f"'{prefix}edges' must be a list, got {_kind(raw)}"))
        return []
    edges = []
    for i, item in enumerate(raw):
        loc = f"{prefix}edges[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(None, f"{loc} must be an object, got {_kind(item)}"))
            continue
        bad = [k for k in ("source", "target") if not isinstance(item.get(k), str)]
        if bad:
            problems.append(Problem(item.get("target") if isinstance(item.get("target"), str)
                                    else None,
                                    f"{loc}: " + ", ".join(
                                        f"missing key '{k}'" if k not in item else
                                        f"'{k}' must be a node id (text), got {_kind(item[k])}"
                                        for k in bad), edge=loc))
            continue
        port = item.get("port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, (int, str))):
            problems.append(Problem(item["target"], f"{loc}: 'port' must be an index or a port "
                                                    f"name, got {_kind(port)}", edge=loc))
            continue
        source_port = item.get("source_port")
        if source_port is not None and (isinstance(source_port, bool)
                                        or not isinstance(source_port, (int, str))):
            problems.append(Problem(item["target"], f"{loc} ({item['source']} → "
                                                    f"{item['target']}): 'source_port' must be "
                                                    f"an index or an output's name, got "
                                                    f"{_kind(source_port)}", edge=loc))
            continue
        edges.append(Edge(item["source"], item["target"], port,
                          extra={k: v for k, v in item.items() if k not in _EDGE_KEYS},
                          source_port=source_port))
    return edges


def _is_number(v: Any) -> bool:
    """A finite number: Python's JSON reader takes NaN and Infinity, which no JSON tool (the
    canvas's browser among them) reads back."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):  # a text pasted megabytes long is shown cut, with its length
        return f"the text {value!r}" if len(value) <= 60 else \
            f"the text {value[:40]!r}… ({len(value):,} characters)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

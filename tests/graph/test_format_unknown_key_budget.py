"""A design file made mostly of one key the format does not know is refused, naming the key
and where it is, after looking at no more of it than the budget (graph/unknown_keys.py). A
15 MB file of one such key (another tool's history, a key pasted megabytes long) opened in
about 15 s in the designer and 9 s in ``layerloom validate`` (every value walked, then a line
looked for with the pure-Python JSON scanner, and difflib over the key), was carried through
every save, and its warning printed the whole key."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from layerloom.graph import GraphError, load_graph, validate
from layerloom.graph.io import loads_graph
from layerloom.graph.unknown_keys import json_size

BASE = {"format": "layerloom-graph", "version": 1, "name": "x",
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                  {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "y"}]}
SAID = ("holds more than 100 kB of JSON (a key LayerLoom does not read may hold at most 100 "
        "kB: set LAYERLOOM_MAX_UNKNOWN_KEY_BYTES to change it); nothing reads it, and it would "
        "be carried through every save: remove it from the file and open it again")


def design(**changes) -> bytes:
    return json.dumps({**BASE, **changes}, indent=2).encode()


def read_upload(name: str, data: bytes):
    """As the designer reads an uploaded file (ui/projects.read_upload)."""
    return loads_graph(data.decode(), filename=name)


def test_a_design_made_mostly_of_one_unknown_key_is_refused_naming_it():
    data = design(history=list(range(1_500_000)))
    assert len(data) > 15_000_000
    with pytest.raises(GraphError) as caught:
        read_upload("design.json", data)
    assert str(caught.value) == f"design.json: graph: unknown key 'history' {SAID}"


def test_on_a_node_and_in_a_block_the_place_is_named():
    node = {**BASE["nodes"][0], "ui": {"trail": [[i, i] for i in range(40_000)]}}
    with pytest.raises(GraphError, match=r"^x: unknown key 'ui' holds more than 100 kB"):
        load_graph({**BASE, "nodes": [node, BASE["nodes"][1]]})
    block = {"nodes": [{"id": "fc", "type": "ReLU", "cache": "A" * 200_000}], "edges": []}
    with pytest.raises(GraphError, match=r"^graph: block 'B', node 'fc': unknown key 'cache' "):
        load_graph({**BASE, "blocks": {"B": block}})


def test_a_key_pasted_megabytes_long_is_shown_cut():
    key = "k" * 15_000_000
    with pytest.raises(GraphError) as caught:
        read_upload("design.json", design(**{key: 1}))
    assert str(caught.value) == (f"design.json: graph: unknown key '{'k' * 40}…' (a key of "
                                 f"15,000,000 characters) {SAID}")


def test_a_long_key_within_the_budget_is_kept_and_its_warning_cut():
    graph = read_upload("design.json", design(**{"p" * 5000: "kept"}))
    [warning] = validate(graph).warnings
    assert str(warning).startswith(f"graph: unknown key '{'p' * 40}…' (a key of 5,000 "
                                   f"characters) (a graph has: format,")
    assert len(str(warning)) < 300


def test_small_unknown_keys_are_kept_as_before():
    graph = load_graph(json.loads(design(nodez="typo", history=list(range(100)))))
    assert graph.extra["history"] == list(range(100))
    assert [str(w) for w in validate(graph).warnings][0] == (
        "graph: unknown key 'nodez' (did you mean 'nodes'?): it is kept in the file, but "
        "nothing reads it")


def test_the_budget_is_a_setting(tmp_path):
    path = tmp_path / "d.json"
    path.write_bytes(design(history=list(range(30_000))))
    run = subprocess.run([sys.executable, "-m", "layerloom", "validate", str(path)],
                         capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ,
                              "LAYERLOOM_MAX_UNKNOWN_KEY_BYTES": "1000000"})
    assert run.returncode == 0, run.stderr
    assert "unknown key 'history' (a graph has" in run.stderr
    with pytest.raises(GraphError, match="unknown key 'history' holds more than 100 kB"):
        load_graph(str(path))


def test_measuring_stops_at_the_budget():
    """The size of a value far over the budget is not walked to its end: a generator that
    counts what was taken shows how far the walk went."""
    taken = []

    class Counted(list):
        def __iter__(self):
            for item in super().__iter__():
                taken.append(item)
                yield item

    assert json_size([Counted(range(10**6))], 1000) == 1001
    assert len(taken) < 10**6

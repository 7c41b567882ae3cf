"""Reading graph files: a UTF-8 byte-order mark (as Windows Notepad saves) is accepted, a key
given twice in one JSON object is an error naming it (never last-one-wins), and a file that
cannot be read is told apart from JSON that is no valid graph."""

from __future__ import annotations

import json

import pytest

from layerloom.graph import GraphError, load_graph, loads_graph


def test_a_file_with_a_byte_order_mark_is_read(seed_cnn, tmp_path):
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(seed_cnn).encode())
    assert load_graph(path).name == "seed-cnn"
    assert load_graph(str(path)).name == "seed-cnn"
    assert loads_graph("\ufeff" + json.dumps(seed_cnn)).name == "seed-cnn"
    assert load_graph("\ufeff" + json.dumps(seed_cnn)).name == "seed-cnn"  # JSON text


def test_a_key_given_twice_in_a_node_names_the_node_and_both_values(seed_cnn):
    text = json.dumps(seed_cnn).replace('"kernel_size": 3', '"kernel_size": 3, "kernel_size": 5',
                                        1)
    with pytest.raises(GraphError) as info:
        loads_graph(text, filename="dup.json")
    assert str(info.value) == (
        "dup.json: conv1: nodes[1].params has the key 'kernel_size' twice (3, then 5): keep one "
        "(JSON readers silently take the last)")
    assert info.value.problems[0].node == "conv1"
    assert not info.value.unreadable


def test_keys_given_twice_elsewhere_are_each_named():
    text = ('{"format": "layerloom-graph", "version": 1, "name": "a", "name": "b", '
            '"blocks": {"B": {"params": {}, "nodes": [{"id": "i", "type": "Input", '
            '"type": "Output"}], "edges": []}}, "nodes": [], "edges": []}')
    with pytest.raises(GraphError) as info:
        loads_graph(text)
    assert [str(p) for p in info.value.problems] == [
        "graph: the top-level object has the key 'name' twice (\"a\", then \"b\"): keep one "
        "(JSON readers silently take the last)",
        "i: blocks.B.nodes[0] has the key 'type' twice (\"Input\", then \"Output\"): keep one "
        "(JSON readers silently take the last)"]


def test_unreadable_marks_only_files_that_cannot_be_read(tmp_path):
    with pytest.raises(GraphError) as missing:
        load_graph(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    with pytest.raises(GraphError) as not_json:
        load_graph(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(GraphError) as not_a_graph:
        load_graph(listed)
    assert missing.value.unreadable and not_json.value.unreadable
    assert not not_a_graph.value.unreadable
    assert str(not_a_graph.value) == f"{listed}: graph: a graph is a JSON object, got a list"

"""Node ids a design file may hold: 1–64 ASCII letters, digits, '_' or '-'. An id with a newline
after it ('fc\\n', which a pattern ending in $ let through) is refused as any other; an id with
letters outside ASCII ('couche_ü') is told which letters and an id that would do, where it was
told to use "letters", which ü is."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.graph import GraphError, parse_graph, validate
from layerloom.graph.edit import rename_node


def design(node_id: str) -> dict:
    return {"format": "layerloom-graph", "version": 1, "name": "t",
            "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                      {"id": node_id, "type": "Linear", "params": {"out_features": 3}},
                      {"id": "y", "type": "Output"}],
            "edges": [{"source": "x", "target": node_id}, {"source": node_id, "target": "y"}]}


def errors(node_id: str) -> list[str]:
    return [str(e) for e in validate(parse_graph(design(node_id))).errors]


def test_an_id_with_a_newline_after_it_is_refused():
    assert errors("fc\n") == ["fc\n: id 'fc\\n' is not allowed: use 1–64 letters, digits, '_' "
                              "or '-'"]


@pytest.mark.parametrize("node_id, said", [
    ("couche_ü", "(ASCII letters only: 'ü' is not one; 'couche_u' would do)"),
    ("café-1", "(ASCII letters only: 'é' is not one; 'cafe-1' would do)"),
    ("größe", "(ASCII letters only: 'ö', 'ß' are not one)"),
    ("层1", "(ASCII letters only: '层' is not one)"),
])
def test_letters_outside_ascii_are_named_with_an_id_that_would_do(node_id, said):
    assert errors(node_id) == [f"{node_id}: id {node_id!r} is not allowed: use 1–64 letters, "
                               f"digits, '_' or '-' {said}"]


def test_an_id_too_long_says_its_length():
    assert errors("a" * 70)[0].endswith(" (it has 70 characters)")


def test_a_rename_is_refused_alike():
    graph = parse_graph(design("fc"))
    with pytest.raises(GraphError, match=r"id 'fc_é' is not allowed: .* \(ASCII letters only: "
                                         r"'é' is not one; 'fc_e' would do\)"):
        rename_node(graph, [], "fc", "fc_é")
    with pytest.raises(GraphError, match=r"id 'fc2\\n' is not allowed"):
        rename_node(graph, [], "fc", "fc2\n")


def test_the_cli_names_the_node(tmp_path, capsys):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(design("couche_ü"), ensure_ascii=False), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert ("error: couche_ü: id 'couche_ü' is not allowed: use 1–64 letters, digits, '_' or '-' "
            "(ASCII letters only: 'ü' is not one; 'couche_u' would do)") in capsys.readouterr().err

"""A design without an Output (or without an Input) is told so once: 'the graph has no Output
node: add one after the last layer'. Each of its blocks was warned as well, 'not on a path from
an Input to an Output (it leads to no Output); it is left out of the model: wire it in, or
delete it': nine warnings for seed-cnn with its Output deleted, each saying to delete a block
that only needs an Output after it. A block off the chain of a design with both ends is still
warned."""

from __future__ import annotations

from layerloom.graph import parse_graph, validate


def _messages(graph) -> tuple[list[str], list[str]]:
    report = validate(parse_graph(graph))
    return [str(p) for p in report.errors], [str(p) for p in report.warnings]


def _without(graph, node_type: str):
    gone = {n["id"] for n in graph["nodes"] if n["type"] == node_type}
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] not in gone]
    graph["edges"] = [e for e in graph["edges"] if not {e["source"], e["target"]} & gone]
    return graph


def test_a_design_without_an_output_is_one_error(seed_cnn):
    errors, warnings = _messages(_without(seed_cnn, "Output"))
    assert errors == ["graph: the graph has no Output node: add one after the last layer"]
    assert warnings == []


def test_a_design_without_an_input_is_one_error(seed_cnn):
    errors, warnings = _messages(_without(seed_cnn, "Input"))
    assert "graph: the graph has no Input node: add one to feed the model" in errors
    assert warnings == []


def test_a_block_off_the_chain_is_still_warned(seed_cnn):
    seed_cnn["nodes"].append({"id": "drop", "type": "Dropout"})
    errors, warnings = _messages(seed_cnn)
    assert errors == []
    assert warnings == ["drop: not on a path from an Input to an Output (no Input feeds it); it "
                        "is left out of the model: wire it in, or delete it"]

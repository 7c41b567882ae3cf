"""A chain with one wire missing in the middle says where the break is. seed-cnn without its
edge pool1 → conv2 gave each of its ten blocks the same 'not on a path from an Input to an
Output (no Input feeds it / it leads to no Output); it is left out of the model: wire it in, or
delete it', and the user could not see which wire was missing. The blocks at the ends of the gap
now say what is missing there and name the block on the other side; every other block left out
(each still warned, so the canvas marks it) names the break."""

from __future__ import annotations

from layerloom.graph import parse_graph, summarize, validate

LEFT_OUT = ("not on a path from an Input to an Output ({}); it is left out of the model: wire it "
            "in, or delete it")


def _cut(graph: dict, *pairs: tuple[str, str]) -> dict:
    graph["edges"] = [e for e in graph["edges"] if (e["source"], e["target"]) not in pairs]
    return graph


def _warnings(graph: dict) -> list[str]:
    return [str(w) for w in validate(parse_graph(graph)).warnings]


def test_the_ends_of_a_missing_wire_name_each_other_and_the_rest_name_the_break(seed_cnn):
    report = validate(parse_graph(_cut(seed_cnn, ("pool1", "conv2"))))
    assert [str(e) for e in report.errors] == [
        "conv2: Conv2d has no input: connect a block to it (pool1's output is wired to nothing: "
        "wire it here)"]
    before = "left out of the model: it comes before the break at pool1 → conv2"
    after = "left out of the model: it comes after the break at pool1 → conv2"
    assert [str(w) for w in report.warnings] == [
        "pool1: its output is wired to nothing, so it and the 3 blocks before it are left out "
        "of the model: wire it to conv2, which has no input",
        "conv2: nothing is wired into it, so it and the 5 blocks after it are left out of the "
        "model: wire pool1's output to it",
        f"image: {before}", f"conv1: {before}", f"relu1: {before}",
        f"relu2: {after}", f"pool2: {after}", f"flat: {after}", f"fc: {after}",
        f"probs: {after}"]
    # still each left out of the model, as before
    assert not any(info.used for info in report.resolution.top.nodes.values())


def test_an_output_wired_to_nothing_is_named_by_the_block_before_it(seed_cnn):
    assert _warnings(_cut(seed_cnn, ("fc", "probs")))[:2] == [
        "fc: its output is wired to nothing, so it and the 8 blocks before it are left out of "
        "the model: wire it to probs, which has no input",
        "probs: nothing is wired into it, so it is left out of the model: wire fc's output to it"]


def test_two_missing_wires_list_the_candidates_and_leave_the_middle_as_it_was(seed_cnn):
    warnings = _warnings(_cut(seed_cnn, ("pool1", "conv2"), ("flat", "fc")))
    assert warnings == [
        "pool1: its output is wired to nothing, so it and the 3 blocks before it are left out "
        "of the model: wire it to the block that should come next (conv2 or fc, which have no "
        "input)",
        "fc: nothing is wired into it, so it and the block after it are left out of the model: "
        "wire to it the block that should come before it (pool1 or flat, whose outputs are "
        "wired to nothing)",
        "image: left out of the model: it comes before pool1, whose output is wired to nothing",
        "conv1: left out of the model: it comes before pool1, whose output is wired to nothing",
        "relu1: left out of the model: it comes before pool1, whose output is wired to nothing",
        "probs: left out of the model: it comes after fc, which nothing is wired into",
        "conv2: " + LEFT_OUT.format("no Input feeds it"),
        "relu2: " + LEFT_OUT.format("no Input feeds it"),
        "pool2: " + LEFT_OUT.format("no Input feeds it"),
        "flat: " + LEFT_OUT.format("no Input feeds it")]


def test_a_missing_wire_inside_a_composite_is_named_there(make_chain):
    block = {"nodes": [{"id": "x", "type": "Input"}, {"id": "a", "type": "ReLU"},
                       {"id": "b", "type": "ReLU"}, {"id": "y", "type": "Output"}],
             "edges": [{"source": "x", "target": "a"}, {"source": "b", "target": "y"}]}
    graph = make_chain(("img", "Input", {"shape": [4]}), ("blk", "Pair"), ("out", "Output"),
                       blocks={"Pair": block})
    warnings = _warnings(graph)
    assert "blk/a: its output is wired to nothing, so it and the block before it are left out " \
           "of its block: wire it to b, which has no input" in warnings


def test_a_dangling_branch_in_a_working_model_keeps_its_warning(seed_cnn):
    seed_cnn["nodes"].append({"id": "side", "type": "ReLU"})
    seed_cnn["edges"].append({"source": "pool2", "target": "side"})
    report = validate(parse_graph(seed_cnn))
    assert [str(w) for w in report.warnings] == ["side: " + LEFT_OUT.format("it leads to no Output")]
    assert summarize(report).params == 34_826


def test_the_error_of_a_block_after_two_breaks_names_no_one_block_to_wire(seed_cnn):
    """With two outputs wired to nothing (pool1's and flat's), fc, which has no input, does
    not guess which should feed it."""
    errors = [str(e) for e in validate(parse_graph(_cut(seed_cnn, ("pool1", "conv2"),
                                                        ("flat", "fc")))).errors]
    assert errors == ["fc: Linear has no input: connect a block to it"]

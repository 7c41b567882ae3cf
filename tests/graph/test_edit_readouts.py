"""What the designer reads off a validation: catalog, annotations, totals, the expanded model."""

from __future__ import annotations

from layerloom.graph import all_blocks, load_graph, summarize, validate
from layerloom.graph import edit


def test_catalog_lists_every_block_then_the_composites():
    g = load_graph("assets/templates/resnet-mini.json")
    entries = edit.catalog(g)
    assert [e["type"] for e in entries[:len(all_blocks())]] == [s.type for s in all_blocks()]
    composites = {e["type"]: e for e in entries if e["category"] == "Blocks"}
    assert set(composites) == {"Shortcut", "BasicBlock"}
    basic = composites["BasicBlock"]
    assert basic["ports"] == {"kind": "single", "names": [], "min": 1, "max": 1}
    assert [(p["name"], p["kind"], p["default"]) for p in basic["params"]] == [
        ("channels", "int", 64), ("stride", "int", 1)]
    entries[0]["params"].clear()  # callers get copies
    assert all_blocks()[0].describe()["params"] == edit.catalog(g)[0]["params"]


def test_annotations_of_the_top_level(seed_cnn):
    seed_cnn["nodes"][4]["params"]["kernel_size"] = 20  # conv2 too big
    report = validate(load_graph(seed_cnn))
    ann = edit.annotations(report)
    assert ann["nodes"]["conv1"] == {"output_shape": [32, 26, 26], "params": 320,
                                     "macs": 194_688, "errors": [], "warnings": [],
                                     "values": {"out_channels": 32}}  # =round(32*width)
    [message] = ann["nodes"]["conv2"]["errors"]
    assert message.startswith("kernel 20×20 is larger than its 13×13 input")
    assert ann["nodes"]["conv2"]["output_shape"] is None
    assert ann["edges"]["pool1->conv2"] == {"shape": [32, 13, 13]}
    assert ann["edges"]["conv2->relu2"] == {"shape": None}


def test_annotations_inside_a_block_list_every_use():
    g = load_graph("assets/templates/resnet-mini.json")
    report = validate(g)
    ann = edit.annotations(report, ("BasicBlock",))
    # shapes of the first use (stage1: 16 channels at 28×28)
    assert ann["nodes"]["conv1"]["output_shape"] == [16, 28, 28]
    assert ann["edges"]["x->conv1"] == {"shape": [16, 28, 28]}
    # an error in the block shows on every level that holds it
    g.blocks["Shortcut"].nodes[1].params["kernel_size"] = 40
    report = validate(g)
    inner = edit.annotations(report, ("BasicBlock", "Shortcut"))
    too_big = "kernel 40×40 is larger than its 28×28 input"
    [message] = inner["nodes"]["conv"]["errors"]
    assert message.startswith(too_big)
    top = edit.annotations(report)
    [message] = top["nodes"]["stage2"]["errors"]
    assert message.startswith(f"shortcut/conv: {too_big}")
    middle = edit.annotations(report, ("BasicBlock",))
    [message] = middle["nodes"]["shortcut"]["errors"]
    assert message.startswith(f"in stage2: conv: {too_big}")


def test_totals_of_a_valid_and_an_invalid_graph(seed_cnn):
    report = validate(load_graph(seed_cnn))
    t = edit.totals(report)
    assert (t.params, t.macs, t.errors, t.warnings, t.ok) == (34_826, 2_440_960, 0, 0, True)
    assert t.activation_bytes == summarize(report).activation_bytes
    seed_cnn["nodes"][8]["params"]["out_features"] = 0
    t = edit.totals(validate(load_graph(seed_cnn)))
    assert (t.errors, t.ok, t.activation_bytes) == (1, False, None)
    assert t.params == 320 + 18_496  # the convolutions still count


def test_expanded_model_matches_leaves_and_wires_through_blocks():
    report = validate(load_graph("assets/templates/resnet-mini.json"))
    layers = edit.expanded(report.resolution.top)
    assert [m.path for m in layers] == [p for p, _, _ in report.resolution.top.leaves()]
    by_path = {m.path: m for m in layers}
    # the first block reads the stem; its Add reads bn2 and the block's input (a skip)
    assert by_path["stage1/conv1"].inputs == ["stem_relu"]
    assert by_path["stage1/add"].inputs == ["stage1/bn2", "stem_relu"]
    # a repeated block chains its copies; a projection shortcut reads the block's input
    assert by_path["stage2/shortcut/conv"].inputs == ["stage1_rest/relu2"]
    assert by_path["stage2/add"].inputs == ["stage2/bn2", "stage2/shortcut/bn"]
    assert by_path["logits"].inputs == ["fc"]
    assert all(i in by_path for m in layers for i in m.inputs)

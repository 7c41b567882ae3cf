"""ui/changes.py: what a restored snapshot changed, in the designer's words."""

from __future__ import annotations

import copy

from layerloom.graph.templates import load_template
from layerloom.ui.changes import in_words


def test_edits_additions_removals_wires_variables_and_name_each_get_a_line():
    old = load_template("seed-cnn").to_dict()
    new = copy.deepcopy(old)
    conv = next(n for n in new["nodes"] if n["id"] == "conv1")
    conv["params"]["kernel_size"] = 5
    conv["label"] = "first"
    new["nodes"] = [n for n in new["nodes"] if n["id"] != "relu1"]
    new["edges"] = [e for e in new["edges"] if "relu1" not in (e["source"], e["target"])]
    new["edges"].append({"source": "conv1", "target": "pool1"})
    new["variables"]["width"] = 2
    new["name"] = "wider"
    assert in_words(old, new) == [
        "conv1: label (none) → first, kernel_size 3 → 5",
        "removed relu1 (ReLU)",
        "wired conv1 → pool1", "unwired conv1 → relu1", "unwired relu1 → pool1",
        "name seed-cnn → wider",
        "variable width 1.0 → 2",
    ]
    assert in_words(old, old) == []


def test_a_change_inside_a_composite_block_names_the_block_and_long_lists_are_cut():
    old = load_template("resnet-mini").to_dict()
    new = copy.deepcopy(old)
    new["blocks"]["Shortcut"]["nodes"][1].setdefault("params", {})["kernel_size"] = 5
    assert in_words(old, new) == ["Shortcut/conv: kernel_size 1 → 5"]
    many = copy.deepcopy(old)
    many["nodes"] = []
    lines = in_words(old, many, limit=4)
    assert len(lines) == 4 and lines[-1].startswith("… and ") and "more changes" in lines[-1]


def test_a_label_set_or_cleared_reads_none_and_a_param_left_unset_reads_default():
    """A restored snapshot that cleared a block's label said 'label first → (default)', as if
    a label had a default; a label, or the description, that is not there is '(none)'."""
    old = load_template("seed-cnn").to_dict()
    old["description"] = "digits"
    conv = next(n for n in old["nodes"] if n["id"] == "conv1")
    conv["label"] = "first"
    new = copy.deepcopy(old)
    del next(n for n in new["nodes"] if n["id"] == "conv1")["label"]
    new["description"] = ""
    pool = next(n for n in new["nodes"] if n["id"] == "pool1")
    pool["params"]["stride"] = 1
    assert in_words(old, new) == ["conv1: label first → (none)", "pool1: stride (default) → 1",
                                  "description digits → (none)"]


def test_a_renamed_block_is_said_as_renamed_with_what_else_changed_in_it():
    """A snapshot holding conv1 renamed encoder, with kernel_size 5: restoring it said 'added
    encoder', 'removed conv1' and four lines of wires, and nothing of the kernel_size."""
    from layerloom.graph import edit

    old = load_template("seed-cnn")
    new = edit.set_param(edit.rename_node(old, (), "conv1", "encoder"), (), "encoder",
                         "kernel_size", 5)
    assert in_words(old.to_dict(), new.to_dict()) == [
        "renamed conv1 → encoder", "encoder: kernel_size 3 → 5"]
    assert in_words(new.to_dict(), old.to_dict()) == [
        "renamed encoder → conv1", "conv1: kernel_size 5 → 3"]
    resnet = load_template("resnet-mini")
    renamed = edit.rename_block(resnet, "Shortcut", "Projection")
    assert in_words(resnet.to_dict(), renamed.to_dict()) == [
        "renamed block Shortcut → Projection"]
    inside = edit.rename_node(resnet, ("Shortcut",), "conv", "proj")
    assert in_words(resnet.to_dict(), inside.to_dict()) == [
        "renamed Shortcut/conv → Shortcut/proj"]

"""A small ONNX file that asks for a huge value is refused in words — its ONNX node, the size
and the budget — without anything of that size being allocated: onnxruntime runs the file only
in a child process capped at the budget, where the allocation fails; a size the file states
(a ConstantOfShape, Expand, Tile, Range or Resize of constants, a shape computed from the
input's shape) is then named with its shape by shape inference, one computed from the input's
values by onnxruntime's own words; an input of a huge shape is refused before it is made. The
upload and the CLI alike; an ordinary model still imports. Each file here is a few hundred
bytes, and each refusal takes a second or so."""

from __future__ import annotations

import io

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch.onnx_budget import OverBudget
from layerloom.graph.import_torch.onnx_upload import import_onnx_bytes

BUDGET = "; running an ONNX file may take 2 GiB (set LAYERLOOM_MAX_ONNX_RUN_BYTES to change it)"


@pytest.fixture(autouse=True)
def two_gib(monkeypatch):
    """The same budget on any machine (the default is half the machine's memory, at most 4 GiB)."""
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_RUN_BYTES", str(2 << 30))


def const(name: str, value, dtype=np.int64):
    return numpy_helper.from_array(np.array(value, dtype=dtype), name)


def onnx_file(nodes, initializers=(), shape=("batch", 4)) -> bytes:
    """A model of ``x`` [batch, 4] whose nodes make ``big``; ``y`` is x plus the sum of big."""
    nodes = [*nodes, helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0, name="sum"),
             helper.make_node("Add", ["x", "total"], ["y"], name="add")]
    graph = helper.make_graph(nodes, "hostile",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             ["batch", 4])],
                              list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]) \
        .SerializeToString()


def refusal(data: bytes, file: str = "hostile.onnx") -> str:
    with pytest.raises(OverBudget) as err:
        import_onnx_bytes(data, file)
    return str(err.value)


STATED = {
    "ConstantOfShape": ([helper.make_node("ConstantOfShape", ["shape"], ["big"], name="big")],
                        [const("shape", [100000, 100000])],
                        "ONNX node big (ConstantOfShape) makes a value of 37.3 GiB (float32 "
                        "[100000, 100000] on a batch of 2)"),
    "Expand": ([helper.make_node("Expand", ["x", "shape"], ["big"], name="/blow/Expand")],
               [const("shape", [100000, 10000, 1, 4])],
               "ONNX node /blow/Expand (Expand) makes a value of 29.8 GiB (float32 "
               "[100000, 10000, 2, 4] on a batch of 2)"),
    "Tile": ([helper.make_node("Tile", ["x", "repeats"], ["big"], name="tile")],
             [const("repeats", [100000, 100000])],
             "ONNX node tile (Tile) makes a value of 298 GiB (float32 [200000, 400000] on a "
             "batch of 2)"),
    "Range": ([helper.make_node("Range", ["start", "limit", "delta"], ["big"], name="range")],
              [const("start", 0.0, np.float32), const("limit", 1e10, np.float32),
               const("delta", 1.0, np.float32)],
              "ONNX node range (Range) makes a value of 37.3 GiB (float32 [10000000000] on a "
              "batch of 2)"),
    "Resize": ([helper.make_node("Reshape", ["x", "map"], ["image"], name="as_map"),
                helper.make_node("Resize", ["image", "", "scales"], ["big"], name="up")],
               [const("map", [0, 1, 2, 2]), const("scales", [1, 1, 50000, 50000], np.float32)],
               "ONNX node up (Resize) makes a value of 74.5 GiB (float32 [2, 1, 100000, "
               "100000] on a batch of 2)"),
}


@pytest.mark.parametrize("op", list(STATED))
def test_a_value_the_file_states_too_large_is_refused_naming_its_shape(op):
    nodes, initializers, said = STATED[op]
    assert refusal(onnx_file(nodes, initializers)) == f"hostile.onnx: {said}{BUDGET}"


def test_an_unnamed_node_is_named_by_its_op_and_place():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("ConstantOfShape", ["shape"], ["big"])]
    assert refusal(onnx_file(nodes, [const("shape", [100000, 100000])])).startswith(
        "hostile.onnx: ONNX node ConstantOfShape_1 (ConstantOfShape) makes a value of 37.3 GiB")


def test_a_shape_computed_from_the_inputs_shape_is_followed():
    """Shape → Mul → ConstantOfShape: data propagation states [60000, 120000] at a batch of 2."""
    nodes = [helper.make_node("Shape", ["x"], ["size"], name="size"),
             helper.make_node("Mul", ["size", "k"], ["grown"], name="times"),
             helper.make_node("ConstantOfShape", ["grown"], ["big"], name="grow")]
    assert refusal(onnx_file(nodes, [const("k", [30000, 30000])])) == (
        f"hostile.onnx: ONNX node grow (ConstantOfShape) makes a value of 26.8 GiB (float32 "
        f"[60000, 120000] on a batch of 2){BUDGET}")


def test_an_input_of_a_huge_shape_is_refused_before_the_import_makes_it():
    nodes = [helper.make_node("Relu", ["x"], ["big"], name="relu")]
    assert refusal(onnx_file(nodes, shape=("batch", 100000, 100000))) == (
        f"hostile.onnx: input 'x' takes 74.5 GiB (float32 [2, 100000, 100000] on a batch of "
        f"2){BUDGET}")


def _sized_by_values(n: int) -> list:
    """Nodes computing ``n`` from the input's values (max(x) * 0 + n): shape inference cannot
    state it, onnxruntime computes it on every batch."""
    return [helper.make_node("ReduceMax", ["x"], ["top"], keepdims=0, name="top"),
            helper.make_node("Mul", ["top", "zero"], ["nought"], name="nought"),
            helper.make_node("Add", ["nought", "n"], ["count"], name="count"),
            helper.make_node("Cast", ["count"], ["whole"], to=TensorProto.INT64, name="whole"),
            helper.make_node("Unsqueeze", ["whole", "axis"], ["one"], name="one"),
            helper.make_node("Concat", ["one", "one"], ["shape"], axis=0, name="shape")], [
        const("zero", 0.0, np.float32), const("n", float(n), np.float32), const("axis", [0])]


def test_a_size_computed_from_the_inputs_values_is_refused_while_it_runs():
    nodes, initializers = _sized_by_values(100000)
    nodes.append(helper.make_node("ConstantOfShape", ["shape"], ["big"], name="blow"))
    assert refusal(onnx_file(nodes, initializers)) == (
        f"hostile.onnx: ONNX node blow (ConstantOfShape) asked for 37.3 GiB while onnxruntime "
        f"ran the file on a batch of 2, past what the run had left{BUDGET}")


def test_a_tile_by_repeats_computed_from_the_values_is_refused_while_it_runs(monkeypatch):
    """1.1 GiB of Tile ([2, 4] repeated [6000, 6000]) past a budget of 64 MiB, below
    onnxruntime's own limit of 4 GiB (the process may take 512 MiB more, onnxruntime's own)."""
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_RUN_BYTES", str(64 << 20))
    nodes, initializers = _sized_by_values(6000)
    nodes.append(helper.make_node("Tile", ["x", "shape"], ["big"], name="tile"))
    said = refusal(onnx_file(nodes, initializers))
    assert said.startswith("hostile.onnx: ONNX node tile (Tile) asked for 1.1 GiB while "
                           "onnxruntime ran the file on a batch of 2")
    assert said.endswith("running an ONNX file may take 64 MiB (set "
                         "LAYERLOOM_MAX_ONNX_RUN_BYTES to change it)")


def test_values_each_within_the_budget_are_refused_where_together_they_are_not(monkeypatch):
    """Sixty values of 8 MiB each: each is stated within 300 MB, the run that holds every value
    (the import asks for all of them) is not."""
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_RUN_BYTES", "300000000")
    nodes = [helper.make_node("Expand", ["x", "shape"], ["v0"], name="spread")]
    nodes += [helper.make_node("Relu", [f"v{i}"], [f"v{i + 1}"], name=f"relu{i}")
              for i in range(60)]
    nodes.append(helper.make_node("Identity", ["v60"], ["big"], name="last"))
    said = refusal(onnx_file(nodes, [const("shape", [250000, 1, 1, 1])]))
    assert said.startswith("hostile.onnx: ONNX node relu")
    assert " while onnxruntime ran the file on a batch of " in said
    assert said.endswith("running an ONNX file may take 286 MiB (set "
                         "LAYERLOOM_MAX_ONNX_RUN_BYTES to change it)")


def test_shape_inference_that_would_itself_take_the_memory_is_capped_too(monkeypatch):
    """Concat after Concat of the input's shape doubles a list of sizes 40 times: followed in
    this process, data propagation would take every byte the machine has."""
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_RUN_BYTES", str(128 << 20))
    nodes = [helper.make_node("Shape", ["x"], ["s0"], name="size")]
    nodes += [helper.make_node("Concat", [f"s{i}", f"s{i}"], [f"s{i + 1}"], axis=0,
                               name=f"twice{i}") for i in range(40)]
    nodes += [helper.make_node("ReduceSum", ["s40"], ["n"], keepdims=0, name="n"),
              helper.make_node("Cast", ["n"], ["big"], to=TensorProto.FLOAT, name="big")]
    said = refusal(onnx_file(nodes))
    assert said.startswith("hostile.onnx: ONNX node twice")
    assert said.endswith("running an ONNX file may take 128 MiB (set "
                         "LAYERLOOM_MAX_ONNX_RUN_BYTES to change it)")


def test_a_run_past_the_time_budget_is_ended(monkeypatch):
    """Five hundred products of [2000, 2000] matrices: hours of work in a file of bytes."""
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_SECONDS", "3")
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["m0"], name="m0",
                              value=numpy_helper.from_array(np.array([1e-3], np.float32)))]
    nodes += [helper.make_node("MatMul", [f"m{i}", f"m{i}"], [f"m{i + 1}"], name=f"square{i}")
              for i in range(500)]
    nodes.append(helper.make_node("Identity", ["m500"], ["big"], name="last"))
    assert refusal(onnx_file(nodes, [const("shape", [2000, 2000])])) == (
        "hostile.onnx: running the file took more than 3 seconds; running an ONNX file may "
        "take 3 seconds at a time (set LAYERLOOM_MAX_ONNX_SECONDS to change it)")


def test_an_ordinary_model_imports_within_a_small_budget(monkeypatch, tiny_onnx):
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_RUN_BYTES", str(64 << 20))
    graph, state, diff = import_onnx_bytes(tiny_onnx, "tiny.onnx")
    assert [n.type for n in graph.nodes] == ["Input", "Conv2d", "ReLU", "MaxPool2d", "Flatten",
                                             "Linear", "Output"]
    assert diff < 1e-5 and len(state) == 4


def test_the_cli_refuses_the_file_in_the_same_words(tmp_path, capsys):
    from layerloom.cli import main

    nodes, initializers, said = STATED["ConstantOfShape"]
    (tmp_path / "huge.onnx").write_bytes(onnx_file(nodes, initializers))
    assert main(["import-onnx", str(tmp_path / "huge.onnx"), "-o",
                 str(tmp_path / "g.json")]) == 1
    err = capsys.readouterr().err
    assert f"huge.onnx: {said}{BUDGET}" in err and "Traceback" not in err
    assert not (tmp_path / "g.json").exists()


def test_onnxruntimes_own_refusals_keep_their_words():
    """A file onnxruntime refuses for another reason than its size is said as before."""
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["big"], name="bad")]
    with pytest.raises(GraphError) as err:
        import_onnx_bytes(onnx_file(nodes, [const("shape", [7, 7])]), "bad.onnx")
    assert not isinstance(err.value, OverBudget)
    assert "onnxruntime cannot run the file on a batch of 2" in str(err.value)
    assert "ONNX node bad (Reshape)" in str(err.value)


def test_without_a_cap_the_stated_sizes_are_checked_before_anything_runs(monkeypatch):
    """Where the system cannot cap the child's memory (not Linux), shape inference goes first:
    the child answers without making a session (asked here in this process, with its cap
    switched off)."""
    import json

    from layerloom.graph.import_torch import onnx_child

    monkeypatch.setattr(onnx_child, "_cap", lambda budget: False)
    monkeypatch.setattr(onnx_child, "_run", lambda *args: pytest.fail("it ran the file"))
    nodes, initializers, _ = STATED["Tile"]
    header = {"budget": 2 << 30, "threads": 1, "optimize": [True], "sizes": 0,
              "runs": [{"model": 0, "inputs": ["x"]}]}
    buffer = io.BytesIO()
    np.savez(buffer, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
             model0=np.frombuffer(onnx_file(nodes, initializers), dtype=np.uint8),
             feed0_0=np.zeros((2, 4), np.float32))
    buffer.seek(0)
    answer, arrays = onnx_child._task(np.load(buffer, allow_pickle=False))
    assert answer == {"ok": False, "stage": "sizes", "over": {
        "batch": 2, "node": 0, "name": "big", "elem": TensorProto.FLOAT,
        "dims": [200000, 400000], "bytes": 200000 * 400000 * 4}} and arrays == {}

"""An ONNX file imported from its bytes (the designer's upload): the same design as from the
file on disk, and every budget checked before the work it bounds — a file too big is refused
before it is parsed, a graph of too many nodes before it is checked or run, tensors kept in
other files (paths on the server) are never read."""

from __future__ import annotations

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from layerloom.graph import dumps_graph
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch.onnx_in import import_onnx
from layerloom.graph.import_torch.onnx_upload import count_nodes, import_onnx_bytes


def _identities(n: int) -> bytes:
    """A valid ONNX model of ``n`` Identity nodes in a row."""
    nodes = [helper.make_node("Identity", [f"v{i}"], [f"v{i + 1}"]) for i in range(n)]
    graph = helper.make_graph(nodes, "long",
                              [helper.make_tensor_value_info("v0", TensorProto.FLOAT, ["b", 4])],
                              [helper.make_tensor_value_info(f"v{n}", TensorProto.FLOAT,
                                                             ["b", 4])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]) \
        .SerializeToString()


def test_the_bytes_import_as_the_file_does(tmp_path, tiny_onnx):
    data = tiny_onnx
    (tmp_path / "tiny.onnx").write_bytes(data)
    graph, state, diff = import_onnx_bytes(data, "tiny.onnx")
    on_disk, state_on_disk, _ = import_onnx(tmp_path / "tiny.onnx")
    assert graph.name == "tiny" and dumps_graph(graph) == dumps_graph(on_disk)
    assert [n.type for n in graph.nodes] == ["Input", "Conv2d", "ReLU", "MaxPool2d", "Flatten",
                                             "Linear", "Output"]
    assert diff < 1e-5 and state.keys() == state_on_disk.keys()
    assert all(torch.equal(state[k], state_on_disk[k]) for k in state)


def test_a_file_over_the_size_budget_is_refused_before_it_is_parsed(monkeypatch, tiny_onnx):
    data = b"\0" * (200 * 2**20)  # 200 MiB: parsing it would take a while, and fail
    parsed = []
    monkeypatch.setattr(onnx, "load_model_from_string", lambda *a, **k: parsed.append(a))
    with pytest.raises(GraphError) as err:
        import_onnx_bytes(data, "big.onnx")
    assert parsed == []  # refused from its length alone
    assert str(err.value) == ("big.onnx: the file is 200 MiB; ONNX files are read up to 128 MiB "
                              "(set LAYERLOOM_MAX_ONNX_BYTES to change it)")
    monkeypatch.setenv("LAYERLOOM_MAX_ONNX_BYTES", "1000")
    with pytest.raises(GraphError, match="tiny.onnx: the file is [0-9]+ KiB; ONNX files are read "
                                         "up to 1,000 bytes"):
        import_onnx_bytes(tiny_onnx, "tiny.onnx")


def test_a_graph_of_100k_nodes_is_refused_before_it_is_checked_or_run(monkeypatch):
    import onnxruntime

    data = _identities(100_000)
    assert count_nodes(onnx.load_model_from_string(data)) == 100_000
    work = []
    monkeypatch.setattr(onnx.checker, "check_model", lambda *a, **k: work.append("checked"))
    monkeypatch.setattr(onnxruntime, "InferenceSession", lambda *a, **k: work.append("run"))
    with pytest.raises(GraphError) as err:
        import_onnx_bytes(data, "long.onnx")
    assert work == []  # refused from its count of nodes
    assert str(err.value) == ("long.onnx: the model has 100,000 ONNX nodes; models of up to "
                              "10,000 nodes are imported (set LAYERLOOM_MAX_ONNX_NODES to "
                              "change it)")


def test_nodes_of_subgraphs_count_too(monkeypatch):
    body = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])] * 3, "branch", [],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = onnx.load_model_from_string(_identities(2))
    model.graph.node.append(helper.make_node("If", ["c"], ["z"], then_branch=body,
                                             else_branch=body))
    assert count_nodes(model) == 2 + 1 + 6


def test_tensors_kept_in_another_file_are_never_read(tmp_path, monkeypatch, tiny_onnx):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\1" * 64)
    model = onnx.load_model_from_string(tiny_onnx)
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    del weight.float_data[:]
    weight.data_location = TensorProto.EXTERNAL
    weight.external_data.add(key="location", value=str(secret))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GraphError) as err:
        import_onnx_bytes(model.SerializeToString(), "split.onnx")
    assert str(err.value).startswith(f"split.onnx: tensor '{weight.name}' is kept in another "
                                     f"file (ONNX external data), which an upload cannot bring; "
                                     f"save the model as one file")


def test_sizes_are_said_in_the_unit_that_reads_best():
    from layerloom.graph.limits import size_words

    assert [size_words(n) for n in (900, 12 * 2**10, 200 * 2**20, 4 << 30, 40_000_000_000)] \
        == ["900 bytes", "12 KiB", "200 MiB", "4 GiB", "37.3 GiB"]


@pytest.mark.parametrize("data", [b"", b"hello, not a model", b"\x08\x07" * 50,
                                  b"\x80\x04\x95pickle"])
def test_bytes_that_are_not_onnx_are_refused_in_words(data):
    with pytest.raises(GraphError) as err:
        import_onnx_bytes(data, "x.onnx")
    assert str(err.value).startswith("x.onnx: not an ONNX model")

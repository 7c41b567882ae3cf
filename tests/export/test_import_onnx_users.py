"""``import-onnx`` on models of the kinds users build (image, tabular, sequence), exported by
``torch.onnx.export`` (TorchScript exporter, dynamic batch): each one imports with the PyTorch
model's outputs, or is refused in one line naming the ONNX node, its op and why, never with an
internal error (an exception's name, an index out of range)."""

from __future__ import annotations

import re
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from layerloom.cli import main
from layerloom.graph import compile_graph
from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch.onnx_in import import_onnx


class Fn(nn.Module):
    """A model whose forward is ``fn(self, *inputs)``, with the given layers."""

    def __init__(self, fn, **layers):
        super().__init__()
        for name, layer in layers.items():
            setattr(self, name, layer)
        self.fn = fn

    def forward(self, *xs):
        return self.fn(self, *xs)


def lin(i, o):
    return nn.Linear(i, o)


OK = None
INT = "int"  # an input of token ids (5 of them per sample)

# name: (make the model, sample shapes without the batch, None or the refusal's pattern)
MODELS = {
    "sigmoid_head": (lambda: Fn(lambda s, x: torch.sigmoid(s.l(x)), l=lin(6, 1)), [(6,)], OK),
    "tanh_softmax": (lambda: Fn(lambda s, x: F.softmax(torch.tanh(s.l(x)), 1), l=lin(6, 4)),
                     [(6,)], OK),
    "log_softmax": (lambda: Fn(lambda s, x: F.log_softmax(s.l(x), -1), l=lin(6, 4)), [(6,)], OK),
    "scalar_affine": (lambda: Fn(lambda s, x: s.l(x) * 0.5 + 1, l=lin(6, 4)), [(6,)], OK),
    "divide_by_2": (lambda: Fn(lambda s, x: s.l(x) / 2, l=lin(6, 4)), [(6,)], OK),
    "reciprocal": (lambda: Fn(lambda s, x: 1 / s.l(x), l=lin(6, 4)), [(6,)],
                   r"ONNX node /Reciprocal \(Reciprocal\): no LayerLoom block does "
                   r"Reciprocal"),
    "minus_mean": (lambda: Fn(lambda s, x: x - x.mean(1, keepdim=True)), [(6,)], OK),
    "heads_difference": (lambda: Fn(lambda s, x: s.a(x) - s.b(x), a=lin(6, 3), b=lin(6, 3)),
                         [(6,)], OK),
    "divided_by_norm": (lambda: Fn(lambda s, x: x / (F.relu(x).sum(1, keepdim=True) + 1)),
                        [(6,)], OK),
    "clamp": (lambda: Fn(lambda s, x: torch.clamp(s.l(x), -1, 1), l=lin(6, 4)), [(6,)], OK),
    "clamp_min": (lambda: Fn(lambda s, x: torch.clamp(s.l(x), min=1e-6), l=lin(6, 4)), [(6,)],
                  r"ONNX node /Clip \(Clip\): Clip to \[1e-06, ∞\): only \[0, 6\] "
                  r"\(ReLU6\), \[0, ∞\) \(ReLU\) and two bounds, min < max \(Hardtanh\), map"),
    "relu6": (lambda: Fn(lambda s, x: F.relu6(s.l(x)), l=lin(6, 4)), [(6,)], OK),
    "pow_sqrt": (lambda: Fn(lambda s, x: torch.sqrt(s.l(x).pow(2) + 1), l=lin(6, 4)), [(6,)],
                 r"ONNX node /Pow \(Pow\): no LayerLoom block does Pow"),
    "exp": (lambda: Fn(lambda s, x: torch.exp(s.l(x)), l=lin(6, 4)), [(6,)], OK),
    "exp_log_abs": (lambda: Fn(lambda s, x: torch.log(torch.exp(s.l(x)).abs() + 1),
                               l=lin(6, 4)), [(6,)],
                    r"ONNX node /Abs \(Abs\): no LayerLoom block does Abs"),
    "where_const": (lambda: Fn(lambda s, x: torch.where(x > 0, x, torch.zeros_like(x))), [(6,)],
                    r"ONNX node /Greater \(Greater\): no LayerLoom block does Greater"),
    "cat_channels": (lambda: Fn(lambda s, x: torch.cat([s.a(x), s.b(x)], 1),
                                a=nn.Conv2d(3, 4, 3, padding=1), b=nn.Conv2d(3, 2, 1)),
                     [(3, 8, 8)], OK),
    "cat_features": (lambda: Fn(lambda s, x: torch.cat([s.a(x), s.b(x)], -1),
                                a=lin(6, 3), b=lin(6, 2)), [(6,)], OK),
    "permute_transpose": (lambda: Fn(lambda s, x: s.l(x.transpose(1, 2)).permute(0, 2, 1),
                                     l=lin(5, 3)), [(5, 7)], OK),
    "unsqueeze_squeeze": (lambda: Fn(lambda s, x: s.c(x.unsqueeze(1)).squeeze(1),
                                     c=nn.Conv1d(1, 1, 3, padding=1)), [(8,)], OK),
    "squeeze_to_batch": (lambda: Fn(lambda s, x: s.l(x).squeeze(-1), l=lin(6, 1)), [(6,)],
                         r"ONNX node /Squeeze \(Squeeze\): its output is one number per "
                         r"sample \(\[batch\]\)"),
    "max_sum_keepdim": (lambda: Fn(lambda s, x: x.mean(2, keepdim=True) + x.amax(2, True)),
                        [(4, 5)], OK),
    "mean_over_steps": (lambda: Fn(lambda s, x: s.l(s.n(s.e(x)).mean(1)), e=nn.Embedding(10, 8),
                                   n=nn.LayerNorm(8), l=lin(8, 2)), [INT], OK),
    "mean_of_features": (lambda: Fn(lambda s, x: s.l(x).mean(1), l=lin(6, 3)), [(6,)],
                         r"ONNX node /ReduceMean \(ReduceMean\): ReduceMean over dimensions "
                         r"\[1\] of a 2-D value without keepdims leaves the batch alone; no "
                         r"block"),
    "interp_nearest": (lambda: Fn(lambda s, x: F.interpolate(s.c(x), scale_factor=2),
                                  c=nn.Conv2d(3, 2, 1)), [(3, 4, 4)], OK),
    "interp_bilinear": (lambda: Fn(lambda s, x: F.interpolate(s.c(x), scale_factor=2,
                                                              mode="bilinear"),
                                   c=nn.Conv2d(3, 2, 1)), [(3, 4, 4)], OK),
    "interp_to_size": (lambda: Fn(lambda s, x: F.interpolate(x, size=(8, 8))), [(3, 4, 4)], OK),
    "interp_odd_size": (lambda: Fn(lambda s, x: F.interpolate(x, size=(6, 6))), [(3, 4, 4)],
                        r"ONNX node /Resize \(Resize\): to sizes that are not a whole multiple"),
    "interp_align_corners": (lambda: Fn(lambda s, x: F.interpolate(
        x, scale_factor=2, mode="bilinear", align_corners=True)), [(3, 4, 4)], OK),
    "conv_transpose": (lambda: Fn(lambda s, x: s.t(x), t=nn.ConvTranspose2d(3, 2, 2, stride=2)),
                       [(3, 4, 4)], OK),
    "group_norm": (lambda: Fn(lambda s, x: s.g(s.c(x)), c=nn.Conv2d(3, 4, 3),
                              g=nn.GroupNorm(2, 4)), [(3, 6, 6)], OK),
    "group_norm_plain": (lambda: Fn(lambda s, x: x + s.g(x), g=nn.GroupNorm(2, 4, affine=False)),
                         [(4, 5, 5)], OK),
    "group_norm_1d": (lambda: Fn(lambda s, x: s.g(x), g=nn.GroupNorm(2, 4)), [(4, 7)], OK),
    "instance_norm_1d": (lambda: Fn(lambda s, x: s.g(x), g=nn.InstanceNorm1d(4, affine=True)),
                         [(4, 7)],
                         r"ONNX node /g/InstanceNormalization \(InstanceNormalization\): "
                         r"InstanceNormalization of a 3-D value"),
    "instance_norm": (lambda: Fn(lambda s, x: s.g(s.c(x)), c=nn.Conv2d(3, 4, 3),
                                 g=nn.InstanceNorm2d(4, affine=True)), [(3, 6, 6)], OK),
    "conv1d_pool": (lambda: Fn(lambda s, x: s.l(F.adaptive_avg_pool1d(F.relu(s.c(x)), 1)
                                                .flatten(1)),
                               c=nn.Conv1d(2, 4, 3), l=lin(4, 2)), [(2, 10)], OK),
    "pools_2d": (lambda: Fn(lambda s, x: F.avg_pool2d(x, 2) + F.adaptive_max_pool2d(x, (4, 4))),
                 [(3, 8, 8)], OK),
    "view_batch": (lambda: Fn(lambda s, x: s.l(s.c(x).view(x.size(0), -1)),
                              c=nn.Conv2d(1, 2, 3), l=lin(32, 3)), [(1, 6, 6)], OK),
    "flatten_from_2": (lambda: Fn(lambda s, x: s.l(torch.flatten(x, 2)), l=lin(16, 2)),
                       [(3, 4, 4)], OK),
    "matmul_weight": (lambda: Fn(lambda s, x: x @ s.w, w=nn.Parameter(torch.randn(6, 3))),
                      [(6,)], OK),
    "bmm_computed": (lambda: Fn(lambda s, x: torch.bmm(s.a(x), s.b(x).transpose(1, 2)),
                                a=lin(4, 4), b=lin(4, 4)), [(5, 4)], OK),
    "einsum_computed": (lambda: Fn(lambda s, x: torch.einsum("bij,bkj->bik", s.a(x), s.b(x)),
                                   a=lin(4, 4), b=lin(4, 4)), [(5, 4)], OK),  # a batched product
    "einsum_outer": (lambda: Fn(lambda s, x: torch.einsum("bi,bj->bij", s.a(x), s.b(x)),
                                a=lin(4, 3), b=lin(4, 2)), [(4,)],
                     r"ONNX node /Einsum \(Einsum\): .*'bi,bj->bij' is no batched matrix product"),
    "gru_last_step": (lambda: Fn(lambda s, x: s.l(s.g(x)[0][:, -1]),
                                 g=nn.GRU(4, 6, batch_first=True), l=lin(6, 2)), [(5, 4)], OK),
    "lstm_hidden": (lambda: Fn(lambda s, x: s.l(s.g(x)[1][0][-1]),
                               g=nn.LSTM(4, 6, batch_first=True), l=lin(6, 2)), [(5, 4)], OK),
    "residual_broadcast": (lambda: Fn(lambda s, x: s.c(x) + x.mean((2, 3), keepdim=True),
                                      c=nn.Conv2d(3, 3, 3, padding=1)), [(3, 6, 6)], OK),
    "bias_parameter": (lambda: Fn(lambda s, x: s.l(x) + s.b, l=lin(6, 6),
                                  b=nn.Parameter(torch.randn(6))), [(6,)],
                       r"ONNX node /Add \(Add\): it adds a constant of shape \[6\] to a \[6\] "
                       r"value; no block does that"),
    "dropout_bn1d": (lambda: Fn(lambda s, x: s.m(s.d(F.relu(s.bn(s.l(x))))), l=lin(6, 8),
                                bn=nn.BatchNorm1d(8), d=nn.Dropout(0.3), m=lin(8, 2)),
                     [(6,)], OK),
    "two_inputs": (lambda: Fn(lambda s, x, y: s.l(torch.cat([x, y], 1)), l=lin(10, 2)),
                   [(6,), (4,)], OK),
    "two_outputs": (lambda: Fn(lambda s, x: (s.a(x), torch.sigmoid(s.b(x))),
                               a=lin(6, 3), b=lin(6, 1)), [(6,)], OK),
    "prelu": (lambda: Fn(lambda s, x: F.leaky_relu(s.p(s.c(x)), 0.2), c=nn.Conv2d(3, 4, 3),
                         p=nn.PReLU(4)), [(3, 6, 6)], OK),
    "cast_to_own_type": (lambda: Fn(lambda s, x: s.l(x).to(torch.float32), l=lin(4, 2)),
                         [(4,)], OK),
    "ids_as_numbers": (lambda: Fn(lambda s, x: s.l(x.float()), l=lin(5, 2)), [INT],
                       r"ONNX node /Cast \(Cast\): it converts int64 to float32; no block "),
    "select_first_step": (lambda: Fn(lambda s, x: s.l(x[:, 0]), l=lin(4, 2)), [(5, 4)], OK),
    "reflect_pad": (lambda: Fn(lambda s, x: F.pad(x, (1, 1, 1, 1), mode="reflect")),
                    [(3, 6, 6)], r"ONNX node /Pad \(Pad\): Pad in mode 'reflect'"),
    "flip": (lambda: Fn(lambda s, x: torch.flip(x, [1])), [(4,)],
             r"ONNX node /Slice \(Slice\): Slice with step -1 along dimension 1; no block"),
    "every_second": (lambda: Fn(lambda s, x: s.l(x[:, ::2]), l=lin(3, 2)), [(6,)], OK),
    "last_of_map": (lambda: Fn(lambda s, x: s.l(s.c(x)[:, :, -1]), c=nn.Conv1d(4, 8, 3),
                               l=lin(8, 2)), [(4, 20)], OK),
    "focus": (lambda: Fn(lambda s, x: s.c(torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2],
                                                     x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1)),
                         c=nn.Conv2d(12, 4, 1)), [(3, 8, 8)], OK),
    "repeat": (lambda: Fn(lambda s, x: x.repeat(1, 2)), [(4,)],
               r"ONNX node /Expand \(Expand\): Expand \(or repeat\) of a computed value"),
    "channel_shuffle": (lambda: Fn(lambda s, x: x.view(x.size(0), 2, 2, 3, 3).transpose(1, 2)
                                   .reshape(x.size(0), 4, 3, 3)), [(4, 3, 3)], OK),
    "gelu_tanh": (lambda: Fn(lambda s, x: s.m(F.gelu(s.l(x), approximate="tanh")), l=lin(4, 6),
                             m=lin(6, 2)), [(4,)], OK),
    "tanh_of_cube": (lambda: Fn(lambda s, x: torch.tanh(x.pow(3)) * x), [(4,)],
                     r"ONNX node /Pow \(Pow\): no LayerLoom block does Pow"),
    "same_even_kernel": (lambda: Fn(lambda s, x: s.c(x), c=nn.Conv2d(3, 2, 4, padding="same")),
                         [(3, 8, 8)], OK),  # SAME_UPPER: PyTorch's "same" again
}
AT_13 = ["gelu_tanh", "group_norm", "scalar_affine", "clamp", "unsqueeze_squeeze", "interp_bilinear", "interp_to_size",
         "instance_norm", "gru_last_step", "prelu", "mean_of_features"]
# internal errors that must never reach the user
INTERNAL = re.compile(r"\b\w+Error\b|Exception|Traceback|out of range|has no attribute|"
                      r"not subscriptable|unexpected keyword|OnnxModule|\.forward")


def _export(name: str, path, opset: int):
    make, shapes, _ = MODELS[name]
    torch.manual_seed(0)
    model = make().eval()
    for m in model.modules():  # statistics other than 0 and 1, so that they matter
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 1.5)
    xs = [torch.randint(0, 10, (2, 5)) if s == INT else torch.randn(2, *s) for s in shapes]
    with torch.no_grad():
        out = model(*xs)
    inputs = [f"in{i}" for i in range(len(xs))]
    outputs = [f"out{i}" for i in range(len(out) if isinstance(out, tuple) else 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(xs), str(path), dynamo=False, opset_version=opset,
                          input_names=inputs, output_names=outputs,
                          dynamic_axes={n: {0: "batch"} for n in inputs + outputs})
    return model, shapes


@pytest.mark.filterwarnings("ignore::UserWarning")  # padding="same" with an even kernel
@pytest.mark.parametrize("name, opset", [(n, 17) for n in MODELS] + [(n, 13) for n in AT_13])
def test_users_model_imports_or_is_refused_in_words(name, opset, tmp_path):
    model, shapes = _export(name, tmp_path / "m.onnx", opset)
    refusal = MODELS[name][2]
    if refusal is not None:
        with pytest.raises(GraphError, match=refusal) as caught:
            import_onnx(tmp_path / "m.onnx")
        message = str(caught.value)
        assert "\n" not in message and not INTERNAL.search(message), message
        return
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-4
    imported = compile_graph(graph).eval()
    imported.load_state_dict(state, strict=True)
    xs = [torch.randint(0, 10, (3, 5)) if s == INT else torch.randn(3, *s) for s in shapes]
    with torch.no_grad():
        torch.testing.assert_close(imported(*xs), model(*xs), atol=1e-4, rtol=1e-4)


def test_cli_refuses_in_one_line_and_debug_adds_the_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _export("clamp_min", tmp_path / "clamp.onnx", 17)
    code = main(["import-onnx", "clamp.onnx", "-o", "g.json"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "ONNX node /Clip (Clip): Clip to [1e-06, ∞)" in err and "Traceback" not in err
    code = main(["--debug", "import-onnx", "clamp.onnx", "-o", "g.json"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback (most recent call last)" in err
    assert "ONNX node /Clip (Clip): Clip to [1e-06, ∞)" in err.rstrip().splitlines()[-1]
    assert not (tmp_path / "g.json").exists()
    _export("instance_norm", tmp_path / "norm.onnx", 13)
    assert main(["import-onnx", "norm.onnx", "-o", "g.json"]) == 0
    assert "matches onnxruntime" in capsys.readouterr().out
    assert (tmp_path / "g.json").exists()


def test_a_fixed_batch_is_refused_naming_the_node_without_runtime_internals(tmp_path):
    model = Fn(lambda s, x: s.l(x).view(1, 2, 3), l=lin(4, 6)).eval()  # a batch of one only
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 4),), str(tmp_path / "m.onnx"), dynamo=False,
                          opset_version=17, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}})
    with pytest.raises(GraphError, match=r"onnxruntime cannot run the file on a batch of 2 "
                                         r"\(the batch dimension must be dynamic\): ONNX node "
                                         r"/Reshape \(Reshape\): ") as caught:
        import_onnx(tmp_path / "m.onnx")
    assert not INTERNAL.search(str(caught.value)) and "_src" not in str(caught.value)


def _one_node_file(path, op: str, shape: list[int], opset: int, **attrs) -> None:
    """A file of one node ``op`` on an input ``x`` of ``[batch, *shape]``, as other tools
    write them."""
    from onnx import TensorProto, helper, save

    dims = ["batch", *shape]
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], name="head", **attrs)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, dims)])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))


@pytest.mark.parametrize("op, shape, opset, attrs, message", [
    ("HardSigmoid", [4], 17, {}, r"ONNX node head \(HardSigmoid\): alpha 0.2 and beta 0.5 "
                                 r"\(PyTorch's Hardsigmoid, the block, is alpha 1/6"),
    ("Softmax", [3, 4], 11, {}, r"ONNX node head \(Softmax\): before opset 13 it normalises "
                                r"over every dimension from axis 1 of a 3-D value together"),
])
def test_other_tools_semantics_are_refused_in_words(op, shape, opset, attrs, message, tmp_path):
    _one_node_file(tmp_path / "m.onnx", op, shape, opset, **attrs)
    with pytest.raises(GraphError, match=message):
        import_onnx(tmp_path / "m.onnx")


@pytest.mark.parametrize("op, shape, opset, attrs", [
    ("Mish", [4], 18, {}), ("Softmax", [3, 4], 11, {"axis": 2}),
    ("HardSigmoid", [4], 17, {"alpha": 1 / 6})])
def test_other_tools_ops_import(op, shape, opset, attrs, tmp_path):
    _one_node_file(tmp_path / "m.onnx", op, shape, opset, **attrs)
    graph, state, diff = import_onnx(tmp_path / "m.onnx")
    assert diff < 1e-5
    assert len([n for n in graph.nodes if n.type not in ("Input", "Output")]) == 1

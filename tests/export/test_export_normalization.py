"""A run trained on standardised inputs: each standalone export carries the mean and std where its
format can (ONNX metadata_props, a TorchScript extra file, safetensors metadata, a constant and
a function in the generated code), and the export says so, so that nobody feeds raw data to
those weights unknowingly."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from layerloom.graph import compile_graph, loads_graph
from layerloom.graph.export import RunInfo, export_model
from layerloom.graph.templates import load_template

from .conftest import chain_graph

NORM = {"kind": "channel", "mean": [0.0, 10.0, 20.0], "std": [1.0, 2.0, 4.0]}
SAID = ("Trained on inputs standardised per channel: x = (raw - mean) / std with the training "
        "split's mean [0, 10, 20] and std [1, 2, 4]; standardise raw data the same way before "
        "feeding the model.")


def _signal_graph():
    return loads_graph(json.dumps(chain_graph(
        ("signal", "Input", {"shape": [3, 8]}), ("flat", "Flatten"),
        ("fc", "Linear", {"out_features": 4}), ("out", "Output"), name="sensor")))


def _run(graph, norm=NORM):
    torch.manual_seed(0)
    return RunInfo(dataset={"name": "sensors.npz", "normalization": norm},
                   state_dict=compile_graph(graph).state_dict(), run_id=3)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("norm")
    graph = _signal_graph()
    run = _run(graph)
    results = {fmt: export_model(graph, fmt, tmp / name, run=run)
               for fmt, name in (("onnx", "sensor.onnx"), ("torchscript", "sensor.pt"),
                                 ("python", "sensor_code.py"),
                                 ("safetensors", "sensor.safetensors"))}
    return tmp, results, run


def test_onnx_carries_the_normalisation_in_its_metadata(exported):
    import onnx
    import onnxruntime as ort

    tmp, results, _ = exported
    props = {p.key: p.value for p in onnx.load(str(tmp / "sensor.onnx")).metadata_props}
    assert json.loads(props["layerloom.normalization"]) == NORM
    assert props["layerloom.input"] == SAID
    session = ort.InferenceSession(str(tmp / "sensor.onnx"), providers=["CPUExecutionProvider"])
    assert json.loads(session.get_modelmeta().custom_metadata_map["layerloom.normalization"]) \
        == NORM
    assert results["onnx"].notes["normalization"] == (
        f"{SAID} Written into the ONNX file's metadata_props['layerloom.normalization'] (JSON; "
        f"onnx.load(path).metadata_props).")


def test_torchscript_carries_it_as_an_extra_file(exported):
    tmp, results, _ = exported
    files = {"normalization.json": ""}
    torch.jit.load(str(tmp / "sensor.pt"), _extra_files=files)
    assert json.loads(files["normalization.json"]) == NORM
    assert "extra file 'normalization.json'" in results["torchscript"].notes["normalization"]


def test_safetensors_carry_it_in_their_metadata(exported):
    from safetensors import safe_open

    tmp, _, _ = exported
    for name in ("sensor.safetensors", "sensor_code.safetensors"):  # the code's weights too
        with safe_open(str(tmp / name), "pt") as f:
            meta = f.metadata()
        assert json.loads(meta["layerloom.normalization"]) == NORM
        assert meta["layerloom.input"] == SAID


def test_the_generated_code_says_it_and_standardises_raw_inputs(exported):
    from safetensors.torch import load_file

    tmp, results, run = exported
    code = (tmp / "sensor_code.py").read_text(encoding="utf-8")
    header = " ".join(code[:code.index("\nimport torch")].replace("\n#", "").split())
    assert ("Inputs: the weights were trained on inputs standardised per channel, x = (raw - "
            "mean) / std, with the training split's mean and std (INPUT_NORMALIZATION below). "
            "Feed the model standardize_input(raw), never raw data.") in header
    namespace: dict = {"__name__": "generated"}
    exec(compile(code, "sensor.py", "exec"), namespace)  # our own generated code
    assert namespace["INPUT_NORMALIZATION"] == NORM
    raw = torch.tensor(np.random.default_rng(0).normal(10, 3, size=(2, 3, 8)),
                       dtype=torch.float32)
    expected = (raw - torch.tensor([0.0, 10.0, 20.0])[:, None]) / torch.tensor([1.0, 2.0, 4.0])[
        :, None]
    torch.testing.assert_close(namespace["standardize_input"](raw), expected)
    model = namespace["Sensor"]().eval()
    model.load_state_dict(load_file(str(tmp / "sensor_code.safetensors")))
    reference = compile_graph(_signal_graph()).eval()
    reference.load_state_dict(run.state_dict)
    with torch.no_grad():
        torch.testing.assert_close(model(namespace["standardize_input"](raw)),
                                   reference(expected))


def test_whole_number_pixels_are_scaled_first(tmp_path):
    graph = load_template("seed-cnn")
    run = _run(graph, {"kind": "channel", "mean": [0.13], "std": [0.31], "scale": 255.0})
    result = export_model(graph, "python", tmp_path / "digits.py", run=run)
    assert "(raw values in 0–1: whole numbers, such as 8-bit pixels, divided by 255 first)" \
        in result.notes["normalization"]
    namespace: dict = {"__name__": "generated"}
    exec(compile((tmp_path / "digits.py").read_text(), "digits.py", "exec"), namespace)
    pixels = torch.full((1, 1, 28, 28), 255, dtype=torch.uint8)
    standardize = namespace["standardize_input"]
    torch.testing.assert_close(standardize(pixels), torch.full((1, 1, 28, 28), (1 - 0.13) / 0.31))
    torch.testing.assert_close(standardize(pixels.float() / 255), standardize(pixels))


def test_nothing_is_claimed_where_the_run_did_not_normalise(tmp_path):
    import onnx

    graph = _signal_graph()
    result = export_model(graph, "onnx", tmp_path / "plain.onnx", run=_run(graph, None))
    assert "normalization" not in result.notes
    keys = {p.key for p in onnx.load(str(tmp_path / "plain.onnx")).metadata_props}
    assert "layerloom.normalization" not in keys
    code = export_model(graph, "python", tmp_path / "plain.py", run=_run(graph, None))
    assert "INPUT_NORMALIZATION" not in code.files[0].read_text()


def test_the_cli_says_it_after_exporting_a_run(tmp_path, monkeypatch, capsys):
    from layerloom.cli import export as cli_export
    from layerloom.cli import main

    graph = _signal_graph()
    monkeypatch.setattr(cli_export, "_load_run", lambda run_id, db: (graph, _run(graph)))
    assert main(["export", "3", "-f", "torchscript", "-o", str(tmp_path / "s.pt")]) == 0
    out = capsys.readouterr().out
    assert f"inputs: {SAID} Written into the TorchScript file's extra file 'normalization.json'" \
        in out

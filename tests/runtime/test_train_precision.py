"""The precision setting (issue 16): fp32 by default, bf16-mixed on CPUs that compute bfloat16
natively, refused with a reason where a device cannot."""

from __future__ import annotations

import pytest
import torch

from layerloom.runtime import TrainConfig, TrainError, train
from layerloom.runtime.config import ConfigError
from layerloom.runtime.trainer import cpu_has_bf16, precision_plan

CPU = torch.device("cpu")
MLP = {
    "format": "layerloom-graph", "version": 1, "name": "mlp",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
              {"id": "h", "type": "Linear", "params": {"out_features": 32}},
              {"id": "a", "type": "ReLU"},
              {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
              {"id": "y", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in [("x", "h"), ("h", "a"), ("a", "fc"),
                                                      ("fc", "y")]],
}


def test_fp32_is_the_default_and_plain():
    assert TrainConfig().precision == "fp32"
    assert precision_plan(TrainConfig(), CPU) is None
    assert precision_plan(TrainConfig(amp=True), CPU) is None  # amp: CUDA only, as before


def test_unknown_precision_is_named():
    with pytest.raises(ConfigError, match="precision must be one of fp32, bf16-mixed"):
        TrainConfig(precision="int8")


def test_fp16_on_a_cpu_is_refused_with_the_alternative():
    with pytest.raises(TrainError, match="fp16-mixed needs a CUDA GPU; on a CPU use bf16-mixed"):
        precision_plan(TrainConfig(precision="fp16-mixed"), CPU)


def test_bf16_follows_what_the_cpu_can(monkeypatch):
    import layerloom.runtime.trainer as trainer

    monkeypatch.setattr(trainer, "cpu_has_bf16", lambda: False)
    with pytest.raises(TrainError, match="this CPU has no native bfloat16"):
        precision_plan(TrainConfig(precision="bf16-mixed"), CPU)
    assert precision_plan(TrainConfig(precision="auto-mixed"), CPU) is None
    monkeypatch.setattr(trainer, "cpu_has_bf16", lambda: True)
    assert precision_plan(TrainConfig(precision="bf16-mixed"), CPU) == torch.bfloat16


@pytest.mark.heavy  # two 30-epoch runs: make test-all
@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no native bfloat16")
def test_bf16_training_learns_iris_like_fp32():
    results = {p: train(MLP, "iris", epochs=30, lr=0.01, precision=p, seed=0)
               for p in ("fp32", "bf16-mixed")}
    fp32, bf16 = (results[p].metrics["test_accuracy"] for p in ("fp32", "bf16-mixed"))
    assert bf16 >= 0.85 and abs(bf16 - fp32) <= 0.1
    # weights stay fp32 under autocast
    assert all(p.dtype == torch.float32 for p in results["bf16-mixed"].model.parameters())


def test_cli_refuses_fp16_on_a_cpu_before_recording_a_run(tmp_path, capsys):
    from layerloom.cli import main

    code = main(["train", "mlp-tabular", "--dataset", "iris", "--epochs", "1", "--device",
                 "cpu", "--precision", "fp16-mixed", "--home", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "fp16-mixed needs a CUDA GPU" in err
    from layerloom.runtime import RunStore

    runs = RunStore(tmp_path / "runs.db").list_runs()
    assert runs == []

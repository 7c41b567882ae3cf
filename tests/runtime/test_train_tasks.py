"""Each task trains and its loss falls; a trailing Softmax is never applied twice; designs that
do not fit the data or the task fail with messages that say what to change."""

from __future__ import annotations

import pytest
import torch

from layerloom.runtime import DataError, NonFiniteLoss, TrainError, load_dataset, train

FAST = {"num_threads": 1, "log_every": 5}


def test_classification_loss_falls_and_reports(moons, mlp):
    events = []
    result = train(mlp(), moons, {"epochs": 4, "lr": 0.02, **FAST}, callback=events.append)
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < losses[0] * 0.7
    assert result.status == "completed" and result.metrics["test_accuracy"] > 0.8
    steps = [e for e in events if e.kind == "step"]
    assert set(steps[0].metrics) == {"loss", "accuracy", "lr", "samples_per_s"}
    assert steps[-1].step > steps[0].step and steps[-1].metrics["samples_per_s"] > 0
    epochs = [e for e in events if e.kind == "epoch"]
    assert [e.epoch for e in epochs] == [0, 1, 2, 3]
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "time"} <= \
        set(epochs[0].metrics)
    assert epochs[-1].eta == pytest.approx(0.0, abs=1e-6) and epochs[0].eta > 0
    assert events[-1].kind == "end" and events[-1].status == "completed"


def test_regression_loss_falls(regression_file, mlp):
    ds = load_dataset(regression_file)
    assert ds.task == "regression"
    result = train(mlp(features=3, out=1), ds, {"epochs": 5, "lr": 0.02, **FAST})
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < losses[0] * 0.5
    assert {"test_mae", "test_rmse", "test_r2"} <= set(result.metrics)
    assert result.metrics["test_r2"] > 0.5
    assert "train_mae" in result.history[0]


def test_reconstruction_targets_the_input(moons, mlp):
    auto = mlp(out=2, hidden=8)
    result = train(auto, moons, {"task": "reconstruction", "loss": "l1", "epochs": 4,
                                 "lr": 0.02, **FAST})
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < losses[0] * 0.7
    with torch.no_grad():
        out = result.model(moons.x_test)
    mae = (out - moons.x_test).abs().mean().item()
    assert result.metrics["test_mae"] == pytest.approx(mae, rel=1e-4)


@pytest.mark.parametrize("head", ["Softmax", "LogSoftmax"])
def test_trailing_softmax_is_skipped_for_the_loss(moons, mlp, head):
    cfg = {"epochs": 2, "lr": 0.02, **FAST}
    plain = train(mlp(), moons, cfg)
    with_head = train(mlp(head=head), moons, cfg)
    assert any("left out while training" in note for note in with_head.notes)
    for key, value in plain.model.state_dict().items():
        assert torch.equal(value, with_head.model.state_dict()[key]), key
    assert with_head.history == [{**row, "time": w["time"]} for row, w in
                                 zip(plain.history, with_head.history)]
    with torch.no_grad():  # the trained model still ends with its head
        out = with_head.model(moons.x_test[:5])
    probs = out if head == "Softmax" else out.exp()
    torch.testing.assert_close(probs.sum(1), torch.ones(5))


def test_softmax_hidden_in_a_block_is_detected(moons, mlp):
    graph = mlp()
    graph["blocks"] = {"Probabilities": {"params": {}, "nodes": [
        {"id": "i", "type": "Input"}, {"id": "s", "type": "Softmax"},
        {"id": "o", "type": "Output"}], "edges": [{"source": "i", "target": "s"},
                                                  {"source": "s", "target": "o"}]}}
    graph["nodes"].insert(-1, {"id": "p", "type": "Probabilities"})
    graph["edges"][-1] = {"source": "fc2", "target": "p"}
    graph["edges"].append({"source": "p", "target": "y"})
    cfg = {"epochs": 2, "lr": 0.02, **FAST}
    hidden = train(graph, moons, cfg)
    plain = train(mlp(), moons, cfg)
    assert any("already look like probs" in note for note in hidden.notes)
    # NLL of log(softmax) is cross-entropy of the logits: the same training up to rounding
    for key, value in plain.model.state_dict().items():
        torch.testing.assert_close(hidden.model.state_dict()[key], value, atol=1e-4, rtol=1e-4)


def test_input_that_does_not_fit_names_both_shapes(mlp):
    iris = load_dataset("iris")
    with pytest.raises(DataError, match=r"Input is \[2\] float32 but iris gives \[4\] float32"):
        train(mlp(), iris, {"epochs": 1})


def test_output_that_does_not_fit_the_classes(moons, mlp):
    with pytest.raises(TrainError, match=r"outputs \[3\] per sample but moons has 2 classes: "
                                         r"make the last layer \(fc2\) give \[2\]"):
        train(mlp(classes=3), moons, {"epochs": 1})
    with pytest.raises(TrainError, match=r"reconstruction must have the input's shape"):
        train(mlp(out=3), moons, {"epochs": 1, "task": "reconstruction"})


def test_early_stopping_on_the_monitored_metric(moons, mlp):
    result = train(mlp(), moons, {"epochs": 6, "early_stopping": True, "patience": 1,
                                  "min_delta": 100.0, **FAST})
    assert len(result.history) == 3
    assert result.reason.startswith("early stopping: val_loss did not improve for 2 epochs")
    with pytest.raises(TrainError, match=r"monitor 'val_mae' is not measured by this run; "
                                         r"choose one of train_loss, train_accuracy"):
        train(mlp(), moons, {"epochs": 1, "monitor": "val_mae"})


def test_nan_loss_stops_with_advice(regression_file, mlp):
    ds = load_dataset(regression_file)
    with pytest.raises(NonFiniteLoss, match=r"training loss became (nan|inf) at step \d+ .*"
                                            r"try a lower learning rate.*gradient clipping.*"
                                            r"normalised"):
        train(mlp(features=3, out=1), ds, {"epochs": 3, "lr": 90, "optimizer": "sgd",
                                           **FAST})


def test_noisy_inputs_reconstruct_the_clean_image():
    """Augmentation noise goes on the input only: a denoising autoencoder. Were the noisy
    input its own target, the loss could not fall below the noise's variance (1.0)."""
    graph = {"format": "layerloom-graph", "version": 1, "name": "ae", "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "flat", "type": "Flatten"}, {"id": "fc", "type": "Linear",
                                            "params": {"out_features": 64}},
        {"id": "back", "type": "Reshape", "params": {"shape": [1, 8, 8]}},
        {"id": "y", "type": "Output"}],
        "edges": [{"source": "x", "target": "flat"}, {"source": "flat", "target": "fc"},
                  {"source": "fc", "target": "back"}, {"source": "back", "target": "y"}]}
    result = train(graph, load_dataset("digits"), {"task": "reconstruction", "epochs": 3,
                                                   "lr": 0.01, "noise_std": 1.0, **FAST})
    assert result.history[-1]["train_loss"] < 0.5
    assert result.metrics["test_mse"] < 0.3

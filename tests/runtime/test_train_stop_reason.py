"""A stop's reason says where the run stopped as the run's history counts epochs: between two
epochs it is 'after epoch N' (it said 'epoch N+1, batch 0', one more than the runs list)."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.runtime import TrainConfig, load_dataset, train


def _stopper(at_epoch: int | None = None, at_step: int | None = None):
    def callback(event):
        if at_epoch is not None and event.kind == "epoch" and event.epoch + 1 == at_epoch:
            return "stop"
        if at_step is not None and event.kind == "step" and event.step >= at_step:
            return "stop"
        return None
    return callback


def test_a_stop_between_epochs_says_after_which_epoch():
    ds = load_dataset("iris")
    config = TrainConfig(epochs=5, batch_size=16, seed=0, num_threads=1, log_every=1)
    result = train(load_template("mlp-tabular"), ds, config, callback=_stopper(at_epoch=2))
    assert result.status == "stopped"
    steps = result.reason.split("at step ")[1].split()[0]
    assert result.reason == f"stopped by request at step {steps} (after epoch 2)"


def test_a_stop_inside_an_epoch_says_the_epoch_and_batch():
    ds = load_dataset("iris")
    config = TrainConfig(epochs=5, batch_size=16, seed=0, num_threads=1, log_every=1)
    result = train(load_template("mlp-tabular"), ds, config, callback=_stopper(at_step=10))
    assert result.status == "stopped"
    assert result.reason.startswith("stopped by request at step ")
    # iris: 105 training samples in batches of 16 are 7 batches an epoch; the place in the
    # epoch is said with the count, so that it is not read as the batch size
    assert "(epoch 2, after batch " in result.reason and " of 7)" in result.reason

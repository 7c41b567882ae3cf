"""The runtime's error types. Each message says what went wrong and what to change."""

from __future__ import annotations


class TrainError(RuntimeError):
    """A run that cannot start or go on: the design does not fit the task, a value is wrong,
    a checkpoint does not match. The message is for the user, in words."""


class NonFiniteLoss(TrainError):
    """The loss became NaN or infinite; training stopped."""

    def __init__(self, epoch: int, step: int, value: float):
        self.epoch, self.step, self.value = epoch, step, value
        super().__init__(
            f"the training loss became {value} at step {step} (epoch {epoch + 1}): try a lower "
            f"learning rate (for example a tenth of it), gradient clipping (grad_clip 1.0), or "
            f"check that the data are normalised")


class RunNotFound(KeyError):
    """No run with that id in the database."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such run"

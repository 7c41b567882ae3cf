"""The Train page's progress line (ui/live.py) counts epochs as the run's own note does: a run
stopped between epochs says the epoch it finished, not the next ("Stopped … after epoch 690"
was shown over "epoch 691/3000")."""

from __future__ import annotations

from layerloom.ui.live import progress_line


def line(epoch, step, status="stopped", epochs=3000, per_epoch=7):
    return progress_line({"epoch": epoch, "epochs": epochs, "step": step,
                          "total_steps": epochs * per_epoch, "elapsed": 11}, status)


def test_a_run_stopped_after_an_epoch_shows_that_epoch():
    assert line(690, 4830).startswith("epoch 690/3000 · step 4830/21000")


def test_a_run_stopped_inside_an_epoch_shows_the_epoch_it_was_in():
    assert line(517, 3622).startswith("epoch 518/3000 · step 3622/21000")


def test_a_completed_run_and_a_starting_one():
    assert line(300, 2100, "completed", epochs=300).startswith("epoch 300/300")
    assert line(0, 0, "running").startswith("epoch 1/3000 · step 0/21000")
    assert line(0, 3, "running").startswith("epoch 1/3000 · step 3/21000")
    assert line(1, 7, "paused").startswith("epoch 1/3000 · step 7/21000")

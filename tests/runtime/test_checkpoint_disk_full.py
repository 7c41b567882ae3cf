"""A checkpoint that cannot be written whole (its disk full) leaves no part-written
``checkpoint.pt.tmp`` behind, which kept a full disk full (815 kB of resnet-mini's 1.5 MB on a
small disk), and is said as the full disk it is, naming the checkpoint: torch's writer says it
as '[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534'."""

from __future__ import annotations

import errno
import shutil
from collections import namedtuple

import pytest
import torch

from layerloom.runtime import checkpoint
from layerloom.runtime.checkpoint import save_checkpoint

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def disk_fills(monkeypatch):
    """torch.save writes part of the file, then fails as it does when the disk is full."""
    def save(obj, path, *args, **kwargs):
        with open(path, "wb") as file:
            file.write(b"PK" * 1000)
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")

    monkeypatch.setattr(torch, "save", save)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(1 << 20, 1 << 20, 0))


def test_a_full_disk_leaves_no_part_written_checkpoint_and_is_said(tmp_path, disk_fills):
    target = tmp_path / "runs" / "1" / "checkpoint.pt"
    with pytest.raises(OSError) as caught:
        save_checkpoint(target, {"epoch": 1})
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(target)
    assert list(target.parent.iterdir()) == []


def test_the_checkpoint_kept_before_stays_whole(tmp_path, monkeypatch):
    target = tmp_path / "checkpoint.pt"
    save_checkpoint(target, {"epoch": 1})
    monkeypatch.setattr(checkpoint.torch, "save", _fail_after_writing)
    with pytest.raises(RuntimeError, match="unexpected pos"):
        save_checkpoint(target, {"epoch": 2})
    assert checkpoint.load_checkpoint(target)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]


def _fail_after_writing(obj, path, *args, **kwargs):
    with open(path, "wb") as file:
        file.write(b"PK")
    raise RuntimeError("unexpected pos 2 vs 0")

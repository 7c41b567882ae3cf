"""Images cut short (a copy or a download stopped part-way): the header whole, the pixels ending
early. Such a file passed the header check as a folder loaded and failed when training decoded
it ('image file is truncated', an epoch in). Now the folder's load names it, saying it is cut
short; a file with data after its end (as some cameras write) still loads; and one that
training reaches all the same (a folder past the header check) fails with the same words, the
run kept."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data import folder as folders


def folder(tmp_path, n=30, suffix="png"):
    rng = np.random.default_rng(0)
    root = tmp_path / "pets"
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 255, (28, 28), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:03d}.{suffix}")
    return root


def cut(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return int(len(data) * keep)


@pytest.mark.parametrize(("suffix", "fmt"), [("png", "PNG"), ("jpg", "JPEG")])
def test_an_image_cut_short_is_named_as_the_folder_loads(tmp_path, suffix, fmt):
    root = folder(tmp_path, suffix=suffix)
    size = cut(root / "dog" / f"017.{suffix}")
    with pytest.raises(DataError) as refused:
        load_dataset(root, stats_sample=1)  # the sample decoded for the statistics misses it
    assert refused.value.entry == f"dog/017.{suffix}" and refused.value.unreadable
    assert str(refused.value) == (
        f"pets, entry 'dog/017.{suffix}': cannot be read as an image (the file is cut short: "
        f"it ends at {size:,} bytes, before its {fmt} data does, as a copy or a download "
        f"stopped part-way leaves it); remove it or replace it with a good copy, and load the "
        f"data again, or leave it out with leave_out_broken=True (named in the notes)")


def test_a_jpeg_with_data_after_its_end_loads(tmp_path):
    root = folder(tmp_path, suffix="jpg")
    path = root / "cat" / "003.jpg"
    path.write_bytes(path.read_bytes() + b"\x00MAKERNOTE" * 20)  # past FF D9: decodes
    ds = load_dataset(root, stats_sample=1)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 60


def test_an_image_cut_short_that_training_reaches_fails_naming_it_and_the_run_is_kept(
        tmp_path, monkeypatch, capsys):
    import json

    from layerloom.cli import main

    root = folder(tmp_path)
    cut(root / "cat" / "005.png")
    # a folder past the header check (more files than it reads): only a sample's headers
    monkeypatch.setattr(folders, "HEADER_CHECK", 0)
    monkeypatch.setattr(folders, "HEADER_SAMPLE", 1)
    home = tmp_path / "home"
    code = main(["train", "seed-cnn", "--dataset", str(root), "--data-option", "stats_sample=1",
                 "--set", "classes=2", "--epochs", "1", "--home", str(home)])
    said = capsys.readouterr()
    assert code == 2, said  # a file that cannot be read, as a folder's .png that is no image
    assert "Traceback" not in said.err + said.out
    assert "entry 'cat/005.png': cannot be read as an image (the file is cut short: it ends " \
           "before its image data does, as a copy or a download stopped part-way leaves it)" \
        in said.err
    assert main(["runs", "--json", "--home", str(home)]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert run["status"] == "failed", run


def test_pillows_words_for_a_cut_file_become_the_users(tmp_path):
    from layerloom.runtime.data.images import unreadable

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(buffer, "JPEG")
    with pytest.raises(OSError) as failed:  # 'Truncated File Read', or 'image file is truncated'
        Image.open(io.BytesIO(buffer.getvalue()[:300])).load()
    assert unreadable(failed.value).startswith("the file is cut short: it ends before its "
                                               "image data does")

"""A large .npz of 8-bit images (a 200 MB file) loads within its budget's memory: x's values as
the float32 that training holds count against LAYERLOOM_MAX_NPZ_BYTES (8-bit images are four
times their size), and the per-channel statistics are taken a block of samples at a time, not
from a float64 copy of every training image (4.5 GB held for a 200 MB file)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data import normalize


def test_8_bit_images_are_budgeted_as_the_float32_training_holds(tmp_path, monkeypatch):
    path = tmp_path / "digits.npz"
    np.savez(path, x=np.zeros((100, 28, 28), np.uint8), y=np.arange(100) % 2)  # 78,400 bytes
    monkeypatch.setenv("LAYERLOOM_MAX_NPZ_BYTES", "200000")
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (
        "digits.npz: x holds 78,400 values, 313,600 bytes as the float32 values training "
        "holds; .npz files are capped at 200,000 bytes: save fewer samples, or smaller images "
        "(set LAYERLOOM_MAX_NPZ_BYTES to change it)")
    monkeypatch.setenv("LAYERLOOM_MAX_NPZ_BYTES", "400000")
    assert load_dataset(path).input_shape == (1, 28, 28)


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_channel_statistics_taken_in_blocks_are_numpys(monkeypatch, offset):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(300, 3, 6, 5)) * 3 + offset).astype(np.float32)
    x[7, 1, 2, 2] = np.nan  # a missing value is left out, as nanmean leaves it
    rows = rng.permutation(300)[:210]
    monkeypatch.setattr(normalize, "VALUES_AT_ONCE", 200)  # many blocks of two samples
    stats = normalize.fit(x, "channel", rows=rows)
    train = x[rows].astype(np.float64)
    assert np.allclose(stats["mean"], np.nanmean(train, axis=(0, 2, 3)), rtol=1e-12, atol=1e-9)
    assert np.allclose(stats["std"], np.nanstd(train, axis=(0, 2, 3)), rtol=1e-9)


# Loads a file of 8-bit images whose float32 copy is about 240 MB in a fresh interpreter and
# prints the most memory it held beyond what it held before loading (after torch's import)
PEAK = textwrap.dedent("""
    import resource, sys
    from layerloom.runtime.data import load_dataset
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ds = load_dataset(sys.argv[1], seed=0)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
""")


@pytest.mark.slow
def test_a_large_npz_of_8_bit_images_holds_about_three_copies_of_its_floats(tmp_path):
    path = tmp_path / "many.npz"
    x = np.random.default_rng(0).integers(0, 256, (76_500, 28, 28), dtype=np.uint8)
    np.savez(path, x=x, y=np.arange(len(x)) % 10)
    floats = x.size * 4
    del x
    out = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True,
                         text=True, check=True)
    grown = int(out.stdout.split()[-1])
    # the file's bytes, their float32, the splits' float32: 2.25 times the floats; before, the
    # statistics' float64 copies and a second float32 copy made it about 5.5
    assert grown < 3 * floats, (grown, floats)

"""Batch augmentation: identity when off, seeded, and each transform does what it says."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from layerloom.runtime.data import AugmentConfig, DataError, augment_batch


def batch(b=32, c=3, h=8, w=10):
    return torch.randn(b, c, h, w, generator=torch.Generator().manual_seed(0))


def test_nothing_enabled_returns_the_batch_itself():
    x = batch()
    assert augment_batch(x, AugmentConfig(), torch.Generator()) is x


def test_the_same_generator_seed_gives_the_same_batch():
    cfg = AugmentConfig(crop_padding=2, hflip=True, noise_std=0.1)
    x = batch()
    first = augment_batch(x, cfg, torch.Generator().manual_seed(3))
    again = augment_batch(x, cfg, torch.Generator().manual_seed(3))
    other = augment_batch(x, cfg, torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert first.shape == x.shape and first.dtype == x.dtype


def test_a_random_crop_is_a_shifted_window_of_the_zero_padded_image():
    pad, x = 2, batch(b=64)
    out = augment_batch(x, AugmentConfig(crop_padding=pad), torch.Generator().manual_seed(1))
    padded = F.pad(x, (pad, pad, pad, pad))
    offsets = set()
    for i in range(len(x)):
        matches = [(top, left) for top in range(2 * pad + 1) for left in range(2 * pad + 1)
                   if torch.equal(out[i], padded[i, :, top:top + 8, left:left + 10])]
        assert matches, f"sample {i} is no window of its padded image"
        offsets.add(matches[0])
    assert len(offsets) > 10  # offsets vary across the batch


def test_a_flip_mirrors_about_half_the_images():
    x = batch(b=200)
    out = augment_batch(x, AugmentConfig(hflip=True), torch.Generator().manual_seed(2))
    flipped = [torch.equal(o, s.flip(-1)) for o, s in zip(out, x, strict=True)]
    kept = [torch.equal(o, s) for o, s in zip(out, x, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 60 < sum(flipped) < 140


def test_noise_has_the_configured_spread():
    x = torch.zeros(64, 1, 16, 16)
    out = augment_batch(x, AugmentConfig(noise_std=0.5), torch.Generator().manual_seed(0))
    assert float(out.mean()) == pytest.approx(0.0, abs=0.02)
    assert float(out.std()) == pytest.approx(0.5, rel=0.03)


def test_without_a_generator_the_global_rng_is_used():
    torch.manual_seed(9)
    first = augment_batch(batch(), AugmentConfig(hflip=True, crop_padding=1))
    torch.manual_seed(9)
    assert torch.equal(first, augment_batch(batch(), AugmentConfig(hflip=True, crop_padding=1)))


def test_bad_batches_and_settings_are_refused():
    with pytest.raises(DataError, match=r"float image batches \[B, C, H, W\], got torch.float32 "
                                        r"\[4, 10\]"):
        augment_batch(torch.zeros(4, 10), AugmentConfig(hflip=True))
    with pytest.raises(DataError, match="crop_padding must be a whole number"):
        AugmentConfig(crop_padding=-1)
    with pytest.raises(DataError, match="noise_std must be a number"):
        AugmentConfig(noise_std=-0.1)

"""Image augmentation on whole batches: random crop with padding, horizontal flip, noise.

Vectorised over the batch and driven only by the given ``torch.Generator``, so a run that
saves and restores the generator's state sees the same augmented batches again.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import DataError


@dataclass(frozen=True)
class AugmentConfig:
    crop_padding: int = 0  # pad each side by this many zeros, then crop back at a random offset
    hflip: bool = False  # mirror half of the images left to right
    noise_std: float = 0.0  # add Gaussian noise, in the units of the normalised inputs

    def __post_init__(self) -> None:
        if isinstance(self.crop_padding, bool) or not isinstance(self.crop_padding, int) \
                or self.crop_padding < 0:
            raise DataError(f"crop_padding must be a whole number ≥ 0, got {self.crop_padding!r}")
        if not isinstance(self.noise_std, (int, float)) or not self.noise_std >= 0:
            raise DataError(f"noise_std must be a number ≥ 0, got {self.noise_std!r}")

    @property
    def enabled(self) -> bool:
        return self.crop_padding > 0 or self.hflip or self.noise_std > 0


def augment_batch(x: torch.Tensor, cfg: AugmentConfig,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """``x`` (B, C, H, W) augmented as ``cfg`` says; ``x`` itself when nothing is enabled.

    >>> x = torch.arange(4.0).view(1, 1, 2, 2)
    >>> augment_batch(x, AugmentConfig()) is x
    True
    """
    if not cfg.enabled:
        return x
    if x.dim() != 4 or not x.is_floating_point():
        raise DataError(f"augmentation works on float image batches [B, C, H, W], got "
                        f"{x.dtype} {list(x.shape)}")
    where = generator.device if generator is not None else x.device  # draw on its device
    if cfg.crop_padding:
        x = _random_crop(x, cfg.crop_padding, generator, where)
    if cfg.hflip:
        flip = torch.rand(x.shape[0], generator=generator, device=where).to(x.device) < 0.5
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
    if cfg.noise_std:
        noise = torch.randn(x.shape, generator=generator, device=where, dtype=x.dtype)
        x = x + cfg.noise_std * noise.to(x.device)
    return x


def _random_crop(x: torch.Tensor, pad: int, generator: torch.Generator | None,
                 where: torch.device) -> torch.Tensor:
    b, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))  # (B, C, H + 2p, W + 2p)
    top, left = torch.randint(2 * pad + 1, (2, b), generator=generator, device=where).to(x.device)
    rows = (top[:, None] + torch.arange(h, device=x.device))[:, :, None]  # (B, H, 1)
    cols = (left[:, None] + torch.arange(w, device=x.device))[:, None, :]  # (B, 1, W)
    batch = torch.arange(b, device=x.device)[:, None, None]  # (B, 1, 1)
    crops = padded.permute(0, 2, 3, 1)[batch, rows, cols]  # (B, H, W, C)
    return crops.permute(0, 3, 1, 2).contiguous()  # (B, C, H, W)

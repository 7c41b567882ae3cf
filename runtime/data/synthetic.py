"""Synthetic data, generated deterministically from a seed: toy 2-D sets, signals and texts.

Each generator returns ``(x, labels)`` as NumPy arrays and draws only from the generator it is
given, so the same seed always gives the same samples.
"""

from __future__ import annotations

import numpy as np

WAVEFORMS = ("sine", "square", "sawtooth", "triangle", "chirp")

# Words of the synthetic reviews; a sample is mostly neutral words with a few of its class.
POSITIVE = ("good", "great", "excellent", "wonderful", "lovely", "superb", "enjoyable", "fun",
            "brilliant", "charming", "delightful", "moving", "clever", "beautiful", "fresh",
            "solid", "gripping", "best", "liked", "recommend")
NEGATIVE = ("bad", "awful", "terrible", "boring", "dull", "poor", "weak", "messy", "worst",
            "tedious", "clumsy", "bland", "annoying", "forgettable", "painful", "silly",
            "flat", "waste", "hated", "avoid")
NEUTRAL = ("the", "a", "film", "movie", "story", "plot", "actors", "cast", "scene", "music",
           "ending", "script", "director", "was", "is", "and", "it", "this", "with", "of", "to",
           "in", "very", "quite", "really", "at", "times", "overall", "camera", "characters",
           "dialogue", "pace", "length", "sound", "effects", "screen", "hour", "first", "second",
           "last")


def spirals(rng: np.random.Generator, n_samples: int, noise: float,
            arms: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class per arm, in about [-1, 1]²."""
    labels = rng.permutation(np.arange(n_samples) % arms)
    t = np.sqrt(rng.uniform(0.02, 1.0, n_samples))  # sqrt: even density along the arm
    angle = t * 3 * np.pi + labels * 2 * np.pi / arms
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return x + rng.normal(0.0, noise, x.shape), labels


def xor(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Points in [-1, 1]², class 1 where exactly one coordinate is positive; noise moves the
    points after labelling, so some cross the axes."""
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    labels = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    return x + rng.normal(0.0, noise, x.shape), labels


def waveforms(rng: np.random.Generator, n_samples: int, length: int,
              noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Signals ``[N, 1, length]`` of the shapes in ``WAVEFORMS`` with random frequency, phase
    and amplitude, in Gaussian noise."""
    labels = rng.permutation(np.arange(n_samples) % len(WAVEFORMS))
    t = np.arange(length) / length  # (L,), one window
    top = max(2.0, min(8.0, length / 8))  # cycles per window, kept well under Nyquist
    freq = rng.uniform(1.0, top, (n_samples, 1))
    shift = rng.uniform(0.0, 1.0, (n_samples, 1))
    amplitude = rng.uniform(0.7, 1.3, (n_samples, 1))
    cycles = freq * t + shift  # (N, L)
    fraction = cycles % 1.0
    chirp = freq * t + freq * t**2 + shift  # frequency rises from f to 3f
    shapes = np.stack([
        np.sin(2 * np.pi * cycles),
        np.sign(np.sin(2 * np.pi * cycles)),
        2 * fraction - 1,
        1 - 4 * np.abs(fraction - 0.5),
        np.sin(2 * np.pi * chirp),
    ])  # (classes, N, L)
    signal = shapes[labels, np.arange(n_samples)] * amplitude
    signal += rng.normal(0.0, noise, signal.shape)
    return signal[:, None, :], labels


def reviews(rng: np.random.Generator, n_samples: int, length: int) -> tuple[list[str], np.ndarray]:
    """Short film reviews; label 1 (positive) when most of their opinion words are positive.

    Each holds 2–5 words of its class and 0–1 of the other among neutral words, so a
    bag-of-words or embedding model can learn it, but not by a single word.
    """
    labels = rng.permutation(np.arange(n_samples) % 2)
    texts = []
    for label in labels:
        own, other = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
        words = [*rng.choice(own, rng.integers(2, 6)), *rng.choice(other, rng.integers(0, 2))]
        size = int(rng.integers(max(len(words), length // 2), max(len(words), length) + 1))
        words += list(rng.choice(NEUTRAL, size - len(words)))
        texts.append(" ".join(rng.permutation(words)))
    return texts, labels

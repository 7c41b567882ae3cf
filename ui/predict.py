"""A finished run's model, and inputs fed to it the way its data were: for the Results page.

The run's last checkpoint holds the trained weights; the model is rebuilt from the run's graph
with the runtime's own ``prepare_model`` (so a trailing Softmax is handled exactly as in
training) and its outputs read with the task's ``probabilities``. Raw inputs (an image in [0, 1],
a table row in the file's units, a text) are encoded and normalised with the parameters the run's
dataset fitted on its training split, taken from ``runtime.data.preprocessing`` as the exported
bundle's predict.py takes them (tests/export/test_export_predict_parity.py holds the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from layerloom.graph import load_graph
from layerloom.runtime import RunStore, TrainConfig, load_checkpoint, prepare_model
from layerloom.runtime.runner import data_changed, load_saved_dataset
from layerloom.runtime.target_scale import TargetScale
from layerloom.runtime.data import DataError, normalize, text
# the table-row encoding is the runtime's (explanations read rows the same way)
from layerloom.runtime.data.preprocessing import (  # noqa: F401
    TABLE_SUFFIXES, date_names, date_text, encode_row, input_columns, row_names, table_rows)
# digits made as MNIST's were are prepared so (see picture_input)
from layerloom.runtime.data.preprocessing import digit_frame, picture_resize, prepare_digit
from layerloom.graph.export.predict_script import fitted

from .cache import dataset_of
from .pagestate import DataChoice


@dataclass
class Trained:
    module: torch.nn.Module
    task: object  # runtime.tasks.Task
    dataset: object  # runtime.data.Dataset
    # a regression target standardised for training (runtime.target_scale.TargetScale): the
    # weights loaded predict in its units all the same; None for other runs
    target_scale: object = None

    def outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The model's outputs for a batch of normalised inputs."""
        with torch.no_grad():
            return self.module(x).float()

    def probabilities(self, x: torch.Tensor) -> np.ndarray:
        return self.task.probabilities(self.outputs(x)).numpy()


def choice_of(spec: dict) -> DataChoice:
    """A run's dataset record as the Data page's choice (and cache key)."""
    return DataChoice(spec["source"], dict(spec.get("options") or {}), Path(spec["source"]).name,
                      spec.get("seed", 0), spec.get("val_fraction", 0.1),
                      spec.get("test_fraction", 0.2))


def run_dataset(run):
    """The dataset a run trained on: the copy saved with it (a Dataset handed over in memory,
    as the bundle export reads it), else loaded again as the run recorded it."""
    if run.dataset.get("saved"):
        return _saved_dataset(str(run.dataset["saved"]))
    from layerloom.runtime.data.for_design import spec_for_design

    # read for the run's design, as it trained (an .npz of [N, H, W] images for an Input [H, W])
    return dataset_of(choice_of(spec_for_design(run.dataset, run.graph, run.variables)))


@st.cache_resource(max_entries=4, show_spinner="Loading the dataset…")
def _saved_dataset(path: str):
    return load_saved_dataset(path)


@st.cache_resource(max_entries=4, show_spinner="Loading the trained model…")
def _trained(db: str, run_id: int, checkpoint: str, mtime: float) -> Trained:
    del mtime  # part of the key: a resumed run writes a newer checkpoint
    run = RunStore(db).get(run_id)
    ds = run_dataset(run)
    changed = data_changed(run, load_graph(run.graph), ds)
    if changed:  # said as the run's, not as a design's Input to set
        raise DataError(changed)
    prepared = prepare_model(load_graph(run.graph), ds, TrainConfig.from_dict(run.config),
                             run.variables or None)
    state = load_checkpoint(checkpoint)
    prepared.module.load_state_dict(state["model"])  # in the target's units (target_scale.py)
    prepared.module.eval()
    return Trained(prepared.module, prepared.task, ds,
                   TargetScale.from_dict(state.get("target_scale")))


def trained(store: RunStore, run) -> Trained:
    """The run's model with its last checkpoint's weights; TrainError in words without one."""
    path = Path(run.checkpoint) if run.checkpoint else None
    if path is None or not path.is_file():
        raise ValueError(f"run {run.id} saved no checkpoint (it ended before its first epoch "
                         f"did), so there is no trained model to load")
    return _trained(str(store.path), run.id, str(path), path.stat().st_mtime)


# -- raw inputs to model inputs --------------------------------------------------------------

def shown(x: torch.Tensor | np.ndarray, ds) -> np.ndarray:
    """Normalised samples back in the data's units (images in [0, 1]), for showing."""
    return normalize.undo(np.asarray(x, dtype=np.float32), ds.normalization)


def from_raw(raw: np.ndarray, ds) -> torch.Tensor:
    """A batch in the data's units (``[N, *input_shape]``) normalised as in training."""
    arr = np.asarray(raw, dtype=np.float32)
    if arr.shape[1:] != tuple(ds.input_shape):
        raise ValueError(f"the input is {list(arr.shape[1:])} but the model takes "
                         f"{list(ds.input_shape)}")
    if ds.normalization is not None:
        arr = normalize.apply(arr, ds.normalization)
    return torch.from_numpy(arr)


def from_text(words: str, ds) -> torch.Tensor:
    """A text as the run's token ids: its vocabulary, padded or cut to its length."""
    if not ds.vocab:
        raise ValueError(f"{ds.name} is not a text dataset")
    ids = text.encode([text.tokenize(words)], ds.vocab, ds.input_shape[0])
    return torch.from_numpy(ids.astype(np.int64))


def text_reading(words: str, ds) -> tuple[str, bool]:
    """How the model reads a typed text, in words, and whether its answer is worth nothing
    (no word of the text is one the model learned). Words it never saw in training are read
    as one unknown token, and a text longer than the model's length is cut: a newcomer who
    typed words of their own was shown a confident bar chart either way.

    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(vocab=["<pad>", "<unk>", "great", "film"], input_shape=(4,))
    >>> text_reading("Great film, xyzzy!", ds)
    ('The model reads 3 words: 1 it never saw in training (xyzzy), read as one unknown word.', False)
    >>> text_reading("qwerty zork", ds)[1]
    True
    """
    tokens = text.tokenize(words)
    length = int(ds.input_shape[0])
    read = tokens[:length]
    known = set(ds.vocab[2:]) if ds.vocab[:2] == [text.PAD, text.UNK] else set(ds.vocab)
    unknown = list(dict.fromkeys(t for t in read if t not in known))
    if not read:
        return ("No words to read: the model reads letters and digits, and nothing else.",
                True)
    said = f"The model reads {len(read)} word{'s' if len(read) != 1 else ''}"
    if len(tokens) > length:
        said += f" (the first {length} of {len(tokens)}: it takes no more)"
    if len(unknown) == len(set(read)):
        return (said + ": none is a word it learned in training, so its answer says nothing "
                "about this text. Use words of the training texts.", True)
    if unknown:
        shown = ", ".join(unknown[:8]) + (", …" if len(unknown) > 8 else "")
        said += (f": {len(unknown)} it never saw in training ({shown}), read as one unknown "
                 f"word")
    return said + ".", False


# -- pictures: drawn on the canvas or uploaded ----------------------------------------------

def gray_of(pixels: np.ndarray) -> np.ndarray:
    """A picture's gray levels in [0, 1], ``[H, W]``: from 8-bit ``[H, W]``, ``[H, W, 3]`` or
    ``[H, W, 4]`` (the drawing canvas's RGBA: transparent pixels count as its background,
    the colour of its corners)."""
    from PIL import Image

    arr = np.asarray(pixels, dtype=np.float64)
    if arr.ndim == 2:
        return np.clip(arr / 255.0, 0.0, 1.0)
    if arr.shape[-1] == 3 or (arr[..., 3] >= 255).all():  # opaque: gray as PIL makes it, as
        rgb = np.clip(arr[..., :3], 0, 255).astype(np.uint8)  # the bundle's predict.py does
        return np.asarray(Image.fromarray(rgb, "RGB").convert("L"), dtype=np.float64) / 255.0
    gray = arr[..., :3].mean(axis=-1) / 255.0
    if arr.shape[-1] == 4:
        alpha = arr[..., 3] / 255.0
        corners = [gray[0, 0], gray[0, -1], gray[-1, 0], gray[-1, -1]]
        paper = float(np.median(corners)) if (alpha > 0.5).all() else 0.0
        gray = gray * alpha + paper * (1.0 - alpha)
    return np.clip(gray, 0.0, 1.0)


def picture_input(pixels: np.ndarray, ds) -> np.ndarray:
    """A drawn or uploaded picture as the model's raw input ``[C, H, W]`` in [0, 1] (before
    normalisation, which :func:`from_raw` applies): for digits made as MNIST's were
    (``preprocessing.digit_frame``), inverted when dark on light, cropped, scaled into the
    20×20 box and centred by mass, exactly as the dataset's samples were made; for other
    pictures, resized to the model's height and width."""
    from PIL import Image

    frame = digit_frame(ds)
    channels, height, width = ds.input_shape
    if frame is not None:
        return prepare_digit(gray_of(pixels), frame["size"], frame["box"])[None]
    arr = np.asarray(pixels)
    if arr.ndim == 3 and arr.shape[-1] == 4:
        arr = arr[..., :3]
    pil = Image.fromarray(arr.astype(np.uint8)).convert("L" if channels == 1 else "RGB")
    out = np.asarray(fitted(pil, width, height, picture_resize(ds)),  # as trained: cut
                     dtype=np.float32) / 255.0  # to the centre where the folder's were
    return out[None] if channels == 1 else np.transpose(out, (2, 0, 1))


def upload_pixels(data: bytes) -> np.ndarray:
    """An uploaded PNG/JPEG/TIFF's 8-bit pixels (EXIF orientation applied); ValueError in words when
    it is not an image."""
    import io

    from PIL import Image, ImageOps

    try:
        pil = Image.open(io.BytesIO(data))
        pil.load()
    except Exception as err:  # noqa: BLE001 - PIL raises many kinds
        raise ValueError(f"that file is not an image PIL can read ({err})") from None
    from layerloom.runtime.data.images import eight_bit

    # 16-bit and float pixels (a TIFF's) scaled as training read them; convert would clip them
    pil = eight_bit(ImageOps.exif_transpose(pil))
    return np.asarray(pil.convert("RGBA" if "A" in pil.getbands() else "RGB"))

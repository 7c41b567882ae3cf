"""Explain a trained run's decision for an input file: ``layerloom.runtime.explain``.

>>> from layerloom.runtime import explain
>>> exp = explain(12, "seven.png", method="gradcam")      # doctest: +SKIP
>>> exp.label, round(exp.probability, 2), exp.peak          # doctest: +SKIP
('7', 0.98, (14, 11))

The run's graph is compiled as drawn (no training rewrites, so every block is where the design
shows it) and loaded with its last checkpoint; the input is read and normalised as the run's
training data were (``read_input``), then :func:`attributions.explain_sample` does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from layerloom.graph import Graph

from .attributions import ExplainError, Explanation, explain_sample
from .data.preprocessing import TABLE_SUFFIXES  # the tables a row comes in
from .store import Run, RunStore

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass
class TrainedRun:
    """A run's model as drawn, with its trained weights, in eval mode, and what it trained on."""

    run: Run
    graph: Graph
    module: nn.Module
    dataset: object  # runtime.data.Dataset
    head: str  # what the model's output holds: "logits", "probs" or "log_probs"


def load_run(run_id: int, db: str | Path | RunStore | None = None) -> TrainedRun:
    """Run ``run_id``'s trained model and dataset; ExplainError in words when it has none."""
    from layerloom.graph.compile import compile_graph

    from .export import no_checkpoint, trained_state
    from .model import PROBABILITY_HEADS
    from .runner import data_changed, load_from_spec, load_saved_dataset

    store = db if isinstance(db, RunStore) else RunStore(db)
    run = store.get(run_id)
    if not run.checkpoint or not Path(run.checkpoint).is_file():
        raise ExplainError(no_checkpoint(run, "is no trained model to explain"))
    graph, state = trained_state(run)
    module = compile_graph(graph)
    module.load_state_dict(state)
    spec = run.dataset or {}
    dataset = (load_saved_dataset(spec["saved"]) if spec.get("saved")
               else load_from_spec(spec, graph, run.variables))
    changed = data_changed(run, graph, dataset)
    if changed:
        raise ExplainError(changed)
    last = _last_block_type(graph)
    return TrainedRun(run, graph, module.eval(), dataset, PROBABILITY_HEADS.get(last, "logits"))


def _last_block_type(graph: Graph) -> str:
    """The type of the block that feeds the (first) Output."""
    outputs = [n.id for n in graph.nodes if n.type == "Output"]
    if not outputs:
        return ""
    feeding = [e.source for e in graph.edges if e.target == outputs[0]]
    return graph.node(feeding[0]).type if feeding else ""


def read_input(source, dataset, notes: list | None = None) -> torch.Tensor:
    """One model input from ``source``, read and normalised as ``dataset``'s samples were.

    ``source``: an image file (resized to the model's input, channels converted), a ``.txt``
    file (a text, for text models), a table file (its first row, columns by name, for table
    models: CSV, TSV, .txt, .xlsx, Parquet, JSON lines, read as the Results page's Try it and
    the bundle's predict.py read a row), a ``.npy`` file (one sample in the data's units; read without pickles), or the
    same in memory (a PIL image, a string, a dict of column values, an array). An input that
    does not suit the model is refused naming the file, what it holds and what the model takes
    (:func:`expected_input`).

    An array is read as the bundle's predict.py reads a .npy (:func:`_array`): whole numbers
    (8-bit pixels) are divided by what training divided its images by, and a grayscale image
    ``[H, W]`` for a model of ``[1, H, W]`` gains its channel axis, said in ``notes``.
    """
    from .data import normalize
    from .data.preprocessing import encode_row

    shape = tuple(dataset.input_shape)
    raw = _raw(source, dataset)
    given = f"{source} is" if _is_path(source) else "the input is"
    takes = f"the model takes {expected_input(dataset)}"
    if dataset.dtype == "int64":
        if not isinstance(raw, str):
            raise ExplainError(f"{given} {_kind(raw)}, but {takes}")
        return _tokens(raw, dataset)
    if isinstance(raw, str) or (isinstance(raw, dict) and len(shape) != 1) or (
            hasattr(raw, "convert") and not (len(shape) == 3 and shape[0] in (1, 3))):
        raise ExplainError(f"{given} {_kind(raw)}, but {takes}")
    if isinstance(raw, dict):
        try:
            arr = encode_row(raw, dataset)
        except ValueError as exc:  # a missing column, text in a numeric column: in words
            raise ExplainError(f"{source}: {exc}" if _is_path(source) else str(exc)) from None
    elif hasattr(raw, "convert"):  # a PIL image
        arr = _image(raw, shape, dataset)
    else:
        name = Path(source).name if _is_path(source) else "the input"
        arr = _array(np.asarray(raw), dataset, name, notes)
    arr = np.asarray(arr, dtype=np.float32)
    if arr.shape != shape:
        raise ExplainError(f"{given} an array of {list(arr.shape)}, but {takes}")
    if dataset.normalization is not None:
        arr = normalize.apply(arr[None], dataset.normalization)[0]
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))


def _array(arr: np.ndarray, dataset, name: str, notes: list | None) -> np.ndarray:
    """An array (a .npy's) in the units training fed the model, before normalisation, as the
    bundle's predict.py reads one: whole numbers where training scaled 8-bit images (the npz
    loader's ``meta["scale"]``, 255) or where the model takes images are divided by that scale
    (else the normalisation's record: 16 for the digits, 255 for image folders; else 255); a
    grayscale ``[H, W]`` for a model of ``[1, H, W]`` is given its channel axis, as training
    gave it to an .npz of such images."""
    shape = tuple(dataset.input_shape)
    scale = (getattr(dataset, "meta", None) or {}).get("scale")
    image = len(shape) == 3 and shape[0] in (1, 3)
    if arr.dtype.kind in "biu" and (scale or image):
        # as predict.py's _scale: the loader's, else the images' record (16 for digits), else 255
        scale = float(scale or (dataset.normalization or {}).get("scale") or 255.0)
        arr = arr.astype(np.float64) / scale
        if notes is not None:
            notes.append(f"{name}: whole-number pixel values, divided by {scale:g} as "
                         f"training divided its images")
    if len(shape) == 3 and shape[0] == 1 and tuple(arr.shape) == shape[1:]:
        arr = arr[None]
        if notes is not None:
            notes.append(f"{name}: {list(arr.shape[1:])} is read as one grayscale image "
                         f"[H, W] and given a channel axis: {list(shape)}, as the model "
                         f"takes it")
    return arr


def expected_input(dataset) -> str:
    """What a model trained on ``dataset`` takes, in words, with the files that give it: ``an
    image of [1, 28, 28] (a .png, .jpg… file, or a .npy array of that shape)``."""
    shape = list(dataset.input_shape)
    if dataset.dtype == "int64":
        return "a text (a .txt file)"
    if len(shape) == 3 and shape[0] in (1, 3):
        return (f"an image of {shape} (a .png, .jpg… file, or a .npy array of that "
                f"shape)")
    from .data.preprocessing import input_columns

    columns = [str(c["name"]) for c in input_columns(dataset) or []]
    if len(shape) == 1 and columns:
        names = ", ".join(columns[:4]) + (", …" if len(columns) > 4 else "")
        return (f"a table row (a .csv, .xlsx, .parquet or .jsonl file whose header names "
                f"its columns: {names}; or a .npy array of {shape})")
    return f"an array of {shape} (a .npy file)"


def _is_path(source) -> bool:
    return isinstance(source, Path) or (isinstance(source, str) and "\n" not in source)


def _kind(raw) -> str:
    """What an input read holds, in words, for a message that says it does not fit."""
    if isinstance(raw, str):
        return "a text"
    if isinstance(raw, dict):
        return "a table row"
    if hasattr(raw, "convert"):
        return f"an image ({raw.width}×{raw.height})"
    return f"an array of {list(np.shape(raw))}"


def _raw(source, dataset=None):
    if not _is_path(source):
        return source
    path = Path(source)
    if not path.is_file():
        raise ExplainError(f"{path}: no such file", unreadable=True)
    takes = f"; the model takes {expected_input(dataset)}" if dataset is not None else ""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        from PIL import Image

        try:
            with Image.open(path) as img:
                img.load()
                return img.copy()
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds
            raise ExplainError(f"{path}: not an image Pillow can read ({exc}){takes}",
                               unreadable=True) from None
    if suffix == ".txt" and (dataset is None or dataset.dtype == "int64"
                             or len(dataset.input_shape) != 1):  # else a table, tab-separated
        return path.read_text(encoding="utf-8", errors="replace")
    if suffix in TABLE_SUFFIXES:  # a row as the Results page's Try it and predict.py read it
        from .data.errors import DataError
        from .data.preprocessing import input_columns, table_rows

        meta = getattr(dataset, "meta", None) or {}
        try:
            return table_rows(str(path), path.read_bytes(),
                              input_columns(dataset) if dataset is not None else None,
                              sheet=meta.get("sheet"))[0]
        except DataError as exc:
            raise ExplainError(f"{exc}{takes}") from None
    if suffix == ".npy":
        with open(path, "rb") as file:
            magic = file.read(6)
        if magic != b"\x93NUMPY":
            raise ExplainError(f"{path}: not a NumPy .npy file (no NumPy header){takes}",
                               unreadable=True)
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            why = ("it holds Python objects, which are never unpickled: save numbers, as "
                   "np.save(path, x.astype('float32'))" if "pickle" in str(exc)
                   else str(exc).splitlines()[0])
            raise ExplainError(f"{path}: not a plain NumPy array ({why}){takes}",
                               unreadable=True) from None
    raise ExplainError(f"{path}: unknown kind of input {suffix or '(no suffix)'}; give an "
                       f"image, a .txt, a table ({', '.join(TABLE_SUFFIXES)}) or a .npy "
                       f"file{takes}")


def _image(pil, shape, dataset=None) -> np.ndarray:
    """An image file as the model's raw input in [0, 1]: a digit for a model trained on
    MNIST-made digits prepared as they were (cropped, scaled into the 20×20 box, centred by
    mass: the app's Try it and the bundle's predict.py do the same), other pictures brought
    to the model's size as the training pictures were (cut to their centre, or stretched)."""
    from PIL import ImageOps

    from layerloom.graph.export.predict_script import fitted

    from .data.images import eight_bit
    from .data.preprocessing import digit_frame, picture_resize, prepare_digit

    if len(shape) != 3 or shape[0] not in (1, 3):
        raise ExplainError(f"the model takes {list(shape)}, not an image")
    channels, height, width = shape
    frame = digit_frame(dataset) if dataset is not None else None
    pil = eight_bit(ImageOps.exif_transpose(pil))  # 16-bit and float pixels scaled, as trained
    if frame is not None:
        gray = np.asarray(pil.convert("L"), dtype=np.float64) / 255.0
        return prepare_digit(gray, frame["size"], frame["box"])[None]
    pil = pil.convert("L" if channels == 1 else "RGB")
    pil = fitted(pil, width, height, picture_resize(dataset) if dataset is not None else None)
    arr = np.asarray(pil, dtype=np.float32) / 255.0
    return arr[None] if channels == 1 else np.transpose(arr, (2, 0, 1))


def _tokens(text: str, dataset) -> torch.Tensor:
    from .data import text as texts

    ids = texts.encode([texts.tokenize(text)], dataset.vocab, dataset.input_shape[0])
    return torch.from_numpy(ids[0].astype(np.int64))


def class_index(target, classes: list[str] | None) -> int | None:
    """``--class`` as given: a class name of the dataset, or an index."""
    if target is None:
        return None
    if classes and str(target) in classes:
        return classes.index(str(target))
    try:
        return int(target)
    except (TypeError, ValueError):
        raise ExplainError(f"no class {target!r}; the classes are "
                           f"{', '.join(classes or [])}") from None


def explain(run_id: int, source, *, target=None, method: str = "auto",
            layer: str | None = None, db: str | Path | RunStore | None = None) -> Explanation:
    """Why run ``run_id``'s model gives what it gives for ``source`` (see :func:`read_input`),
    explained for class ``target`` (a class name or index; default: the predicted class) with
    ``method`` ("auto", "gradcam", "ig" or "smoothgrad")."""
    trained = load_run(run_id, db)
    ds = trained.dataset
    if not ds.classes:
        raise ExplainError(f"run {run_id} learned {ds.task}, and explanations are for "
                           f"classifiers")
    x = read_input(source, ds)
    return explain_sample(trained.module, x, target=class_index(target, ds.classes),
                          method=method, layer=layer, head=trained.head, classes=ds.classes,
                          vocab=ds.vocab)


def shown_input(x: torch.Tensor, dataset) -> np.ndarray:
    """A normalised sample back in the data's units (images in [0, 1]), for drawing under a
    map."""
    from .data import normalize

    return normalize.undo(x.detach().cpu().numpy()[None], dataset.normalization)[0]

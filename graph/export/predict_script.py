"""Predict with the model of this bundle: python predict.py INPUT_FILE [INPUT_FILE ...]

Written by LayerLoom into every bundle; needs torch (and safetensors for --backend python,
onnxruntime for --backend onnx), never LayerLoom. The input is read as the model was trained:
an image (PNG/JPEG; Pillow) resized and normalised, a CSV row (with a header naming the columns),
a text file tokenised with the training vocabulary, or a .npy/.csv array of the input's shape.
It prints one JSON object: the prediction, and for a classifier the class probabilities.
``--help`` says what input the model expects; an input far from the training data (an inverted
image, a value many standard deviations off) gets a warning on stderr and in the JSON's
``warnings``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORD = r"[^\W_]+(?:'[^\W_]+)*"  # the tokeniser the model was trained with (unless the manifest says)
MISSING = ("", "na", "n/a", "nan", "null", "none", "?")  # cells that count as missing, lowercased
# How far from the training data an input may be before predict.py warns: an image's mean per
# channel, in the training split's per-pixel standard deviations (MNIST's own digits stay within
# 0.5; an inverted digit is 2.4 away), and one feature of a table row.
CHANNEL_LIMIT = 1.5
FEATURE_LIMIT = 6.0


def main(argv: list[str] | None = None) -> int:
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    parser = argparse.ArgumentParser(
        description=f"Predict with {manifest['name']}.",
        epilog="Expected input: " + " ".join(expected_input(manifest)))
    parser.add_argument("files", nargs="+", help="one input file per model input")
    parser.add_argument("--backend", choices=("torchscript", "python", "onnx"),
                        help="which saved model to run (default: the first present)")
    parser.add_argument("--top", type=int, default=5, help="classes to list (classifiers)")
    parser.add_argument("--save", help="also save the raw output as this .npy file")
    args = parser.parse_args(argv)
    inputs = manifest["inputs"]
    if len(args.files) != len(inputs):
        parser.error(f"the model takes {len(inputs)} input(s), got {len(args.files)} file(s)")
    for file in args.files:
        if not Path(file).is_file():
            parser.error(f"no such file {file}")
    warnings: list[str] = []
    arrays = [read_input(Path(f), spec, manifest.get("preprocessing") or {}, warnings)
              for f, spec in zip(args.files, inputs)]
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    outputs = run_model(manifest, arrays, args.backend)
    if args.save:
        np.save(args.save, outputs[0])
    result = describe(manifest, outputs, args.top)
    if warnings:
        result["warnings"] = warnings
    print(json.dumps(result))
    return 0


# -- what the model expects --------------------------------------------------------------------

def expected_input(manifest: dict) -> list[str]:
    """Sentences saying what the first input must be: its shape, how a file is read, its range
    and polarity, and the normalisation fitted on the training data (the model card says the
    same)."""
    spec = manifest["inputs"][0]
    prep = manifest.get("preprocessing") or {}
    kind, shape = prep.get("kind", "array"), list(spec["shape"])
    norm = prep.get("normalization") or {}
    dims = ", ".join(map(str, shape))
    out = [f"A tensor of shape [batch, {dims}], {spec['dtype']}."]
    if kind == "image":
        c, h, w = shape
        out.append(f"An image file is read as {'grayscale' if c == 1 else 'RGB'}, resized to "
                   f"{w}×{h} pixels, and its pixel values scaled to 0–1 (divided by 255).")
    elif kind == "tabular" and prep.get("columns"):
        cols = [c["name"] + (f" (one of {', '.join(map(str, c['categories'][:8]))}"
                             f"{', …' if len(c['categories']) > 8 else ''})"
                             if c.get("kind") == "categorical" else "")
                for c in prep["columns"]]
        out.append(f"A CSV file with a header row and the columns {', '.join(cols)}; "
                   f"categories are one-hot encoded and missing cells count as the training "
                   f"mean.")
    elif kind == "text":
        vocab = prep.get("vocab") or []
        out.append(f"A text file, {'lower-cased, ' if prep.get('lowercase', True) else ''}split "
                   f"into words, each mapped to its id in the {len(vocab):,}-word training "
                   f"vocabulary (unknown words to <unk>), cut or padded to {shape[0]} tokens."
                   if vocab else "A file of token ids.")
    if "mean" in norm and kind != "text":
        per = "channel" if norm.get("kind") == "channel" else "feature"
        out.append(f"Standardised per {per} as (x − mean) / std with the training split's "
                   f"mean {_short(norm['mean'])} and std {_short(norm['std'])}.")
        if kind == "image" and per == "channel":
            out.append(_polarity(norm["mean"], bool(prep.get("digit"))))
    elif kind != "text":
        out.append("Not normalised: values are fed as they are.")
    return [s for s in out if s]


def _short(values: list, n: int = 6) -> str:
    shown = ", ".join(f"{v:.4g}" for v in values[:n])
    return f"[{shown}{', …' if len(values) > n else ''}]"


def _polarity(means: list, digits: bool = False) -> str:
    average = float(np.mean(means))
    if average < 0.35:
        fix = ("predict.py inverts a dark-on-light digit picture itself (and says so), then "
               "crops it, scales it into a 20×20 box and centres it by its centre of mass, as "
               "the training digits were made." if digits else
               "Invert dark-on-light images first.")
        return (f"The training images are mostly dark (average pixel {average:.2f} on a 0–1 "
                f"scale): light strokes or objects on a dark background. {fix}")
    if average > 0.65:
        return (f"The training images are mostly light (average pixel {average:.2f} on a 0–1 "
                f"scale): dark strokes or objects on a light background. Invert light-on-dark "
                f"images first.")
    return f"The training images average {average:.2f} per pixel on a 0–1 scale."


def unusual(x: np.ndarray, prep: dict, name: str) -> list[str]:
    """Warnings for an input (read, before normalisation) far from the training data: an
    image channel whose mean is more than CHANNEL_LIMIT training standard deviations from the
    training mean (an inverted image), a feature more than FEATURE_LIMIT away."""
    norm = prep.get("normalization") or {}
    if "mean" not in norm or prep.get("kind") == "text" or x.dtype.kind != "f":
        return []
    mean = np.asarray(norm["mean"], dtype=np.float64)
    std = np.asarray(norm["std"], dtype=np.float64)
    if norm.get("kind") == "channel":
        got = np.nanmean(x.reshape(len(mean), -1), axis=1)
        z = (got - mean) / std
        worst = int(np.argmax(np.abs(z)))
        if abs(z[worst]) <= CHANNEL_LIMIT:
            return []
        where = f" (channel {worst})" if len(mean) > 1 else ""
        lighter = z[worst] > 0
        hint = ""
        if prep.get("kind") == "image" and (mean[worst] < 0.35) == lighter:
            hint = (" It is much " + ("lighter" if lighter else "darker") + " than the training "
                    "images: is it inverted (" + ("dark on light" if lighter else "light on dark")
                    + ")?")
        return [f"{name}: its mean value{where} {got[worst]:.3g} is {abs(z[worst]):.1f} "
                f"standard deviations from the training data's {mean[worst]:.3g} (std "
                f"{std[worst]:.3g}): the input is unlike anything the model was trained on, and "
                f"its prediction is unreliable.{hint}"]
    z = (x.reshape(-1) - mean) / std
    far = [i for i in np.argsort(-np.abs(np.nan_to_num(z))) if abs(z[i]) > FEATURE_LIMIT][:3]
    if not far:
        return []
    shown = ", ".join(f"feature {i} = {x.reshape(-1)[i]:.4g} ({z[i]:+.1f} std)" for i in far)
    return [f"{name}: far outside the training data ({shown}; training means "
            f"{_short([mean[i] for i in far])}): the prediction is unreliable."]


# -- reading inputs ------------------------------------------------------------------------------

def read_input(path: Path, spec: dict, prep: dict, warnings: list | None = None) -> np.ndarray:
    """One sample as the model's input, with a batch of 1 in front; warnings about an input
    far from the training data are added to ``warnings``."""
    shape, kind = tuple(spec["shape"]), prep.get("kind", "array")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        x = np.load(path, allow_pickle=False).astype(dtype(spec))
        return x.reshape((1,) + shape)
    if kind == "image" and suffix in (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"):
        x = read_image(path, shape, prep, warnings)
    elif kind == "text":
        x = read_text(path, shape, prep)
    elif kind == "tabular":
        x = read_row(path, shape, prep, warnings)
    else:
        numbers = [float(v) for v in re.split(r"[\s,;]+", path.read_text().strip()) if v]
        x = np.asarray(numbers, dtype=np.float64).reshape(shape)
    if warnings is not None:
        warnings += unusual(x, prep, path.name)
    x = normalize(x, prep.get("normalization"), kind)
    return x.astype(dtype(spec)).reshape((1,) + shape)


def dtype(spec: dict):
    return np.int64 if spec["dtype"] == "int64" else np.float32


def read_image(path: Path, shape: tuple, prep: dict, warnings: list | None = None) -> np.ndarray:
    from PIL import Image

    channels, height, width = shape
    from PIL import ImageOps

    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)  # a photo's orientation, as the app reads it
        image = image.convert("L" if channels == 1 else "RGB")
        digit = prep.get("digit")
        if digit and channels == 1:  # made as MNIST's digits were: prepared the same way
            gray = np.asarray(image, dtype=np.float64) / 255.0
            if warnings is not None and dark_on_light(gray):
                warnings.append(f"{path.name}: dark strokes on a light background, unlike the "
                                f"training digits (light on dark): it was inverted before the "
                                f"model read it")
            return prepare_digit(gray, int(digit["size"]), int(digit["box"]))[None]
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        pixels = np.asarray(image, dtype=np.float64)
    pixels = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)  # (C, H, W)
    return pixels / 255.0  # 8-bit pixels to [0, 1]: raw values divided by their scale


def dark_on_light(gray) -> bool:
    """Whether a digit picture (2-D, values in [0, 1]) is drawn dark on light paper: its border,
    the paper, is mostly light."""
    g = np.asarray(gray, dtype=np.float64)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    return bool(np.median(border) > 0.5)


def prepare_digit(gray, size: int = 28, box: int = 20) -> np.ndarray:
    """A picture of one digit — 2-D, values in [0, 1], any size, dark on light paper or light
    on dark — as MNIST's digits were made: light strokes on black (inverted when the picture's
    border, the paper, is light), cropped to the strokes' bounding box, scaled to fit a
    ``box``×``box`` square keeping the aspect ratio (anti-aliased), and placed in a
    ``size``×``size`` frame with its centre of mass at the frame's centre. ``[size, size]``
    float32 in [0, 1]; all zeros when there are no strokes."""
    from PIL import Image

    g = np.clip(np.asarray(gray, dtype=np.float64), 0.0, 1.0)
    if g.ndim != 2 or min(g.shape) < 2:
        raise ValueError(f"a digit picture must be 2-D, got shape {list(g.shape)}")
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    if dark_on_light(g):  # MNIST's digits are light on dark
        g, border = 1.0 - g, 1.0 - border
    paper = float(np.median(border))
    g = np.clip((g - paper) / max(1e-6, 1.0 - paper), 0.0, 1.0)  # the paper to black
    ink = g > 0.2 * g.max() if g.max() > 0.05 else np.zeros(g.shape, bool)
    out = np.zeros((size, size), dtype=np.float32)
    if not ink.any():
        return out
    rows, cols = np.nonzero(ink)
    crop = g[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = box / max(crop.shape)
    height = max(1, min(box, round(crop.shape[0] * scale)))
    width = max(1, min(box, round(crop.shape[1] * scale)))
    pil = Image.fromarray((crop * 255 + 0.5).astype(np.uint8))
    digit = np.asarray(pil.resize((width, height), Image.Resampling.LANCZOS),
                       dtype=np.float32) / 255.0
    mass = digit.sum()
    if mass <= 0:
        return out
    ys, xs = np.indices(digit.shape)
    cy, cx = (ys * digit).sum() / mass, (xs * digit).sum() / mass
    centre = (size - 1) / 2
    top = int(np.clip(round(centre - cy), 0, size - height))
    left = int(np.clip(round(centre - cx), 0, size - width))
    out[top:top + height, left:left + width] = digit
    return out


def read_text(path: Path, shape: tuple, prep: dict) -> np.ndarray:
    length = shape[0]
    text = path.read_text(encoding="utf-8")
    vocab = prep.get("vocab")
    if not vocab:  # no vocabulary: the file holds the token ids themselves
        ids = [int(v) for v in re.split(r"[\s,;]+", text.strip()) if v]
    else:
        index = {word: i for i, word in enumerate(vocab)}
        pattern = re.compile(prep.get("token_pattern") or WORD)
        words = text.lower() if prep.get("lowercase", True) else text
        ids = [index.get(token, 1) for token in pattern.findall(words)]  # 1: <unk>
    ids = ids[:length] + [0] * max(0, length - len(ids))  # 0: <pad>
    return np.asarray(ids, dtype=np.int64)


def read_row(path: Path, shape: tuple, prep: dict, warnings: list | None = None) -> np.ndarray:
    """The first data row of a CSV file, its columns encoded as in training; what a user would
    not see otherwise (rows after the first, a category training never saw) is added to
    ``warnings``."""
    warnings = warnings if warnings is not None else []
    with path.open(newline="", encoding="utf-8") as f:
        rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    columns = prep.get("columns")
    missing = {m.lower() for m in prep.get("missing", MISSING)}
    header = [h.strip() for h in rows[0]] if rows else []
    if columns and len(rows) >= 2 and any(c["name"] in header for c in columns):
        row = dict(zip(header, (cell.strip() for cell in rows[1])))
        absent = [c["name"] for c in columns if c["name"] not in row]
        if absent:
            names = [c["name"] for c in columns]
            shown = ", ".join(names if len(names) <= 12 else names[:10] + ["…", names[-1]])
            raise SystemExit(f"error: {path}: the row has no column {absent[0]!r}; the model "
                             f"reads {shown}"
                             f"{f' ({len(names)} columns)' if len(names) > 12 else ''}")
        if len(rows) > 2:
            warnings.append(f"{path.name} has {len(rows) - 1} rows: the prediction is for the "
                            f"first; give one row per file")
        values: list[float] = []
        for column in columns:
            cell = row[column["name"]]
            if column.get("kind") == "categorical":
                if cell not in column["categories"] and cell.lower() not in missing:
                    seen = ", ".join(map(str, column["categories"][:8]))
                    warnings.append(f"column {column['name']!r}: {cell!r} was not seen in "
                                    f"training (it saw {seen}"
                                    f"{', …' if len(column['categories']) > 8 else ''}), so it "
                                    f"is read as none of them")
                values += [1.0 if cell == c else 0.0 for c in column["categories"]]
            else:
                values.append(_number(cell, missing, column["name"]))
        return np.asarray(values, dtype=np.float64).reshape(shape)
    for row in rows:
        try:
            numbers = [_number(cell, missing) for cell in row]
        except SystemExit:
            continue  # a header
        return np.asarray(numbers[:shape[0]], dtype=np.float64).reshape(shape)
    raise SystemExit(f"error: {path}: no row of numbers found")


def _number(cell: str, missing=MISSING, column: str | None = None) -> float:
    cell = cell.strip()
    if cell.lower() in missing:
        return math.nan
    try:
        return float(cell)
    except ValueError:
        where = f"column {column!r} holds numbers, got" if column else "not a number:"
        raise SystemExit(f"error: {where} {cell!r}") from None


def normalize(x: np.ndarray, norm: dict | None, kind: str) -> np.ndarray:
    """``(x - mean) / std`` per channel or feature, as fitted on the training split."""
    if not norm or kind == "text" or "mean" not in norm:
        return np.nan_to_num(x, nan=0.0) if x.dtype.kind == "f" else x
    mean = np.asarray(norm["mean"], dtype=np.float64)
    std = np.asarray(norm["std"], dtype=np.float64)
    if norm.get("kind") == "channel":
        mean = mean.reshape((-1,) + (1,) * (x.ndim - 1))
        std = std.reshape((-1,) + (1,) * (x.ndim - 1))
    return np.nan_to_num((x - mean) / std, nan=0.0)


# -- running the model -------------------------------------------------------------------------

def run_model(manifest: dict, arrays: list[np.ndarray], backend: str | None) -> list[np.ndarray]:
    files = manifest["files"]
    order = [backend] if backend else ["torchscript", "python", "onnx"]
    for choice in order:
        if choice == "onnx" and "model.onnx" in files:
            import onnxruntime as ort

            session = ort.InferenceSession(str(HERE / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
            names = [i.name for i in session.get_inputs()]
            return [np.asarray(o) for o in session.run(None, dict(zip(names, arrays)))]
        if choice in ("torchscript", "python") and f"model.{_FILE[choice]}" in files:
            import torch

            model = _torch_model(choice, manifest)
            with torch.no_grad():
                out = model(*[torch.from_numpy(a) for a in arrays])
            out = out if isinstance(out, (tuple, list)) else (out,)
            return [o.numpy() for o in out]
    raise SystemExit(f"error: the bundle holds no {' or '.join(order)} model")


_FILE = {"torchscript": "torchscript.pt", "python": "py"}


def _torch_model(choice: str, manifest: dict):
    import torch

    if choice == "torchscript":
        return torch.jit.load(str(HERE / "model.torchscript.pt"), map_location="cpu").eval()
    from safetensors.torch import load_file

    sys.path.insert(0, str(HERE))
    import model as generated  # the bundle's model.py

    model = getattr(generated, manifest["class"])()
    model.load_state_dict(load_file(str(HERE / "weights.safetensors")), strict=True)
    return model.eval()


# -- describing the result ----------------------------------------------------------------------

def describe(manifest: dict, outputs: list[np.ndarray], top: int) -> dict:
    first = outputs[0][0]  # the one sample
    result: dict = {"model": manifest["name"], "output_shape": list(first.shape)}
    classes = manifest.get("classes")
    if manifest.get("task") == "classification" and first.ndim == 1:
        logits = first.astype(np.float64)
        if manifest.get("output_is_log_probs"):
            probs = np.exp(logits)
        elif manifest.get("output_is_probs"):
            probs = logits
        else:
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
        names = classes if classes and len(classes) == len(probs) else \
            [str(i) for i in range(len(probs))]
        best = np.argsort(-probs)[:max(1, top)]
        result["prediction"] = names[int(best[0])]
        result["probabilities"] = {names[int(i)]: round(float(probs[i]), 6) for i in best}
    elif first.size <= 64:
        result["prediction"] = first.tolist()
    else:
        result["prediction"] = None
        result["summary"] = {"min": float(first.min()), "max": float(first.max()),
                             "mean": float(first.mean())}
    return result


if __name__ == "__main__":
    sys.exit(main())

"""Predict with the model of this bundle: python predict.py INPUT_FILE [INPUT_FILE ...]

Written by LayerLoom into every bundle; needs torch (and safetensors for --backend python,
onnxruntime for --backend onnx), never LayerLoom. An input is read as the model was trained:
an image (PNG/JPEG; Pillow) resized and scaled to 0–1, the rows of a CSV (with a header naming
the columns; or the first sheet of an Excel workbook, .xlsx, with openpyxl; a Parquet
file, with pyarrow; JSON lines, one object a line), a text file
tokenised with the training vocabulary (or the text column of a CSV/TSV), or a .npy/.csv
array of raw values. Every kind is then normalised as the training
data were, and checked against them. A file may hold several samples (the rows of a CSV, the
leading axis of a .npy): each is predicted. It prints one JSON object per sample, one a line:
the prediction, and for a classifier the class probabilities (for a regression of one value,
the number and the column it predicts, ``target``); with several samples each
carries its index as ``sample``. ``--help`` says what each input file must hold; an input far
from the training data (an inverted image, a value many standard deviations off) gets a
warning on stderr and in the JSON's ``warnings``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from decimal import Decimal, InvalidOperation
import io
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
# the tokeniser the model was trained with (unless the manifest says): lowercase words,
# each Chinese or Japanese character (kana, ideographs) a token
WORD = (
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # a kana or an ideograph
    r"|[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"  # a word, its inner
    r"(?:'[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)*")  # apostrophes kept
MISSING = ("", "na", "n/a", "nan", "null", "none", "?",  # cells that count as missing, lowercased,
           "#n/a", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!")  # a sheet's errors
DASHES = ("-", "--", "\u2013", "\u2014")  # a dash where a number goes: missing, as in training
IMAGES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
FREE_TEXT_WORDS = 4  # a column averaging this many words per cell is free text (as in training)
CHUNK = 256  # samples per forward pass
# How far from the training data an input may be before predict.py warns: an image's mean per
# channel, in the training split's per-pixel standard deviations (MNIST's own digits stay within
# 0.5; an inverted digit is 2.4 away), and one feature of a table row.
CHANNEL_LIMIT = 1.5
FEATURE_LIMIT = 6.0


def main(argv: list[str] | None = None) -> int:
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    parser = argparse.ArgumentParser(
        description=f"Predict with {manifest['name']}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(_wrap(text) for text in (
            "Expected input: " + " ".join(expected_input(manifest)),
            "Input files: " + " ".join(input_files(manifest)))))
    parser.add_argument("files", nargs="+", help="one input file per model input")
    parser.add_argument("--backend", choices=("torchscript", "python", "onnx"),
                        help="which saved model to run (default: the first present)")
    parser.add_argument("--top", type=int, default=5, help="classes to list (classifiers)")
    parser.add_argument("--save", help="also save the raw output (every sample) as this .npy "
                                       "file")
    args = parser.parse_args(argv)
    inputs = manifest["inputs"]
    if len(args.files) != len(inputs):
        parser.error(f"the model takes {len(inputs)} input(s), got {len(args.files)} file(s)")
    for file in args.files:
        if not Path(file).is_file():
            parser.error(f"no such file {file}")
    arrays, notes = [], []
    for file, spec in zip(args.files, inputs):
        x, said = read_input(Path(file), spec, manifest.get("preprocessing") or {})
        arrays.append(x)
        notes += said
    if len({len(x) for x in arrays}) > 1:
        counts = ", ".join(f"{f} {len(x)}" for f, x in zip(args.files, arrays))
        parser.error(f"the files hold different numbers of samples ({counts}); give each input "
                     f"the same number")
    for _, warning in notes:
        print(f"warning: {warning}", file=sys.stderr)
    outputs = run_model(manifest, arrays, args.backend)
    if args.save:
        np.save(args.save, outputs[0])
    count = len(arrays[0])
    for i in range(count):
        result = describe(manifest, [out[i] for out in outputs], args.top)
        if count > 1:
            result = {"sample": i, **result}
        mine = [warning for j, warning in notes if j is None or j == i]
        if mine:
            result["warnings"] = mine
        print(json.dumps(result))
    return 0


def _wrap(text: str, width: int = 88) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


# -- what the model expects --------------------------------------------------------------------

def _category(value) -> str:
    """A category as a list of them shows it: quoted where it holds a comma or a quote."""
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ',"') else text


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
    if len(manifest["inputs"]) > 1:  # an imported model's input_ids and attention_mask
        given = "; ".join(f"{s.get('name') or s['id']} [batch, "
                          f"{', '.join(map(str, s['shape']))}], {s['dtype']}"
                          for s in manifest["inputs"])
        out = [f"{len(manifest['inputs'])} inputs, a file for each in this order: {given}. "
               f"The first is read as follows; the others as arrays (.npy, or numbers "
               f"between spaces or commas)."] + out
    if kind == "image":
        c, h, w = shape
        out.append(f"An image file is read as {'grayscale' if c == 1 else 'RGB'}, resized to "
                   f"{w}×{h} pixels, and its pixel values scaled to 0–1 (divided by 255).")
    elif kind == "tabular" and prep.get("columns"):
        # a category with a comma in it ("New York, NY") quoted, so the list reads as it is
        cols = [c["name"] + (f" (one of {', '.join(map(_category, c['categories'][:8]))}"
                             f"{', …' if len(c['categories']) > 8 else ''})"
                             if c.get("kind") == "categorical" else
                             f" (a date{' and time' if c.get('time') else ''}, "
                             f"{_date_forms(c)})" if c.get("kind") == "date" else "")
                for c in prep["columns"]]
        said = ["categories are one-hot encoded"] + [
            f"{c['name']} becomes {date_words(c)}" for c in prep["columns"]
            if c.get("kind") == "date"] + ["missing cells count as the training mean"]
        out.append(f"A CSV file with a header row and the columns {', '.join(cols)}; "
                   f"{'; '.join(said)}.")
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


def input_files(manifest: dict) -> list[str]:
    """Sentences saying what each kind of file given for the first input must hold, and how
    many predictions it gives (the model card says the same)."""
    spec = manifest["inputs"][0]
    prep = manifest.get("preprocessing") or {}
    kind, shape = prep.get("kind", "array"), list(spec["shape"])
    dims = ", ".join(map(str, shape))
    size = int(np.prod(shape))
    norm = "mean" in (prep.get("normalization") or {}) and kind != "text"
    then = (" predict.py normalises it as it does every other input, so never give it "
            "values that are already normalised." if norm else "")
    if kind == "image":
        out = ["An image file (PNG, JPEG, BMP, GIF, WebP, TIFF): one prediction.",
               f"A .npy file: one image [{dims}] or N of them [N, {dims}], channels first"
               + (f" (or without their channel axis, [{dims[3:]}] or [N, {dims[3:]}], which "
                  f"predict.py adds)" if shape[0] == 1 else "") + ", "
               f"with pixel values in 0–1 (whole numbers are divided by "
               f"{_scale(prep):g} first), as they are before normalisation: one prediction "
               f"per image.{then}"]
    elif kind == "tabular":
        columns = prep.get("columns") or []
        out = (["A CSV file with a header row naming the columns (any order; others are "
                "ignored): one prediction per row.",
                "An Excel workbook (.xlsx; needs openpyxl): its first sheet"
                + (f" (or the one named {prep['sheet']!r})" if prep.get("sheet") else "")
                + ", read as a CSV with a header row: one prediction per row.",
                "A UCI-style .data or .dat file (values between commas or spaces, '?' for a "
                "missing one), read as LayerLoom reads one for training: its columns named by "
                "its header row, or column 1, column 2, … where it has none: one prediction "
                "per row.",
                "A Parquet file (.parquet; needs pyarrow) or JSON lines (.jsonl, .ndjson: one "
                "object a line, its keys naming the columns), read as a CSV with a header row: "
                "one prediction per row."] if columns else [])
        hot = ("each category as its one-hot columns (1 for the row's category, 0 for the "
               "others), " if any(c.get("kind") == "categorical" for c in columns) else "")
        hot += "".join(f"{c['name']} as {date_words(c)}, " for c in columns
                       if c.get("kind") == "date")
        out.append(f"A .npy file, or a CSV of rows of {size} numbers"
                   f"{' (no header naming the columns)' if columns else ''}: the {size} "
                   f"features of a row [{size}] or of N rows [N, {size}], in the model's order "
                   f"({_short_names(feature_names(prep, size))}), {hot}in the data's own units, "
                   f"NaN (or an empty cell) for a missing value: one prediction per row.{then}")
    elif kind == "text":
        if prep.get("vocab"):
            column = prep.get("text_column")
            out = ["A text file (.txt or any other but .csv, .tsv, .xlsx, .parquet, .jsonl, "
                   ".ndjson, .npy): one text, one prediction.",
                   "A .csv or .tsv file with a header row (or an .xlsx workbook's sheet, with "
                   "openpyxl; a .parquet, with pyarrow; JSON lines, .jsonl or .ndjson): the "
                   "texts of its column "
                   + (f"{column!r} (the column the model was trained on; else its only "
                      f"column of text)" if column else "of text")
                   + ", one prediction per row.",
                   f"A .npy file of token ids: [{dims}] or [N, {dims}], whole numbers from the "
                   f"training vocabulary (0 is <pad>, 1 is <unk>, below "
                   f"{len(prep['vocab']):,}), cut or padded to {shape[0]}: one prediction per "
                   f"row."]
        else:
            out = [f"A file of {shape[0]} token ids (whitespace or commas between them), or a "
                   f".npy file of token ids [{dims}] or [N, {dims}]: one prediction per row."]
    elif prep.get("scale"):  # 8-bit images kept [H, W] (an .npz's rows): scaled in training
        out = [f"A .npy file: one image [{dims}] or N of them [N, {dims}], with pixel values "
               f"in 0–1 (whole numbers, as 8-bit images hold them, are divided by "
               f"{_scale(prep):g} first, as in training), as they are before normalisation: "
               f"one prediction per image.{then}",
               f"A CSV or text file of numbers in 0–1: {size} in all for one image (read in "
               f"the order of [{dims}]), or rows of {size} for one image per row."]
    else:
        out = [f"A .npy file: one sample [{dims}] or N of them [N, {dims}] of raw values, as "
               f"in the training data before normalisation: one prediction per sample.{then}",
               f"A CSV or text file of numbers: {size} in all for one sample (read in the "
               f"order of [{dims}]), or rows of {size} for one sample per row."]
    return out + ["Several samples print one JSON object a line, each with its index as "
                  "\"sample\"."]


def feature_names(prep: dict, size: int) -> list[str]:
    """The names of a table's features as the model reads them: a category's one-hot columns
    as ``city=Paris``."""
    names: list[str] = []
    for column in prep.get("columns") or []:
        if column.get("kind") == "categorical":
            names += [f"{column['name']}={c}" for c in column["categories"]]
        elif column.get("kind") == "date":
            names += date_names(column)
        else:
            names.append(str(column["name"]))
    return names if len(names) == size else [f"x{i}" for i in range(size)]


def date_words(column: dict) -> str:
    """What a date column becomes, in words: ``5 columns: days since 2021-01-04, month (sin,
    cos), weekday (sin, cos)``."""
    cycles = ["month", "weekday"] + (["hour"] if column.get("time") else [])
    return (f"{len(date_names(column))} columns: days since {column['origin']}, "
            + ", ".join(f"{cycle} (sin, cos)" for cycle in cycles))


def _date_forms(column: dict) -> str:
    order = column.get("order")
    return "year first" + (f" or {DATE_ORDERS[order]}" if order else "") + (
        ", with its UTC offset (+02:00, Z)" if column.get("utc") else "")


def _short_names(names: list[str], n: int = 12) -> str:
    return ", ".join(names if len(names) <= n else names[:n - 2] + ["…", names[-1]])


def _scale(prep: dict) -> float:
    """What whole-number pixels of a .npy are divided by: the training data's scale (255 for
    8-bit images)."""
    return float(prep.get("scale") or (prep.get("normalization") or {}).get("scale") or 255.0)


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

def read_input(path: Path, spec: dict, prep: dict) -> tuple[np.ndarray, list]:
    """The samples of one file as the model's input ``[N, *shape]``, and what a user would
    not see otherwise, as ``(sample index or None for the whole file, warning)`` pairs: an
    input far from the training data, a category training never saw, an inverted digit.

    Every kind of file is read into raw values first (a .npy holds them as they are) and then
    goes through the same checks and the same normalisation as the training data."""
    shape, kind = tuple(spec["shape"]), prep.get("kind", "array")
    suffix = path.suffix.lower()
    notes: list = []
    if suffix == ".npy":
        said = []
        samples = read_npy(path, spec, prep, said)
        notes += [(None, text) for text in said]
    elif kind == "image" and suffix in IMAGES:
        said: list[str] = []
        samples = read_image(path, shape, prep, said)[None]
        notes += [(None, text) for text in said]
    elif kind == "text" and suffix in (".csv", ".tsv", ".xlsx", ".parquet", *JSON_LINES) \
            and prep.get("vocab"):
        samples = read_texts(path, shape, prep)
    elif kind == "text":
        samples = read_text(path, shape, prep)[None]
    elif kind == "tabular":
        samples = read_rows(path, shape, prep, notes)
    else:
        samples = read_numbers(path, shape)
    if len(samples) == 0:
        raise SystemExit(f"error: {path}: no samples in it")
    out = []
    for i, x in enumerate(samples):
        name = path.name if len(samples) == 1 else f"{path.name} sample {i}"
        notes += [(i, text) for text in unusual(x, prep, name)]
        out.append(normalize(x, prep.get("normalization"), kind).astype(dtype(spec)))
    return np.stack(out), notes


def read_npy(path: Path, spec: dict, prep: dict, said: list | None = None) -> np.ndarray:
    """A .npy's samples ``[N, *shape]`` as raw values: one sample of the input's shape, or N
    along a leading axis. Token ids stay whole numbers; whole-number pixels of an image, and
    whole numbers where training scaled its 8-bit images (``prep["scale"]``: an .npz of
    ``[N, H, W]`` uint8 read as rows), are scaled to 0–1 as training scaled them; everything
    else is kept as it is (the caller normalises it as the training data were). Token ids of
    another length, ``[L]`` or ``[N, L]``, are cut or padded with 0 (<pad>) to the model's
    length, as a text file's words are. Grayscale images without their channel axis, ``[H, W]``
    or ``[N, H, W]`` for a model of ``[1, H, W]``, gain it as training gave it to them (said in
    ``said``)."""
    shape, kind = tuple(spec["shape"]), prep.get("kind", "array")
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"error: {path}: not a readable .npy array of numbers ({exc})") from None
    dims = ", ".join(map(str, shape))
    if x.dtype.kind not in "biuf":
        raise SystemExit(f"error: {path}: holds {x.dtype} values; it must hold numbers")
    if spec["dtype"] == "int64" and len(shape) == 1 and x.ndim in (1, 2):
        # token ids of any length, cut or padded with 0 (<pad>) to the model's, as texts are
        x = x[None] if x.ndim == 1 else x
        x = np.pad(x[:, :shape[0]], ((0, 0), (0, max(0, shape[0] - x.shape[1]))))
    if len(shape) == 3 and shape[0] == 1 and x.ndim in (2, 3) \
            and tuple(x.shape[-2:]) == shape[1:] and tuple(x.shape) != shape:
        # grayscale images [H, W] or [N, H, W] (as MNIST ships them): given their channel axis,
        # as LayerLoom gives it to an .npz of them for a model of [1, H, W]
        if said is not None:
            count = 1 if x.ndim == 2 else len(x)
            said.append(f"{path.name}: {list(x.shape)} is read as {count} grayscale "
                        f"image{'s' if count != 1 else ''} [{'N, ' if x.ndim == 3 else ''}H, W] "
                        f"and given a channel axis: {[count, *shape]}, as the model takes "
                        f"them")
        x = x[..., None, :, :]
    if tuple(x.shape) == shape:
        x = x[None]
    elif tuple(x.shape[1:]) != shape:
        raise SystemExit(f"error: {path}: holds an array of shape {list(x.shape)}; the model "
                         f"takes one sample of shape [{dims}], or N samples [N, {dims}]")
    if spec["dtype"] == "int64":
        if x.dtype.kind == "f" and not (np.isfinite(x).all() and (x == np.round(x)).all()):
            raise SystemExit(f"error: {path}: token ids must be whole numbers")
        ids = x.astype(np.int64)
        vocab = len(prep.get("vocab") or [])
        bad = (ids < 0) | (ids >= vocab) if vocab else ids < 0
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise SystemExit(f"error: {path}: token id {int(ids[where])} at {list(where)} is "
                             f"outside the training vocabulary"
                             + (f" (ids 0 to {vocab - 1})" if vocab else ""))
        return ids
    if (kind == "image" or prep.get("scale")) and x.dtype.kind in "biu":
        return x.astype(np.float64) / _scale(prep)  # 8-bit pixels to 0–1, as training did
    return x.astype(np.float64)


def dtype(spec: dict):
    return np.int64 if spec["dtype"] == "int64" else np.float32


def read_image(path: Path, shape: tuple, prep: dict, warnings: list | None = None) -> np.ndarray:
    from PIL import Image

    channels, height, width = shape
    from PIL import ImageOps

    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)  # a photo's orientation, as the app reads it
            image = _eight_bit(image).convert("L" if channels == 1 else "RGB")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # damaged, cut off, not one
        raise SystemExit(f"error: {path}: cannot be read as an image ({exc}); give a good "
                         f"copy") from None
    digit = prep.get("digit")
    if digit and channels == 1:  # made as MNIST's digits were: prepared the same way
        gray = np.asarray(image, dtype=np.float64) / 255.0
        if warnings is not None and dark_on_light(gray):
            warnings.append(f"{path.name}: dark strokes on a light background, unlike the "
                            f"training digits (light on dark): it was inverted before the "
                            f"model read it")
        return prepare_digit(gray, int(digit["size"]), int(digit["box"]))[None]
    image = fitted(image, width, height, prep.get("resize"))
    pixels = np.asarray(image, dtype=np.float64)
    pixels = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)  # (C, H, W)
    return pixels / 255.0  # 8-bit pixels to [0, 1]: raw values divided by their scale


def fitted(image, width: int, height: int, resize: str | None = None):
    """A PIL ``image`` brought to ``width``×``height`` as the training pictures were: with
    ``resize`` "crop" (a folder of pictures of several sizes), its shorter side scaled to fit
    and its centre cut out, keeping its proportions; else stretched to the size."""
    from PIL import Image

    if image.size == (width, height):
        return image
    if resize != "crop":
        return image.resize((width, height), Image.Resampling.BILINEAR)
    w0, h0 = image.size
    scale = max(width / w0, height / h0)
    cw, ch = width / scale, height / scale  # the centre box, in the image's pixels
    # within the image: a side that fits exactly comes out a hair outside it (68×55 to 28×28:
    # top -3.6e-15), which Pillow refuses
    left, top = max(0.0, (w0 - cw) / 2), max(0.0, (h0 - ch) / 2)
    return image.resize((width, height), Image.Resampling.BILINEAR,
                        box=(left, top, min(float(w0), left + cw), min(float(h0), top + ch)))


def _eight_bit(image):
    """A 16- or 32-bit integer grayscale image as 8-bit, scaled by its type's range, and a
    float one (a TIFF's) by the range its values keep to (0-1, else 0-255, else 0-65535, else
    its largest value), as LayerLoom reads them (Pillow's ``convert("L")`` would clip them: a
    16-bit photo all white). An image with transparent pixels laid on paper (:func:`_on_paper`)."""
    from PIL import Image

    if image.mode.startswith("I;16"):
        top = 65535
    elif image.mode == "I":  # a 16-bit PNG in some Pillow versions; else 32-bit integers
        top = 65535 if image.format == "PNG" else 2**31 - 1
    elif image.mode == "F":
        finite = np.asarray(image)[np.isfinite(np.asarray(image))]
        most = float(finite.max()) if finite.size else 0.0
        top = next((t for t in (1.0, 255.0, 65535.0) if most <= t), most)
    elif image.mode in ("LAB", "HSV"):  # a TIFF's: Pillow turns them to RGB, not to gray
        return image.convert("RGB")
    elif image.mode == "P" and "transparency" in image.info:  # its own colours, on paper
        return _on_paper(image.convert("RGBA"))
    else:
        return _on_paper(image)
    values = np.nan_to_num(np.asarray(image).astype(np.float64), posinf=top)
    return Image.fromarray(np.clip(np.rint(values * (255 / top)), 0, 255).astype(np.uint8), "L")


def _on_paper(image):
    """An image with transparent pixels (alpha 0: a black icon or glyph cut out of its
    background) as it looks laid on paper, as LayerLoom reads it: white behind what is drawn
    dark, black behind what is drawn light; RGB from RGBA, L from LA. Dropping the alpha channel
    (Pillow's ``convert("RGB")``) keeps the colour stored under transparent pixels, most often
    black: a black square. An image with no pixel fully transparent as it is."""
    from PIL import Image

    if image.mode not in ("RGBA", "RGBa", "LA", "La", "PA"):
        return image
    gray = image.mode in ("LA", "La")
    values = np.asarray(image.convert("LA" if gray else "RGBA"), dtype=np.float32)
    colour, alpha = values[..., :-1], values[..., -1:] / 255
    if alpha.size == 0 or alpha.min() > 0:
        return image
    weight = float(alpha.sum())
    dark = weight > 0 and float((colour.mean(axis=-1, keepdims=True) * alpha).sum()) / weight < 128
    paper = 255.0 if dark else 0.0
    pixels = np.rint(colour * alpha + paper * (1 - alpha)).astype(np.uint8)
    return Image.fromarray(pixels[..., 0], "L") if gray else Image.fromarray(pixels, "RGB")


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
    """A whole file as one text (or, without a vocabulary, as the token ids it lists)."""
    text = decode_text(path.read_bytes())
    if not prep.get("vocab"):  # no vocabulary: the file holds the token ids themselves
        ids = [int(v) for v in re.split(r"[\s,;]+", text.strip()) if v]
        return np.asarray((ids + [0] * shape[0])[:shape[0]], dtype=np.int64)
    return encode_text(text, shape, prep)


def encode_text(text: str, shape: tuple, prep: dict) -> np.ndarray:
    """A text as the training texts were made: lower-cased, split into words, each looked up
    in the vocabulary (unknown ones as 1, <unk>), cut or padded with 0 (<pad>) to the input's
    length."""
    length = shape[0]
    index = {word: i for i, word in enumerate(prep["vocab"])}
    pattern = re.compile(prep.get("token_pattern") or WORD)
    words = text.lower() if prep.get("lowercase", True) else text
    ids = [index.get(token, 1) for token in pattern.findall(words)]  # 1: <unk>
    ids = ids[:length] + [0] * max(0, length - len(ids))  # 0: <pad>
    return np.asarray(ids, dtype=np.int64)


def read_texts(path: Path, shape: tuple, prep: dict) -> np.ndarray:
    """The texts of a CSV/TSV file (one a row, under a header), each as token ids: the
    column the model was trained on when the header names it, else the file's only column of
    text (its only column, its only one not of numbers, or its only one of free text). A file
    of one column whose first row is free text, not a name, has no header: every row is a
    text (the first was taken for the header, and not predicted)."""
    header, rows = read_table(path, prep.get("sheet"))
    column = prep.get("text_column")
    if column in header:
        at = header.index(column)
    elif len(header) == 1 and len(re.findall(WORD, header[0])) >= FREE_TEXT_WORDS:
        rows, at = [header] + rows, 0  # texts alone, no header: the first is a text too
    else:
        at = _text_column(header, rows)
        if at is None:
            trained = f" (the model was trained on column {column!r})" if column else ""
            raise SystemExit(f"error: {path}: cannot tell which column holds the texts"
                             f"{trained}; its columns are {', '.join(map(repr, header))}. Give "
                             f"the texts' column the name "
                             f"{column or 'text'!r}, or give a file with only that column")
    texts = [row[at] if at < len(row) else "" for row in rows]
    return np.stack([encode_text(text, shape, prep) for text in texts])


def _text_column(header: list[str], rows: list[list[str]]) -> int | None:
    if len(header) == 1:
        return 0
    words = {}
    for i in range(len(header)):
        cells = [row[i].strip() for row in rows if i < len(row)]
        if all(_is_number(cell) or cell.lower() in MISSING for cell in cells):
            continue  # numbers: ids, scores
        words[i] = sum(len(re.findall(WORD, cell)) for cell in cells) / max(1, len(cells))
    if len(words) == 1:
        return next(iter(words))
    free = [i for i, count in words.items() if count >= FREE_TEXT_WORDS]
    return free[0] if len(free) == 1 else None


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def read_table(path: Path, sheet: str | None = None) -> tuple[list[str], list[list[str]]]:
    """A CSV/TSV file's header and data rows (blank lines skipped), separated as LayerLoom
    reads a training file: a tab for .tsv, else whichever of , ; tab | its header holds most
    of. A .data or .dat file is read as :func:`read_data` says, an Excel workbook as
    :func:`read_workbook` does, Parquet and JSON lines as :func:`read_parquet` and
    :func:`read_json_lines` do."""
    return read_lined(path, sheet)[:2]


def table_rows(header: list[str], rows: list, lines: list) -> tuple[list, list]:
    """``rows`` and their ``lines`` as LayerLoom read a training file's: a row one value wider
    than the header whose last value is empty (a delimiter after the last column) cut to the
    header's width, and a row naming the columns as the header does (files of one table
    joined one after another, each with its header) left out."""
    width = len(header)
    names = [name or f"column {i + 1}" for i, name in enumerate(header)]
    kept, at = [], []
    for row, line in zip(rows, lines):
        if len(row) == width + 1 and not row[-1].strip():
            row = row[:-1]
        if len(row) == width and width and (row[0].strip() or "column 1") == names[0] and \
                [cell.strip() or f"column {i + 1}" for i, cell in enumerate(row)] == names:
            continue
        kept.append(row)
        at.append(line)
    return kept, at


def read_lined(path: Path, sheet: str | None = None) -> tuple:
    """:func:`read_table`'s header and rows, with the line (a workbook's row) of each row in
    the file, and whether a comma may be a decimal mark there (values separated by ; or a
    tab, as a spreadsheet in a European language saves them)."""
    header, rows, lines, commas = _lined(path, sheet)
    return (header, *table_rows(header, rows, lines), commas)


def _lined(path: Path, sheet: str | None = None) -> tuple:
    """:func:`read_lined`'s header, rows and lines as the file holds them."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        return read_workbook(path, sheet, lined=True)
    if path.suffix.lower() in (".parquet", *JSON_LINES):
        try:
            return read_parquet(path) if path.suffix.lower() == ".parquet" \
                else read_json_lines(path)
        except RecordError as exc:
            raise SystemExit(f"error: {exc.said(str(path))}") from None
    return text_lined(path, decode_text(path.read_bytes()))


def table_text(path: Path, text: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a table file's ``text`` (named ``path``), as :func:`read_table`
    reads them."""
    header, rows, lines, _ = text_lined(path, text)
    return header, table_rows(header, rows, lines)[0]


def text_lined(path: Path, text: str) -> tuple:
    """:func:`table_text`'s header and rows, with lines and commas as :func:`read_lined`."""
    if path.suffix.lower() in (".data", ".dat"):
        return read_data(path, text, lined=True)
    delimiter = delimiter_of(path, text)
    named = re.match(r"\A\s*sep=([^\s\w\"])[ \t]*\r?\n", text)
    if named:  # Excel's line naming the separator: no header
        text = "\n" * named.group(0).count("\n") + text[named.end():]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines = [], []
    for row in reader:
        if any(cell.strip() for cell in row):
            rows.append(row)
            lines.append(reader.line_num)
    if not rows:
        raise SystemExit(f"error: {path}: the file is empty")
    return [cell.strip() for cell in rows[0]], rows[1:], lines[1:], delimiter != ","


def read_workbook(path: Path, sheet: str | None = None, lined: bool = False) -> tuple:
    """The header and rows of a workbook's sheet (named ``sheet``, the training file's, where
    it has one so named; else its first) as LayerLoom reads one for training: with openpyxl,
    read-only and values only (a formula gives its stored value; nothing is run), each cell
    as :func:`cell_text` writes it, from the first row and column with a value; ``lined``,
    with each row's number and False (as :func:`read_lined`)."""
    with open(path, "rb") as handle:
        if handle.read(4) == b"\xd0\xcf\x11\xe0":
            raise SystemExit(f"error: {path}: an Excel 97-2003 workbook (.xls) is not read; "
                             f"save it as .xlsx or CSV")
    try:
        import openpyxl
    except ImportError:
        raise SystemExit(f"error: {path}: reading .xlsx needs openpyxl: pip install openpyxl "
                         f"(or save the sheet as CSV)") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - not a workbook: said in one line
        raise SystemExit(f"error: {path}: cannot be read as an .xlsx workbook ({exc})") from None
    try:
        sheets = {ws.title: ws for ws in book.worksheets}
        if not sheets:
            raise SystemExit(f"error: {path}: the workbook has no sheets")
        ws = sheets.get(sheet, book.worksheets[0])
        ws.reset_dimensions()  # read the cells there are, not the size the file declares
        # each cell's text read with its number format, which may show a code's zeros
        rows = [[cell_text(cell.value, cell.number_format) for cell in row]
                for row in ws.iter_rows()]
        spread_merged_down(ws, rows)  # as Excel shows them, as training read them
    finally:
        book.close()
    used = [[i for i, text in enumerate(row) if text != ""] for row in rows]
    if not any(used):
        raise SystemExit(f"error: {path}: sheet {ws.title!r} is empty")
    left, right = min(u[0] for u in used if u), max(u[-1] for u in used if u) + 1
    table = [row[left:right] + [""] * (right - left - len(row[left:right]))
             for row, u in zip(rows, used) if u]
    header = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(table[0])]
    if lined:
        return header, table[1:], [n + 1 for n, u in enumerate(used) if u][1:], False
    return header, table[1:]


def spread_merged_down(ws, rows: list) -> None:
    """Give each row of a range of cells merged down one column (a label written once for the
    rows it spans), below the header and up to the last row with a value, the range's first
    value, in ``rows`` (each sheet row's texts, from row 1), as LayerLoom read it for
    training; a read-only sheet does not keep its merges, so they are read from its XML."""
    width = max(map(len, rows), default=0)
    if all(len(row) == width and "" not in row for row in rows):
        return  # no cell empty: none merged
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import iterparse

    try:
        source = ws.parent._archive.open(ws._worksheet_path)
    except (AttributeError, KeyError, OSError):
        return
    merged = []
    with source:
        for _, element in iterparse(source):
            if element.tag.endswith("}mergeCell"):
                try:
                    first_col, first, last_col, last = range_boundaries(element.get("ref") or "")
                except (ValueError, TypeError):
                    continue
                if first_col == last_col and last > first:
                    merged.append((first_col - 1, first - 1, last - 1))
            element.clear()
    filled = [n for n, row in enumerate(rows) if any(text != "" for text in row)]
    if not filled:
        return
    for col, first, last in sorted(merged, key=lambda m: (m[1], m[0])):
        top = rows[first] if first < len(rows) else []
        if first <= filled[0] or col >= len(top) or top[col] == "":
            continue
        for row in rows[first + 1:min(last, filled[-1]) + 1]:
            row.extend([""] * (col + 1 - len(row)))
            if row[col] == "":
                row[col] = top[col]


# a number format of zeros only (Excel's zip code 00000, zip+4 00000-0000): a code shown padded
PADDED = re.compile(r"0+(?:\\?-0+)*")


def cell_text(value, number_format: str | None = None) -> str:
    """A cell as the text LayerLoom trained on: a number with every digit (a whole one
    without .0), a date or time as ISO text, TRUE/FALSE, an empty cell as ''; a whole number
    that ``number_format`` pads with zeros (Excel's zip code 00000, zip+4 00000-0000) as it
    shows it, 01234, a code as a CSV holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if (isinstance(value, (int, float)) and number_format and PADDED.fullmatch(number_format)
            and 0 <= value < 2**53 and value == int(value)):
        return padded(int(value), number_format)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):  # midnight as a date, but not where its offset says
        return value.date().isoformat() if value.time() == dt.time(0) and value.tzinfo is None \
            else value.isoformat(sep=" ")  # in which zone (a Parquet file's aware times)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # a duration, as Excel's [h]:mm:ss shows it
        total = value.total_seconds()
        hours, rest = divmod(abs(total), 3600)
        minutes, seconds = divmod(rest, 60)
        shown = f"{seconds:02.0f}" if seconds == int(seconds) else f"{seconds:06.3f}"
        return f"{'-' if total < 0 else ''}{int(hours)}:{int(minutes):02d}:{shown}"
    return str(value)


def padded(number: int, number_format: str) -> str:
    """``number`` as the format of zeros shows it: each group of zeros between dashes filled
    from the right, the first taking any digits over."""
    groups = [len(group) for group in number_format.replace("\\", "").split("-")]
    digits = str(number).zfill(sum(groups))
    parts, end = [], len(digits)
    for size in reversed(groups[1:]):
        parts.append(digits[end - size:end])
        end -= size
    return "-".join([digits[:end], *reversed(parts)])


# -- tables a data library writes: Parquet and JSON lines ----------------------------------------

JSON_LINES = (".jsonl", ".ndjson")
PANDAS_INDEX = re.compile(r"__index_level_\d+__")  # a DataFrame's index, saved as a column


class RecordError(ValueError):
    """A value of a Parquet or JSON lines file that no cell of a table holds, or a line that
    is no record; ``key`` (the column) and ``line`` say where, when known."""

    def __init__(self, message: str, key: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message, self.key, self.line = message, key, line

    def said(self, name: str) -> str:
        where = [name] + ([f"line {self.line}"] if self.line is not None else []) \
            + ([f"column {self.key!r}"] if self.key is not None else [])
        return f"{', '.join(where)}: {self.message}"


def json_record(line: str) -> dict:
    """One line of a JSON lines file as ``{key: text}``, each value the text a CSV of the
    table holds: a number as the file writes it (``1e-3``, ``007.50`` is no JSON), true or
    false, null as ''. RecordError for a line that is no JSON object, a key written twice,
    and an object or array as a value (naming its key).

    >>> json_record('{"age": 41, "ok": true, "city": null, "w": 1.50}')
    {'age': '41', 'ok': 'true', 'city': '', 'w': '1.50'}
    """
    def pairs(items):
        record = {}
        for key, value in items:
            if key in record:
                raise RecordError(f"key {key!r} is written twice in the line's object", key)
            record[key] = value
        return record

    try:
        record = json.loads(line, parse_int=str, parse_float=str, parse_constant=str,
                            object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        hint = ("; this reads as a JSON document written over several lines, not one object a "
                "line: save it as JSON lines (with pandas: pd.read_json(FILE).to_json(NEW, "
                "orient='records', lines=True))" if line.strip() in ("[", "{") else "")
        raise RecordError(f"not valid JSON ({exc.msg}, at character {exc.colno}){hint}") \
            from None
    except RecursionError:  # [[[[… thousands deep: Python's parser gives up
        raise RecordError("holds arrays or objects nested too deeply to read; a table's cell "
                          "holds one value") from None
    if not isinstance(record, dict):
        what = "an array" if isinstance(record, list) else "a single value"
        raise RecordError(f"holds {what}, not an object: each line of a JSON lines table is "
                          f"one object of named values, such as {{\"age\": 41, \"label\": "
                          f"\"yes\"}}")
    return {key: json_text(key, value) for key, value in record.items()}


def json_text(key: str, value) -> str:
    """A JSON value read with its numbers as written (see :func:`json_record`) as a cell's
    text; RecordError for an object or an array."""
    if isinstance(value, (dict, list)):
        raise RecordError(f"holds {'an object' if isinstance(value, dict) else 'an array'}, "
                          f"not one value: a table's cell holds a number, a text, true, false "
                          f"or null; write its parts as columns of their own (with pandas: "
                          f"pd.json_normalize) or the whole as a text", key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value  # a text, or a number as written


def arrow_column(values: list, first_line: int) -> list[str]:
    """A Parquet column's values, as pyarrow's ``to_pylist`` gives them, as the texts
    LayerLoom trained on: a text as it is, the others as :func:`cell_text` writes a
    workbook's cell (a number with every digit, a date as ISO text, TRUE/FALSE, a missing
    value ''). RecordError for a list, a map or a struct, or bytes that are not UTF-8 text,
    with its line (``first_line`` is the first value's, the header being line 1)."""
    out = []
    for at, value in enumerate(values):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (dict, list, tuple)):
            raise RecordError("holds lists or records, not one value a cell: a table's cell "
                              "holds a number, a text, a date or true/false; write their parts "
                              "as columns of their own", line=first_line + at)
        elif isinstance(value, bytes):
            try:
                out.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                raise RecordError("holds binary values, not text", line=first_line + at) \
                    from None
        else:
            out.append(cell_text(value))
    return out


def read_json_lines(path: Path) -> tuple:
    """A JSON lines file's header and rows as LayerLoom reads one for training: one object a
    line (blank lines skipped), its keys the columns in the order they first come, each value
    as :func:`json_record` writes it, '' where a line lacks a key; with each row's line and
    False (as :func:`read_lined`)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError("not UTF-8 text, as JSON lines are",
                          line=raw[:exc.start].count(b"\n") + 1) from None
    header, index, rows, lines = [], {}, [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json_record(line)
        except RecordError as exc:
            exc.line = number
            raise
        row = [""] * len(header)
        for key, cell in record.items():
            if key not in index:
                index[key] = len(header)
                header.append(key)
                row.append("")
            row[index[key]] = cell
        if any(cell.strip() for cell in row):
            rows.append(row)
            lines.append(number)
    if not header:
        raise RecordError("the file holds no values")
    return ([key.strip() or f"column {i + 1}" for i, key in enumerate(header)],
            [row + [""] * (len(header) - len(row)) for row in rows], lines, False)


def read_parquet(path: Path) -> tuple:
    """A Parquet file's header and rows as LayerLoom reads one for training (with pyarrow):
    its columns but pandas' saved index, each value as :func:`arrow_column` writes it, rows
    without a value skipped; with each row's line, the header being line 1 as in the CSV
    pandas saves of it, and False (as :func:`read_lined`)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise RecordError("reading .parquet needs pyarrow: pip install pyarrow (or save the "
                          "table as CSV)") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - not a Parquet file: said in one line
        raise RecordError(f"cannot be read as a Parquet file ({exc})") from None
    names = table.column_names
    keep = [i for i, name in enumerate(names) if not PANDAS_INDEX.fullmatch(name)]
    columns = []
    for i in keep:
        try:
            columns.append(arrow_column(table.column(i).to_pylist(), 2))
        except RecordError as exc:
            exc.key = names[i]
            raise
    rows, lines = [], []
    for at, row in enumerate(zip(*columns)):
        if any(cell.strip() for cell in row):
            rows.append(list(row))
            lines.append(at + 2)
    header = [names[i].strip() or f"column {j + 1}" for j, i in enumerate(keep)]
    return header, rows, lines, False


def read_data(path: Path, text: str, lined: bool = False) -> tuple:
    """A UCI .data/.dat file's header and rows as LayerLoom reads one: values between commas
    where every one of the first lines holds as many, else between runs of spaces and tabs
    (a quoted value whole); a first row holding a number, or only values its columns hold
    below, is data, and the columns are named column 1, column 2, … as in training;
    ``lined``, with each row's line and False (as :func:`read_lined`)."""
    first = [line for line in re.sub(r'"[^"]*"', "", text[:1 << 20]).splitlines()[:50]
             if line.strip()]
    rows, lines = [], []
    if first and first[0].count(",") and all(line.count(",") == first[0].count(",")
                                             for line in first):
        reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(reader.line_num)
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                rows.append([quoted or bare
                             for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', line)])
                lines.append(number)
    if not rows:
        raise SystemExit(f"error: {path}: the file is empty")
    cells = [cell.strip() for cell in rows[0]]
    names = [cell or f"column {i + 1}" for i, cell in enumerate(cells)]
    below = all(any(i < len(row) and row[i].strip() == cell for row in rows[1:])
                for i, cell in enumerate(cells))
    if not any(_is_number(cell) for cell in cells) and not below and len(rows) > 1 \
            and len(set(names)) == len(names):
        header, rows, lines = names, rows[1:], lines[1:]
    else:
        header = [f"column {i + 1}" for i in range(len(cells))]
    return (header, rows, lines, False) if lined else (header, rows)


def delimiter_of(path: Path, text: str) -> str:
    """The separator LayerLoom read the training file with: a tab for .tsv, what Excel's
    ``sep=;`` first line names, ``;`` where every comma of the first line sits between digits
    (decimal commas), else of tab ; | , those every one of the first lines holds as often as
    the header (or all four), the one the header holds most of (that order on a tie)."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    named = re.match(r"\A\s*sep=([^\s\w\"])[ \t]*\r?\n", text)
    if named:
        return named.group(1)
    lines = [line for line in re.sub(r'"[^"]*"', "", text[:1 << 20]).split("\n", 51)[:50]
             if line.strip()]
    first = lines[0] if lines else ""
    if ";" in first and len(re.findall(r"\d,\d", first)) == first.count(","):
        return ";"
    steady = [c for c in "\t;|," if first.count(c)
              and all(line.count(c) == first.count(c) for line in lines)]
    return max(steady or ",;\t|", key=first.count) if any(c in first for c in ",;\t|") \
        else ","


def decode_text(raw: bytes) -> str:
    """A CSV file's text as LayerLoom reads a training file: UTF-16 with its byte-order mark,
    UTF-8 (a byte-order mark dropped), else Windows-1252, as Excel saves a CSV on Windows."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def as_written(cell: str, form: dict | None) -> str:
    """A number of a column the training file wrote with a decimal comma, thousands
    separators or a currency or percent sign (``1.234,5``, ``$12``; the column's ``written``
    form), as Python writes it."""
    cell = cell.strip()
    if not form:
        return cell
    percent = form.get("unit") == "%" and "%" in cell  # 12 % is 0.12, as a workbook stores it
    if form.get("unit") and form["unit"] in cell:  # $1,250.50, 12 %: the sign taken off
        cell = cell.replace(form["unit"], "", 1).strip()
    if form.get("thousands"):
        cell = cell.replace(form["thousands"], "")
    cell = cell.replace(form.get("decimal", "."), ".")
    return hundredth(cell) if percent else cell


def hundredth(number: str) -> str:
    """``number`` (as Python writes it) divided by 100, digit for digit: a percentage's
    fraction (``5`` → ``0.05``), as LayerLoom's reader makes it; a text that is no number as
    it is."""
    try:
        shifted = format(Decimal(number).scaleb(-2), "f")
    except (InvalidOperation, ValueError):
        return number
    return shifted.rstrip("0").rstrip(".") if "." in shifted else shifted


# -- numbers as a new file writes them: its own decimal mark, not the training file's ----------
# (the exported project's data.py holds the same code: keep the two alike)

GROUPS = (None, ".", ",", " ", "\u00a0", "\u202f", "'")  # thousands separators, as written


def readings(cell: str) -> dict:
    """The number ``cell`` writes, by which mark is its decimal one: ``{".": 1.234, ",":
    1234.0}`` for ``1.234``, one reading where its marks tell (``1.234,5``: ``{",": 1234.5}``;
    ``0.25``: ``{".": 0.25}``), the same number twice where no mark matters (``1 234``), ``{}``
    for no number. A currency or percent sign is taken off; parentheses, as accounting writes
    a negative amount, are a minus.

    >>> readings("1.234"), readings("$1,250.50"), readings("(1 234,5 €)")
    ({'.': 1.234, ',': 1234.0}, {'.': 1250.5}, {',': -1234.5})
    """
    bare = re.sub(r"[$€£¥%]", "", cell).strip()
    negative = re.fullmatch(r"\(\s*([^()\s][^()]*?)\s*\)", bare)
    if negative:
        bare = "-" + negative.group(1)
    share = hundredth if "%" in cell else str  # 5% is 0.05, as training read it
    out = {}
    if re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", bare):
        out["."] = float(share(bare))  # as Python writes it (1e-5 too)
    for decimal in ".,":
        for group in GROUPS:
            if decimal in out or group == decimal:
                continue
            whole = rf"[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})+|\d+" if group else r"\d+"
            mark = re.escape(decimal)
            if re.fullmatch(rf"[+-]?(?:(?:{whole})(?:{mark}\d+)?|{mark}\d+)", bare):
                out[decimal] = float(share((bare.replace(group, "") if group else bare)
                                           .replace(decimal, ".")))
    return {mark: number for mark, number in out.items() if math.isfinite(number)}


def _decimal_of(form: dict | None) -> str:
    """The decimal mark of a column the training file wrote in ``form``."""
    form = form or {}
    return form.get("decimal") or ("," if form.get("thousands") == "." else ".")


MARKS = {".": "a decimal point", ",": "a decimal comma"}


def written_numbers(where: str, header: list, rows: list, lines: list, columns: list,
                    commas: bool, missing) -> tuple[dict, list]:
    """The numbers of each numeric column of ``columns`` (a cell missing, a dash: NaN), read
    as this file writes them, and the notes on them.

    Where the file shows a column's decimal mark (``1234.5``, ``0,25``, ``1.234,50``) that
    mark reads it, whatever the training file's was (said in a note where they differ); a
    column that shows both is refused. A number that may be either (``1.250``: 1.25, or 1250
    with a point between thousands) is read as the training reader reads it: a point decimal,
    unless the file's other numbers have a decimal comma or, where values are separated by ;
    or a tab (``commas``), the column writes numbers under 1,000 without a point; a comma
    decimal there, else thousands. Where the training file's form would read it otherwise,
    it is refused, naming the column and line: no guess. ``where`` starts every message."""
    numeric = [c["name"] for c in columns
               if c.get("kind") not in ("categorical", "date") and c["name"] in header]
    parsed, shown = {}, {}
    for name in numeric:
        at = header.index(name)
        parsed[name] = []
        for cell, line in zip((row[at].strip() if at < len(row) else "" for row in rows), lines):
            if cell.lower() in missing or cell in DASHES:
                parsed[name].append(None)
                continue
            read = readings(cell)
            if not read:
                raise SystemExit(f"{where}: column {name!r} holds numbers, got {cell!r} "
                                 f"(line {line})")
            parsed[name].append((read, cell, line))
            if len(read) == 1:
                shown.setdefault(name, {}).setdefault(next(iter(read)), (cell, line))
    file_marks = {mark for seen in shown.values() for mark in seen}
    out, other = {}, {}
    for name, cells in parsed.items():
        form = next(c.get("written") for c in columns if c["name"] == name)
        seen = shown.get(name, {})
        if len(seen) > 1:
            (a, line_a), (b, line_b) = seen["."], seen[","]
            raise SystemExit(f"{where}: column {name!r} writes numbers with a decimal point "
                             f"(line {line_a}: {a}) and with a decimal comma (line {line_b}: "
                             f"{b}); write them all one way")
        mark = next(iter(seen), None) or _file_mark(cells, file_marks, commas)
        if seen and form and mark != _decimal_of(form):
            other.setdefault(mark, []).append(name)
        out[name] = [math.nan if c is None else _reading(name, *c, mark, form, commas, where)
                     for c in cells]
    notes = []
    for mark, names in other.items():  # one note for the columns the file writes otherwise
        cell, line = shown[names[0]][mark]
        notes.append(f"{'column' if len(names) == 1 else 'columns'} "
                     f"{', '.join(map(repr, names))}: this file writes numbers with "
                     f"{MARKS[mark]} (line {line}: {cell}), the training file with "
                     f"{MARKS['.' if mark == ',' else ',']}: read as this file writes them")
    return out, notes


def _file_mark(cells: list, file_marks: set, commas: bool) -> str | None:
    """The decimal mark of a column whose numbers do not show it, where the file tells (as
    the training reader decides what a point before three digits is)."""
    if file_marks == {"."} or (commas and file_marks == {","}):
        return next(iter(file_marks))
    bare = [re.sub(r"[$€£¥%]", "", c[1]).strip() for c in cells if c is not None]
    if commas and not file_marks and any("." in b for b in bare) and all(
            re.fullmatch(r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d{1,3})", b) for b in bare) \
            and any(re.fullmatch(r"[+-]?\d{1,3}", b) for b in bare):
        return ","  # 850 beside 1.250: a point only from 1,000 on
    return None


def _reading(name: str, read: dict, cell: str, line: int, mark: str | None,
             form: dict | None, commas: bool, where: str) -> float:
    """One cell's number: by the column's decimal ``mark``, or, where neither the cell nor
    the file tells, as the training reader reads it, if the training file's ``form`` agrees."""
    if len(set(read.values())) == 1:
        return next(iter(read.values()))
    if mark is not None:
        return read[mark]
    sign = "," if "," in cell else "."
    usual = read["," if sign == "," and commas else "."]
    try:
        trained = float(as_written(cell, form))
    except ValueError:
        trained = usual  # the training file never wrote such a number
    if trained != usual:
        what = "point" if sign == "." else "comma"
        trained_as = MARKS[sign] if trained == read[sign] else f"{what}s between thousands"
        raise SystemExit(f"{where}: column {name!r}, line {line}: {cell!r} may mean "
                         f"{read['.']:g} or {read[',']:g}; nothing in the file shows whether "
                         f"its {what} marks decimals or thousands, and the training file wrote "
                         f"the column with {trained_as}. Write the column's numbers without "
                         f"thousands separators ({max(read.values()):g}, not {cell})")
    return usual


# -- dates: a column of dates as the features training made of it ------------------------------
# (the exported project's data.py holds the same code: keep the two alike; LayerLoom's own
# loader makes the training features with these functions)

DATE_FORM = re.compile(
    r"^(?:(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"  # 2024-03-25
    r"|(?P<a>\d{1,2})(?P<t>[./-])(?P<b>\d{1,2})(?P=t)(?P<yy>\d{4}|\d{2}),?)"  # 25/03/2024
    r"(?: ?[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}(?:\.\d+)?))?"  # 14:05:09.5
    r"(?: ?(?P<p>[AaPp][Mm]))?)?"  # 2:05 PM
    r"(?: ?(?P<z>Z|[+-]\d{2}:?\d{2}))?$")  # a UTC offset: +02:00, -0500, Z
DATE_ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year", None: "year-month-day"}


def read_date(cell: str, order: str | None, utc: bool | None = None) -> dt.datetime:
    """The date and time ``cell`` writes: year first (``2024-03-25``, ``2024/03/25``) always,
    day and month first as ``order`` says (``"dmy"``: ``25/03/2024``; ``"mdy"``:
    ``03/25/2024``; a two-digit year 00–68 is 2000–2068, 69–99 is 1969–1999, as Python's
    ``%y``). Where the training column's times had UTC offsets (``utc`` True), the time is
    the UTC one the offset gives (``10:00+02:00`` is 08:00), and a cell without one is no
    date of the column; where they had none (False), a cell with one is not either; None
    (a run recorded before offsets were read) reads the clock time, the offset left aside.
    ValueError where it is no such date (``31/02/2024``, ``13/13/2024``, or day first with
    no ``order``).

    >>> read_date("2024-03-25", None), read_date("3/25/24 2:05 PM", "mdy")
    (datetime.datetime(2024, 3, 25, 0, 0), datetime.datetime(2024, 3, 25, 14, 5))
    >>> read_date("2024-03-25T10:00:00+02:00", None, utc=True)
    datetime.datetime(2024, 3, 25, 8, 0)
    """
    found = DATE_FORM.match(cell.strip())
    if not found:
        raise ValueError(f"{cell!r} is not a date")
    if utc is not None and bool(found["z"]) != utc:
        raise ValueError(f"{cell!r} {'lacks' if utc else 'has'} a UTC offset")
    if found["y"]:
        year, month, day = int(found["y"]), int(found["m"]), int(found["d"])
    elif order in ("dmy", "mdy"):
        first, second, year = int(found["a"]), int(found["b"]), int(found["yy"])
        day, month = (first, second) if order == "dmy" else (second, first)
        if len(found["yy"]) == 2:
            year += 2000 if year < 69 else 1900
    else:
        raise ValueError(f"{cell!r} writes its day and month first, in an order not known")
    hour, minute = int(found["H"] or 0), int(found["M"] or 0)
    if found["p"]:  # 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            raise ValueError(f"{cell!r}: hour {hour} on a 12-hour clock")
        hour = hour % 12 + (12 if found["p"].lower() == "pm" else 0)
    seconds = float(found["S"] or 0)
    when = dt.datetime(year, month, day, hour, minute, int(seconds))  # ValueError: no such
    when += dt.timedelta(seconds=seconds - int(seconds))
    if utc and found["z"] != "Z":
        sign, hours, minutes = found["z"][0], int(found["z"][1:3]), int(found["z"][-2:])
        when -= (1 if sign == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
    return when


def date_names(column: dict) -> list[str]:
    """The model's features made of a date column, in order: days since the earliest training
    date, then month, weekday (and hour of the day, for dates with times) each as a point on a
    circle (sine and cosine), so that December sits beside January and Sunday beside
    Monday."""
    name = column["name"]
    cycles = ("month", "weekday") + (("hour",) if column.get("time") else ())
    return [f"{name}: days since {column['origin']}"] + [
        f"{name}: {cycle} {part}" for cycle in cycles for part in ("sin", "cos")]


def date_features(when: dt.datetime, column: dict) -> list[float]:
    """``when`` as the features :func:`date_names` names.

    >>> column = {"name": "d", "kind": "date", "origin": "2024-01-01", "time": False}
    >>> [round(v, 3) for v in date_features(dt.datetime(2024, 4, 1), column)]
    [91.0, 1.0, 0.0, 0.0, 1.0]
    """
    days = (when - dt.datetime.fromisoformat(column["origin"])).total_seconds() / 86400
    turns = [(when.month - 1) / 12, when.weekday() / 7]
    if column.get("time"):
        turns.append((when.hour + when.minute / 60 + when.second / 3600) / 24)
    return [days] + [f(2 * math.pi * turn) for turn in turns for f in (math.sin, math.cos)]


def date_problem(cell: str, column: dict) -> str:
    """Why ``cell`` cannot be read as the training file wrote ``column``'s dates."""
    found, utc = DATE_FORM.match(cell.strip()), column.get("utc")
    if found and utc is not None and bool(found["z"]) != utc:
        return (f"{cell!r} has no UTC offset, but the training file's times all had one (they "
                f"were read in UTC); write it with its offset (+02:00, or Z for UTC)" if utc
                else f"{cell!r} has a UTC offset, but the training file's times had none "
                f"(they were read as clock time); write it without the offset, in the clock "
                f"time the training file used")
    order = column.get("order")
    how = DATE_ORDERS[order] if order else "year first"
    return (f"{cell!r} is not a date written {how}, as the training file wrote the column; "
            f"write it so, or year first (2024-03-25)")


def written_dates(where: str, header: list, rows: list, lines: list, columns: list,
                  missing) -> dict:
    """The features of each date column of ``columns`` (:func:`date_features`), one list a
    row, NaN for a missing date; a date this file writes otherwise than training read them
    (``03/25/2024`` where training read day first) is refused, naming the column and the
    line. ``where`` starts the message."""
    out = {}
    for column in columns:
        if column.get("kind") != "date" or column["name"] not in header:
            continue
        at, width = header.index(column["name"]), len(date_names(column))
        out[column["name"]] = features = []
        for cells, line in zip(rows, lines):
            cell = cells[at].strip() if at < len(cells) else ""
            if cell.lower() in missing:
                features.append([math.nan] * width)
                continue
            try:
                features.append(date_features(read_date(cell, column.get("order"),
                                                          column.get("utc")), column))
            except ValueError:
                raise SystemExit(f"{where}: column {column['name']!r}, line {line}: "
                                 f"{date_problem(cell, column)}") from None
    return out


def read_rows(path: Path, shape: tuple, prep: dict, notes: list) -> np.ndarray:
    """Every data row of a CSV file, its columns encoded as in training (numbers as they
    are, a category as its one-hot columns, a date as its features (:func:`date_names`), a
    missing cell as NaN); a category training never
    saw is added to ``notes``. A file without a header naming the columns is read as rows of
    the encoded features themselves."""
    columns = prep.get("columns")
    header, rows, lines, commas = read_lined(path, prep.get("sheet"))
    if not (columns and any(c["name"] in header for c in columns)):
        return read_numbers(path, shape, [header] + rows)
    missing = {m.lower() for m in prep.get("missing", MISSING)}
    absent = [c["name"] for c in columns if c["name"] not in header]
    if absent:
        names = [c["name"] for c in columns]
        shown = ", ".join(names if len(names) <= 12 else names[:10] + ["…", names[-1]])
        raise SystemExit(f"error: {path}: the rows have no column {absent[0]!r}; the model "
                         f"reads {shown}"
                         f"{f' ({len(names)} columns)' if len(names) > 12 else ''}")
    if not rows:
        raise SystemExit(f"error: {path}: a header but no rows")
    numbers, said = written_numbers(f"error: {path}", header, rows, lines, columns, commas,
                                    missing)
    dates = written_dates(f"error: {path}", header, rows, lines, columns, missing)
    notes += [(None, f"{path.name}: {text}") for text in said]
    out = []
    for i, cells in enumerate(rows):
        row = dict(zip(header, (cell.strip() for cell in cells)))
        where = (i if len(rows) > 1 else None,
                 f"{path.name} sample {i}: " if len(rows) > 1 else "")
        values: list[float] = []
        for column in columns:
            cell = row.get(column["name"], "")
            if column.get("kind") == "categorical":
                if cell not in column["categories"] and cell.lower() not in missing:
                    seen = ", ".join(map(str, column["categories"][:8]))
                    notes.append((where[0], f"{where[1]}column {column['name']!r}: {cell!r} "
                                            f"was not seen in training (it saw {seen}"
                                            f"{', …' if len(column['categories']) > 8 else ''}"
                                            f"), so it is read as none of them"))
                values += [1.0 if cell == c else 0.0 for c in column["categories"]]
            elif column.get("kind") == "date":
                values += dates[column["name"]][i]
            else:
                values.append(numbers[column["name"]][i])
        out.append(np.asarray(values, dtype=np.float64).reshape(shape))
    return np.stack(out)


def read_numbers(path: Path, shape: tuple, rows: list[list[str]] | None = None) -> np.ndarray:
    """Samples from a file of numbers: all of them for one sample when there are as many as
    the input holds, else one sample a row; rows of words (a header) are skipped."""
    size = int(np.prod(shape))
    if rows is None and path.suffix.lower() in (".xlsx", ".xls", ".parquet", *JSON_LINES):
        header, body = read_table(path)
        rows = [header] + body
    if rows is None:
        lines = decode_text(path.read_bytes()).splitlines()
        rows = [[v for v in re.split(r"[\s,;]+", line.strip()) if v] for line in lines]
    numeric = []
    for row in rows:
        try:
            numeric.append([_number(cell) for cell in row if cell.strip() or len(row) > 1])
        except SystemExit:
            continue  # a header
    numeric = [row for row in numeric if row]
    total = sum(len(row) for row in numeric)
    dims = ", ".join(map(str, shape))
    if total == size:
        return np.asarray([v for row in numeric for v in row], dtype=np.float64).reshape(
            (1,) + shape)
    if numeric and all(len(row) == size for row in numeric):
        return np.asarray(numeric, dtype=np.float64).reshape((-1,) + shape)
    if not numeric:
        raise SystemExit(f"error: {path}: no row of numbers found")
    counts = sorted({len(row) for row in numeric})
    raise SystemExit(f"error: {path}: holds {total} numbers in {len(numeric)} row(s) of "
                     f"{', '.join(map(str, counts))}; the model takes {size} per sample "
                     f"(shape [{dims}]): give {size} numbers for one sample, or rows of {size}, "
                     f"one sample a row")


def _number(cell: str, missing=MISSING, column: str | None = None) -> float:
    cell = cell.strip()
    if cell.lower() in missing or cell in DASHES:
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
    """The model's outputs ``[N, ...]`` for inputs of N samples, run CHUNK samples at a time."""
    forward = load_model(manifest, backend)
    count = len(arrays[0])
    parts = [forward([a[i:i + CHUNK] for a in arrays]) for i in range(0, count, CHUNK)]
    return [np.concatenate([part[k] for part in parts]) for k in range(len(parts[0]))]


def load_model(manifest: dict, backend: str | None):
    """A function from input arrays to output arrays, for the first saved model present."""
    files = manifest["files"]
    order = [backend] if backend else ["torchscript", "python", "onnx"]
    for choice in order:
        if choice == "onnx" and "model.onnx" in files:
            import onnxruntime as ort

            session = ort.InferenceSession(str(HERE / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
            names = [i.name for i in session.get_inputs()]
            return lambda arrays: [np.asarray(o)
                                   for o in session.run(None, dict(zip(names, arrays)))]
        if choice in ("torchscript", "python") and f"model.{_FILE[choice]}" in files:
            import torch

            model = _torch_model(choice, manifest)

            def forward(arrays, model=model):
                with torch.no_grad():
                    out = model(*[torch.from_numpy(np.ascontiguousarray(a)) for a in arrays])
                out = out if isinstance(out, (tuple, list)) else (out,)
                return [o.numpy() for o in out]
            return forward
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
    """One sample's result from its outputs (each without the batch axis)."""
    first = outputs[0]
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
    elif manifest.get("task") == "regression" and first.size == 1:
        # one value: a number, named by the column it predicts where the data named it
        result["prediction"] = float(first.reshape(-1)[0])
        if manifest.get("target"):
            result["target"] = manifest["target"]
    elif first.size <= 64:
        result["prediction"] = first.tolist()
    else:
        result["prediction"] = None
        result["summary"] = {"min": float(first.min()), "max": float(first.max()),
                             "mean": float(first.mean())}
    return result


if __name__ == "__main__":
    sys.exit(main())

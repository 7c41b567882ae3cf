"""Zip files of image folders: one folder per class, PNG, JPEG, WebP, BMP, GIF or TIFF images
inside.

Read in memory, never extracted: an entry with an absolute path or ``..`` is refused, and the
number of entries, their total size, each image's pixel count and the pixels of all images
together are capped. Every entry is checked, and every image's size read from its header
(nothing decoded), before any image is decoded; only then is a tensor built.

Budgets (environment variables, read when a file is loaded): ``LAYERLOOM_MAX_ZIP_BYTES``
(uncompressed size, default 200 MiB), ``LAYERLOOM_MAX_ZIP_ENTRIES`` (50,000),
``LAYERLOOM_MAX_IMAGE_PIXELS`` (one image, 25,000,000) and ``LAYERLOOM_MAX_ZIP_PIXELS``
(500,000,000: the images' own pixels summed, and the values of the tensor built from them).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .broken import FIX, broken_note, emptied, read_each
from .build import assemble
from .cutshort import truncated
from .dataset import Dataset
from .errors import DataError, budget, over_budget
from .layout import (below_note, loose_files_hint, nested_classes, nested_folders,
                     nested_note, refused_nesting)
from .split import SplitSpec

MAX_ZIP_BYTES = 200 * 2**20  # uncompressed
MAX_ZIP_ENTRIES = 50_000
MAX_IMAGE_PIXELS = 25_000_000
MAX_ZIP_PIXELS = 500_000_000  # all images' decoded pixels; and the dataset tensor's values
DEFAULT_SIZE = (28, 28)
SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")  # as predict.py
READ = "PNG, JPEG, WebP, BMP, GIF or TIFF"  # what SUFFIXES are, in words
ORIENTATION = 0x0112  # the EXIF tag a camera or phone records how to turn the picture with
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F")
JUNK = ("__MACOSX", "Thumbs.db", "desktop.ini")  # left by archivers and file browsers


def load_image_zip(path: Path, spec: SplitSpec, *, image_size: tuple[int, int] | None,
                   color: str, leave_out_broken: bool = False) -> Dataset:
    """A Dataset of ``[C, H, W]`` images in [0, 1], standardised per channel on train.

    ``image_size`` (height, width) defaults to the images' own size when they all share one,
    else 28×28; ``color`` "auto" is RGB when any image has colour (or a palette). Images that
    cannot be read refuse the zip, every one named, unless ``leave_out_broken``: then they are
    left out, and named in the notes.
    """
    broken: list[DataError] | None = [] if leave_out_broken else None
    with _open(path) as archive:
        places: list[tuple[str, str | None]] = []
        files, others = _image_entries(path, archive, places)
        classes = sorted({name for name, _ in files})
        headers = read_each(files, lambda item: _header(path, archive, item[1]), broken)
        files = _kept(files, broken)
        if broken:
            emptied(classes, Counter(name for name, _ in files), broken, path)
        sizes = {upright_size(image) for image in headers}  # PIL sizes are (width, height)
        said = reading_notes(sizes, [im.mode for im in headers], image_size, color,
                             "resized to it (stretched where the proportions differ)")
        if image_size is None:
            image_size = (next(iter(sizes))[::-1]) if len(sizes) == 1 else DEFAULT_SIZE
        if color == "auto":
            color = "grayscale" if all(im.mode in GRAY_MODES for im in headers) else "rgb"
        _check_pixels(path, headers, image_size, color)
        decoded = read_each(zip(files, headers, strict=True), lambda item: _pixels(
            path, item[0][1], item[1], image_size, color), broken)
        if broken:
            headers = [h for (_, info), h in zip(files, headers)
                       if entry_name(info) not in {err.entry for err in broken}]
            files = _kept(files, broken)
            emptied(classes, Counter(name for name, _ in files), broken, path)
        pixels = np.stack(decoded)
    if pixels.ndim == 3:
        pixels = pixels[:, None]  # (N, 1, H, W)
    else:
        pixels = pixels.transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
    labels = np.array([classes.index(name) for name, _ in files])
    meta = {"color": color, "image_size": list(image_size),
            "original_sizes": sorted([h, w] for w, h in sizes)[:20]}
    if broken:
        meta["broken"] = [str(err.entry) for err in broken[:1000]]
    notes = said + _turned_note(sum(orientation(image) > 1 for image in headers))
    notes += pages_note([entry_name(info) for (_, info), image in zip(files, headers)
                         if pages(image) > 1])
    nested = nested_folders(places)  # each read as one class, said
    notes += nested_note(nested, Counter(name for name, _ in files))
    notes += below_note([(name, sub) for name, sub in places
                         if sub is not None and name not in nested])
    notes += broken_note(broken or []) + left_out_note(others)
    if notes:
        meta["notes"] = notes
    return assemble(path.name, str(path), pixels, labels, spec, classes=classes, norm="channel",
                    scale=255.0, meta=meta)


def _kept(files: list, broken: list[DataError] | None) -> list:
    """``files`` (``(class, entry)``) without those whose image is ``broken``."""
    if not broken:
        return files
    gone = {err.entry for err in broken}
    return [item for item in files if entry_name(item[1]) not in gone]


def reading_notes(sizes: set[tuple[int, int]], modes: list[str],
                  image_size: tuple[int, int] | None, color: str, resized: str,
                  sampled: str = "") -> list[str]:
    """What loading does to images that differ, which the preview's small pictures do not
    show: several sizes (``sizes``, as (width, height)) brought to the default 28×28 where no
    ``image_size`` was chosen, and grayscale images read as RGB beside colour ones where the
    ``color`` was left to choose. ``resized`` says how; ``sampled`` says where only some
    images were looked at (``"sampled "``).

    >>> reading_notes({(640, 480), (300, 200)}, ["RGB", "L", "L"], None, "auto", "resized")
    ['images of 2 sizes (300×200 to 640×480) brought to 28×28, the default where sizes differ: resized; choose image_size to keep more detail', '2 of the 3 images are grayscale: read as RGB (their gray in all three channels), since the others have colour; choose color=grayscale to read every image in gray']
    """
    notes = []
    if image_size is None and len(sizes) > 1:
        ordered = sorted(sizes, key=lambda size: (size[0] * size[1], size))
        notes.append(f"{sampled}images of {len(sizes)} sizes ({ordered[0][0]}×{ordered[0][1]} to "
                     f"{ordered[-1][0]}×{ordered[-1][1]}) brought to {DEFAULT_SIZE[0]}×"
                     f"{DEFAULT_SIZE[1]}, the default where sizes differ: {resized}; choose "
                     f"image_size to keep more detail")
    gray = sum(mode in GRAY_MODES for mode in modes)
    if color == "auto" and 0 < gray < len(modes):
        notes.append(f"{gray} of the {len(modes)} {sampled}images are grayscale: read as RGB "
                     f"(their gray in all three channels), since the others have colour; "
                     f"choose color=grayscale to read every image in gray")
    clear = sum(mode in ALPHA_MODES for mode in modes)
    if clear:
        notes.append(f"{clear} of the {len(modes)} {sampled}images have an alpha channel: "
                     f"those with transparent pixels are read as laid on paper, white behind "
                     f"what is drawn dark, black behind what is drawn light")
    return notes


def left_out_note(others: list[str]) -> list[str]:
    """The note naming the files of a zip or folder that are not images read here: their
    count and the first five names; none where there are none.

    >>> left_out_note(["cat/notes.txt"])
    ['1 file that is not PNG, JPEG, WebP, BMP, GIF or TIFF image left out: cat/notes.txt']
    """
    if not others:
        return []
    n, shown = len(others), ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
    return [f"{n} file{'s' if n > 1 else ''} that {'are' if n > 1 else 'is'} not {READ} "
            f"image{'s' if n > 1 else ''} left out: {shown}"]


def _turned_note(turned: int) -> list[str]:
    """``2 photos turned upright as their EXIF orientation says (…)``, or none."""
    if not turned:
        return []
    many = turned > 1
    return [f"{turned} photo{'s' if many else ''} turned upright as {'their' if many else 'its'} "
            f"EXIF orientation says (as a phone or camera shows {'them' if many else 'it'})"]


def eight_bit(image: Image.Image) -> Image.Image:
    """A 16- or 32-bit integer grayscale image as 8-bit "L", scaled by its type's range (a
    16-bit value ``v`` becomes ``round(v / 257)``); Pillow's own ``convert("L")`` clips them at
    255, so that every pixel of a 16-bit photo would be white. A float image (a TIFF's "F") is
    scaled by the range its values keep to: 0–1 (as image libraries write floats), else 0–255,
    else 0–65535 (16-bit values stored as floats), else its own largest value. A palette image
    with transparency as RGBA, the same colours. An image with an alpha channel (RGBA, LA, a
    palette's transparency) laid on paper (:func:`on_paper`). Other images as they are.

    >>> eight_bit(Image.new("I;16", (1, 1), 65535)).getpixel((0, 0))
    255
    >>> eight_bit(Image.new("I;16", (1, 1), 1028)).getpixel((0, 0))
    4
    >>> eight_bit(Image.new("F", (1, 1), 0.5)).getpixel((0, 0))
    128
    """
    if image.mode.startswith("I;16"):
        top = 65535
    elif image.mode == "I":  # a 16-bit PNG in some Pillow versions; else 32-bit integers
        top = 65535 if image.format == "PNG" else 2**31 - 1
    elif image.mode == "F":
        top = float_range(np.asarray(image))
    elif image.mode == "P" and "transparency" in image.info:
        # its own colours; straight to RGB, Pillow warns each time
        return on_paper(image.convert("RGBA"))
    elif image.mode in ("LAB", "HSV"):  # a TIFF's: Pillow turns them to RGB, not to gray
        return image.convert("RGB")
    else:
        return on_paper(image)
    values = np.nan_to_num(np.asarray(image).astype(np.float64), posinf=top)
    pixels = np.clip(np.rint(values * (255 / top)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "L")


ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


def on_paper(image: Image.Image) -> Image.Image:
    """An image with transparent pixels (alpha 0: a shape cut out of its background) as it
    looks laid on paper: white behind what is drawn dark (a black icon or glyph on a
    transparent background), black behind what is drawn light; RGB from RGBA, L from LA.
    Dropping the alpha channel, as Pillow's ``convert("RGB")`` does, keeps the colour stored
    under transparent pixels, most often black: a black shape on a transparent background
    became a black square, every image of a class alike. Other images (no pixel fully
    transparent: their colours are what they show) as they are.

    >>> drawn = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    >>> drawn.putpixel((0, 0), (0, 0, 0, 255))
    >>> on_paper(drawn).getpixel((0, 0)), on_paper(drawn).getpixel((1, 0))
    ((0, 0, 0), (255, 255, 255))
    """
    if image.mode not in ALPHA_MODES:
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


def float_range(values: np.ndarray) -> float:
    """The top of the range a float image's ``values`` keep to: 1, 255, 65535, or its largest
    finite value beyond.

    >>> [float_range(np.array(values)) for values in ([0.0, 0.7], [3.0, 200.0], [1e6])]
    [1.0, 255.0, 1000000.0]
    """
    finite = values[np.isfinite(values)]
    most = float(finite.max()) if finite.size else 0.0
    return next((top for top in (1.0, 255.0, 65535.0) if most <= top), most)


def pages(image: Image.Image) -> int:
    """2 where a TIFF holds several pages (a scanner's multi-page file, a microscope's stack),
    of which the first is the one read; else 1. Only the second page's directory is read,
    nothing decoded: counting them all (``n_frames``) walks every directory, which a small
    hostile file can make a million long."""
    if image.format != "TIFF":
        return 1
    try:
        image.seek(1)
    except (OSError, ValueError, EOFError, struct.error):  # one page, or a damaged chain
        return 1
    finally:
        try:
            image.seek(0)
        except (OSError, ValueError, EOFError, struct.error):
            pass
    return 2


def pages_note(paged: list[str], sampled: str = "") -> list[str]:
    """The note for the TIFFs of several pages, of which the first page is read.

    >>> pages_note(["cat/scan.tif"])
    ['1 TIFF holds several pages: its first page is read (cat/scan.tif)']
    """
    if not paged:
        return []
    shown = ", ".join(paged[:3]) + (", …" if len(paged) > 3 else "")
    if len(paged) == 1:
        return [f"1 {sampled}TIFF holds several pages: its first page is read ({shown})"]
    return [f"{len(paged)} {sampled}TIFFs hold several pages: the first page of each is read "
            f"({shown})"]


def _open(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise DataError("not a valid zip file", file=path, unreadable=True) from None
    infos = archive.infolist()
    most = budget("LAYERLOOM_MAX_ZIP_ENTRIES", MAX_ZIP_ENTRIES)
    if len(infos) > most:
        archive.close()
        raise over_budget(f"{len(infos)} entries; zip files are capped at {most}",
                          "LAYERLOOM_MAX_ZIP_ENTRIES", file=path)
    total = sum(info.file_size for info in infos)
    most = budget("LAYERLOOM_MAX_ZIP_BYTES", MAX_ZIP_BYTES)
    if total > most:
        archive.close()
        raise over_budget(f"{total / 2**20:.0f} MB uncompressed; zip files are capped at "
                          f"{most / 2**20:.0f} MB", "LAYERLOOM_MAX_ZIP_BYTES", file=path)
    return archive


def texts_hint(names: list[str]) -> str:
    """Where a class folder holds text files instead of images (a folder of reviews per
    class), how LayerLoom reads texts: a CSV of texts and labels."""
    texts = sum(name.lower().endswith(".txt") for name in names)
    if not texts:
        return ""
    return (f" (it holds {texts:,} .txt file{'s' if texts > 1 else ''}: texts are read from one "
            f"CSV file, a column of texts and a column of their labels, one row per text)")


def orientation(image: Image.Image) -> int:
    """The EXIF orientation of an opened image (1, upright, where it has none); read from its
    header, nothing decoded. A PNG's is its eXIf chunk before the pixels, the one browsers
    show: Pillow, finding none there, decodes every pixel to look for one after them, which
    made reading a folder's or a zip's sizes decode each image (and a zip of huge images
    decode them all before its pixel budget refused it)."""
    if image.format == "PNG" and not {"exif", "Raw profile type exif"} & set(image.info):
        return 1
    try:
        value = image.getexif().get(ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - damaged EXIF: the picture as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright_size(image: Image.Image) -> tuple[int, int]:
    """``(width, height)`` of the image as shown, turned as its EXIF orientation says."""
    return image.size[::-1] if orientation(image) in (5, 6, 7, 8) else image.size


def upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says: a phone's portrait photo is stored
    sideways with a tag saying so. Read so in training as the app's *Try it* and the bundle's
    predict.py read a picture (``ImageOps.exif_transpose``)."""
    if orientation(image) == 1:
        return image
    return ImageOps.exif_transpose(image)


def _image_entries(path: Path, archive: zipfile.ZipFile, where: list | None = None
                   ) -> tuple[list[tuple[str, zipfile.ZipInfo]], list[str]]:
    """``(class name, entry)`` of every image, checked, sorted by entry name; and the names of
    the files left out. ``where`` gets ``(class, sub-folder or None)`` of each image: the
    folder inside its class folder that it lies in, if any.

    Files that are not images of a kind read here (``notes.txt``, ``photo.heic``) are left out,
    as in a folder, and named; hidden files (``.DS_Store``, macOS's ``._cat.jpg``) and
    archivers' folders (``__MACOSX``) are left out without a word. The folder holding a file
    left out still counts (a class folder of nothing else holds no images).
    """
    others = []
    kept: list[tuple[tuple[str, ...], zipfile.ZipInfo, bool]] = []  # (parts, entry, is a folder)
    for info in archive.infolist():
        parts = _safe_parts(path, entry_name(info))
        if not parts or any(part.startswith(".") or part in JUNK for part in parts):
            continue
        if info.is_dir():
            kept.append((parts, info, True))
        elif PurePosixPath(parts[-1]).suffix.lower() in SUFFIXES:
            kept.append((parts, info, False))
        else:
            others.append(entry_name(info))
            if len(parts) > 1:
                kept.append((parts[:-1], info, True))  # not an image: only its folder counts
    # A zip of one folder holding the class folders: the class folders are one level down.
    top: tuple[str, ...] = ()
    while kept and len({parts[0] for parts, _, _ in kept}) == 1 and all(
            len(parts) > 2 or folder for parts, _, folder in kept):
        top += (kept[0][0][0],)
        kept = [(parts[1:], info, folder) for parts, info, folder in kept if len(parts) > 1]
    folders, files = set(), []
    for parts, info, folder in kept:
        folders.add(parts[0])
        if folder:
            continue
        if len(parts) == 1:
            raise DataError("is not inside a class folder; put each image in a folder named "
                            "after its class", file=path, entry=entry_name(info))
        files.append((parts, info))
    empty = sorted(folders - {parts[0] for parts, _ in files})
    if empty:
        inside = [name for name in others if _safe_parts(path, name)[len(top):][:1]
                  == (empty[0],)]
        raise DataError(f"class folder {empty[0]!r} holds no images; add its images "
                        f"({READ}), or remove the folder{texts_hint(inside)}", file=path)
    places = [(parts[0], parts[1] if len(parts) > 2 else None) for parts, _ in files]
    nested = nested_folders(places)
    flat = len(nested) < len({name for name, _ in places})
    name = refused_nesting(nested, flat=flat)
    if name is not None:  # a train/val tree: the classes are one level down
        raise nested_classes("/".join((*top, name)), nested[name], file=path, zipped=True,
                             beside=flat)
    if where is not None:
        where += places
    if len(folders) < 2:
        from .files import FILE_KINDS  # here only: it imports this module

        found = f"only {next(iter(folders))!r}" if folders else "none"
        loose = [PurePosixPath(name).name for name in others
                 if len(_safe_parts(path, name)) == len(top) + 1]  # beside the class folders
        hint = loose_files_hint(top[-1] if top else path.stem, loose, tuple(
            suffix for kind in FILE_KINDS for suffix in kind.suffixes), zipped=True)
        raise DataError(f"classification needs at least 2 class folders, found {found}{hint}",
                        file=path)
    return sorted(((parts[0], info) for parts, info in files),
                  key=lambda item: item[1].filename), sorted(others)


def entry_name(info: zipfile.ZipInfo) -> str:
    """An entry's name as its maker wrote it: a UTF-8 name stored without the zip's UTF-8 flag
    (by Info-ZIP's ``zip`` on macOS and Linux) is read as UTF-8, not as the old DOS code page
    Python's zipfile then assumes (``café`` would be ``caf├⌐``).

    >>> info = zipfile.ZipInfo("café/1.png".encode().decode("cp437"))
    >>> entry_name(info)
    'café/1.png'
    """
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name  # a DOS code page name indeed


def _safe_parts(path: Path, name: str) -> tuple[str, ...]:
    """The folders and file name of an entry; an absolute path or ``..`` is refused."""
    unified = name.replace("\\", "/")
    parts = tuple(part for part in unified.split("/") if part not in ("", "."))
    if unified.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise DataError("path leaves the archive's folder (absolute or with '..'); such entries "
                        "are refused", file=path, entry=name)
    return parts


def unreadable(err: Exception) -> str:
    """Why Pillow could not read an image, in words without its Python objects ("cannot
    identify image file <_io.BytesIO object at 0x7f…>")."""
    if isinstance(err, UnidentifiedImageError):
        return "not an image format Pillow knows (PNG, JPEG, GIF, BMP, TIFF, WebP…)"
    if truncated(str(err)):  # Pillow's 'image file is truncated (3 bytes not processed)'
        return ("the file is cut short: it ends before its image data does, as a copy or a "
                "download stopped part-way leaves it")
    text = re.sub(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>", "", str(err)).strip()
    return text or type(err).__name__


def _header(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Image.Image:
    """The image opened lazily (size and mode read, pixels not yet decoded)."""
    try:
        image = Image.open(io.BytesIO(archive.read(info)))
    except (UnidentifiedImageError, OSError, zipfile.BadZipFile, Image.DecompressionBombError,
            ValueError, RuntimeError, NotImplementedError, EOFError, zlib.error,
            SyntaxError, struct.error, IndexError, TypeError, KeyError) as err:
        # Runtime: an encrypted entry; the rest: Pillow's parsers on a damaged header.
        raise DataError(f"cannot be read as an image ({unreadable(err)}); {FIX}", file=path,
                        entry=entry_name(info), unreadable=True) from None
    width, height = image.size
    most = budget("LAYERLOOM_MAX_IMAGE_PIXELS", MAX_IMAGE_PIXELS)
    if width * height > most:
        raise over_budget(f"{width}×{height} pixels; images are capped at {most:,}",
                          "LAYERLOOM_MAX_IMAGE_PIXELS", file=path, entry=entry_name(info))
    return image


def _check_pixels(path: Path, headers: list[Image.Image], image_size: tuple[int, int],
                  color: str) -> None:
    """The pixels to decode (the images' own sizes, from their headers) and the values of the
    tensor to build, both against the zip pixel budget, before anything is decoded."""
    most = budget("LAYERLOOM_MAX_ZIP_PIXELS", MAX_ZIP_PIXELS)
    decoded = sum(image.size[0] * image.size[1] for image in headers)
    if decoded > most:
        raise over_budget(f"its {len(headers)} images hold {decoded:,} pixels in all; the "
                          f"images of a zip are capped at {most:,} decoded pixels in all",
                          "LAYERLOOM_MAX_ZIP_PIXELS", file=path)
    channels = 1 if color == "grayscale" else 3
    values = len(headers) * image_size[0] * image_size[1] * channels
    if values > most:
        raise over_budget(f"{len(headers)} images of {image_size[0]}×{image_size[1]}×"
                          f"{channels} make {values:,} values; a zip's images are capped at "
                          f"{most:,} values in all: choose a smaller image_size",
                          "LAYERLOOM_MAX_ZIP_PIXELS", file=path)


def _pixels(path: Path, info: zipfile.ZipInfo, image: Image.Image, size: tuple[int, int],
            color: str) -> np.ndarray:
    """uint8 pixels (H, W) for grayscale or (H, W, 3) for RGB, resized to ``size``."""
    try:
        image = eight_bit(upright(image)).convert("L" if color == "grayscale" else "RGB")
        if image.size != size[::-1]:
            image = image.resize(size[::-1], Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, EOFError, zlib.error, struct.error, IndexError,
            TypeError, KeyError, Image.DecompressionBombError) as err:  # truncated or corrupt
        raise DataError(f"cannot be decoded as an image ({unreadable(err)}); {FIX}", file=path,
                        entry=entry_name(info), unreadable=True) from None

"""Image folders on disk: one sub-folder per class, images inside (PNG, JPEG, WebP, BMP, GIF
or TIFF), decoded lazily.

Unlike a zip (decoded whole into memory), a folder is never loaded whole: listing it reads only
file names; the split, the classes and their counts come from the names alone; a few image
headers (nothing decoded) pick the default size and colour (every header is read in a folder of
up to ``HEADER_CHECK`` images, so that a file that is no image is refused as the folder loads,
not when training reaches it); the normalisation is fitted on a seeded sample of the training
split (``stats_sample`` images, recorded with the statistics).
The splits' ``x`` are :class:`ImageFiles`, which behave like tensors for what the runtime asks
of them (``len``, ``shape``, indexing, ``.to(device)``) and decode only the images indexed.
Training streams them through DataLoader workers (:meth:`ImageFiles.stream`): memory stays
bounded by the batch size × the workers, not the dataset.

The split is stable: each file's split is drawn from a hash of the seed and its path relative to
the folder, so it does not depend on the order files are listed in, and adding images leaves
the others where they were. The digests of each split's file list are recorded in
``Dataset.meta["split"]``.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from layerloom.graph.export.predict_script import fitted

from .cutshort import cut_short, file_ends_whole
from .dataset import Dataset
from .errors import DataError, budget, over_budget
from . import broken as broken_images
from .broken import FIX, broken_note, emptied, read_each
from .images import (DEFAULT_SIZE, GRAY_MODES, JUNK, MAX_IMAGE_PIXELS, READ, SUFFIXES,
                     eight_bit, left_out_note, orientation, pages, pages_note, reading_notes,
                     texts_hint, unreadable, upright, upright_size)
from .layout import (below_note, loose_files_hint, nested_classes, nested_folders,
                     nested_note, refused_nesting)
from .options import Option
from .split import SplitSpec

MAX_FOLDER_FILES = 2_000_000
HEADER_SAMPLE = 64  # images whose headers pick the default size and colour
# A folder of up to this many images has every header read as it loads (about 0.1 ms an image,
# nothing decoded), so that a file that is no image is refused then, every one named, not when
# training first reaches it: the test split's after the last epoch
HEADER_CHECK = 20_000
# Pillow tries only these (a third of a small PNG's decoding time): the kinds of SUFFIXES
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")

OPTIONS = (
    Option("image_size", "size", None, "height and width the images are brought to (default: "
           "the design's Input when training, else the images' own size if a sample shares "
           "one, else 28×28)", min=1, max=4096),
    Option("color", "choice", "auto", "grayscale (1 channel) or rgb (3); auto: rgb when any "
           "sampled image has colour", choices=("auto", "grayscale", "rgb")),
    Option("resize", "choice", "crop", "crop: scale the shorter side to fit and cut the centre "
           "(keeps proportions); stretch: scale each side to fit", choices=("crop", "stretch")),
    Option("stats_sample", "int", 1000, "training images decoded to fit the normalisation",
           min=1, max=1_000_000),
    broken_images.OPTION,
)


def is_image_folder(path: Path) -> bool:
    return path.is_dir()


# -- listing --------------------------------------------------------------------------------

def list_folder(root: Path, others: list[str] | None = None
                ) -> tuple[list[str], list[str], list[int]]:
    """``(classes, files, labels)``: the class folders (sorted) and every image in them, as
    paths relative to ``root`` (POSIX, sorted), with their class indices. Nothing is opened.

    Files that are not images read here (``notes.txt``, ``scan.pdf``) are left out and, where
    ``others`` is given, added to it (sorted), as a zip names them; hidden files
    (``.DS_Store``) and file browsers' leftovers (``Thumbs.db``) are left out without a word."""
    if not root.is_dir():
        raise DataError("no such folder", file=root)
    given, root = root, folder_root(root)
    entries = _visible(root)
    dirs = [e for e in entries if e.is_dir()]
    loose = sorted(e.name for e in entries if e.is_file() and _is_image(e.name))
    if loose:
        raise DataError(f"image {loose[0]!r} is not inside a class folder; put each image in a "
                        f"folder named after its class", file=root)
    classes = sorted(e.name for e in dirs)
    if len(classes) < 2:
        from .files import FILE_KINDS  # here only: it loads every file kind's reader

        found = f"only {classes[0]!r}" if classes else "none"
        suffixes = tuple(suffix for kind in FILE_KINDS for suffix in kind.suffixes)
        hint = loose_files_hint(root.name, [e.name for e in entries if e.is_file()], suffixes)
        raise DataError(f"classification needs at least 2 class folders, found {found}{hint}",
                        file=root)
    most = budget("LAYERLOOM_MAX_FOLDER_FILES", MAX_FOLDER_FILES)
    files: list[str] = []
    labels: list[int] = []
    skipped = sorted(e.name for e in entries if e.is_file())  # beside the class folders
    for label, name in enumerate(classes):
        found = sorted(_images_under(root / name, name, skipped))
        if not found:
            inside = [e.name for e in _visible(root / name) if e.is_file()]
            raise DataError(f"class folder {name!r} holds no {READ} images; add its images, "
                            f"or remove the folder{texts_hint(inside)}", file=root)
        files += found
        labels += [label] * len(found)
        if len(files) > most:
            raise over_budget(f"more than {most:,} images; image folders are capped at {most:,}",
                              "LAYERLOOM_MAX_FOLDER_FILES", file=root)
    nested = nested_folders(_places(files))
    flat = len(nested) < len(classes)  # some class folder holds images of its own
    name = refused_nesting(nested, flat=flat)
    if name is not None:  # a train/val tree: the classes are one level down
        shown = (root / name).relative_to(given.parent).as_posix()
        raise nested_classes(shown, nested[name], file=given, zipped=False, beside=flat)
    if others is not None:
        others += sorted(skipped)
    return classes, files, labels


def _places(files: list[str]) -> list[tuple[str, str | None]]:
    """``(class folder, the folder inside it or None)`` of each image (``dogs/small/1.png``)."""
    return [(parts[0], parts[1] if len(parts) > 2 else None)
            for parts in (name.split("/", 2) for name in files)]


def folder_root(root: Path) -> Path:
    """The folder that holds the class folders (``root`` or the single folder inside it)."""
    entries = _visible(root)
    dirs = [e for e in entries if e.is_dir()]
    while len(dirs) == 1 and not any(e.is_file() and _is_image(e.name) for e in entries):
        sub = Path(dirs[0].path)
        entries = _visible(sub)
        if not any(e.is_dir() for e in entries):
            break
        root, dirs = sub, [e for e in entries if e.is_dir()]
    return root


def class_counts(root: str | Path) -> dict[str, int]:
    """Images per class folder, from file names alone (for the Data page's preview)."""
    classes, _, labels = list_folder(Path(root))
    counts = np.bincount(np.asarray(labels), minlength=len(classes))
    return dict(zip(classes, counts.tolist(), strict=True))


def _visible(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return [e for e in it if not e.name.startswith(".") and e.name not in JUNK]
    except OSError as err:
        raise DataError(f"cannot be read ({err.strerror})", file=folder) from None


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in SUFFIXES


def _images_under(folder: Path, prefix: str, others: list[str]) -> list[str]:
    """The images under ``folder`` as paths starting with ``prefix``; the other files are
    added to ``others``."""
    out = []
    for entry in _visible(folder):
        rel = f"{prefix}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            out += _images_under(Path(entry.path), rel, others)
        elif entry.is_file() and _is_image(entry.name):
            out.append(rel)
        elif entry.is_file():
            others.append(rel)
    return out


# -- the split ------------------------------------------------------------------------------

def split_by_path(files: list[str], spec: SplitSpec) -> tuple[np.ndarray, ...]:
    """Train, val and test indices into ``files``: each file's split drawn from a hash of the
    seed and its relative path (stable when files are listed in another order or added)."""
    n = len(files)
    draws = np.array([int.from_bytes(hashlib.blake2b(f"{spec.seed}:{name}".encode(),
                                                     digest_size=8).digest(), "big") / 2**64
                      for name in files])
    test = draws < spec.test_fraction
    val = ~test & (draws < spec.test_fraction + spec.val_fraction)
    train = ~(test | val)
    if train.sum() < 1:
        raise DataError(f"{n} images are too few to keep some for validation and test; add "
                        f"images or lower val_fraction/test_fraction")
    return np.flatnonzero(train), np.flatnonzero(val), np.flatnonzero(test)


def _digest(names: list[str]) -> str:
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


# -- decoding -------------------------------------------------------------------------------

def decode(path: Path, size: tuple[int, int], color: str, resize: str,
           name: str | None = None) -> np.ndarray:
    """uint8 pixels ``(H, W)`` (grayscale) or ``(H, W, 3)`` of one image brought to ``size``
    (height, width); DataError naming the file (``name``, its path in the dataset's folder,
    when given: ``dog/broken.png``, as file names repeat across classes) when it cannot be
    read."""
    height, width = size
    where = _where(path, name)
    try:
        with Image.open(path, formats=FORMATS) as image:
            w0, h0 = image.size
            most = budget("LAYERLOOM_MAX_IMAGE_PIXELS", MAX_IMAGE_PIXELS)
            if w0 * h0 > most:
                raise over_budget(f"{w0}×{h0} pixels; images are capped at {most:,}",
                                  "LAYERLOOM_MAX_IMAGE_PIXELS", **where)
            mode = "L" if color == "grayscale" else "RGB"
            if image.format == "JPEG":  # let the decoder scale down by 2, 4 or 8 for free
                turned = orientation(image) in (5, 6, 7, 8)  # stored sideways
                image.draft(mode, (height, width) if turned else (width, height))
            image = eight_bit(upright(image))  # as shown; 16-bit pixels scaled, not clipped
            if image.mode != mode:
                image = image.convert(mode)
            # as Try it, Look inside and the bundle's predict.py bring a new picture to it
            image = fitted(image, width, height, resize)
            return np.asarray(image, dtype=np.uint8)
    except DataError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
            IndexError, TypeError, KeyError) as err:
        raise DataError(f"cannot be read as an image ({unreadable(err)}); {FIX}",
                        **where, unreadable=True) from None


def _where(path: Path, name: str | None) -> dict:
    """Where an image's error points: its folder and ``name`` (``dog/broken.png``) when the
    name is known, else the file itself."""
    if name is None:
        return {"file": path}
    return {"file": path.parents[name.count("/")], "entry": name}


class ImageFiles:
    """The ``x`` of one split of an image folder: a tensor-like view that decodes on indexing.

    ``files[i]`` is one normalised ``[C, H, W]`` float32 image; ``files[a:b]`` and
    ``files[index_tensor]`` a stacked batch. ``.to(device)`` and ``.contiguous(memory_format=…)``
    return views that put decoded batches there, so the runtime can treat it as it treats a
    tensor. ``stream(batches)`` decodes batches in DataLoader workers, in order.
    """

    streaming = True
    dtype = torch.float32

    def __init__(self, root: Path, files: list[str], size: tuple[int, int], color: str,
                 resize: str, stats: dict | None, device: torch.device | str = "cpu",
                 memory_format: torch.memory_format | None = None):
        self.root, self.files = Path(root), list(files)
        self.size, self.color, self.resize = tuple(size), color, resize
        self.channels = 1 if color == "grayscale" else 3
        self.stats = stats
        self.device = torch.device(device)
        self.memory_format = memory_format
        if stats is not None:
            self._mean = np.asarray(stats["mean"], np.float32).reshape(-1, 1, 1)
            self._std = np.asarray(stats["std"], np.float32).reshape(-1, 1, 1)

    # -- what the runtime asks of a tensor ---------------------------------------------------

    def __len__(self) -> int:
        return len(self.files)

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.files), self.channels, *self.size))

    def dim(self) -> int:
        return 4

    ndim = property(dim)

    def is_floating_point(self) -> bool:
        return True

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)) or (
                isinstance(index, torch.Tensor) and index.dim() == 0):
            i = int(index)
            if not -len(self) <= i < len(self):
                raise IndexError(f"index {i} is out of range for {len(self)} images")
            return self._place(self.decode_many([i % len(self)]))[0]
        if isinstance(index, slice):
            picked = list(range(len(self)))[index]
        elif isinstance(index, torch.Tensor):
            picked = index.cpu().tolist()
        else:
            picked = [int(i) for i in index]
        return self._place(self.decode_many(picked, threads=min(4, os.cpu_count() or 1)))

    def to(self, device=None, *args, **kwargs) -> ImageFiles:
        if isinstance(device, torch.dtype) or device is None:
            return self
        return self._view(device=torch.device(device))

    def cpu(self) -> ImageFiles:
        return self._view(device=torch.device("cpu"))

    def contiguous(self, memory_format=None) -> ImageFiles:
        return self._view(memory_format=memory_format)

    def _view(self, **changes) -> ImageFiles:
        out = ImageFiles(self.root, self.files, self.size, self.color, self.resize, self.stats,
                         changes.get("device", self.device),
                         changes.get("memory_format", self.memory_format))
        return out

    def _place(self, x: torch.Tensor) -> torch.Tensor:
        if self.device.type != "cpu":
            x = x.to(self.device, non_blocking=True)
        if self.memory_format is not None:
            x = x.contiguous(memory_format=self.memory_format)
        return x

    # -- decoding ----------------------------------------------------------------------------

    def raw(self, i: int) -> np.ndarray:
        """uint8 ``(C, H, W)`` pixels of image ``i``."""
        pixels = decode(self.root / self.files[i], self.size, self.color, self.resize,
                        self.files[i])
        return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)

    def decode_many(self, picked: list[int], threads: int = 1) -> torch.Tensor:
        """The images ``picked``, normalised, as one ``[B, C, H, W]`` float32 tensor."""
        raw = np.empty((len(picked), self.channels, *self.size), np.uint8)

        def one(k: int) -> None:
            raw[k] = self.raw(picked[k])

        if threads > 1 and len(picked) > 8:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(one, range(len(picked))))
        else:
            for k in range(len(picked)):
                one(k)
        out = raw.astype(np.float32)  # normalised as a batch: one pass, not one per image
        out *= np.float32(1 / 255)
        if self.stats is not None:
            out -= self._mean
            out /= self._std
        return torch.from_numpy(out)

    # -- streaming ---------------------------------------------------------------------------

    def stream(self, batches: list[torch.Tensor], workers: int | None = None):
        """Yield the decoded batches of ``batches`` (index tensors), in order, placed on this
        view's device; decoded by ``workers`` DataLoader processes (None: one per core but
        one, at least 2, at most 4), each holding at most two batches ahead. The workers live
        for one pass: they end when it is done, or when the generator is dropped (a stop)."""
        workers = default_workers() if workers is None else workers
        plan = [b.cpu() if isinstance(b, torch.Tensor) else torch.as_tensor(b) for b in batches]
        extra = {"prefetch_factor": 2, "worker_init_fn": _worker_init} if workers > 0 else {}
        loader = torch.utils.data.DataLoader(
            _Batches(self), sampler=plan, batch_size=None, num_workers=workers,
            pin_memory=self.device.type == "cuda", **extra)
        for x, error in loader:
            if error is not None:
                raise DataError(error)
            yield self._place(x)


def default_workers() -> int:
    """One per core but one, at least 2 (a waiting worker costs nothing), at most 4."""
    return min(4, max(2, (os.cpu_count() or 2) - 1))


class _Batches(torch.utils.data.Dataset):
    """A whole batch per item: a worker decodes all of it, so batches come back in order."""

    def __init__(self, files: ImageFiles):
        self.files = files

    def __getitem__(self, index: torch.Tensor):
        try:
            return self.files.decode_many(index.tolist()), None
        except DataError as err:  # said in words by the main process, not as a traceback
            return torch.empty(0), str(err)

    def __len__(self) -> int:
        return len(self.files)


def _worker_init(_worker_id: int) -> None:
    torch.set_num_threads(1)


# -- the dataset ----------------------------------------------------------------------------

def load_image_folder(path: Path, spec: SplitSpec, *, image_size: tuple[int, int] | None = None,
                      color: str = "auto", resize: str = "crop",
                      stats_sample: int = 1000, leave_out_broken: bool = False) -> Dataset:
    """A Dataset whose splits' ``x`` are :class:`ImageFiles` (decoded when indexed), images
    ``[C, H, W]`` standardised per channel with statistics fitted on a sample of train.
    Images that cannot be read refuse the folder, every one named, unless
    ``leave_out_broken``: then they are left out, and named in the notes."""
    path = Path(path)
    root = folder_root(path) if path.is_dir() else path
    others: list[str] = []
    classes, files, labels = list_folder(path, others)
    step = max(1, len(files) // HEADER_SAMPLE)
    # every file's header read, each no image named; past HEADER_CHECK files only where
    # broken ones are to be left out (else one would stop training when it is reached)
    whole = len(files) <= HEADER_CHECK or leave_out_broken
    looked = files if whole else files[::step][:HEADER_SAMPLE]
    broken: list[DataError] | None = [] if leave_out_broken else None
    checked = read_each(looked, lambda name: _header(root / name, name), broken)
    if broken:  # left out, as asked: from the files, their labels and the headers looked at
        gone = {err.entry for err in broken}
        kept = [i for i, name in enumerate(files) if name not in gone]
        files, labels = [files[i] for i in kept], [labels[i] for i in kept]
        looked = [name for name in looked if name not in gone]
        counts = np.bincount(labels, minlength=len(classes))
        emptied(classes, dict(zip(classes, counts.tolist())), broken, root)
        step = max(1, len(files) // HEADER_SAMPLE)
    headers = checked[::step][:HEADER_SAMPLE] if whole else checked
    sizes = {size for size, _, _ in headers}
    sampled = "sampled " if len(headers) < len(files) else ""
    said = reading_notes(sizes, [mode for _, mode, _ in headers], image_size, color,
                         f"{'cropped to fit (the centre kept)' if resize == 'crop' else 'stretched'}"
                         f" as each is read", sampled)
    said += pages_note([name for name, (_, _, n) in zip(looked, checked) if n > 1],
                       "" if whole else "sampled ")
    if image_size is None:
        image_size = next(iter(sizes))[::-1] if len(sizes) == 1 else DEFAULT_SIZE
    if color == "auto":
        color = "grayscale" if all(mode in GRAY_MODES for _, mode, _ in headers) else "rgb"
    parts = split_by_path(files, spec)
    y = torch.tensor(labels, dtype=torch.int64)
    train_files = [files[i] for i in parts[0]]
    raw = ImageFiles(root, train_files, image_size, color, resize, None)
    rng = np.random.default_rng(spec.seed)
    take = min(stats_sample, len(train_files))
    sample = np.sort(rng.choice(len(train_files), size=take, replace=False))
    stats = _fit_stats(raw, sample.tolist())
    stats.update(sample=take)
    x = {name: ImageFiles(root, [files[i] for i in index], image_size, color, resize, stats)
         for name, index in zip(("train", "val", "test"), parts, strict=True)}
    split = {"method": "hash of the seed and each file's path in the folder",
             **{name: {"size": len(index), "digest": _digest([files[i] for i in index])}
                for name, index in zip(("train", "val", "test"), parts, strict=True)}}
    options = {"image_size": list(image_size), "color": color, "resize": resize,
               "stats_sample": stats_sample, **({"leave_out_broken": True} if broken else {})}
    meta = {"color": color, "image_size": list(image_size), "streaming": True,
            "original_sizes": sorted([h, w] for w, h in sizes)[:20], "split": split,
            "options": options, "seed": spec.seed, "val_fraction": spec.val_fraction,
            "test_fraction": spec.test_fraction, "stratified": False, "files": len(files)}
    if broken:
        meta["broken"] = [str(err.entry) for err in broken[:1000]]
    nested = nested_folders(_places(files))  # each read as one class, said
    said += nested_note(nested, {name: int(n) for name, n in zip(
        classes, np.bincount(labels, minlength=len(classes))) if name in nested})
    said += below_note([(name, sub) for name, sub in _places(files)
                        if sub is not None and name not in nested])
    said += broken_note(broken or [])
    if said or others:
        meta["notes"] = said + left_out_note(others)
    return Dataset(name=path.name, task="classification",
                   input_shape=(1 if color == "grayscale" else 3, *image_size), dtype="float32",
                   classes=classes, target_dim=None,
                   x_train=x["train"], y_train=y[torch.from_numpy(parts[0])],
                   x_val=x["val"], y_val=y[torch.from_numpy(parts[1])],
                   x_test=x["test"], y_test=y[torch.from_numpy(parts[2])],
                   normalization=stats, source=str(path), meta=meta)


def _header(path: Path, name: str) -> tuple[tuple[int, int], str, int]:
    """The image's upright size, mode and pages (a TIFF's); a DataError naming it where it is
    no image, or
    where it is cut short (its header whole, its pixels ending early: decoded once to be
    sure, where its last bytes are not its format's end)."""
    try:
        with Image.open(path, formats=FORMATS) as image:
            whole, size = file_ends_whole(path, image.format)
            if whole or _decodes(image):
                return upright_size(image), image.mode, pages(image)
            fmt = image.format
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as err:
        raise DataError(f"cannot be read as an image ({unreadable(err)}); {FIX}",
                        **_where(path, name), unreadable=True) from None
    raise DataError(f"{cut_short(fmt, size)}; {FIX}", **_where(path, name), unreadable=True)


def _decodes(image: Image.Image) -> bool:
    """Whether ``image``'s pixels decode (a file with data after its end does)."""
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError):
        return False
    return True


def _fit_stats(raw: ImageFiles, sample: list[int]) -> dict:
    """Per-channel mean and std of the sampled images in [0, 1], summed chunk by chunk."""
    total = np.zeros(raw.channels)
    squares = np.zeros(raw.channels)
    count = 0
    for start in range(0, len(sample), 256):
        x = raw.decode_many(sample[start:start + 256], threads=4).numpy().astype(np.float64)
        total += x.sum(axis=(0, 2, 3))
        squares += (x * x).sum(axis=(0, 2, 3))
        count += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / max(1, count)
    std = np.sqrt(np.maximum(squares / max(1, count) - mean * mean, 0.0))
    std = np.where(std > 1e-6, std, 1.0)
    return {"kind": "channel", "mean": mean.tolist(), "std": std.tolist(), "scale": 255.0}


def design_image_options(graph, variables=None) -> dict:
    """``image_size`` and ``color`` from a design's Input shape ``[C, H, W]`` (C 1 or 3), so a
    folder is decoded straight to what the design takes; empty when it takes something else."""
    from layerloom.graph import validate

    try:
        report = validate(graph, variables=variables or None)
        top = report.resolution.top if report.resolution is not None else None
    except Exception:  # noqa: BLE001 - an invalid design is reported where it is compiled
        return {}
    if top is None or len(top.inputs) != 1:
        return {}
    shape = top.nodes[top.inputs[0]].shape
    if not shape or len(shape) != 3 or shape[0] not in (1, 3):
        return {}
    if not all(isinstance(d, int) and d > 0 for d in shape):
        return {}
    return {"image_size": (int(shape[1]), int(shape[2])),
            "color": "grayscale" if shape[0] == 1 else "rgb"}


def describe_folder_kind() -> dict:
    return {"suffixes": ["(a folder)"], "description": "a folder on this machine with a "
            f"sub-folder per class of images ({READ}), decoded as training reads them",
            "options": [option.describe() for option in OPTIONS]}


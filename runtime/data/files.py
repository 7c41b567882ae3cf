"""Users' files, told apart by extension: CSV/TSV, UCI's .data, Excel's .xlsx, Parquet and JSON
lines (a table, or texts and labels), NPZ, and zip files of image folders. Each kind declares its options
once, as the built-ins do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .csvfile import read_table
from .table import Table
from .dataset import Dataset
from .errors import DataError
from . import broken
from .blank import without_blank
from .images import load_image_zip
from .npz import load_npz
from .options import Option, resolve
from .records import RECORD_SUFFIXES, read_records
from .split import SplitSpec
from .tabular import learnable_numbers, load_tabular
from .target import TASKS
from .text import free_text_columns, load_text_csv, mean_words
from .workbook import old_workbook, read_workbook

TASK = Option("task", "choice", "auto", "classification or regression; auto: text labels or a "
              "few distinct whole numbers are classes", choices=TASKS)


@dataclass(frozen=True)
class FileKind:
    suffixes: tuple[str, ...]
    description: str
    options: tuple[Option, ...]
    load: Callable[..., Dataset]

    def describe(self) -> dict:
        return {"suffixes": list(self.suffixes), "description": self.description,
                "options": [option.describe() for option in self.options]}


def _load_csv(path: Path, spec: SplitSpec, **options) -> Dataset:
    return _load_table(read_table(path), spec, **options)


def _load_records(path: Path, spec: SplitSpec, **options) -> Dataset:
    return _load_table(read_records(path), spec, **options)


def _load_workbook(path: Path, spec: SplitSpec, *, sheet: str | None, **options) -> Dataset:
    ds = _load_table(read_workbook(path, sheet), spec, **options)
    if sheet is not None:  # for the bundle's predict.py and the project's data.py
        ds.meta["sheet"] = sheet
    return ds


def _load_table(table: Table, spec: SplitSpec, *, kind: str, target: str | None, task: str,
                drop: tuple[str, ...], max_categories: int, date_order: str | dict[str, str],
                numbers: tuple[str, ...], text_column: str | None,
                label_column: str | None, length: int, max_vocab: int,
                min_freq: int) -> Dataset:
    table, drop, blank = without_blank(table, {target, text_column, label_column} - {None},
                                       drop, label=bool(target or label_column))
    ds = _read_table(table, spec, kind=kind, target=target, task=task, drop=drop,
                     max_categories=max_categories, date_order=date_order, numbers=numbers,
                     text_column=text_column, label_column=label_column, length=length,
                     max_vocab=max_vocab, min_freq=min_freq)
    if blank:  # for the Data page: what the model learns from, and what it was not given
        ds.meta["blank_columns"] = blank
        if "left_out" in ds.meta:
            ds.meta["left_out"] = [*ds.meta["left_out"], *blank]
    return ds


def _read_table(table: Table, spec: SplitSpec, *, kind: str, target: str | None, task: str,
                drop: tuple[str, ...], max_categories: int, date_order: str | dict[str, str],
                numbers: tuple[str, ...], text_column: str | None,
                label_column: str | None, length: int, max_vocab: int,
                min_freq: int) -> Dataset:
    if kind == "auto" and (text_column or label_column):
        kind = "text"
    if kind == "auto":
        texts = free_text_columns(table, ({target} | set(drop)) - {None})  # dropped: not texts
        kind = "text" if len(texts) == 1 else "tabular"
        if texts and learnable_numbers(table, {*texts, target or table.header[-1], *drop}):
            table, kind, drop = _texts_left_out(table, texts), "tabular", (*drop, *texts)
            target = target or [name for name in table.header if name not in texts][-1]
    if kind == "text":
        return load_text_csv(table, spec, text_column=text_column,
                             label_column=label_column or target, length=length,
                             max_vocab=max_vocab, min_freq=min_freq)
    return load_tabular(table, spec, target=target, task=task, drop=drop,
                        max_categories=max_categories, date_order=date_order, numbers=numbers)


def _texts_left_out(table: Table, texts: list[str]) -> Table:
    """``table`` with a note that its columns of free text ``texts`` are left out: numbers
    beside a comment or a description make a table, which a column of texts cannot be a
    feature of (each text its own category)."""
    words = [mean_words(table, name, cjk=False) for name in texts]
    if len(texts) == 1:
        note = (f"{texts[0]}: free text (about {words[0]:.0f} words a row), left out: the "
                f"model learns from the other columns; to train on the texts instead, load "
                f"the file with kind=text")
    else:
        note = (f"{', '.join(texts)}: free text (about {min(words):.0f} to {max(words):.0f} "
                f"words a row), left out: the model learns from the other columns; to train "
                f"on one of them as texts instead, load the file with kind=text and name it "
                f"with text_column")
    return table.noted([*table.notes, note])  # the same values: their numbers already read


TABLE_OPTIONS = (
        Option("kind", "choice", "auto", "tabular, or text (a column of texts and one of "
               "labels); auto: text when exactly one column holds free text and no other "
               "column holds numbers to learn from (a comment beside numbers is left out)",
               choices=("auto", "tabular", "text")),
        Option("target", "str", None, "the column to predict (default: the last column "
               "with values: a column empty on every row is left out)"),
        TASK,
        Option("drop", "names", (), "columns to leave out (ids, names)"),
        Option("numbers", "names", (), "columns of whole numbers written with leading zeros "
               "(00150) to read as numbers; by default such a column is codes (zip codes, "
               "ids, labels 01, 02), each value a category"),
        Option("max_categories", "int", 50, "most distinct values a text column may have to be "
               "one-hot encoded", min=2),
        Option("date_order", "orders", "auto", "how dates written day and month first "
               "(05/03/2024) read: dmy, the day first (5 March), or mdy, the month first (May "
               "3), for every date column or one a column ('ordered:dmy, shipped:mdy'); auto: "
               "as the column's dates show where one has a number over 12, else refused, to "
               "choose", choices=("auto", "dmy", "mdy")),
        Option("text_column", "str", None, "text: the column of texts (default: the free-text "
               "column, or the one column besides the labels)"),
        Option("label_column", "str", None, "text: the column of labels (default: target, or "
               "the last other column)"),
        Option("length", "int", 64, "text: tokens per text, padded or cut", min=1,
               max=100_000),
        Option("max_vocab", "int", 20_000, "text: vocabulary size, <pad> and <unk> included",
               min=3),
        Option("min_freq", "int", 1, "text: fewest training occurrences a word needs to get "
               "its own id", min=1),
)

FILE_KINDS = (
    FileKind((".csv", ".tsv", ".txt", ".data", ".dat"), "a table with one row per sample "
             "(.txt: as Excel saves Text (Tab delimited) or Unicode Text; .data, .dat: values "
             "separated by commas or spaces, as UCI's files, a header row optional), or texts "
             "and their labels", TABLE_OPTIONS, _load_csv),
    FileKind((".xlsx",), "an Excel workbook: one sheet read as the table Excel saves as CSV "
             "(values only, formulas as their stored results)", (
        Option("sheet", "str", None, "the sheet to read, by name (default: the first)"),
        *TABLE_OPTIONS), _load_workbook),
    FileKind(RECORD_SUFFIXES, "a table written by a data library: Parquet (needs pyarrow), or "
             "JSON lines, one object a line, its keys naming the columns", TABLE_OPTIONS,
             _load_records),
    FileKind((".npz",), "NumPy arrays x (samples first) and y (labels or targets), optionally "
             "classes (class names)", (
                 TASK,
                 Option("dtype", "choice", "float32", "float32 values, or int64 token ids",
                        choices=("float32", "int64")),
                 Option("normalize", "choice", "auto", "standardise x on the training split: "
                        "per feature, per channel (dimension 1), or not; auto: per feature for "
                        "[N, F], per channel otherwise",
                        choices=("auto", "feature", "channel", "none")),
                 Option("channel_axis", "choice", "auto", "x of [N, H, W] (images without a "
                        "channel axis): add one, [N, 1, H, W], as an image Input of one "
                        "channel takes them, or none (rows as a sequence); auto: as the "
                        "design's Input takes them ([H, W]: none; [1, H, W]: add), else "
                        "added to 8-bit images (uint8, as MNIST ships them), not to floats",
                        choices=("auto", "add", "none")),
             ), load_npz),
    FileKind((".zip",), "a folder per class of images (PNG, JPEG, WebP, BMP, GIF or TIFF)", (
        Option("image_size", "size", None, "height and width to resize to (default: the "
               "images' own size if they all share one, else 28×28)", min=1, max=4096),
        Option("color", "choice", "auto", "grayscale (1 channel) or rgb (3); auto: rgb when "
               "any image has colour", choices=("auto", "grayscale", "rgb")),
        broken.OPTION,
    ), load_image_zip),
)


def load_file(path: Path, spec: SplitSpec, options: dict) -> Dataset:
    if not path.is_file():
        raise DataError("no such file", file=path, unreadable=True)
    suffix = path.suffix.lower()
    for kind in FILE_KINDS:
        if suffix in kind.suffixes:
            return kind.load(path, spec, **resolve(path.name, kind.options, options))
    if suffix == ".xls":
        raise old_workbook(path)
    if suffix in (".xlsm", ".xlsb", ".ods"):  # said with what to save, not as an unknown type
        what = {".xlsm": "a macro-enabled Excel workbook (.xlsm)",
                ".xlsb": "a binary Excel workbook (.xlsb)",
                ".ods": "an OpenDocument spreadsheet (.ods)"}[suffix]
        raise DataError(f"is {what}, which LayerLoom does not read: save it as an Excel "
                        f"Workbook (.xlsx; no macro is needed to read its values) or as CSV "
                        f"(CSV UTF-8), and load that file", file=path)
    if suffix == ".npy":  # one array: the samples, or the labels, not both
        raise DataError("a .npy file holds one array, and training needs the samples and their "
                        "labels together: save both in one .npz file, np.savez('data.npz', "
                        "x=samples, y=labels), and load that", file=path)
    if suffix in PACKED:  # data.csv.gz, images.tar.gz: the file inside is what loads
        inner = Path(path.stem).suffix.lower()
        what, tool = PACKED[".tgz" if (suffix, inner) == (".gz", ".tar") else suffix]
        inner = "" if inner == ".tar" else inner
        inside = f"the {inner} file inside" if inner else "the file or folder inside"
        raise DataError(f"is {what}, which LayerLoom does not unpack: unpack it (7-Zip on "
                        f"Windows, {tool} elsewhere) and load {inside}; a folder of class "
                        f"folders of images can be loaded as a .zip too", file=path)
    if suffix in OTHER_TABLES:  # records a data library writes: saved as a CSV in one line
        what, read = OTHER_TABLES[suffix]
        design = "; a LayerLoom design (.json) opens in the Designer" if suffix == ".json" \
            else ""
        raise DataError(f"{what} is not read as a dataset: save it as a CSV file (with pandas: "
                        f"pd.{read.format(repr(path.name))}.to_csv("
                        f"{path.with_suffix('.csv').name!r}, index=False)) and load that{design}",
                        file=path)
    known = ", ".join(suffix for kind in FILE_KINDS for suffix in kind.suffixes)
    raise DataError(f"files of type {suffix or '(none)'!r} cannot be loaded; use {known}",
                    file=path)


# tables written by data libraries, which a user converts to CSV in one line of pandas
OTHER_TABLES = {".json": ("a JSON file", "read_json({})"),
                ".feather": ("a Feather file", "read_feather({})")}

# packed files: what they are, for the message saying to unpack them
PACKED = {".gz": ("a gzip-compressed file", "gunzip"),
          ".tgz": ("a gzip-compressed tar archive", "tar -xf"),
          ".bz2": ("a bzip2-compressed file", "bunzip2"), ".xz": ("an xz-compressed file", "unxz"),
          ".tar": ("a tar archive", "tar -xf"), ".7z": ("a 7-Zip archive", "7z x"),
          ".rar": ("a RAR archive", "unrar x")}

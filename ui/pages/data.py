"""Data page: choose a built-in dataset, upload a file or name a folder of images on this machine,
preview it, and fit the design to it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from layerloom.runtime.data import list_datasets, list_file_kinds
from layerloom.runtime.data.datecols import ORDER_WORDS
from layerloom.runtime.data.preprocessing import width_words

from .. import charts, images
from ..cache import csv_columns, dataset_of
from ..datafit import (changes_text, chosen_data, fit_changes, fit_design, fit_of,
                       for_design_of, nearest_builtin, remember_data, show_notes,
                       show_problems)
from ..errors import expected, friendly, log_error, shown_errors
from ..fields import plain
from ..forms import options_form, range_problem, seed
from ..pagestate import DataChoice, PagesState, pages_of, project_of
from ..uploads import display_name, save_upload, too_big
from .common import kept_expander, set_graph, show_notice

BUILTIN, UPLOAD, FOLDER = "Built-in dataset", "Upload a file", "Folder on this machine"
PREVIEW_N = 16
# The CSV options each kind of CSV needs; "kind" itself is drawn first.
CSV_OPTIONS = {"tabular": ("target", "task", "drop", "max_categories", "date_order", "numbers"),
               "text": ("text_column", "label_column", "length", "max_vocab", "min_freq"),
               "auto": ("target", "task", "drop", "date_order", "numbers")}


def render(state) -> None:
    st.header("Data")
    with shown_errors("The Data page"):
        pages = pages_of(state)
        show_notice(pages)
        slots: dict = {}
        choice = None
        refused: list[str] = []
        try:
            choice = choose(state, pages, slots, refused)
            pid = project_of(state)
            pages.data_refused.pop(pid, None)
            if choice is None:
                return
            if refused:  # each said below its box; nothing is loaded, and Train does not start
                pages.data_refused[pid] = refused
                st.caption(":material/block: Nothing is loaded, and training does not start, "
                           "until the values said above are in range.")
                return
            ds = dataset_of(for_design_of(choice, state.graph))  # as training reads it
        except Exception as err:  # noqa: BLE001 - a file the user gave that cannot be read
            if not expected(err):
                raise
            log_error("The Data page", err)
            # said where the file was chosen, not below its options
            where = slots["file"].container() if "file" in slots else st
            where.error(could_not_read(choice, err), icon=":material/error:")
            offer_remedy(where, choice, err)
            return
        remember_data(state, choice)  # kept with the project: a reload and Train use it
        summary(ds, choice)
        preview(ds)
        fit_panel(state, pages, ds)


# -- choosing -------------------------------------------------------------------------------

def could_not_read(choice: DataChoice | None, err: Exception) -> str:
    """``Could not read ragged.csv: line 4: 4 values, but the header has 3 columns``."""
    file = getattr(err, "file", None)
    name = (choice.label or display_name(choice.source)) if choice is not None else \
        (file or "the data")
    text = friendly(err)
    broken = _broken_remedy(choice, err)
    if broken:  # images that cannot be read: every one named, and a way to train without them
        many = broken["count"] > 1
        return (f"Could not read {plain(name)}: {plain(f'{err.entry}: ' + err.fault)}. Remove "
                f"{'them' if many else 'it'} or put back good cop{'ies' if many else 'y'}, or "
                f"leave {'them' if many else 'it'} out with the button here (or **leave out "
                f"broken** below): the notes then name {'them' if many else 'it'}.")
    drop = _drop_remedy(choice, err)
    if _order_remedy(choice, err):  # dates whose day and month the values leave undecided
        column = getattr(err, "column", None)
        return (f"Could not read {plain(name)}: {plain(f'column {column!r}: ' + err.fault)}. "
                f"Choose how this column's dates read with a button here: dmy, "
                f"{plain(ORDER_WORDS['dmy'])}, or mdy, {plain(ORDER_WORDS['mdy'])}; or under "
                f"**date order** below for every date column that does not show its order.")
    if drop:  # the loader's how-to names the Python API's options: said in the page's words
        column = getattr(err, "column", None)
        where = f"column {column!r}: " if column else ""
        why = (getattr(err, "remedy", None) or {}).get("why")
        if why:  # the loader says why this column cannot be a feature
            return (f"Could not read {plain(name)}: {plain(where + err.fault)}. Choose "
                    f"{plain(', '.join(drop))} under **drop** below ({plain(why)}).")
        return (f"Could not read {plain(name)}: {plain(where + err.fault)}. Choose "
                f"{plain(', '.join(drop))} under **drop** below (an id or a name tells the "
                f"model nothing it can learn), or set **kind** to text if the column holds "
                f"free text.")
    named = {str(n) for n in (file, name, Path(choice.source).name if choice else None) if n}
    for lead in (f"{n}{sep}" for n in named for sep in (", ", ": ")):
        if text.startswith(lead):  # said once: "Could not read x.csv: line 4: …"
            text = text[len(lead):]
            break
    return f"Could not read {plain(name)}: {plain(text)}"


def _drop_remedy(choice: DataChoice | None, err: Exception) -> list[str]:
    """The columns whose drop gets an uploaded table past ``err``, where the error says so."""
    remedy = getattr(err, "remedy", None) or {}
    if choice is None or not remedy.get("drop") or choice.source in _builtin_names():
        return []
    return [str(c) for c in remedy["drop"]]


def _broken_remedy(choice: DataChoice | None, err: Exception) -> dict:
    """``{"broken": names, "count": n}`` of the images of an uploaded zip or a folder that
    cannot be read, where leaving them out gets the data past ``err``; else {}."""
    remedy = getattr(err, "remedy", None) or {}
    if choice is None or not remedy.get("leave_out_broken") or \
            choice.source in _builtin_names():
        return {}
    return {"broken": [str(name) for name in remedy.get("broken", ())],
            "count": int(remedy.get("count", len(remedy.get("broken", ()))))}


def _order_remedy(choice: DataChoice | None, err: Exception) -> list[str]:
    """The ``date_order`` values that get an uploaded table past ``err``, where it says so."""
    remedy = getattr(err, "remedy", None) or {}
    if choice is None or not remedy.get("date_order") or choice.source in _builtin_names():
        return []
    return [str(order) for order in remedy["date_order"]]


def offer_remedy(where, choice: DataChoice | None, err: Exception) -> None:
    """A button under the error that applies its remedy: ``Drop customer_id`` adds the column
    to the **drop** box (which the user can see and undo) and reads the file again; ``Read
    day first`` sets the **date_order** box."""
    orders = _order_remedy(choice, err)
    if orders:  # for the column named: another may be in the other order
        key = f"data.opt.{display_name(choice.source)}.date_order.columns"
        name = str(getattr(err, "column", ""))

        def apply(order: str) -> None:
            given = str(st.session_state.get(key) or "").strip()
            st.session_state[key] = f"{given}, {name}:{order}" if given else f"{name}:{order}"

        for column, order in zip(where.columns(len(orders)), orders):
            column.button(f"Read '{name}' {ORDER_WORDS[order]}", key=f"data.date_order.{order}",
                          on_click=apply, args=(order,),
                          help="Sets this column's order under date order by column below "
                               "and reads the file again")
        return
    broken = _broken_remedy(choice, err)
    if broken:
        _offer_leave_out(where, choice, broken)
        return
    drop = _drop_remedy(choice, err)
    if not drop:
        return
    key = f"data.opt.{display_name(choice.source)}.drop"

    def apply() -> None:
        chosen = list(st.session_state.get(key) or choice.options.get("drop") or ())
        st.session_state[key] = chosen + [c for c in drop if c not in chosen]

    where.button(f"Drop {', '.join(drop)}", key="data.drop_column", on_click=apply,
                 help="Adds it to the drop box below and reads the file again without it")


def _offer_leave_out(where, choice: DataChoice, broken: dict) -> None:
    """The button that ticks **leave out broken** (the folder's or the zip's option, which the
    user sees and can untick) and reads the data again; and the list of every broken file."""
    source = Path(choice.source)
    key = (f"data.opt.folder.{source.name}" if source.is_dir()
           else f"data.opt.{display_name(choice.source)}") + ".leave_out_broken"
    count = broken["count"]

    def apply() -> None:
        st.session_state[key] = True

    where.button(f"Leave out the {count:,} broken image{'s' if count > 1 else ''}",
                 key="data.leave_out_broken", on_click=apply, icon=":material/block:",
                 help="Ticks leave out broken below and reads the data again without them; "
                      "the notes name each one")
    names = broken["broken"]
    more = count - len(names)
    with where.expander(f"The {count:,} image{'s' if count > 1 else ''} that cannot be read"):
        st.text("\n".join(names) + (f"\n… and {more:,} more" if more > 0 else ""))


def choose(state, pages: PagesState, slots: dict | None = None,
           refused: list[str] | None = None) -> DataChoice | None:
    """The data chosen; each value out of range is said below its box and added to
    ``refused`` (a list, when given)."""
    refused = [] if refused is None else refused
    current = chosen_data(state, fallback=False)  # this session's, else the project's
    uploaded_before = current is not None and current.source not in _builtin_names()
    folder_before = uploaded_before and Path(current.source).is_dir()
    sources = [BUILTIN, UPLOAD, FOLDER]
    # the index is what the radio shows (as the split's boxes below, for a radio drawn anew)
    shown = st.session_state.get("data.source") or \
        (FOLDER if folder_before else UPLOAD if uploaded_before else BUILTIN)
    kind = st.radio("Source", sources, index=sources.index(shown), key="data.source",
                    horizontal=True)
    choice = (choose_builtin(state, current, refused) if kind == BUILTIN else
              choose_folder(state, current, refused) if kind == FOLDER else
              choose_upload(current, slots, refused))
    if choice is None:
        return None
    # Each box is given the value it shows: when the page around it changes (a file that
    # could not be read puts an error above it), the browser may draw the box anew from
    # that value, and it must never fall back to its minimum (a 0 / 0 split).
    pid = project_of(state)
    kept = pages.split.get(pid) or ((current.seed, current.val_fraction,
                                     current.test_fraction) if current else (0, 0.1, 0.2))
    shown = [st.session_state.get(key, value)  # the value the browser has just sent
             for key, value in zip(SPLIT_KEYS, kept)]
    # opened where a value is out of range, so that what is said of it is seen
    with kept_expander("Split and seed", "data.split.open",
                       open_now=any(split_problems(*shown))):
        left, mid, right = st.columns(3)
        # no min_value/max_value: a value typed out of range is said below its box
        # ("validation share must be between 0 and 0.9, got 0.95") and nothing is loaded;
        # the browser's own refusal left it in the box with "Press Enter to apply", Enter did
        # nothing, and the split before it was used unseen
        choice.seed = int(left.number_input("seed", value=int(shown[0]), key="data.seed",
                                            step=1, help="Shuffles the samples before the "
                                                         "split: a whole number, 0 or more"))
        choice.val_fraction = mid.number_input(
            "validation share", value=float(shown[1]), key="data.val", step=0.05,
            help=f"The share of samples kept to validate: 0 to {MAX_SHARE:g}")
        choice.test_fraction = right.number_input(
            "test share", value=float(shown[2]), key="data.test", step=0.05,
            help=f"The share of samples kept to test: 0 to {MAX_SHARE:g}")
        problems = split_problems(choice.seed, choice.val_fraction, choice.test_fraction)
        for column, problem in zip((left, mid, right), problems[:3]):
            if problem:
                column.error(problem, icon=":material/error:")
        if problems[3]:
            st.error(problems[3], icon=":material/error:")
        refused.extend(p for p in problems if p)
        pages.split[pid] = (choice.seed, choice.val_fraction, choice.test_fraction)
    return choice


SPLIT_KEYS = ("data.seed", "data.val", "data.test")
MAX_SHARE = 0.9  # of the samples, for validation or for test


def split_problems(seed_value, val, test) -> list[str | None]:
    """What is wrong with the seed, the validation share, the test share and the two shares
    together, in that order (None where nothing is)."""
    problems = [range_problem("seed", seed_value, 0),
                range_problem("validation share", val, 0, MAX_SHARE),
                range_problem("test share", test, 0, MAX_SHARE)]
    both = None
    if not any(problems) and val is not None and test is not None and val + test >= 1:
        both = (f"validation share + test share must be below 1 to leave samples to train "
                f"on, got {val:g} + {test:g}")
    return problems + [both]


def _builtin_names() -> list[str]:
    return [entry["name"] for entry in list_datasets()]


def choose_builtin(state, current: DataChoice | None,
                   refused: list[str] | None = None) -> DataChoice:
    entries = {entry["name"]: entry for entry in list_datasets()}
    names = list(entries)
    graph = getattr(state, "graph", None)
    suggested = graph.extra.get("dataset") if graph is not None else None
    start = (current.source if current and current.source in entries
             else suggested if suggested in entries
             else nearest_builtin(graph, list(entries.values())) or names[0])
    seed("data.builtin", start)
    name = st.selectbox("Dataset", names, key="data.builtin",
                        format_func=lambda n: f"{n} — {entries[n]['description']}")
    entry = entries[name]
    st.caption(f"{entry['task']}, input {entry['input_shape']} {entry['dtype']}")
    options = {}
    if entry["options"]:
        # opened where a value was out of range, so that what is said below its box is seen
        with kept_expander("Options", "data.options.open", open_now=bool(
                pages_of(state).data_refused.get(project_of(state)))):
            values = current.options if current and current.source == name else {}
            options = options_form(entry["options"], values, key=f"data.opt.{name}",
                                   refused=refused)
    return DataChoice(name, options, name)


def choose_upload(current: DataChoice | None, slots: dict | None = None,
                  refused: list[str] | None = None) -> DataChoice | None:
    kinds = list_file_kinds()
    suffixes = [s.lstrip(".") for kind in kinds for s in kind["suffixes"]]
    st.caption("; ".join(f"{', '.join(k['suffixes'])}: {k['description']}" for k in kinds))
    # a .npy and other workbooks (.xls, .xlsm, .xlsb, .ods) are taken too, so that the loader
    # says what to do with them (save x and y together in an .npz; save the workbook as .xlsx
    # or CSV) rather than the uploader refusing their type without a word why
    file = st.file_uploader("File", type=suffixes + ["npy", "xls", "xlsm", "xlsb", "ods"],
                            key="data.file")
    if slots is not None:
        slots["file"] = st.empty()  # where a file that cannot be read says so
    refusal = too_big(file.name, file.size) if file is not None else None
    if refusal:  # said before it is saved: nothing of it is kept under uploads/
        st.error(plain(refusal), icon=":material/error:")
        return None
    if file is not None:
        path = str(save_upload(file.name, file.getvalue()))
    elif current is not None and current.source not in _builtin_names() \
            and not Path(current.source).is_dir():
        path = current.source  # the file chosen before, still on disk
        st.caption(f"Using {plain(display_name(path))} (uploaded before).")
    else:
        st.info("Upload a CSV or TSV table, an Excel workbook (.xlsx), a Parquet file or JSON "
                "lines (.jsonl) (or texts with labels; UCI's .data files too), an NPZ file of "
                "arrays x and y, or a zip of one folder of images per class.")
        return None
    suffix = "." + path.rsplit(".", 1)[-1].lower()
    kind = next((k for k in kinds if suffix in k["suffixes"]), None)
    values = current.options if current and current.source == path else \
        carried_options(current, path)
    key = f"data.opt.{display_name(path)}"
    if kind is None:  # a .npy: loading it says why not, and what to do
        options = {}
    elif suffix in TABLES:  # a table
        declared = kind["options"]
        options = options_form(declared, values, key, only=("sheet", "kind"), refused=refused)
        columns = csv_columns(path, options.get("sheet"))
        chosen_kind = options.get("kind", "auto")
        options.update(options_form(declared, values, key, columns=columns,
                                    only=CSV_OPTIONS[chosen_kind], refused=refused))
    else:
        options = options_form(kind["options"], values, key, refused=refused)
    return DataChoice(path, options, display_name(path))


TABLES = (".csv", ".tsv", ".txt", ".data", ".dat", ".xlsx", ".parquet", ".jsonl", ".ndjson")
NOT_CARRIED = ("sheet",)  # a workbook's sheet names belong to that workbook


def carried_options(current: DataChoice | None, path: str) -> dict:
    """The options of the table read before, for a new table uploaded in its place (a fixed
    copy, ``customers_v2.csv``): its dropped columns and target stay chosen where the new
    file has those columns (the widgets keep only the columns it has)."""
    if current is None or Path(current.source).suffix.lower() not in TABLES \
            or Path(path).suffix.lower() not in TABLES:
        return {}
    return {k: v for k, v in current.options.items() if k not in NOT_CARRIED}


def choose_folder(state, current: DataChoice | None,
                  refused: list[str] | None = None) -> DataChoice | None:
    """A folder of class folders on the machine running LayerLoom, read from disk as training
    goes (never loaded whole): its class counts come from file names alone."""
    from layerloom.runtime.data import DataError
    from layerloom.runtime.data.folder import OPTIONS, class_counts, design_image_options

    before = current.source if current is not None and Path(current.source).is_dir() else ""
    seed("data.folder", before)
    text = st.text_input("Folder", key="data.folder", placeholder="/data/photos",
                         help="A folder on the machine running LayerLoom with one sub-folder "
                              "of images (PNG, JPEG, WebP, BMP, GIF or TIFF) per class. Images "
                              "are decoded as training reads them, so it may be larger than "
                              "memory.").strip()
    if not text:
        st.info("Type the path of a folder holding one folder of images per class (on the "
                "machine running LayerLoom, not this browser's).")
        return None
    path = Path(text).expanduser()
    if not path.is_dir():
        st.error(f"No folder {plain(str(path))} on the machine running LayerLoom.")
        return None
    try:
        counts = class_counts(path)
    except DataError as exc:
        st.error(plain(str(exc)))
        return None
    st.caption(f"{sum(counts.values()):,} images in {len(counts)} classes: " + ", ".join(
        f"{plain(name)} {n:,}" for name, n in list(counts.items())[:12])
        + (" …" if len(counts) > 12 else ""))
    values = current.options if current and current.source == str(path) else {}
    options = options_form([o.describe() for o in OPTIONS], values,
                           f"data.opt.folder.{path.name}", refused=refused)
    graph = getattr(state, "graph", None)
    if graph is not None and options.get("image_size") is None \
            and options.get("color", "auto") == "auto":  # decoded to what the design takes
        options.update(design_image_options(graph))
    return DataChoice(str(path), options, path.name)


# -- looking --------------------------------------------------------------------------------

def summary(ds, choice: DataChoice | None = None) -> None:
    info = ds.describe()
    cols = st.columns(4)
    cols[0].metric("Task", info["task"])
    cols[1].metric("Input", f"{info['input_shape']} {info['dtype']}")
    cols[2].metric("Classes" if ds.classes else "Targets",
                   len(ds.classes) if ds.classes else info["target_dim"])
    sizes = info["splits"]
    cols[3].metric("Samples: training / validation / test",
                   " / ".join(str(sizes[s]["size"]) for s in sizes),
                   help="Training samples teach the model; validation samples, kept apart, "
                        "say how it does after each epoch; test samples are kept for the end: "
                        "the Results page's scores")
    said = predicts(ds, choice)
    if said:
        st.caption(said)


def predicts(ds, choice: DataChoice | None) -> str | None:
    """``Predicts **tier** (the last column; …) from 3 columns: age, income, region. Left out:
    customer_id.`` for a table: which column the model learns, and from which."""
    meta = getattr(ds, "meta", None) or {}
    target, columns = meta.get("target"), meta.get("columns")
    if not target or not isinstance(columns, list) or not columns:
        return None
    options = choice.options if choice is not None else {}
    names = [str(c["name"]) for c in columns if isinstance(c, dict) and "name" in c]
    shown = ", ".join(plain(n) for n in names[:12]) + (", …" if len(names) > 12 else "")
    last = "the last column with values" if meta.get("blank_columns") else "the last column"
    chosen = "" if options.get("target") else f" ({last}; choose another under **target**)"
    dropped = [str(c) for c in meta.get("left_out", options.get("drop")) or ()]
    left_out = f" Left out: {', '.join(plain(c) for c in dropped)}." if dropped else ""
    width = width_words(columns)  # why the Input is wider than the file's columns
    wide = f" The input's {int(np.prod(ds.input_shape))} values: {plain(width)}." if width else ""
    return (f"Predicts **{plain(target)}**{chosen} from {len(names)} column"
            f"{'s' if len(names) != 1 else ''}: {shown}.{left_out}{wide}")


def preview(ds) -> None:
    x, y = ds.preview(PREVIEW_N)
    labels = [label_of(ds, value) for value in y]
    st.subheader("Preview")
    notes = read_notes(ds)
    if notes:  # what the loader did to values the model cannot take as they are
        st.info(notes, icon=":material/rule:")
    if images.is_image_shape(ds.input_shape) and ds.dtype == "float32":
        pictures = [images.enlarge(images.to_display(sample.numpy())) for sample in x]
        st.image(pictures, caption=labels, width=96)
    elif len(ds.input_shape) == 2 and ds.input_shape[0] == 1 and ds.dtype == "float32":
        st.plotly_chart(charts.signals_figure(x[:6].numpy(), labels[:6]), config=charts.CONFIG)
    else:
        st.dataframe(table_head(ds, x, labels), hide_index=True)
    if ds.classes:
        st.plotly_chart(charts.class_balance_figure(ds.class_counts()), config=charts.CONFIG)


def read_notes(ds) -> str | None:
    """Markdown: how the file's values were read where the loader changed them (a blank
    filled with the training mean, a category seen only outside training; an NPZ's transposed
    images), one bullet per column or array; None when it took them as they are."""
    notes = list(ds.meta.get("notes") or [])
    if not notes:
        return None
    return "**How the values were read:**\n\n" + "\n".join(f"- {page_words(n)}" for n in notes)


# The loader's notes name the Python API's options (drop=['id'], kind=tabular); this page has
# a box for each: said so, in bold, the rest of the note kept as text.
_API_WORDS = [
    (re.compile(r"load it with kind=(\w+) and drop=\[(['\"])(.+?)\2\]"),
     lambda m: f"set \0kind\0 to {m[1]} and choose {m[3]} under \0drop\0"),
    (re.compile(r"drop (?:it|the column) with drop=\[(['\"])(.+?)\1\]"),
     lambda m: "choose it under \0drop\0"),
    (re.compile(r"drop them with drop=\[.+\]"), lambda m: "choose them under \0drop\0"),
    (re.compile(r"load the file with kind=(['\"]?)(\w+)\1"),
     lambda m: f"set \0kind\0 to {m[2]}"),
    # how a date column's day/month order was decided, named as the boxes below are
    (re.compile(r"date_order for it \((.+?:\w+)\)"),
     lambda m: f"\0date order by column\0 ({m[1]})"),
    (re.compile(r"date_order=(['\"])(\w+)\1"), lambda m: f"\0date order\0 {m[2]}"),
    # columns of codes (02134) read as numbers where chosen so
    (re.compile(r"set numbers=\[[^\]]*\]"), lambda m: "choose it under \0numbers\0"
     if "," not in m[0] else "choose them under \0numbers\0"),
    (re.compile(r"\(or task=regression\)"), lambda m: "(or set \0task\0 to regression)"),
]


def page_words(note: str) -> str:
    """A loader's note for this page, as markdown: ``drop it with drop=['id']`` reads
    ``choose it under **drop**`` (the box below), user text escaped."""
    for pattern, words in _API_WORDS:
        note = pattern.sub(words, note)
    return plain(note).replace("\0", "**")


def label_of(ds, value) -> str:
    if ds.classes:
        return str(ds.classes[int(value)])
    flat = value.reshape(-1).tolist()
    # as a table holds them (1076.53, not 1.08e+03); float32's own digits, no more
    return ", ".join(f"{v:.7g}" for v in flat[:4])


def table_head(ds, x, labels: list[str]) -> pd.DataFrame:
    """Rows as a user recognises them: named features, or token ids turned back into words."""
    target = "class" if ds.classes else "target"
    if ds.dtype == "int64" and ds.vocab:
        words = [" ".join(ds.vocab[i] for i in row.tolist() if i > 0) for row in x]
        return pd.DataFrame({"text": words, target: labels})
    flat = x.reshape(len(x), -1).numpy()
    names = ds.meta.get("features") or [f"x{i}" for i in range(flat.shape[1])]
    if len(names) != flat.shape[1]:
        names = [f"x{i}" for i in range(flat.shape[1])]
    frame = pd.DataFrame(flat[:, :50], columns=names[:50])
    frame[target] = labels
    return frame


# -- fitting the design ---------------------------------------------------------------------

def fit_panel(state, pages: PagesState, ds) -> None:
    graph = getattr(state, "graph", None)
    st.subheader("Design and data")
    if graph is None:
        st.info("Open or create a design in the Designer to check it against this data.")
        return
    task = pages.config.get("task", "auto")
    fit = fit_of(state, pages.data, task, pages.config.get("target_scaling", "auto")) \
        if pages.data is not None else None
    if fit is None or not fit.design_ok:
        errors = state.report().errors if hasattr(state, "report") else []
        st.info("The design has problems to fix in the Designer first; then it is checked "
                "against this data" + (": " if errors else ".")
                + "; ".join(plain(f"{p.node}: {p.message}" if p.node else p.message)
                            for p in errors[:5]))
        return
    if fit.ok:
        st.success(f"The design's Input takes {plain(ds.name)}: {list(ds.input_shape)} "
                   f"{ds.dtype}. {_output_fits(fit, ds)}")
        show_notes(fit)
        return
    show_problems(fit, key="data.fitproblem")
    # offered only when the edits leave a valid design (checked before the button is drawn)
    if not any(p.fixable for p in fit.problems):
        return
    fixed = fit_design(graph, ds, task, fit)  # None where the edits would leave errors
    if fixed is None:
        st.info("No one-click fix leaves this design valid: make the changes named above in "
                "the Designer.")
        return
    # where a fix needs a block added (a Flatten), the button makes the others and says so:
    # "Fit the design" would promise a design that fits, and it would not
    left = [p for p in fit.problems if not p.fixable]
    done = len(fit.problems) - len(left)
    label = (f"Fit the design to {ds.name}" if not left else
             f"Make the {done} fix{'es' if done > 1 else ''} that need{'' if done > 1 else 's'} "
             f"no new block")
    if left:
        st.caption(f"{'; '.join(plain(p.fix) for p in left)}: yours to make in the Designer "
                   f"(a block to add); the design fits {plain(ds.name)} once that is done too.")
    if st.button(label, type="primary", key="data.fit",
                 help="Makes the changes named above that need no new block, through the "
                      "design's variables where they set them (undo reverts them):  \n"
                      + changes_text(fit_changes(fit))):
        if not set_graph(state, fixed):  # validated by fit_design: never leaves errors
            notices = getattr(state, "notices", None)
            pages.notice = (f"The design was not fitted to {ds.name}. "
                            + (notices[-1].text if notices else "")).strip()
            st.rerun()
        # the data the design was fitted to is chosen: the Train page said "no data chosen
        # yet" of the stand-in the user had just fitted the design to
        remember_data(state, pages.data, chosen=True)
        pages.notice = (f"The design now takes {ds.name} and is valid." if not left else
                        f"The Input now takes {ds.name}; what is left needs a change in "
                        f"the Designer.")
        st.rerun()


def _output_fits(fit, ds) -> str:
    """What the design's output gives, for the task it was checked for."""
    if fit.task == "classification":
        return f"Its output gives one value per class ({len(ds.classes)})."
    if fit.task == "regression":
        n = ds.target_dim or 1
        return f"Its output gives the {n} target value{'' if n == 1 else 's'}."
    return "Its output gives back the input's shape (a reconstruction)."

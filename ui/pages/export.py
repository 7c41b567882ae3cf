"""Export page: every export format of the current design (fresh weights) or of a run (trained
weights), each written, loaded back and checked by ``layerloom.graph.export`` before its
download button appears, with the check's result (how near the model's outputs, size) beside it."""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from layerloom.graph import dumps_graph
from layerloom.graph.export import FORMAT_NAMES, export_model
from layerloom.graph.export.formats import FORMATS
from layerloom.graph.naming import file_stem, module_name
from layerloom.graph.summary import format_bytes
from layerloom.runtime.export import export_run
from layerloom.runtime.runnames import design_key

from .. import live
from ..errors import export_failure, shown_errors
from ..export_project import project_row
from ..fields import plain, whole
from ..forms import seed
from ..pagestate import PagesState, pages_of, project_of
from .common import run_label, run_names, show_notice, swatch
from .results import default_run, showing

DESIGN = "The current design, untrained (fresh weights)"
OWN_WEIGHTS = "The current design (with its weights)"  # how DESIGN reads when it carries some
RUN = "A run (trained weights)"
HELP = {"bundle": "Everything to use or share the model, in one zip: the design, the Python "
                  "code, the weights, the TorchScript and ONNX files, the training settings "
                  "and scores, a model card (README.md) saying what the model is, and "
                  "predict.py, which needs no LayerLoom: `python predict.py my_input.csv` (or "
                  "a picture, a text file…) prints the model's predictions."}
MIME = {"json": "application/json", "onnx": "application/octet-stream",
        "torchscript": "application/octet-stream", "safetensors": "application/octet-stream",
        "bundle": "application/zip", "python": "application/zip"}


@dataclass(frozen=True)
class Built:
    """One checked export, ready to download."""

    file_name: str
    data: bytes
    size: int
    max_abs_diff: float
    seconds: float
    files: tuple[str, ...]
    # how the run standardised its inputs, and where the file keeps it (empty where it did not)
    note: str = ""
    # the bundle's parts that could not be written (its ONNX for a block ONNX lacks), and why
    left_out: tuple[tuple[str, str], ...] = ()
    # the input sizes the file takes, found by running it ("any batch size, but only tokens of
    # exactly 32: pad or cut them to 32 …"): a fixed length said, not found in a program
    takes: str = ""
    fixed_length: bool = False  # it refuses lengths the model takes: a warning, not a caption

    def check_line(self) -> str:
        """What the check found, in words: ``checked: the file gives the model's outputs to
        within 4.8e-07 (rounding) · 533.1 kB (m.onnx) · 0.3 s`` (it said "max abs diff
        4.77e-07", a term and a notation a newcomer does not read)."""
        parts = ", ".join(self.files)
        same = ("exactly the model's outputs" if self.max_abs_diff == 0 else
                f"the model's outputs to within {self.max_abs_diff:.2g} (rounding)")
        return (f"checked: the file gives {same} · {format_bytes(self.size)} ({parts}) · "
                f"{self.seconds:.1f} s")


def render(state) -> None:
    st.header("Export")
    with shown_errors("The Export page"):
        pages = pages_of(state)
        show_notice(pages)
        source = choose_source(state, pages)
        if source is None:
            return
        # room for the button's words whole in a 1024 px window ("Build and check the fi…")
        cols = st.columns([2, 5], vertical_alignment="center")
        cols[1].caption("The training project, last below, is built on its own: a larger "
                        "download, with the data.")
        if cols[0].button("Build and check the files", key="export.all", type="primary",
                          help="JSON, Python, TorchScript, ONNX, safetensors and the bundle, "
                               "each written, loaded back and compared"):
            build_all(pages, source)
        what, _ = split_note(next((b.note for b in built_now(pages, source) if b.note), ""))
        if what:  # how to feed the files, said once for all of them, not on each row
            st.info(plain(what), icon=":material/info:")
        for fmt in FORMAT_NAMES:
            format_row(pages, source, fmt)
        project_row(pages, source)  # a training project (zip), not among "all": it is bigger


@dataclass(frozen=True)
class Source:
    key: str  # identifies what is exported: the design's content, or a run and its weights
    name: str  # file names start with this
    graph_json: str | None = None
    run_id: int | None = None
    db: str | None = None
    weights: str | None = None  # the design's own weights file (an imported model's)


def trained_run(runs: list, project: str, graph=None):
    """The run the Export page opens on: the project's latest completed run with weights, one
    that trained the current design (``graph``) first; None when the project has none (the
    page then opens on the design)."""
    done = [r for r in runs if r.project == project and r.status == "completed"
            and r.checkpoint]
    if graph is not None:
        current = design_key(graph.to_dict())
        same = [r for r in done if design_key(r.graph or {}) == current]
        done = same or done
    return max(done, key=lambda r: (r.ended or r.created or 0, r.id)) if done else None


def choose_source(state, pages: PagesState) -> Source | None:
    store = live.store_of()
    every = store.list_runs()
    names = run_names(every)
    runs = [r for r in every if r.checkpoint and r.status not in ("queued", "running")]
    project, graph = project_of(state), getattr(state, "graph", None)
    trained = trained_run(runs, project, graph)
    weights = _design_weights(state)
    chosen = pages.export_source[1] if pages.export_source and \
        pages.export_source[0] == project else None
    if chosen is None:  # the user has not picked: a trained run first
        st.session_state["export.source"] = RUN if trained is not None or (
            pages.export_run is not None and runs) else DESIGN
    kind = st.radio("Export", [DESIGN, RUN], key="export.source", horizontal=True,
                    format_func=lambda k: OWN_WEIGHTS if k == DESIGN and weights else k,
                    on_change=_picked, args=(pages, project))
    if kind == DESIGN:
        pages.export_run = None
        if graph is None:
            st.info("Open a design in the Designer first.")
            return None
        report = state.report() if callable(getattr(state, "report", None)) else None
        if report is not None and not report.ok:
            # said once, before any file: each format's row said "python export failed at
            # input1: the graph is not valid: …", a block named for a whole-design problem
            n = len(report.errors)
            st.error(f"The design has {n} problem{'' if n == 1 else 's'} to fix in the "
                     f"Designer before it can be exported: "
                     + "; ".join(plain(str(p)) for p in report.errors[:5])
                     + ("; …" if n > 5 else "") + ". The JSON button above downloads it "
                     "as it is.")
            return None
        text = dumps_graph(graph)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        if weights is not None:
            st.caption("With the weights the design carries (weights.safetensors), not fresh "
                       "ones.")
            digest += f"-{weights.stat().st_mtime_ns}"
        else:
            st.caption(":material/warning: Untrained: these files hold fresh random weights, "
                       "as before any training. "
                       + ("Choose *A run* for the trained weights." if runs else
                          "Train on the Train page for trained weights."))
        return Source(f"design-{digest}", file_stem(graph.name), graph_json=text,
                      weights=str(weights) if weights is not None else None)
    if not runs:
        st.info("No run with trained weights yet: train one on the Train page.")
        return None
    by_id = {r.id: r for r in runs}
    just = by_id.get(pages.run_id)  # the run the Train page shows: the one just trained
    wanted = pages.export_run if pages.export_run in by_id else \
        just.id if just is not None and just.project == project else \
        trained.id if trained is not None else default_run(runs, project).id
    seed("export.run", wanted)
    if st.session_state["export.run"] not in by_id:
        st.session_state["export.run"] = wanted
    shown = st.session_state["export.run"]
    st.caption(f"{swatch(shown)} " + plain(showing(by_id[shown], names[shown]))
               + " — choose another:", unsafe_allow_html=True)
    run_id = st.selectbox("Run", list(by_id), key="export.run",
                          format_func=lambda i: run_label(by_id[i], names[i]),
                          label_visibility="collapsed")
    pages.export_run = run_id
    run = by_id[run_id]
    if graph is not None and run.project == project \
            and design_key(run.graph or {}) != design_key(graph.to_dict()):
        st.caption("This run trained an earlier version of the design: the files hold that "
                   "version, with its trained weights.")
    stamp = Path(run.checkpoint).stat().st_mtime if Path(run.checkpoint).exists() else 0
    return Source(f"run-{run_id}-{stamp}", f"{file_stem(run.name)}-run{run_id}", run_id=run_id,
                  db=str(store.path))


@whole
def _picked(pages: PagesState, project: str) -> None:
    """The user chose what to export: kept for the project (the page no longer picks)."""
    pages.export_source = (project, st.session_state["export.source"])


def _design_weights(state) -> Path | None:
    store, pid = getattr(state, "store", None), getattr(state, "project_id", None)
    try:
        return store.weights_file(pid) if store is not None and pid else None
    except Exception:  # noqa: BLE001 - no project store: no weights
        return None


def format_row(pages: PagesState, source: Source, fmt: str) -> None:
    spec = FORMATS.get(fmt)
    left, mid, right = st.columns([1, 2, 4], vertical_alignment="center")
    left.markdown(f"**{fmt}**")
    built = pages.exports.get(fmt)
    if built is not None and built[0] == source.key:
        try:
            result = _build(source, fmt)
        except Exception as err:  # noqa: BLE001 - shown in words on its row
            pages.exports.pop(fmt, None)
            right.error(export_failure(fmt, err))
            return
        # the button names the file it downloads: six rows of "Download" told the python
        # row's zip of code and weights from the others only by its row
        mid.download_button(f"Download {result.file_name}", result.data,
                            file_name=result.file_name,
                            mime=MIME.get(fmt), key=f"export.dl.{fmt}", on_click="ignore",
                            icon=":material/download:")
        right.caption(result.check_line())
        if result.fixed_length:
            right.warning(f"This file takes {result.takes}.", icon=":material/straighten:")
        elif result.takes:
            right.caption(f"Takes {result.takes}.")
        for part, why in result.left_out:  # the zip holds the rest: said, as the CLI says it
            right.warning(f"Left out of this bundle: {part}, because {plain(why)}",
                          icon=":material/warning:")
        if result.note:  # raw data fed to these weights gives nonsense: said above the rows,
            # and where each file keeps the numbers, beside it
            right.caption(f"The standardisation's numbers are in {split_note(result.note)[1]}.")
        return
    if mid.button("Build and check", key=f"export.build.{fmt}"):
        with st.spinner(f"Writing {fmt}, loading it back and comparing…"):
            attempt(pages, source, fmt)
        st.rerun()
    failed = pages.export_errors.get(fmt)
    if failed is not None and failed[0] == source.key:
        right.error(failed[1])
    else:
        right.caption(spec.help if spec is not None else HELP.get(fmt, ""))


WHERE_MARK = " Written into "  # graph.export's note: what to do, then where the file keeps it


def split_note(note: str) -> tuple[str, str]:
    """An export's normalisation note as (what to do with raw data, where the file keeps the
    numbers). Said whole on each row, the same four lines of advice stood under five files.

    >>> what, where = split_note("Trained on inputs standardised: x = (raw - mean) / std. "
    ...                          "Written into the ONNX file's metadata_props (JSON).")
    >>> what
    'Trained on inputs standardised: x = (raw - mean) / std.'
    >>> where
    "the ONNX file's metadata_props (JSON)"
    """
    what, _, where = note.partition(WHERE_MARK)
    return what.strip(), where.strip().rstrip(".")


def built_now(pages: PagesState, source: Source) -> list[Built]:
    """The files of ``source`` built so far (each from the cache), in the rows' order."""
    out = []
    for fmt in FORMAT_NAMES:
        built = pages.exports.get(fmt)
        if built is None or built[0] != source.key:
            continue
        try:
            out.append(_build(source, fmt))
        except Exception:  # noqa: BLE001 - its row says why
            continue
    return out


def build_all(pages: PagesState, source: Source) -> None:
    """Build every format (not the project), one after the other, the bar saying which one is
    being written (they take a minute together on a laptop: a spinner alone said nothing of how
    far it had got), then how many were built and checked, and which failed."""
    bar = st.progress(0.0)
    for i, fmt in enumerate(FORMAT_NAMES):
        bar.progress(i / len(FORMAT_NAMES),
                     text=f"Writing {fmt} ({i + 1} of {len(FORMAT_NAMES)}), loading it back "
                          f"and comparing…")
        attempt(pages, source, fmt)
    bar.empty()
    failed = [f for f in FORMAT_NAMES if f in pages.export_errors
              and pages.export_errors[f][0] == source.key]
    done = len(FORMAT_NAMES) - len(failed)
    if not failed:
        st.success(f"All {done} files are built and checked: each one's Download is on its row "
                   f"below.", icon=":material/check_circle:")
    else:
        st.warning(f"{done} of {len(FORMAT_NAMES)} files are built and checked; "
                   f"{', '.join(failed)} failed: {'its' if len(failed) == 1 else 'each'} row "
                   f"below says why.", icon=":material/warning:")


def attempt(pages: PagesState, source: Source, fmt: str) -> None:
    """Build one format; remember that it was built, or why it failed."""
    try:
        _build(source, fmt)
    except Exception as err:  # noqa: BLE001 - ExportError and the rest, shown in words
        pages.export_errors[fmt] = (source.key, export_failure(fmt, err))
        pages.exports.pop(fmt, None)
    else:
        pages.exports[fmt] = (source.key,)
        pages.export_errors.pop(fmt, None)


@st.cache_resource(max_entries=24, show_spinner=False)
def _cached(key: str, fmt: str, _source: Source) -> Built:
    """``key`` is the cache's identity (the source's content and the format); ``_source``
    (not hashed) says how to build it."""
    source = _source
    suffix = ".zip" if fmt == "bundle" else FORMATS[fmt].suffix
    # the code is a module users import: seed_cnn.py, not seed-cnn.py
    stem = module_name(source.name) if fmt == "python" else source.name
    with tempfile.TemporaryDirectory(prefix="layerloom-export-") as folder:
        path = Path(folder) / f"{stem}{suffix}"
        if source.run_id is not None:
            result = export_run(source.run_id, fmt, path, db=source.db)
        else:
            state = None
            if source.weights is not None:
                from safetensors.torch import load_file

                state = load_file(source.weights)
            result = export_model(source.graph_json, fmt, path, state)
        files = [Path(f) for f in result.files]
        if len(files) == 1:
            data, name = files[0].read_bytes(), files[0].name
        else:  # python: the code and its weights, together
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in files:
                    archive.write(file, file.name)
            data, name = buffer.getvalue(), f"{source.name}-{fmt}.zip"
        return Built(name, data, result.bytes, result.max_abs_diff, result.seconds,
                     tuple(f.name for f in files), result.notes.get("normalization", ""),
                     tuple(result.notes.get("skipped", {}).items()),
                     result.notes.get("sizes", ""), bool(result.notes.get("fixed_length")))


def _build(source: Source, fmt: str) -> Built:
    return _cached(f"{source.key}/{fmt}", fmt, source)

"""Export a standalone training project: a folder that trains the design with PyTorch, NumPy and
Pillow alone, on one machine or many.

>>> result = export_project("seed-cnn.json", "mnist-5k", "seed-cnn-project")   # doctest: +SKIP
>>> result = export_run_project(12, "run12-project")                           # doctest: +SKIP

The folder holds ``model.py`` (the code generator's model), ``train.py`` and ``data.py`` (copied
from ``template/``, the same loop, readers and preprocessing as LayerLoom's own trainer),
``config.json`` (the training settings, the task, the data's recorded statistics and class
names), ``requirements.txt``, a ``README.md`` and the data: the user's file with the indices of
the split it was trained on, or, for built-in and in-memory datasets, the split arrays
themselves (``data/train.npz``…). A run's export adds its trained weights (``weights.pt``, a
``state_dict``) and its last checkpoint (``checkpoint.pt``, for ``train.py --resume``).

Nothing is kept unchecked: before the folder is moved into place, its ``model.py`` is loaded
with the weights and compared with LayerLoom's model, and its ``data.py`` must give back the
very tensors LayerLoom trains on (a file it reads otherwise falls back to shipping the arrays).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import sys
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from layerloom.graph import Graph
from layerloom.graph.codegen import generate_code
from layerloom.graph.place_files import scratch_folder
from layerloom.graph.naming import node_names

from ..config import TrainConfig
from ..errors import TrainError
from ..target_scale import TargetScale
from .readme import readme_text

__all__ = ["ProjectError", "ProjectResult", "export_project", "export_run_project",
           "project_zip"]

TEMPLATE_FILES = ("train.py", "data.py")
FILE_KINDS = {".csv": "table", ".tsv": "table", ".txt": "table", ".xlsx": "table",
              ".parquet": "table", ".jsonl": "table", ".ndjson": "table", ".npz": "npz",
              ".zip": "images"}
MAX_COPIED_BYTES = 200 * 2**20  # a bigger data file is shipped as split arrays instead
PROBABILITY = ("Softmax", "LogSoftmax")


class ProjectError(TrainError):
    """The project could not be exported; the message says why in words."""


@dataclass
class ProjectResult:
    path: Path
    files: list[str]  # relative to ``path``
    bytes: int
    data: str  # how the data travel: "arrays" or the file kind read by data.py
    seconds: float
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        from layerloom.graph.summary import format_bytes

        return (f"{self.path}: {len(self.files)} files, {format_bytes(self.bytes)}, data as "
                f"{self.data}; model.py and data.py checked against LayerLoom "
                f"({self.seconds:.1f} s)")


def template_text(name: str) -> str:
    return resources.files(__package__).joinpath("template", name).read_text(encoding="utf-8")


# -- the API --------------------------------------------------------------------------------------

def export_project(graph: Graph | dict | str | Path, dataset, path: str | Path,
                   config: TrainConfig | Mapping | str | Path | None = None, *,
                   variables: Mapping[str, Any] | None = None,
                   state_dict: Mapping[str, torch.Tensor] | None = None,
                   checkpoint: Mapping | None = None, run_id: int | None = None,
                   test_metrics: Mapping | None = None, overwrite: bool = False,
                   init_weights: str | Path | None = None) -> ProjectResult:
    """Write the training project of ``graph`` on ``dataset`` (a Dataset, a built-in name or a
    file path, or a dataset spec) with ``config`` into the folder ``path``.

    ``state_dict`` (trained weights) and ``checkpoint`` (a LayerLoom checkpoint dict) come from
    a run (see :func:`export_run_project`). ``init_weights`` (default: the config's
    ``init_weights``) is a ``.safetensors`` file of weights to start from (an imported model's,
    for fine-tuning): the project's ``train.py`` starts from them (``weights/initial.pt``), a
    replaced head (shape differs) from fresh values as LayerLoom's trainer does. ``path`` must
    not exist or be empty unless ``overwrite``. Raises ProjectError (and GraphError, DataError)
    with messages for people.
    """
    from ..runner import as_config, as_dataset, as_graph

    started = time.perf_counter()
    graph = as_graph(graph)
    config = as_config(config)
    if init_weights is not None:
        config = config.replace(init_weights=str(init_weights))
    if variables:
        graph = graph.copy()
        graph.variables.update(variables)
    ds, spec = as_dataset(dataset, graph)  # read as the design takes it (for_design.py)
    if getattr(ds.x_train, "streaming", False):  # data/folder.py: never decoded whole
        raise ProjectError(f"{ds.name} is an image folder read from disk as training goes; a "
                           f"project cannot carry it yet (its splits would be decoded whole "
                           f"into the project): zip the folder and use the zip to export one")
    target = Path(path)
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not overwrite)):
        raise ProjectError(f"{target} already exists and is not an empty folder; choose another "
                           f"folder or allow overwriting it")
    if overwrite and target.is_dir() and any(target.iterdir()) and not is_project(target):
        # -o ~/work --force deleted the whole of ~/work, the user's files and all
        shown = sorted(p.name for p in target.iterdir())
        raise ProjectError(f"{target} holds files that are not a LayerLoom project "
                           f"({', '.join(shown[:3])}{', …' if len(shown) > 3 else ''}), and "
                           f"overwriting replaces only a project exported before (its "
                           f"config.json says so); choose a new or empty folder")
    if overwrite and target.is_dir() and _holds_current_folder(target):
        # replacing it moved the folder away from under the user: '.: Device or resource busy'
        raise ProjectError(f"{target} is the folder you are in (or holds it), so it cannot be "
                           f"replaced from here; run the export from the folder above it, with "
                           f"-o {target.resolve().name}")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        problem = ProjectError(
            f"{parent} is a file, not a folder, so the project {target.name} cannot be written "
            f"in it; give a path in a folder that exists" if parent.exists() else
            f"no folder {parent} to write the project {target.name} into; make it first, or "
            f"give a path in a folder that exists")
        problem.unreadable = True  # a place that cannot be written: exit 2, as for any file
        raise problem
    with scratch_folder(parent, ".layerloom-project-") as tmp:
        notes = _write(tmp, graph, ds, spec, config, state_dict, checkpoint, run_id,
                       test_metrics)
        _permissions(tmp)  # made private; the project is an ordinary folder
        _put_in_place(tmp, target)
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    size = sum((target / f).stat().st_size for f in files)
    kind = json.loads((target / "config.json").read_text(encoding="utf-8"))["data"]["kind"]
    return ProjectResult(target, files, size, kind, time.perf_counter() - started, notes)


def _holds_current_folder(folder: Path) -> bool:
    try:
        here, folder = Path.cwd().resolve(), folder.resolve()
    except OSError:  # the current folder was removed
        return False
    return here == folder or folder in here.parents


def is_project(folder: Path) -> bool:
    """Whether ``folder`` is a project exported before: its ``config.json`` says so."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("format") == "layerloom-project"


def _put_in_place(folder: Path, target: Path) -> None:
    """Move the finished ``folder`` to ``target``, replacing what is there. The folder replaced
    is moved aside first and deleted only once the new one is in place: an export stopped on the
    way (Ctrl+C) leaves the old folder whole, never half deleted with no new one.

    The folder aside is named first and made inside the block that puts the old folder back
    and deletes it, as ``graph.place_files.scratch_folder`` does: an interrupt (a SIGTERM or
    SIGHUP turned into one) landing as it is made, or just after the old folder is moved into
    it, leaves neither it nor a missing project. It is deleted only where ``target`` holds a
    project (the new one, or the old one put back), so a second interrupt on the way back
    leaves the old folder aside rather than deleting it."""
    if not target.exists():
        os.replace(folder, target)
        return
    aside = target.parent / _aside_name(target.name)
    old = aside / target.name
    try:
        aside.mkdir(mode=0o700)
        os.replace(target, old)
        os.replace(folder, target)
    finally:
        if not os.path.lexists(target) and os.path.lexists(old):  # stopped half-way
            os.replace(old, target)
        if os.path.lexists(target):
            shutil.rmtree(aside, ignore_errors=True)


def _aside_name(name: str, most: int = 255) -> str:
    """``.NAME.replaced-`` and random letters, NAME cut (at a whole character) so that the whole
    is at most ``most`` bytes, as file systems allow: a project named with 240 letters could be
    written, but not replaced (``File name too long``, naming the hidden folder).

    >>> len(_aside_name("p" * 240).encode())
    255
    """
    tail = f".replaced-{secrets.token_hex(6)}"
    room = most - 1 - len(tail)
    return f".{os.fsencode(name)[:room].decode('utf-8', errors='ignore')}{tail}"


def export_run_project(run_id: int, path: str | Path, db=None, *,
                       overwrite: bool = False) -> ProjectResult:
    """The project of run ``run_id``: its graph, dataset (as the run recorded it), config,
    trained weights and last checkpoint."""
    from ..checkpoint import load_checkpoint
    from ..export import _plain_key, no_checkpoint
    from ..store import RunStore

    store = db if isinstance(db, RunStore) else RunStore(db)
    run = store.get(run_id)
    if not run.checkpoint or not Path(run.checkpoint).is_file():
        raise ProjectError(no_checkpoint(run, "are no trained weights to export"))
    state = load_checkpoint(run.checkpoint)
    state["model"] = {_plain_key(k): v for k, v in state["model"].items()}
    return export_project(run.graph, run.dataset, path, run.config, variables=run.variables,
                          state_dict=state["model"], checkpoint=state, run_id=run_id,
                          test_metrics=run.final_metrics, overwrite=overwrite)


def project_zip(folder: str | Path) -> bytes:
    """The project folder as a zip, every file under one folder of the project's name."""
    folder = Path(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(file, f"{folder.name}/{file.relative_to(folder).as_posix()}")
    return buffer.getvalue()


# -- writing --------------------------------------------------------------------------------------

def _write(root: Path, graph: Graph, ds, spec: dict, config: TrainConfig, state_dict,
           checkpoint, run_id, test_metrics) -> list[str]:
    from ..model import prepare_model

    notes: list[str] = []
    with torch.random.fork_rng():  # the caller's generators are left as they were
        torch.manual_seed(config.seed)
        prepared = prepare_model(graph, ds, config)
        initial = {k: v.detach().cpu().clone() for k, v in prepared.module.state_dict().items()}
    brought = config.init_weights  # weights brought in (fine-tuning): the project starts there
    if brought:
        config = config.replace(init_weights=None)  # config.json names no file of this machine
    code = generate_code(graph, data=ds.name)
    (root / "model.py").write_text(code, encoding="utf-8")
    for name in TEMPLATE_FILES:
        (root / name).write_text(template_text(name), encoding="utf-8")
    model_module = _import(root / "model.py", "model")
    cls = _model_class(model_module)
    train_without = _skipped_attribute(graph, prepared)

    # the starting weights: the model's own initialisation when it draws the same numbers as
    # LayerLoom's compiler (then dropout draws alike too), else LayerLoom's, shipped
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        fresh = cls()
    initial_file = None
    if brought or not _same_state(fresh.state_dict(), initial):
        (root / "weights").mkdir()
        initial_file = "weights/initial.pt"
        torch.save(initial, root / initial_file)
        if brought:
            notes.append(_brought_note(Path(brought).name, prepared.notes))
        else:
            notes.append("model.py initialises its weights otherwise than LayerLoom's compiler: "
                         "the run's initial weights are shipped in weights/initial.pt")
    weights = None
    if state_dict is not None:
        weights = "weights.pt"
        torch.save({k: v.detach().cpu().contiguous() for k, v in state_dict.items()},
                   root / weights)
    checkpoint_file = None
    if checkpoint is not None:
        checkpoint_file = "checkpoint.pt"
        torch.save(_cpu(checkpoint), root / checkpoint_file)

    data_spec, data_notes = _write_data(root, ds, spec)
    notes += data_notes
    task = prepared.task
    # a run's own standardisation (none for a run saved before targets were standardised)
    scale = (TargetScale.from_dict(checkpoint.get("target_scale")) if checkpoint is not None
             else prepared.target_scale)
    settings = {
        "format": "layerloom-project", "version": 1, "name": graph.name or "model",
        "model": {"file": "model.py", "class": cls.__name__,
                  "input_shape": list(prepared.input_shape), "input_dtype": ds.dtype,
                  "output_shape": list(prepared.output_shape),
                  "train_without": train_without, "initial_weights": initial_file},
        "task": {"kind": task.kind, "loss": task.loss, "head": task.head,
                 "classes": len(ds.classes) if ds.classes else None,
                 "label_smoothing": task.label_smoothing, "huber_delta": task.huber_delta,
                 "target_scale": scale.to_dict() if scale else None},
        "train": config.to_dict(),
        "data": data_spec,
        "weights": weights, "checkpoint": checkpoint_file,
        "exported_from": {"run_id": run_id, "test_metrics": dict(test_metrics or {}),
                          "dataset": {k: spec.get(k) for k in ("source", "seed",
                                                               "val_fraction",
                                                               "test_fraction", "options")}},
    }
    (root / "config.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    (root / "requirements.txt").write_text(
        _requirements(Path(str(data_spec.get("file", ""))).suffix),
        encoding="utf-8")
    (root / "README.md").write_text(readme_text(settings, ds, notes), encoding="utf-8")

    _check_model(root, cls, prepared, state_dict or initial, train_without, ds)
    settings["data"] = _check_data(root, ds, settings, notes)
    if settings["data"] is not data_spec:  # fell back to arrays: rewrite what names the data
        (root / "config.json").write_text(json.dumps(settings, indent=2) + "\n",
                                          encoding="utf-8")
        (root / "requirements.txt").write_text(_requirements(), encoding="utf-8")
        (root / "README.md").write_text(readme_text(settings, ds, notes), encoding="utf-8")
    return notes


def _brought_note(name: str, prepared_notes: list[str]) -> str:
    """What the project starts from when weights were brought in."""
    fresh = next((n.split(" start fresh")[0] for n in prepared_notes if " start fresh:" in n),
                 None)
    return (f"training starts from the weights of {name} (shipped in weights/initial.pt)"
            + (f"; {fresh} start fresh: their size differs there (a replaced head, or a "
               f"layer whose input size changed)" if fresh else ""))


def _permissions(folder: Path) -> None:
    """Folders 0o777 and files 0o666, less the umask, as if created the usual way."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _requirements(suffix: str = "") -> str:
    """Pinned from below at the versions the export was tested with; openpyxl where data.py
    reads an Excel workbook (a file of ``suffix`` .xlsx), pyarrow where it reads Parquet."""
    import numpy
    import PIL

    def floor(version: str) -> str:
        return ".".join(version.split("+")[0].split(".")[:2])

    return (f"# tested with torch {torch.__version__.split('+')[0]}, numpy {numpy.__version__}, "
            f"pillow {PIL.__version__}\n"
            f"torch>={floor(torch.__version__)}\nnumpy>={floor(numpy.__version__)}\n"
            f"pillow>={floor(PIL.__version__)}\n"
            + {".xlsx": "openpyxl>=3.1\n", ".parquet": "pyarrow>=14\n"}.get(suffix.lower(), ""))


def _cpu(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cpu(v) for v in value)
    return value


def _same_state(a: Mapping, b: Mapping) -> bool:
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def _import(path: Path, name: str):
    """A module of the project, imported under a name of its own (and forgotten again)."""
    import importlib.machinery
    import importlib.util
    import uuid

    unique = f"_layerloom_project_{name}_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(
        unique, path, loader=importlib.machinery.SourceFileLoader(unique, str(path)))
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - generated code that does not run: say so
        raise ProjectError(f"the project's {path.name} does not run: {exc}") from None
    finally:
        sys.modules.pop(unique, None)
    return module


def _model_class(module) -> type:
    import inspect

    classes = [c for c in vars(module).values() if inspect.isclass(c)
               and issubclass(c, nn.Module) and c.__module__ == module.__name__]
    if not classes:
        raise ProjectError("the generated model.py defines no model class")
    return classes[-1]


def _skipped_attribute(graph: Graph, prepared) -> list[str]:
    """The attribute of model.py's class that training replaces by ``nn.Identity`` (the
    trailing Softmax LayerLoom leaves out so that cross-entropy sees logits)."""
    if not prepared.skipped:
        return []
    names = node_names([node.id for node in graph.nodes])
    return [names[prepared.skipped]]


def _check_model(root: Path, cls: type, prepared, state: Mapping, train_without: list[str],
                 ds) -> None:
    """model.py, with the weights and the training-time swaps, computes what LayerLoom's
    training module computes."""
    net = cls()
    try:
        net.load_state_dict(dict(state), strict=True)
    except RuntimeError as exc:
        raise ProjectError(f"the weights do not load into model.py: {exc}") from None
    for name in train_without:
        if not isinstance(getattr(net, name, None), nn.Module):
            raise ProjectError(f"model.py has no attribute {name!r} for the skipped "
                               f"{prepared.skipped}")
        setattr(net, name, nn.Identity())
    reference = prepared.module
    reference.load_state_dict(dict(state))
    x = ds.x_train[:4]
    if len(x) == 0:
        return
    with torch.no_grad():
        got, want = net.eval()(x), reference.eval()(x)
    if not torch.allclose(got, want, atol=1e-5, rtol=1e-4):
        diff = (got - want).abs().max().item()
        raise ProjectError(f"model.py computes otherwise than LayerLoom's model (max abs diff "
                           f"{diff:.2e})")


# -- data -----------------------------------------------------------------------------------------

def _write_data(root: Path, ds, spec: dict) -> tuple[dict, list[str]]:
    """config.json's data section, and the data files it names."""
    (root / "data").mkdir(exist_ok=True)
    common = {"classes": list(ds.classes) if ds.classes else None,
              "normalization": ds.normalization, "seed": spec.get("seed", 0),
              "val_fraction": spec.get("val_fraction", 0.1),
              "test_fraction": spec.get("test_fraction", 0.2)}
    if ds.vocab:
        (root / "data" / "vocab.json").write_text(json.dumps(ds.vocab) + "\n", encoding="utf-8")
        common["vocab_file"] = "data/vocab.json"
    source = Path(str(spec.get("source", "")))
    kind = FILE_KINDS.get(source.suffix.lower())
    if kind == "table" and ds.dtype == "int64":
        kind = "text"
    notes: list[str] = []
    if kind is None or spec.get("saved") or not source.is_file():
        return _write_arrays(root, ds, common), notes
    if source.stat().st_size > MAX_COPIED_BYTES:
        notes.append(f"{source.name} is over {MAX_COPIED_BYTES // 2**20} MB: the project "
                     f"carries its splits as arrays instead")
        return _write_arrays(root, ds, common), notes
    name = "data/" + source.name
    shutil.copyfile(source, root / name)
    meta = ds.meta
    data = {"kind": kind, "file": name, "split_file": "data/split.npz", **common}
    if meta.get("sheet"):  # a workbook's sheet other than its first
        data["sheet"] = meta["sheet"]
    if kind == "table":
        data.update(target=meta.get("target"), columns=meta.get("columns"))
        if meta.get("target_written"):  # its numbers written as $1,250.50 or 3,5
            data["target_written"] = meta["target_written"]
    elif kind == "text":
        data.update(text_column=meta.get("text_column"), label_column=meta.get("label_column"),
                    length=int(ds.input_shape[0]))
    elif kind == "images":
        data.update(image_size=list(meta.get("image_size", ds.input_shape[1:])),
                    color=meta.get("color", "grayscale"),
                    scale=(ds.normalization or {}).get("scale", 255.0))
    elif kind == "npz":
        data.update(dtype=ds.dtype)
        if meta.get("channel_axis_added"):  # images [N, H, W] read as [N, 1, H, W]
            data["channel_axis"] = "add"
    return data, notes


def _write_arrays(root: Path, ds, common: dict) -> dict:
    files = {}
    for name in ("train", "val", "test"):
        x, y = ds.split(name)
        files[name] = f"data/{name}.npz"
        np.savez_compressed(root / files[name], x=x.numpy(), y=y.numpy())
    return {"kind": "arrays", "files": files, **common}


def _check_data(root: Path, ds, settings: dict, notes: list[str]) -> dict:
    """The data section after checking that data.py gives LayerLoom's tensors exactly; a file
    read otherwise is replaced by the split arrays (with a note)."""
    spec = settings["data"]
    data_module = _import(root / "data.py", "data")
    if spec["kind"] != "arrays":
        try:
            from ..data.split import SplitSpec, split_indices

            x, y = data_module.read_all(spec, root)
            labels = y if ds.classes else None
            parts = split_indices(len(x), SplitSpec(spec["seed"], spec["val_fraction"],
                                                    spec["test_fraction"]), labels)
            np.savez(root / spec["split_file"], train=parts.train, val=parts.val,
                     test=parts.test)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - fall back to arrays below
            problem = f"data.py cannot read {spec['file']} ({exc})"
        else:
            problem = _differs(data_module.load_splits(settings, root), ds)
        if problem is None:
            return spec
        notes.append(f"{problem}: the project carries the splits as arrays instead")
        (root / spec["file"]).unlink(missing_ok=True)
        (root / spec["split_file"]).unlink(missing_ok=True)
        keep = ("classes", "normalization", "seed", "val_fraction", "test_fraction",
                "vocab_file")
        spec = _write_arrays(root, ds, {k: spec[k] for k in keep if k in spec})
        settings["data"] = spec
    problem = _differs(data_module.load_splits(settings, root), ds)
    if problem is not None:
        raise ProjectError(f"the exported data differ from the run's: {problem}")
    return spec


def _differs(splits: dict, ds) -> str | None:
    for name in ("train", "val", "test"):
        x, y = splits[name]
        want_x, want_y = ds.split(name)
        if not (torch.equal(torch.from_numpy(np.ascontiguousarray(x)), want_x)
                and torch.equal(torch.from_numpy(np.ascontiguousarray(y)), want_y)):
            return f"data.py's {name} split differs from LayerLoom's"
    return None

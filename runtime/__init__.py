"""Training runtime: datasets, the trainer, the runs database, evaluation, search, distributed.

>>> from layerloom.runtime import TrainConfig, load_dataset, train
>>> result = train("seed-cnn.json", "mnist-5k", TrainConfig(epochs=5))   # doctest: +SKIP

Names are imported on first use, so ``import layerloom.runtime`` stays cheap and one part
(the data package, say) can be used without loading the others. Nothing here imports
Streamlit or the UI.
"""

from __future__ import annotations

import importlib
import os

# PyTorch's CPU threads (GNU OpenMP) spin 300,000 times for more work after each operation
# before they sleep. On a machine whose cores are busy with other programs, a spinning thread
# holds the core its partner needs, and every operation waits for a time slice: seed-cnn on two
# threads of a loaded 2-core machine ran several times slower than on one. 30,000 spins still
# bridge the gaps between operations (as fast as the default on an idle machine). Read once,
# when torch loads: it applies where layerloom.runtime comes first (the CLI, the app's runs).
os.environ.setdefault("GOMP_SPINCOUNT", "30000")

# name -> submodule that defines it
_EXPORTS = {
    # configuration
    "TrainConfig": "config", "ConfigError": "config", "describe_fields": "config",
    # data (runtime/data)
    "load_dataset": "data", "list_datasets": "data", "list_file_kinds": "data",
    "Dataset": "data", "DataError": "data", "check_input": "data",
    "AugmentConfig": "data", "augment_batch": "data",
    # training in this process
    "train": "runner", "RunResult": "runner", "dataset_spec": "runner",
    "load_from_spec": "runner", "save_dataset": "runner",
    "Event": "events", "Control": "events",
    "TrainError": "errors", "NonFiniteLoss": "errors", "RunNotFound": "errors",
    "prepare_model": "model",
    # runs in their own processes, and the database
    "start_run": "process", "stop_run": "process", "pause_run": "process",
    "resume_run": "process", "run_status": "process", "wait": "process", "kill_run": "process",
    "start_sweep": "process", "sweep_status": "process", "wait_sweep": "process",
    "stop_sweep": "process",
    "RunStore": "store", "Run": "store", "Metric": "store", "home": "store",
    "display_names": "runnames",
    "data_name": "runnames",
    "default_db": "store",
    # evaluation, search
    "evaluate": "evaluate", "classification_report": "evaluate",
    "regression_report": "evaluate",
    "lr_find": "search", "LRFinderResult": "search", "sweep": "search",
    "SweepResult": "search", "parse_param": "search",
    # checkpoints
    "load_checkpoint": "checkpoint",
    # looking inside a trained model
    "explain": "explain_run", "load_run": "explain_run", "Explanation": "attributions",
    "ExplainError": "attributions", "explain_sample": "attributions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'layerloom.runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

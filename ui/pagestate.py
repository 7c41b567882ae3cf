"""The typed state of the Data, Train, Results, Runs and Export pages.

One :class:`PagesState` per browser session holds what these pages chose (the dataset, the
config being edited, the run being watched…). The designer's state keeps other pages' typed
state in its ``pages`` dict; this one sits there under ``"runs"`` (else, for an app state
without that dict, under one session key). Runs themselves live
in the run store, not here: closing the browser loses nothing but these choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

SESSION_KEY = "layerloom.pages"


@dataclass
class DataChoice:
    """A dataset as ``load_dataset`` takes it: a built-in's name or an uploaded file's path."""

    source: str
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # what the user sees: the built-in's name or the uploaded file's name
    seed: int = 0
    val_fraction: float = 0.1
    test_fraction: float = 0.2

    def key(self) -> tuple:
        """Hashable identity, for caches."""
        return (self.source, tuple(sorted((k, repr(v)) for k, v in self.options.items())),
                self.seed, self.val_fraction, self.test_fraction)

    def load_args(self) -> dict:
        return {"seed": self.seed, "val_fraction": self.val_fraction,
                "test_fraction": self.test_fraction, **self.options}

    def to_dict(self) -> dict:
        """As the project keeps it (``data.json``): plain JSON, tuples as lists."""
        return {"source": self.source, "label": self.label,
                "options": {k: list(v) if isinstance(v, tuple) else v
                            for k, v in self.options.items()},
                "seed": self.seed, "val_fraction": self.val_fraction,
                "test_fraction": self.test_fraction}

    @classmethod
    def from_dict(cls, data: Any) -> DataChoice | None:
        """The choice a project kept, or None when ``data`` is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("source"), str) \
                or not data["source"]:
            return None
        options = data.get("options")
        try:
            return cls(data["source"], dict(options) if isinstance(options, dict) else {},
                       str(data.get("label") or data["source"]), int(data.get("seed", 0)),
                       float(data.get("val_fraction", 0.1)),
                       float(data.get("test_fraction", 0.2)))
        except (TypeError, ValueError):
            return None


@dataclass
class PagesState:
    data: DataChoice | None = None
    # the project ``data`` was chosen for (None: any); the choice is also kept with the
    # project (ProjectStore.set_data_choice), so a new session starts from it
    data_project: str | None = None
    # the Data page's seed and validation and test shares as last shown, per project: the
    # value each box is drawn with (see ui/pages/data.py choose)
    split: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    # per project, the Data page's values out of range as it said them ("validation share must
    # be between 0 and 0.9, got 0.95"): nothing is loaded from them, and Train does not start
    data_refused: dict[str, list[str]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # TrainConfig fields changed
    lr_range: dict | None = None  # the last LR finder result: lrs, losses, suggested
    run_id: int | None = None  # the run the Train page shows (one of the project's runs)
    watched: int | None = None  # the run the Train page last showed training
    results_run: int | None = None
    compare: list[int] = field(default_factory=list)  # runs overlaid on the Runs page
    sweep_id: int | None = None  # the sweep the Runs page shows
    sweep_started: int | None = None  # the sweep this session started, until its process begins
    export_run: int | None = None  # None: export the current design
    # (project, DESIGN or RUN) once the user picks what to export; until then the Export page
    # opens on the project's latest trained run where it has one
    export_source: tuple[str, str] | None = None
    exports: dict[str, tuple] = field(default_factory=dict)  # format -> (source key,) built
    export_errors: dict[str, tuple] = field(default_factory=dict)  # format -> (key, message)
    notice: str | None = None  # one message to show after a rerun (e.g. "design updated")
    # form fields whose value an action changed: their widgets take it on the next rerun
    refresh: list[str] = field(default_factory=list)


PAGES_KEY = "runs"


def pages_of(state: Any) -> PagesState:
    """The pages' state inside the app state ``state`` (or the session when it has no slot)."""
    slots = getattr(state, "pages", None)
    if isinstance(slots, dict):
        if not isinstance(slots.get(PAGES_KEY), PagesState):
            slots[PAGES_KEY] = PagesState()
        return slots[PAGES_KEY]
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = PagesState()
    return st.session_state[SESSION_KEY]


def project_of(state: Any) -> str:
    """The project id runs are filed under; ``default`` when the app has none."""
    return str(getattr(state, "project_id", None) or "default")

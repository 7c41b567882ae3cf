"""Starter graphs shipped in ``layerloom.assets/templates/*.json``.

Each template is a graph in the ordinary format with two extra top-level keys the format keeps:
``task`` (``classification``, ``regression`` or ``reconstruction``) and ``dataset`` (the name of a
built-in dataset that fits its input, or ``null`` for bring-your-own data).

>>> graph = load_template("seed-cnn")
>>> graph.extra["dataset"], summarize(graph).params
('mnist-5k', 34826)
>>> load_template("seed_cnn")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
layerloom.graph.errors.GraphError: no template 'seed_cnn' (did you mean 'seed-cnn'?); the templates are: ...
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources

from .errors import GraphError
from .io import loads_graph
from .model import Graph
from .suggest import did_you_mean
from .summary import summarize

SUFFIX = ".json"


def _folder():
    return resources.files("layerloom.assets") / "templates"


def template_names() -> list[str]:
    """The names of the shipped templates, sorted."""
    return sorted(entry.name.removesuffix(SUFFIX) for entry in _folder().iterdir()
                  if entry.name.endswith(SUFFIX))


def template_text(name: str) -> str:
    """The template's JSON text as shipped (for copying it to a file the user edits)."""
    names = template_names()
    if name not in names:
        hint = did_you_mean(name, names, cutoff=0.5)
        raise GraphError(f"no template {name!r}{hint}; the templates are: {', '.join(names)}")
    return (_folder() / f"{name}{SUFFIX}").read_text(encoding="utf-8")


def load_template(name: str) -> Graph:
    """The template ``name`` as a :class:`Graph` (a fresh copy: edit it freely).

    An unknown name raises :class:`GraphError` naming the available templates.
    """
    return _parsed(name).copy()


def list_templates() -> list[dict]:
    """One dict per template, sorted by name: ``name``, ``description``, ``task``, ``dataset``,
    ``params``, ``macs``, ``inputs`` and ``outputs`` (shapes without the batch) and
    ``variables`` (the graph's knobs and their defaults)."""
    return [copy.deepcopy(_entry(name)) for name in template_names()]


@lru_cache(maxsize=None)
def _parsed(name: str) -> Graph:
    return loads_graph(template_text(name), filename=f"templates/{name}{SUFFIX}")


@lru_cache(maxsize=None)
def _entry(name: str) -> dict:
    graph = _parsed(name)
    summary = summarize(graph)
    return {
        "name": name,
        "description": graph.description or "",
        "task": graph.extra.get("task", "classification"),
        "dataset": graph.extra.get("dataset"),
        "params": summary.params,
        "macs": summary.macs,
        "inputs": summary.inputs,
        "outputs": summary.outputs,
        "variables": dict(graph.variables),
    }

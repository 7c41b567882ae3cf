"""From a graph and a dataset to the module that trains, with the task it trains for.

The checks here are the ones a user can act on before a single step runs: one Input fed by the
dataset (same shape and dtype), one Output whose shape suits the task, and a trailing
``Softmax``/``LogSoftmax`` that the loss must not apply again.

A ``Softmax`` or ``LogSoftmax`` that feeds only the Output is skipped for training (the node gets
``repeat: 0``, which passes its input through), so the model trains on logits with
cross-entropy. It holds no weights, so the trained ``state_dict`` loads into the graph as drawn,
and inference still returns probabilities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from layerloom.graph import Graph, GraphError, load_graph, validate

from .config import TrainConfig
from .errors import TrainError
from .rewrite import rewrite_for_speed
from .target_advice import cause as target_cause
from .target_scale import TargetScale, plan
from .tasks import DEFAULT_LOSS, Task

PROBABILITY_HEADS = {"Softmax": "probs", "LogSoftmax": "log_probs"}
TASK_KINDS = ("classification", "regression", "reconstruction")


@dataclass
class PreparedModel:
    module: nn.Module  # what trains: returns logits when a trailing softmax was skipped
    task: Task
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    variables: dict  # the graph's variables as evaluated (with any overrides)
    skipped: str | None = None  # id of the Softmax/LogSoftmax left out for training
    notes: list[str] = field(default_factory=list)
    # a regression target learned standardised (target_scale.py); None: learned as it is
    target_scale: TargetScale | None = None
    # why its gradients are huge where it learns a large target as it is (target_advice.py)
    target_cause: str | None = None


def compile_module(graph: Graph, variables: Mapping[str, Any] | None = None) -> nn.Module:
    from layerloom.graph.compile import compile_graph  # the compiler lives in its own module

    return compile_graph(graph, variables)


def resolve_task(config: TrainConfig, graph: Graph, dataset) -> str:
    """The task to train: the config's, else the graph template's, else the dataset's."""
    if config.task != "auto":
        return config.task
    declared = graph.extra.get("task")
    if declared in TASK_KINDS and (declared != "classification" or dataset.classes):
        return declared
    return dataset.task


def prepare_model(graph: Graph | dict | str, dataset, config: TrainConfig,
                  variables: Mapping[str, Any] | None = None) -> PreparedModel:
    """Validate ``graph`` against ``dataset`` and compile the module to train.

    Raises GraphError for an invalid graph, DataError (from ``check_input``) when the Input does
    not take the dataset's samples, TrainError when the Output does not suit the task.
    """
    from .data import check_input

    if not isinstance(graph, Graph):
        graph = load_graph(graph)
    report = validate(graph, variables)
    report.raise_if_invalid()
    res = report.resolution
    top = res.top
    kind = resolve_task(config, graph, dataset)
    if len(top.inputs) != 1:
        raise TrainError(f"training feeds one dataset to one Input, but the design has "
                         f"{len(top.inputs)} ({', '.join(top.inputs)}): keep one Input")
    outputs = [o for o in top.outputs if top.nodes[o].used]
    if len(outputs) != 1:
        raise TrainError(f"training needs exactly one Output to compare with the targets, but "
                         f"the design has {len(outputs)} ({', '.join(outputs)})")
    source = top.nodes[top.inputs[0]]
    check_input(dataset, source.shape, source.dtype)
    out_shape = tuple(top.nodes[outputs[0]].shape)
    if kind != "reconstruction" and len(out_shape) >= 2:
        # a feature map where one value per class (or target) is wanted: the fix is Flatten
        # before the Linear that took it, never a different out_features (data/fit.py says which)
        from .data.fit import check_fit

        flatten = [p for p in check_fit(graph, dataset, variables, task=kind).problems
                   if p.kind == "flatten"]
        if flatten:
            raise TrainError(str(flatten[0]))
    check_output(kind, out_shape, dataset, tuple(source.shape), top.nodes[outputs[0]].inputs[0])

    train_graph, skipped, head = _without_trailing_softmax(graph, top, outputs[0], kind)
    module = compile_module(train_graph, variables)
    _check_norms_get_batches(module, dataset)
    rewrite_for_speed(module, config.precision)  # same weights and results, less work
    notes = [note for note in (batch_note(config.batch_size, dataset),) if note]
    if config.init_weights:  # fine-tuning: start from weights brought in
        from layerloom.graph.import_torch.finetune import load_fitting, read_weights

        from .pretrained_vocab import vocabulary_note

        try:
            brought = read_weights(config.init_weights)
            fresh = load_fitting(module, brought)
        except GraphError as exc:
            raise TrainError(str(exc)) from None
        if fresh:
            own = module.state_dict()
            which = ", ".join(f"{k} ({list(own[k].shape)} here, {list(brought[k].shape)} in "
                              f"the file)" for k in fresh[:4]) + (" …" if len(fresh) > 4 else "")
            notes.append(f"{which} start fresh: the design's layer has another size than in "
                         f"{config.init_weights} (a replaced head, or a layer whose input "
                         f"size changed); every other weight is loaded")
        vocabulary = vocabulary_note(module, dataset, config.init_weights, fresh)
        if vocabulary:
            notes.append(vocabulary)
    from layerloom.graph.compile import hold_frozen_norms

    hold_frozen_norms(module)  # frozen nodes' batch norms keep their statistics
    if skipped:
        notes.append(f"{skipped}: {graph.node(skipped).type} is left out while training, so "
                     f"cross-entropy sees logits; the trained model still ends with it")
    if kind == "classification" and head == "logits":
        head = _probe_head(module, dataset)
        if head != "logits":
            notes.append(f"the model's outputs already look like {head.replace('_', '-')}; "
                         f"the loss takes them as such")
    loss = DEFAULT_LOSS[kind] if config.loss == "auto" else config.loss
    if (loss == "cross_entropy") != (kind == "classification"):
        raise TrainError(f"loss {loss!r} does not suit the {kind} task: use "
                         f"{'cross_entropy' if kind == 'classification' else 'mse, l1 or huber'}")
    scale = plan(res.graph, top, outputs[0], dataset, config.target_scaling,
                 config.init_weights) if kind == "regression" else None
    task = with_target_scale(Task(kind, loss, head if kind == "classification" else "values",
                                  len(dataset.classes) if kind == "classification" else None,
                                  config.label_smoothing, config.huber_delta), scale)
    # where it learns a large target as it is, why its gradients are huge (said by diagnostics)
    cause = target_cause(top, outputs[0], dataset, config.target_scaling, config.init_weights) \
        if kind == "regression" and scale is None else None
    return PreparedModel(module, task, tuple(source.shape), out_shape, dict(res.variables),
                         skipped, notes, scale, cause)


def with_target_scale(task: Task, scale: TargetScale | None) -> Task:
    """``task`` comparing its outputs with the target standardised by ``scale`` (or as it is,
    for None)."""
    return dataclasses.replace(task, target_mean=scale.mean if scale else None,
                               target_std=scale.std if scale else None, _stats={})


def _check_norms_get_batches(module: nn.Module, dataset) -> None:
    """TrainError when a batch norm would see single-sample batches: with one training row,
    every batch is one sample, which a batch norm cannot normalise (PyTorch's own message
    names neither the block nor the cause)."""
    if len(dataset.x_train) != 1:
        return
    norms = [name for name, m in module.named_modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if norms:
        sizes = f"{len(dataset.x_train)} / {len(dataset.x_val)} / {len(dataset.x_test)}"
        raise TrainError(
            f"{dataset.name} leaves 1 training row (train / validation / test {sizes}), and "
            f"{norms[0].replace('.', '/')} (a batch norm) needs at least 2 samples a batch "
            f"while training: use more rows, or lower the validation and test shares")


def batch_note(batch_size: int, dataset) -> str | None:
    """What a batch larger than the training set means (it trains, on all of it at once)."""
    n = len(dataset.x_train)
    if batch_size <= n:
        return None
    return (f"batch_size {batch_size} is larger than the {n} training sample"
            f"{'s' * (n != 1)}: each epoch is one batch of {n} samples (one optimiser step "
            f"an epoch); a smaller batch_size gives more steps")


def check_output(kind: str, out_shape: tuple, dataset, in_shape: tuple, last: str) -> None:
    """TrainError unless an Output of ``out_shape`` fits ``kind`` on ``dataset``."""
    if kind == "classification":
        if not dataset.classes:
            raise TrainError(f"{dataset.name} has numeric targets, not classes: train it as "
                             f"regression (task 'regression' or 'auto')")
        n = len(dataset.classes)
        if out_shape != (n,):
            raise TrainError(f"the model outputs {list(out_shape)} per sample but {dataset.name} "
                             f"has {n} classes: make the last layer ({last}) give [{n}] (for a "
                             f"Linear, out_features {n})")
    elif kind == "regression":
        if dataset.classes:
            raise TrainError(f"{dataset.name} has classes, not numeric targets: train it as "
                             f"classification (task 'classification' or 'auto')")
        d = dataset.target_dim or 1
        if out_shape not in ((d,), ()) or (out_shape == () and d != 1):
            raise TrainError(f"the model outputs {list(out_shape)} per sample but {dataset.name} "
                             f"has {d} target value{'s' if d != 1 else ''}: make the last layer "
                             f"({last}) give [{d}] (for a Linear, out_features {d})")
    elif out_shape != in_shape:
        raise TrainError(f"a reconstruction must have the input's shape: the model outputs "
                         f"{list(out_shape)} for inputs of {list(in_shape)}; change the last "
                         f"layers (ending at {last}) to give {list(in_shape)}")
    elif dataset.dtype != "float32":
        raise TrainError(f"{dataset.name} holds token ids; reconstruction needs float inputs")


def _without_trailing_softmax(graph: Graph, top, output: str, kind: str):
    """``(graph to compile, id of the skipped node or None, head)``."""
    last = top.nodes[top.nodes[output].inputs[0]]
    head = PROBABILITY_HEADS.get(last.type) if last.spec is not None else None
    if kind != "classification" or head is None:
        return graph, None, "logits"
    consumers = [i for i, info in top.nodes.items() if info.used and last.id in info.inputs]
    if consumers != [output] or last.repeat != 1:
        return graph, None, head  # its values are used elsewhere too: take the head as it is
    train_graph = graph.copy()
    train_graph.node(last.id).repeat = 0  # passes its input through: logits reach the Output
    return train_graph, last.id, "logits"


def _probe_head(module: nn.Module, dataset) -> str:
    """"probs" or "log_probs" when a few outputs already sum to one (a softmax hidden inside a
    composite block, say); "logits" otherwise. The guard against a second softmax."""
    x = dataset.x_train[:8]
    if len(x) == 0:
        return "logits"
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(x)
    except Exception as exc:  # a forward pass that fails here fails in training too: say where
        raise GraphError(f"the model's forward pass failed on {dataset.name} samples: {exc}") \
            from exc
    finally:
        module.train(was_training)
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or not out.is_floating_point():
        return "logits"
    ones = torch.ones(len(out))
    if (out >= 0).all() and torch.allclose(out.sum(1), ones, atol=1e-4):
        return "probs"
    if (out <= 0).all() and torch.allclose(out.exp().sum(1), ones, atol=1e-4):
        return "log_probs"
    return "logits"

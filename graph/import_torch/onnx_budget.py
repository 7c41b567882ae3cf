"""How much memory and time the work on an ONNX file being imported may take.

A small file can describe a huge value: a ``ConstantOfShape`` of [100000, 100000] is 40 GB,
an ``Expand``, ``Tile``, ``Range`` or ``Resize`` can blow a tensor up as far, and the import
runs the file in onnxruntime (on batches of 2 and 3, and of twice the batch a file fixes). So
onnxruntime runs a file only in a child process capped at the budget (:mod:`.onnx_runner`,
:mod:`.onnx_child`), for the designer's upload and the CLI's ``import-onnx`` alike: a value over
it fails there without being made, and the file is refused in words naming the ONNX node and
the size (its shape too, where the file states it), with the budget and how to change it.

==================  ==============================================  ==================================
budget              default                                         variable
==================  ==============================================  ==================================
memory of one run   4 GiB, or half the machine's memory if less     ``LAYERLOOM_MAX_ONNX_RUN_BYTES``
time of one run     60 seconds                                      ``LAYERLOOM_MAX_ONNX_SECONDS``
==================  ==============================================  ==================================

A run's memory counts every value it holds at once (the import asks for every value of the
file) and onnxruntime's copy of the weights; a ResNet-50 at a batch of 3 takes well under
1 GiB. The child process may take 512 MiB more, for onnxruntime's own threads and allocators
(:data:`~.onnx_child.SLACK`).
"""

from __future__ import annotations

from ..errors import GraphError
from ..limits import budget, machine_memory, size_words

MAX_RUN_BYTES = 4 << 30
MAX_RUN_SECONDS = 60
RUN_BYTES_ENV = "LAYERLOOM_MAX_ONNX_RUN_BYTES"
RUN_SECONDS_ENV = "LAYERLOOM_MAX_ONNX_SECONDS"


class OverBudget(GraphError):
    """A file whose run would take more memory or time than its budget. Callers that word
    onnxruntime's failures in their own terms (a fixed batch, say) let this one through."""


def run_bytes() -> int:
    """The memory one onnxruntime run of an imported file may take, in bytes."""
    return budget(RUN_BYTES_ENV, min(MAX_RUN_BYTES, machine_memory() // 2))


def run_seconds() -> int:
    """The seconds one onnxruntime run of an imported file may take."""
    return budget(RUN_SECONDS_ENV, MAX_RUN_SECONDS)


def over_memory(what: str, file: str | None) -> OverBudget:
    """The refusal of a file for ``what`` (``ONNX node big (ConstantOfShape) makes a value of
    37.3 GiB …``), with the budget and how to change it."""
    return OverBudget(f"{what}; running an ONNX file may take {size_words(run_bytes())} (set "
                      f"{RUN_BYTES_ENV} to change it)", file=file)


def node_label(node, index: int) -> str:
    """An ONNX node as the importer's messages name it: its name, as Netron shows it, or its op
    and place in the file where it has none (``Mul_3``)."""
    return node.name or f"{node.op_type}_{index}"

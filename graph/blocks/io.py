"""Input and Output: the model's arguments and results."""

from ..params import Param
from ..registry import NONE, BlockSpec, register
from .common import nn  # imported when a block is built


def _input_shape(p, ins):
    return tuple(p["shape"])


register(BlockSpec(
    "Input", "I/O", "A model input: one tensor per sample of the given shape (no batch).",
    params=(
        Param("shape", "shape", [1, 28, 28], "Shape of one sample, without the batch: "
              "[C, H, W] image, [F] features, [L] token ids, [L, D] vectors, [] one id "
              "(a class label).", nullable=True, extra={"allow_empty": True}),
        Param("dtype", "choice", "float32", "float32 for values, int64 for token ids.",
              choices=("float32", "int64")),
    ),
    ports=NONE, infer=_input_shape, build=lambda p, ins: nn.Identity(),
    output_dtype="same", key_params=("shape", "dtype"),
    # what an Input needs: a dataset gives one sample ([1, 28, 28]), the DataLoader adds the
    # batch (the generic tensor page said neither)
    doc_url="https://pytorch.org/tutorials/beginner/basics/data_tutorial.html",
))

register(BlockSpec(
    "Output", "I/O", "A model output: returns the tensor it receives.",
    infer=lambda p, ins: ins[0], build=lambda p, ins: nn.Identity(),
    input_dtype="any", output_dtype="same",
    examples=(({}, ((10,),)),),
))

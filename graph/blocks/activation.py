"""Activations: elementwise functions (Rescaling's x * scale + offset and Hardtanh's clamp
too), plus Softmax/LogSoftmax over a dimension."""

from ..errors import ShapeError
from ..params import Param
from ..registry import BlockSpec, register
from .common import TORCH_DOCS, batch_dim, normalize_dim
from .common import modules, nn  # imported when a block is built

_EXAMPLES = (({}, ((3, 5, 5),)), ({}, ((7,),)))


def _elementwise(name: str, help: str, params=(), build=None):
    register(BlockSpec(
        name, "Activation", help, params=tuple(params), infer=lambda p, ins: ins[0],
        build=build or (lambda p, ins: getattr(nn, name)(**p)), doc_url=TORCH_DOCS.format(name),
        key_params=tuple(x.name for x in params)[:1],
        examples=_EXAMPLES + ((({x.name: x.default for x in params}, ((4, 9),)),) if params
                              else ()),
    ))


_elementwise("ReLU", "max(0, x).")
_elementwise("ReLU6", "min(max(0, x), 6), as in MobileNet.")
_elementwise("LeakyReLU", "x for x > 0, negative_slope·x otherwise.",
             [Param("negative_slope", "float", 0.01, "Slope for negative inputs.")])
_elementwise("ELU", "x for x > 0, alpha·(eˣ − 1) otherwise.",
             [Param("alpha", "float", 1.0, "Scale of the negative part.")])
_elementwise("CELU", "x for x > 0, alpha·(e^(x/alpha) − 1) otherwise (a continuous ELU).",
             [Param("alpha", "float", 1.0, "Scale of the negative part (not 0).", min=0,
                    min_inclusive=False)])
_elementwise("SELU", "scale·ELU(x, alpha) with PyTorch's fixed scale ≈ 1.0507 and alpha ≈ "
             "1.6733: self-normalising networks.")
_elementwise("GELU", "Gaussian error linear unit, as in Transformers.",
             [Param("approximate", "choice", "none", "'tanh' for the faster approximation.",
                    choices=("none", "tanh"))])
_elementwise("SiLU", "x·sigmoid(x) (Swish), as in EfficientNet.")
_elementwise("Mish", "x·tanh(softplus(x)).")
_elementwise("Sigmoid", "1 / (1 + e⁻ˣ): outputs in (0, 1).")
_elementwise("Tanh", "Hyperbolic tangent: outputs in (−1, 1).")
_elementwise("Softplus", "log(1 + e^(beta·x)) / beta, a smooth ReLU.",
             [Param("beta", "float", 1.0, "Sharpness.", min=0, min_inclusive=False),
              Param("threshold", "float", 20.0, "Above beta·x > threshold it is linear.")])
_elementwise("Hardswish", "x·relu6(x + 3)/6, as in MobileNetV3.")
_elementwise("Hardsigmoid", "relu6(x + 3)/6, as in MobileNetV3.")


def _hardtanh_shape(p, ins):
    if p["max_val"] <= p["min_val"]:
        raise ShapeError(f"max_val {p['max_val']} must be greater than min_val "
                         f"{p['min_val']}", param="max_val")
    return ins[0]


register(BlockSpec(
    "Hardtanh", "Activation",
    "Clamps every value to [min_val, max_val] (torch.clamp(x, min_val, max_val), "
    "nn.Hardtanh): -1 to 1 by default. Clamping to [0, 6] is ReLU6.",
    params=(Param("min_val", "float", -1.0, "Lower bound: smaller values become it."),
            Param("max_val", "float", 1.0, "Upper bound, greater than min_val: larger values "
                  "become it.")),
    infer=_hardtanh_shape, build=lambda p, ins: nn.Hardtanh(p["min_val"], p["max_val"]),
    key_params=("min_val", "max_val"), doc_url=TORCH_DOCS.format("Hardtanh"),
    examples=(({}, ((3, 5, 5),)), ({"min_val": -0.5, "max_val": 2.0}, ((7,),)),
              ({"min_val": -2.0, "max_val": 2.0}, ((4, 9),))),
))


def _prelu_shape(p, ins):
    n = p["num_parameters"]
    if n != 1 and n != ins[0][0]:
        raise ShapeError(f"num_parameters must be 1 or the {ins[0][0]} channels, got {n}",
                         param="num_parameters")
    return ins[0]


register(BlockSpec(
    "PReLU", "Activation", "Leaky ReLU with a learned slope (one, or one per channel).",
    params=(Param("num_parameters", "int", 1, "1, or the number of channels.", min=1),
            Param("init", "float", 0.25, "Initial slope.")),
    infer=_prelu_shape, build=lambda p, ins: nn.PReLU(p["num_parameters"], init=p["init"]),
    count_params=lambda p, ins, out: p["num_parameters"], doc_url=TORCH_DOCS.format("PReLU"),
    examples=(({}, ((3, 5, 5),)), ({"num_parameters": 4}, ((4, 6),))),
))


def _softmax(name: str, help: str):
    def infer(p, ins):
        normalize_dim(p["dim"], len(ins[0]))
        return ins[0]

    register(BlockSpec(
        name, "Activation", help,
        params=(Param("dim", "int", -1, "Dimension to normalise over (batch not counted; -1 is "
                      "the last)."),),
        infer=infer, build=lambda p, ins: getattr(nn, name)(dim=batch_dim(p["dim"])),
        key_params=("dim",), doc_url=TORCH_DOCS.format(name),
        examples=(({}, ((10,),)), ({"dim": 0}, ((3, 4),)), ({"dim": 1}, ((2, 5, 3),))),
    ))


_softmax("Softmax", "Exponentials normalised to sum to 1 along dim: class probabilities.")
_softmax("LogSoftmax", "Logarithm of Softmax along dim.")


def _periodic(name: str, help: str):
    """``torch.sin`` or ``torch.cos``, elementwise: no parameters, any shape."""
    register(BlockSpec(
        name, "Activation", help, infer=lambda p, ins: ins[0],
        build=lambda p, ins: getattr(modules, name)(),
        doc_url=f"https://pytorch.org/docs/stable/generated/torch.{name.lower()}.html",
        examples=_EXAMPLES + (({}, ((4, 9),)),),
    ))


_periodic("Sin", "sin(x), elementwise: with Cos, the Fourier features of coordinates or of a "
          "time step (sin and cos of x scaled, then joined with Concat).")
_periodic("Cos", "cos(x), elementwise: with Sin, the Fourier features of coordinates or of a "
          "time step (sin and cos of x scaled, then joined with Concat).")

register(BlockSpec(
    "Exp", "Activation", "eˣ, elementwise: a scale or rate kept as its logarithm (σ = exp(log σ) "
    "of a Gaussian head), a decay exp(−relu(·)) (GRU-D). A softmax is the Softmax block.",
    infer=lambda p, ins: ins[0], build=lambda p, ins: modules.Exp(),
    doc_url="https://pytorch.org/docs/stable/generated/torch.exp.html",
    examples=_EXAMPLES + (({}, ((4, 9),)),),
))


register(BlockSpec(
    "Rescaling", "Activation",
    "x · scale + offset, elementwise on any shape (as Keras' layers.Rescaling): the scalar "
    "arithmetic of a model, such as x / 255 (scale 1/255) or x · 2 − 1. No parameters.",
    params=(Param("scale", "float", 1.0, "Factor every value is multiplied by."),
            Param("offset", "float", 0.0, "Added after the scaling.")),
    infer=lambda p, ins: ins[0], input_dtype="any",
    build=lambda p, ins: modules.Rescaling(p["scale"], p["offset"]),
    key_params=("scale", "offset"),
    doc_url="https://keras.io/api/layers/preprocessing_layers/image_preprocessing/rescaling/",
    examples=(({"scale": 0.5, "offset": 1.0}, ((3, 5, 5),)), ({}, ((7,),)),
              ({"scale": -1.0}, ((4, 9),))),
))

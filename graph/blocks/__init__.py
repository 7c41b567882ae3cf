"""The built-in block library; importing this package registers every block."""

from . import activation, conv, dense, io, merge, norm, pooling, regularization, sequence, shape  # noqa: F401

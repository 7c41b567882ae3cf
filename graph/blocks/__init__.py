"""The built-in block library; importing this package registers every block."""

from . import (activation, conv, dense, io, learned, merge, norm, pooling,  # noqa: F401
               regularization, sequence, shape, split, swin)

"""LayerLoom: design neural networks as block graphs, compile them to PyTorch, train and export.

The sub-packages map onto the repository's top-level folders:
``layerloom.graph`` (graph/), ``layerloom.runtime`` (runtime/), ``layerloom.ui`` (ui/) and
``layerloom.assets`` (assets/).
"""

import os as _os

__version__ = "0.1.0"

# Imported from a checkout (Python run in the clone, whose current folder comes first on the path
# and so shadows an installed LayerLoom): the sub-packages are this folder's siblings, as
# setup.py maps them; installed, they are inside it and this adds nothing. Only os, which Python
# has imported before any code of ours runs: under `python -m layerloom` the current folder is
# still on the path here, and a user's fnmatch.py or urllib/ there (pathlib imports them) would
# be imported in place of Python's (__main__ takes the folder off the path, but runs after this).
_checkout = _os.path.dirname(_os.path.dirname(_os.path.realpath(__file__)))
if (_os.path.isfile(_os.path.join(_checkout, "setup.py"))
        and _os.path.isfile(_os.path.join(_checkout, "graph", "__init__.py"))):
    __path__.append(_checkout)

# onnxruntime (1.29 and newer, on Linux and macOS too) writes a device id under ~/.cache and sends
# usage events when imported, unless this is set first: LayerLoom writes only under its home and
# needs no network, and under a read-only home the import printed a coloured warning ("Failed to
# persist telemetry device ID") on every ONNX export and import. A value set by the user stands.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

"""LayerLoom: design neural networks as block graphs, compile them to PyTorch, train and export.

The sub-packages map onto the repository's top-level folders:
``layerloom.graph`` (graph/), ``layerloom.runtime`` (runtime/), ``layerloom.ui`` (ui/) and
``layerloom.assets`` (assets/).
"""

__version__ = "0.1.0"

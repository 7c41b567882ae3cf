"""The files of an exported training project, as they are written (``train.py``, ``data.py``).

They are real Python, checked by the linter like the rest, and never imported by LayerLoom: the
exporter reads them as text (``importlib.resources``) and copies them into the project, where
they import only PyTorch, NumPy and Pillow.
"""

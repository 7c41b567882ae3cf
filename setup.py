"""Maps the top-level folders onto the ``layerloom`` package.

``graph/`` is ``layerloom.graph``, ``runtime/`` is ``layerloom.runtime``, ``ui/`` is
``layerloom.ui`` and ``assets/`` is ``layerloom.assets``; ``layerloom/`` holds the package
root and the CLI. Sub-packages are found automatically so that a new folder needs no edit here.

Folders of data files that the installed package reads are declared in ``DATA`` as packages of
their own, with the files they ship: the templates, the canvas component's build and the
live-chart component's frontend (served as it is, plotly.js included), and the C kernels'
sources (compiled on the user's machine: runtime/native.py). A folder of data left out
here is missing from the wheel; ``tests/packaging`` builds the wheel, installs it and opens every
page of the app from it.
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

FOLDERS = {"layerloom": "layerloom", "layerloom.graph": "graph", "layerloom.runtime": "runtime",
           "layerloom.ui": "ui", "layerloom.assets": "assets"}

# package -> the files of its folder that ship (the folders need no __init__.py).
DATA = {
    "layerloom.assets.templates": ["*.json"],
    "layerloom.ui.canvas.frontend.build": ["*.html"],
    "layerloom.ui.canvas.frontend.build.assets": ["*.js", "*.css"],
    "layerloom.ui.livechart.frontend.src": ["*.html", "*.js", "*.css"],
    "layerloom.runtime.csrc": ["*.c"],
}

packages, package_dir = [], {}
for name, folder in FOLDERS.items():
    packages.append(name)
    package_dir[name] = folder
    for sub in find_packages(where=folder, exclude=["*node_modules*", "*frontend*"]):
        packages.append(f"{name}.{sub}")
packages += DATA


class FreshBuildPy(build_py):
    """Builds into an emptied ``build/lib/layerloom``: setuptools keeps that folder between
    builds in the checkout and packs whatever is in it, so a module or template deleted since
    the last ``pip install .`` would be installed still."""

    def run(self):
        folder = Path(self.build_lib).resolve()
        if not getattr(self, "editable_mode", False) and folder != Path(__file__).resolve().parent:
            shutil.rmtree(folder / "layerloom", ignore_errors=True)  # never the checkout's own
        super().run()


setup(packages=packages, package_dir=package_dir, package_data=DATA,
      include_package_data=False, cmdclass={"build_py": FreshBuildPy})

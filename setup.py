"""Maps the top-level folders onto the ``layerloom`` package.

``graph/`` is ``layerloom.graph``, ``runtime/`` is ``layerloom.runtime``, ``ui/`` is
``layerloom.ui`` and ``assets/`` is ``layerloom.assets``; ``layerloom/`` holds the package
root and the CLI. Sub-packages are found automatically so that a new folder needs no edit here.
"""

from setuptools import find_packages, setup

FOLDERS = {"layerloom": "layerloom", "layerloom.graph": "graph", "layerloom.runtime": "runtime",
           "layerloom.ui": "ui", "layerloom.assets": "assets"}

packages, package_dir = [], {}
for name, folder in FOLDERS.items():
    packages.append(name)
    package_dir[name] = folder
    for sub in find_packages(where=folder, exclude=["*node_modules*", "*frontend.src*"]):
        packages.append(f"{name}.{sub}")

setup(packages=packages, package_dir=package_dir)

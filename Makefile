# Two commands on a fresh machine: `make run` starts the designer's server (it prints the URL to
# open), `make test` runs every test. Each does the whole set-up first and skips what is already
# installed.

# python3 where it is 3.11 or newer, else python3.11 where it is installed under that name (the
# version is checked before the venv is made)
PYTHON ?= $(shell python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo python3 || (command -v python3.11 2>/dev/null || echo python3))
VENV := .venv
PY := $(VENV)/bin/python
# A CPU build of PyTorch: an unpinned `torch` with none installed would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
STAMP := $(VENV)/.layerloom-installed
# The Pythons LayerLoom is checked on (set up, the quick start, a training run, the app); another
# from 3.11 on is tried, with a note saying so
CHECKED_PYTHONS ?= 3.11 3.12 3.13

.PHONY: run test test-all screenshots setup frontend bench lint clean browser-deps docs wheel

run: $(STAMP)
	$(VENV)/bin/layerloom app

# Two pytest workers (pytest-xdist), each taking whole files (module fixtures such as an app
# server start once): about 5 minutes instead of 10 on two cores, since many tests wait on
# processes, servers and browsers. Tests that fail beside another worker's load are run again
# alone, one process, and only those results count for them.
PYTEST_PARALLEL := -n 2 --dist loadfile

test: $(STAMP) browser-deps
	$(PY) -m pytest -q $(PYTEST_PARALLEL) -m "not heavy" || \
	  { echo "running the failed tests again, alone"; $(PY) -m pytest -q --lf -m "not heavy"; }

# Everything, the heavy tests too (several processes, whole projects trained twice: minutes more).
test-all: $(STAMP) browser-deps
	$(PY) -m pytest -q $(PYTEST_PARALLEL) || \
	  { echo "running the failed tests again, alone"; $(PY) -m pytest -q --lf; }

# The real-browser tests, saving their screenshots over the README's (elsewhere they go to a
# temporary folder, so that `make test` leaves the tracked pictures alone).
screenshots: $(STAMP) browser-deps
	LAYERLOOM_SCREENSHOTS=assets/screenshots $(PY) -m pytest -q -m browser tests/ui

setup: $(STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	  'LayerLoom needs Python 3.11 or newer; $(PYTHON) is ' + sys.version.split()[0] + \
	  ': install python3.11, or run make PYTHON=/path/to/python3.11')"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Torch first, only when none is installed: the CPU build from PyTorch's own index (PyPI's Linux
# wheel bundles CUDA, several GB), PyPI where that index cannot be reached (said, since it is
# that big); where neither has a build for this Python, what to do is said too. Then the project.
$(STAMP): $(VENV)/bin/python pyproject.toml setup.py
	@$(PYTHON) -c "import sys; '%d.%d' % sys.version_info[:2] in '$(CHECKED_PYTHONS)'.split() or \
	  print('note: Python ' + sys.version.split()[0] + ' ($(PYTHON)) is not one LayerLoom is ' + \
	  'checked on ($(CHECKED_PYTHONS)); where a step below fails, run make clean, then make ' + \
	  'PYTHON=python$(lastword $(CHECKED_PYTHONS))', file=sys.stderr)"
	@$(PY) -c "import torch" 2>/dev/null || \
	  $(PY) -m pip install -q --retries 1 --timeout 20 "$(TORCH_SPEC)" --index-url "$(TORCH_INDEX)" || \
	  { echo "note: $(TORCH_SPEC) could not be installed from $(TORCH_INDEX) (see above); trying PyPI, whose Linux build bundles CUDA (several GB)" >&2; \
	    $(PY) -m pip install -q "$(TORCH_SPEC)"; } || \
	  { $(PY) -c "import sys; sys.exit('error: no $(TORCH_SPEC) could be installed for Python ' + sys.version.split()[0] + ' ($(PYTHON)); use a Python that $(TORCH_SPEC) has builds for (3.11, 3.12 and 3.13 have them: make PYTHON=python3.13 after make clean), or name another torch with make TORCH_SPEC=torch==VERSION')"; }
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

# Debian's Chromium for the real-browser tests; skipped where it is already there or apt is absent.
browser-deps:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

frontend:
	cd ui/canvas/frontend && npm ci && npm run build
	cd ui/livechart/frontend && npm ci && npm run build

# The block reference, generated from the block library (a test checks it is current).
docs: $(STAMP)
	$(PY) -m layerloom.graph.docs > docs/blocks.md

# The wheel that `pip install .` would build, into dist/ (tests/packaging installs and checks one).
wheel: $(STAMP)
	$(PY) -m pip wheel --no-deps --no-build-isolation -w dist .

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check graph runtime ui layerloom tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

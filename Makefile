# fx developer entry points.
#   make demo   train an MLP on handwritten digits with fx.grad(fx.jit(loss))  (examples/train_mlp.py)
#   make test   run the whole test suite (extra pytest flags: make test PYTEST_ARGS='-x -k jit')
#   make test-quick   the suite without the tests marked slow (about a minute)
# Both create .venv (python3 -m venv) and install fx into it with its test and examples
# extras the first time, and re-install whenever pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.fx-installed

.PHONY: all venv demo test test-quick clean

all: test

venv: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[test,examples]'
	@touch $@

demo: $(STAMP)
	$(PY) examples/train_mlp.py

# pyproject.toml's addopts already say -q; a second -q (-qq) would hide pytest's closing
# "N passed, N failed" line, which CI reads.
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-quick: $(STAMP)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Two commands set up a fresh machine: `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: demo test bench install clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Re-install only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	$(BIN)/python -m trainables.data.embedded fetch
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python studies/lr_sweep.py

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf results .pytest_cache

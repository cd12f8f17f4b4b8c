# Two commands set up a fresh machine: `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: demo test test-fast lint bench install clean report fashion-mnist cluster-src cluster-check cluster-up

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Re-install only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	$(BIN)/python -m trainables.data.embedded fetch
	touch $(STAMP)

install: $(STAMP) fashion-mnist

# Fashion-MNIST, the local stand-in for CIFAR-10 (Table 1, Figure 1), is a Debian package:
# installed here when missing and we are root, else one line says how.
FASHION := /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz
fashion-mnist:
	@test -e $(FASHION) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -q dataset-fashion-mnist || { apt-get update -q && apt-get install -y -q dataset-fashion-mnist; }; }; } || \
	  echo "Fashion-MNIST (local stand-in for CIFAR-10) is missing: run 'sudo apt-get install -y dataset-fashion-mnist'"

demo: install
	$(BIN)/python studies/lr_sweep.py

# two test processes (pytest-xdist, a file at a time each): the Ray tests leave a core idle while
# a study starts or writes its outputs; the smoke runs are shared between them (tests/conftest.py)
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The whole report: every study of PROFILE side by side on one Ray (complete ones skipped;
# interrupted ones resumed only with RESUME=1, since a resume unpickles Tune's state from the
# results folder), then report/index.html and report/REPORT.md. STUDY_OPTS go to every study,
# e.g. "--seeds 5". BUDGET=30m (or 8gpu-h): first rounds, then more seeds where verdicts are open.
PROFILE    ?= local
STUDY_OPTS ?=
RESUME     ?=
BUDGET     ?=
report: install
	$(BIN)/python -m studies.report --run --profile $(PROFILE) $(if $(RESUME),--resume) \
	  $(if $(BUDGET),--budget $(BUDGET)) -- $(STUDY_OPTS)
# The tier without Ray (models, loaders, loops, verdicts, the study contract): about a minute.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not ray"

# ruff, then the import layers of pyproject.toml ([tool.importlinter]): an upward import fails
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf results report .pytest_cache

# The cluster (cluster.yaml): its mount's source is a copy of the project's tracked files in a
# fixed place, so `ray up` never copies (or hashes) a venv, results or whatever folder it runs in.
CLUSTER_SRC := $(HOME)/.cache/tunestudies/cluster-src
cluster-src:
	rm -rf $(CLUSTER_SRC) && mkdir -p $(CLUSTER_SRC)
	git ls-files -z --cached --others --exclude-standard | \
	  tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C $(CLUSTER_SRC)

cluster-check: $(STAMP) cluster-src
	$(BIN)/tunestudies cluster-check cluster.yaml

cluster-up: cluster-check
	$(BIN)/ray up cluster.yaml

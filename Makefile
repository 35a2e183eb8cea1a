# Every target sets itself up: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The locks (requirements/*.lock) pin every dependency, with hashes; `make lock` makes them
# again from pyproject.toml after a dependency changes (see requirements/README.md).
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command 'make lock'
LOCK_UPGRADE ?=

.PHONY: demo demo-org test lint typecheck bench lock clean

$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pmbot demo

demo-org: $(STAMP)
	$(BIN)/pmbot demo --org

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check pmbot tests benchmarks
	$(BIN)/ruff format --check pmbot tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lock: $(STAMP)
	$(BIN)/uv pip compile $(LOCK_FLAGS) $(LOCK_UPGRADE) --quiet pyproject.toml requirements/build.in \
		-o requirements/action.lock
	$(BIN)/uv pip compile $(LOCK_FLAGS) $(LOCK_UPGRADE) --quiet pyproject.toml requirements/build.in \
		--extra dev -o requirements/dev.lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

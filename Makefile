# The two commands of the README: `make run` and `make test`. Nothing but Python 3.11+ needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint install bench bench-peers clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded]'
	@touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	@# pytest exits 5 when it collected no test; that is not a failure.
	$(BIN)/pytest; status=$$?; if [ $$status -eq 5 ]; then exit 0; else exit $$status; fi

run: install
	$(BIN)/vstep-grading dev

bench: install
	$(BIN)/python -m benchmarks.grading_effect
	$(BIN)/python -m benchmarks.relay
	$(BIN)/python -m benchmarks.intake_notify
	$(BIN)/python -m benchmarks.pipeline
	$(BIN)/python -m benchmarks.builtin_grader

# Other job queues on the same grading writes: needs the optional 'peers' extra.
bench-peers: install
	$(BIN)/python -m pip install --quiet -e '.[peers]'
	$(BIN)/python -m benchmarks.peers

clean:
	rm -rf $(VENV) .vstep .mypy_cache .ruff_cache .pytest_cache

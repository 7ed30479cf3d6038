# The single entry point. The first target run creates .venv and installs the project.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

MONTH ?=
CDR   ?=
DATA  ?= data_samples
OUT   ?= out
RATES ?= rates
ROWS  ?= 1000000
BENCH_OUT ?= bench_out
MEMORY_LIMIT ?=

.PHONY: install bill audit explain test test-all lint samples bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

bill: $(STAMP)
	$(BIN)/billing bill --month "$(MONTH)" --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"

audit: $(STAMP)
	$(BIN)/billing audit --month "$(MONTH)" --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"

explain: $(STAMP)
	$(BIN)/billing explain --month "$(MONTH)" --cdr "$(CDR)" --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"

test: $(STAMP)
	$(BIN)/pytest -m "not slow"

test-all: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests tools
	$(BIN)/ruff format --check pipeline tests tools
	$(BIN)/sqlfluff lint sql

samples: $(STAMP)
	$(BIN)/python tools/generate_samples.py data_samples

# benchmark (docs/performance.md): synthetic month of ROWS CDRs, floor, whole bill, CSV, pandas
bench: $(STAMP)
	$(BIN)/python -m bench.benchmark --rows "$(ROWS)" --out "$(BENCH_OUT)" $(if $(MEMORY_LIMIT),--memory-limit "$(MEMORY_LIMIT)",)

clean:
	rm -rf $(VENV) out .pytest_cache

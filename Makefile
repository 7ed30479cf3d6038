# The single entry point. The first target run creates .venv and installs the project.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

MONTH ?=
DATE  ?=
DRY_RUN ?=
CDR   ?=
DATA  ?= data_samples
OUT   ?= out
RATES ?= rates
ROWS  ?= 1000000
BENCH_OUT ?= bench_out
MEMORY_LIMIT ?=

.PHONY: install lock bill correct audit explain test test-all lint samples bench clean

install: $(STAMP)

# the exact versions of requirements.lock, then the project itself without resolving again
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# refresh requirements.lock: the newest versions that pyproject.toml's ranges allow, resolved
# in a throw-away environment (commit the result with the reason)
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet '.[dev]'
	{ head -n 2 $(LOCK); .venv-lock/bin/pip freeze --exclude-editable | grep -vi '^telco-billing'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .venv-lock build *.egg-info

bill: $(STAMP)
	$(BIN)/billing bill --month "$(MONTH)" --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"

# correct an issued month (R65-R68): DATE= the documents' date (default: today)
correct: $(STAMP)
	$(BIN)/billing correct --month "$(MONTH)" $(if $(DATE),--date "$(DATE)",) $(if $(DRY_RUN),--dry-run,) --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"

audit: $(STAMP)
	$(BIN)/billing audit --month "$(MONTH)" --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"

explain: $(STAMP)
	$(BIN)/billing explain --month "$(MONTH)" --cdr "$(CDR)" --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"

# the fast suite (under 90 s); test-all adds the slow and external cases (SIGKILLed runs,
# the benchmark, LibreOffice, the great-expectations fault matrix): CI runs test-all
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

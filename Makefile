# The single entry point. The first target run creates .venv and installs the project.
# Scripts that need the exit code (0 done, 1 problem found, 2 bad input) call .venv/bin/billing:
# make turns every failure into its own status 2 (and prints its own "Error N" line).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

MONTH ?=
DATE  ?=
DRY_RUN ?=
ASSIGN ?=
CUSTOMER ?=
INVOICE ?=
CDR   ?=
# explain's language (fr, en); empty: the language of every message, French unless
# BILLING_LANG=en (make passes BILLING_LANG=en given on its command line to billing)
EXPLAIN_LANG ?=
DATA  ?= data_samples
OUT   ?= out
RATES ?= rates
ROWS  ?= 1000000
BENCH_OUT ?= bench_out
MEMORY_LIMIT ?=
ENGINE ?= duckdb
SPARK_STAMP := $(VENV)/.spark-installed

.PHONY: install install-spark lock bill correct audit explain test test-all test-spark lint samples bench clean watch collect payments receivables story dunning fec vat

install: $(STAMP)

# the exact versions of requirements.lock, then the project itself without resolving again
$(STAMP): pyproject.toml $(LOCK)
	@echo "Installing the project into $(VENV) (once, about 2 minutes): the libraries of $(LOCK)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --progress-bar off -r $(LOCK) | { grep -E '^(Collecting|Successfully installed)' || true; } | sed -e 's/^Collecting /  getting /' -e 's/^Successfully installed .*/  libraries installed/'
	@$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)
	@echo "Installed: $(BIN)/billing"

# refresh requirements.lock: the newest versions that pyproject.toml's ranges allow, resolved
# in a throw-away environment (commit the result with the reason)
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet '.[dev]'
	{ head -n 2 $(LOCK); .venv-lock/bin/pip freeze --exclude-editable | grep -vi '^telco-billing'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .venv-lock build *.egg-info

# a target run without a variable it needs says how to call it
need = $(if $(strip $($(1))),,$(error usage: make $@ $(1)=$(2)   (see README.md, "Commands")))
PATHS = --data "$(DATA)" --out "$(OUT)" --rates "$(RATES)"
# ENGINE=spark runs the rating models on Spark (after make install-spark, docs/spark.md)
RUN_PATHS = $(PATHS) --engine "$(ENGINE)"

# bill one month, or several in order: make bill MONTH="2026-09 2026-10"
bill: $(STAMP)
	$(call need,MONTH,YYYY-MM)
	@for m in $(MONTH); do $(BIN)/billing bill --month "$$m" $(RUN_PATHS) || exit $$?; done

# correct an issued month (R65-R68): DATE= the documents' date (default: today)
correct: $(STAMP)
	$(call need,MONTH,YYYY-MM [DATE=YYYY-MM-DD] [DRY_RUN=1])
	@$(BIN)/billing correct --month "$(MONTH)" $(if $(DATE),--date "$(DATE)",) $(if $(DRY_RUN),--dry-run,) $(RUN_PATHS)

audit: $(STAMP)
	$(call need,MONTH,YYYY-MM)
	@$(BIN)/billing audit --month "$(MONTH)" $(RUN_PATHS)

explain: $(STAMP)
	$(call need,MONTH,YYYY-MM CDR=cdr_id)
	$(call need,CDR,cdr_id MONTH=YYYY-MM)
	@$(BIN)/billing explain --month "$(MONTH)" --cdr "$(CDR)" $(if $(EXPLAIN_LANG),--lang "$(EXPLAIN_LANG)",) $(PATHS)

# fraud watch of one day (R26-R27): OUT/watch/DATE/; billing exits 1 on a critical alert
# (a scheduler that pages someone calls .venv/bin/billing watch directly: README.md)
watch: $(STAMP)
	$(call need,DATE,YYYY-MM-DD)
	@$(BIN)/billing watch --date "$(DATE)" $(PATHS)

# SEPA direct debits due on DATE (R82): make collect DATE=2026-11-25 [DRY_RUN=1]
collect: $(STAMP)
	$(call need,DATE,YYYY-MM-DD)
	@$(BIN)/billing collect --date "$(DATE)" $(if $(DRY_RUN),--dry-run) $(PATHS)

# make payments FILE="a.xml b.csv"; a suspense item by hand:
# make payments ASSIGN=ENTRY CUSTOMER=C [INVOICE=N] [DATE=D]
payments: $(STAMP)
ifneq ($(strip $(ASSIGN)),)
	$(call need,CUSTOMER,C001)
	@$(BIN)/billing payments --assign "$(ASSIGN)" --customer "$(CUSTOMER)" $(if $(INVOICE),--invoice "$(INVOICE)") $(if $(DATE),--date "$(DATE)") $(PATHS)
else
	$(call need,FILE,statement.xml)
	@$(BIN)/billing payments $(foreach f,$(FILE),--import "$(f)") $(PATHS)
endif

# receivables reports of DATE (R86): make receivables DATE=2026-12-31 [CUSTOMER=C001]
receivables: $(STAMP)
	$(call need,DATE,YYYY-MM-DD)
	@$(BIN)/billing receivables --date "$(DATE)" $(if $(CUSTOMER),--customer "$(CUSTOMER)") $(PATHS)

# reminders, formal notices, suspensions and late charges of DATE (R90-R92):
# make dunning DATE=2026-12-07 [CHARGE=1] (CHARGE=1: invoice the late charges, R91)
dunning: $(STAMP)
	$(call need,DATE,YYYY-MM-DD)
	@$(BIN)/billing dunning --date "$(DATE)" $(if $(CHARGE),--charge) $(PATHS)

# e-invoicing platform (R94-R97, docs/einvoicing.md); the platform's URL and OAuth2 client
# credentials come from the environment (BILLING_PA_URL, BILLING_PA_CLIENT_ID,
# BILLING_PA_CLIENT_SECRET), never from a file
.PHONY: send statuses ereporting
PERIOD ?=
FETCH ?=
SEND ?=

# deposit the documents of an issued month with the platform (R94): make send MONTH=2026-10
send: $(STAMP)
	$(call need,MONTH,YYYY-MM)
	@$(BIN)/billing send --month "$(MONTH)" $(PATHS)

# lifecycle statuses (R95-R96): make statuses FILE="cdv1.xml cdv2.xml" | FETCH=1 |
# DATE=2026-11-30 [SEND=1] (the 212 "Encaissée" messages of the payments up to DATE)
statuses: $(STAMP)
	$(if $(strip $(FILE)$(FETCH)$(DATE)),,$(error usage: make statuses FILE=cdar.xml | FETCH=1 | DATE=YYYY-MM-DD [SEND=1]   (see README.md, "Commands")))
	@$(BIN)/billing statuses $(if $(FILE),$(foreach f,$(FILE),--import "$(f)"),$(if $(FETCH),--fetch,--export --date "$(DATE)" $(if $(SEND),--send))) $(PATHS)

# e-reporting, Flux 10 (R97): make ereporting PERIOD=2026-10-01..2026-10-31
ereporting: $(STAMP)
	$(call need,PERIOD,YYYY-MM-DD..YYYY-MM-DD)
	@$(BIN)/billing ereporting --period "$(PERIOD)" $(PATHS)

# the fiscal year's FEC (R87): make fec YEAR=2026; the month's CA3 figures and DES (R89)
fec: $(STAMP)
	$(call need,YEAR,YYYY)
	@$(BIN)/billing fec --year "$(YEAR)" $(PATHS)

vat: $(STAMP)
	$(call need,MONTH,YYYY-MM)
	@$(BIN)/billing vat --month "$(MONTH)" $(PATHS)

# the fast suite (under 90 s); test-all adds the slow and external cases (SIGKILLed runs,
# the benchmark, LibreOffice, the great-expectations fault matrix): CI runs test-all
test: $(STAMP)
	@$(BIN)/pytest -m "not slow and not spark" -n 2 --dist loadfile

test-all: $(STAMP)
	@$(BIN)/pytest -m "not spark"

# --engine spark (docs/spark.md): Java 17 (Debian's openjdk-17-jre-headless, installed when
# java is missing and apt-get can), then the libraries of requirements-spark.lock
install-spark: $(SPARK_STAMP)

$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	@if ! command -v java >/dev/null 2>&1 && [ -z "$$JAVA_HOME" ]; then \
	  echo "Java is missing: installing openjdk-17-jre-headless (Spark runs on Java 17)..."; \
	  SUDO=""; if [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi; \
	  { $$SUDO apt-get update -qq >/dev/null && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } \
	  || { echo "error: Java 17 could not be installed: install openjdk-17-jre-headless (or set JAVA_HOME to a Java 17 or newer), then run make install-spark again" >&2; exit 1; }; \
	fi
	@version=$$($${JAVA_HOME:+$$JAVA_HOME/bin/}java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1); \
	if [ -z "$$version" ] || [ "$$version" -lt 17 ]; then \
	  echo "error: Spark needs Java 17 or newer, found $${version:-none}: install openjdk-17-jre-headless or set JAVA_HOME" >&2; exit 1; fi; \
	echo "Java $$version found"
	@echo "Installing the Spark engine into $(VENV) (pyspark is a 456 MB package, built once: a few minutes)..."
	@$(BIN)/pip install --progress-bar off -r requirements-spark.lock | { grep -E '^Successfully installed' || true; } | sed -e 's/^Successfully installed .*/  spark libraries installed/'
	@touch $(SPARK_STAMP)
	@echo "Installed: make bill MONTH=... ENGINE=spark"

# both engines on the same inputs, outputs compared (CI runs it after test-all): the edge-case
# months and sample months on both engines (tests/spark), then the rating rule
# tests with every month they rate also rated on Spark and compared (BILLING_TEST_ENGINES)
RULE_TESTS = tests/test_rating_rules.py tests/test_rejects.py tests/test_rating_destinations.py \
	tests/test_plan_destinations.py
test-spark: $(SPARK_STAMP)
	@$(BIN)/pytest -m spark -p no:xdist tests/spark
	@BILLING_TEST_ENGINES=both $(BIN)/pytest -m "not slow" -p no:xdist $(RULE_TESTS)

lint: $(STAMP)
	@$(BIN)/ruff check pipeline tests tools bench
	@$(BIN)/ruff format --check pipeline tests tools bench
	@$(BIN)/sqlfluff lint sql

# the whole sample story in order (data_samples/README.md): bill September, collect, import
# the statements, bill October, assign, collect again... Run again, it changes nothing.
story: $(STAMP)
	@$(BIN)/python tools/sample_statements.py $(PATHS)

samples: $(STAMP)
	@$(BIN)/python tools/generate_samples.py data_samples

# benchmark (docs/performance.md): synthetic month of ROWS CDRs, floor, whole bill, CSV, pandas;
# ENGINE=spark bills it a second time on Spark and compares the files
bench: $(STAMP)
	@$(BIN)/python -m bench.benchmark --rows "$(ROWS)" --out "$(BENCH_OUT)" $(if $(MEMORY_LIMIT),--memory-limit "$(MEMORY_LIMIT)",) $(if $(filter spark,$(ENGINE)),--spark,)

clean:
	rm -rf $(VENV) out .pytest_cache

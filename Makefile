# Linli — the README's two commands: `make serve` and `make test`. Each works on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test install system-packages demo lint deps constraints typecheck schema schema-lint bench bench-api bench-large bench-lighthouse clean

# Installed with the tested versions (constraints.txt); `make constraints` records new ones.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# System packages for the tests: PostgreSQL (throwaway cluster), Chromium (browser tests),
# wrk (benchmarks). Installed with apt when missing (as root, as in CI).
system-packages:
	@bash scripts/system-packages.sh

data/.demo-loaded: | $(STAMP)
	$(BIN)/linli migrate
	$(BIN)/linli demo
	@mkdir -p data && touch data/.demo-loaded

demo: $(STAMP)
	$(BIN)/linli demo

serve: $(STAMP) data/.demo-loaded
	$(BIN)/linli serve --host $(HOST) --port $(PORT)

test: $(STAMP) system-packages
	$(BIN)/ruff check api tests bench
	$(BIN)/ruff format --check api tests bench
	$(MAKE) --no-print-directory deps
	$(BIN)/mypy api
	$(BIN)/lint-imports
	$(BIN)/linli export-schema | diff -u schema/schema.graphql - || (echo "schema/schema.graphql is out of date: make schema" && false)
	$(MAKE) --no-print-directory schema-lint
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)
	# the GraphQL suite again through graphql-core's own executor (the compiled one off)
	LINLI_COMPILED_EXECUTION=off LINLI_TEST_BACKENDS=sqlite $(BIN)/python -m pytest -q -p no:cacheprovider tests/graphql

lint: $(STAMP)
	$(BIN)/ruff check api tests bench
	$(BIN)/ruff format --check api tests bench
	$(MAKE) --no-print-directory deps

# Every third-party import is a declared dependency (see [tool.deptry] in pyproject.toml): the
# package against the runtime dependencies; tests and bench may also use the dev ones.
deps: $(STAMP)
	$(BIN)/deptry api migrations
	$(BIN)/deptry tests bench --exclude '\.venv' --ignore DEP002,DEP004

constraints: $(STAMP)
	{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

typecheck: $(STAMP)
	$(BIN)/mypy api

schema: $(STAMP)
	$(BIN)/linli export-schema > schema/schema.graphql

# graphql-eslint (recommended + relay rules) over the schema and schema/operations: pinned in
# tools/schema-lint/package-lock.json, installed once with `npm ci` (offline afterwards).
SCHEMA_LINT := tools/schema-lint
$(SCHEMA_LINT)/node_modules/.installed: $(SCHEMA_LINT)/package.json $(SCHEMA_LINT)/package-lock.json
	cd $(SCHEMA_LINT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

schema-lint: $(SCHEMA_LINT)/node_modules/.installed
	$(SCHEMA_LINT)/node_modules/.bin/eslint --config $(SCHEMA_LINT)/eslint.config.mjs --max-warnings 0 schema

bench: bench-api

bench-api: $(STAMP) system-packages
	$(BIN)/python bench/api_throughput.py

bench-large: $(STAMP) system-packages
	$(BIN)/python bench/large_dataset.py

bench-lighthouse: $(STAMP) system-packages
	bash bench/lighthouse.sh

clean:
	rm -rf $(VENV) .pgtest data/test

# AllStore developer commands. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
UV := $(BIN)/uv
LINT_REGION := us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: help install run test lint check-template test-python test-webui opensearch-node lock package clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "AllStore needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python requirements/uv.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/uv.txt
	@touch $@

$(VENV)/.installed: $(UV) requirements/dev.txt pyproject.toml
	$(UV) pip sync --quiet --python $(BIN)/python requirements/dev.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

$(CHECKOV_VENV)/.installed: $(UV) requirements/checkov.txt
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(CHECKOV_VENV)
	$(UV) pip sync --quiet --python $(CHECKOV_VENV)/bin/python requirements/checkov.txt
	@touch $@

install: $(VENV)/.installed  ## Create .venv with the pinned dependencies

run: $(VENV)/.installed  ## Start the local store at http://127.0.0.1:3000/ (options: make run ARGS="--data small")
	$(BIN)/allstore local up $(ARGS)

test: lint check-template test-python test-webui  ## Everything CI checks

lint: $(VENV)/.installed  ## ruff, and import-linter's layer contracts (pyproject.toml, docs/architecture.md)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache

check-template: $(VENV)/.installed $(CHECKOV_VENV)/.installed  ## sam validate --lint, cfn-lint, checkov
	$(BIN)/sam validate --lint --region $(LINT_REGION) --template template.yaml
	$(BIN)/cfn-lint template.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file template.yaml

test-python: $(VENV)/.installed opensearch-node  ## pytest (unit, local-stack and real-OpenSearch integration tests)
	$(BIN)/pytest

opensearch-node:  ## Fetch (once, into a cache outside the repo) the real OpenSearch node the tests run
	scripts/opensearch-node fetch

webui/node_modules/.installed: webui/package.json webui/package-lock.json
	cd webui && npm ci --no-audit --no-fund
	@touch $@

test-webui: webui/node_modules/.installed $(VENV)/.installed  ## Web UI: eslint + tsc, Vitest, vite build, browser tests against the local store
	cd webui && npm run --silent lint && npm test && npm run build
	webui/e2e/install-chromium.sh
	scripts/browser-tests.sh

package: $(VENV)/.installed  ## Packaged template + web bundle for a Launch Stack link (BUCKET=..., PROFILE=, REGION=)
	@test -n "$(BUCKET)" || { echo "usage: make package BUCKET=<s3-bucket> [PROFILE=...] [REGION=...]"; exit 2; }
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/package.sh "$(BUCKET)" $(PROFILE) $(if $(REGION),--region $(REGION))

lock: $(UV)  ## Re-pin requirements/*.txt from requirements/*.in
	$(UV) pip compile --quiet --python-version 3.11 requirements/dev.in -o requirements/dev.txt
	$(UV) pip compile --quiet --python-version 3.11 requirements/checkov.in -o requirements/checkov.txt
	cd functions/common && ../../$(UV) pip compile --quiet --generate-hashes requirements.in -o requirements.txt \
		--python-version 3.13 --python-platform aarch64-manylinux_2_34 \
		--no-emit-package boto3 --no-emit-package botocore --no-emit-package s3transfer

clean:  ## Remove virtual environments and build output (keeps .allstore state)
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .ruff_cache

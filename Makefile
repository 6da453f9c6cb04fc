# Season Planner. `make help` lists the targets.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= uv
PY := $(UV) run --frozen
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

.PHONY: install
install: ## Install system packages, uv and the workspace (idempotent)
	@bash scripts/bootstrap.sh

.PHONY: test
test: install ## Run the whole test suite against real PostgreSQL and Redis
	$(PY) pytest -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: lint
lint: install ## ruff (lint + format check) and mypy strict
	$(PY) ruff check .
	$(PY) ruff format --check .
	$(PY) mypy

.PHONY: format
format: install ## Format the code
	$(PY) ruff format .
	$(PY) ruff check --fix .

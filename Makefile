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

.PHONY: console
console: ## Build the planner console (Node and npm from Debian when missing, npm ci, vite build)
	@bash scripts/console.sh build

.PHONY: test
test: install ## Run the whole test suite: the console's unit tests, then pytest (browser tests in Chromium too)
	@bash scripts/console.sh test
	$(PY) pytest -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: lint
lint: install ## ruff (lint + format check) and mypy strict, the tests included
	$(PY) ruff check .
	$(PY) ruff format --check .
	$(PY) mypy

.PHONY: console-types
console-types: install ## Regenerate the console's API types from the gateway's OpenAPI document
	@bash scripts/console.sh deps
	$(PY) python scripts/openapi_types.py

.PHONY: readme-api
readme-api: install ## Rewrite the README's API answers from a real run (make run's stack, else a private one)
	$(PY) python scripts/readme_api.py

.PHONY: readme-api-check
readme-api-check: install ## Play the README's season again and fail if its API answers have drifted
	$(PY) python scripts/readme_api.py --check

.PHONY: fitness
fitness: ## The code's health figures: duplicate pairs (if `duplicates` is installed), functions over 60 lines, type: ignore
	@$(PY) python scripts/fitness.py

.PHONY: format
format: install ## Format the code
	$(PY) ruff format .
	$(PY) ruff check --fix .

RUN_MODE ?= auto
SERVERS ?= auto
SVC ?=
BENCH ?=
DEMO_ARGS ?=

.PHONY: run
run: install console ## Build the console and start the five services on the sample data (Docker if an engine answers; RUN_MODE=local|docker, SERVERS=private)
	$(PY) python scripts/run_local.py up --mode $(RUN_MODE) --servers $(SERVERS)

.PHONY: demo
demo: install ## Play a season live through the API and WebSocket, starting the stack if needed (DEMO_ARGS=--yes approves all)
	$(PY) python scripts/demo.py $(DEMO_ARGS)

.PHONY: down
down: ## Stop what `make run` started (never the machine's own PostgreSQL or Redis)
	$(PY) python scripts/run_local.py down

.PHONY: status
status: ## Show each service's pid, port and readiness
	$(PY) python scripts/run_local.py status

.PHONY: logs
logs: ## Follow the services' logs (SVC=gateway for one)
	$(PY) python scripts/run_local.py logs $(SVC)

.PHONY: migrate
migrate: install ## Create the database if missing and migrate it to head (DATABASE_URL, else the running stack's)
	$(PY) python scripts/run_local.py migrate

.PHONY: seed
seed: install ## Load the sample data in data/sample, validating every row (DATABASE_URL, else the running stack's)
	$(PY) python scripts/run_local.py seed

.PHONY: bench
bench: install ## Run every benchmark in bench/ and print their tables (BENCH=name for one); fails if one fails
	$(PY) python scripts/run_benchmarks.py $(BENCH)

# Rollway: `make preview` runs the offline preview + policy gate on the dev stack, `make test` runs the tests.
# Both create the project virtualenv at .venv on first use (python3 and make are all a machine needs).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev
# Policy config per environment (any name: policies/config/<env>/, following `extends`); per-PR stacks
# (pr-<n>) use the preview environment's. The merged files go to $(POLICY_CONFIG)/<env>/.
ENVIRONMENT ?= $(if $(filter pr-%,$(STACK)),preview,$(STACK))
POLICY_CONFIG := .rollway/policy-config
STAMP := $(VENV)/.rollway-installed
# The provider SDKs are large; let Python cache their bytecode in .venv even where the environment
# disables it, or every test and policy-pack process recompiles what it imports.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install preview test lint typecheck check workflows bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	@$(BIN)/python -m uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	@touch $(STAMP)

preview: $(STAMP)
	$(BIN)/python -m policies.common.envconfig $(ENVIRONMENT) --out $(POLICY_CONFIG)
	$(BIN)/rollway preview --stack $(STACK) \
		--policy-pack policies/security --policy-pack policies/cost \
		--policy-pack-config $(POLICY_CONFIG)/$(ENVIRONMENT)/security.json \
		--policy-pack-config $(POLICY_CONFIG)/$(ENVIRONMENT)/cost.json

test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

workflows: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint

check: lint typecheck workflows

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

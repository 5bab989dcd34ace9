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

.PHONY: install bytecode preview test lint typecheck check workflows bench clean engine engine-preview

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	@$(BIN)/python -m uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	@# In this repository the packs' own virtualenvs (PulumiPolicy.yaml: virtualenv: venv) are the project's.
	@for pack in policies/security policies/cost; do test -e $$pack/venv || ln -s ../../$(VENV) $$pack/venv; done
	@$(MAKE) --no-print-directory bytecode
	@touch $(STAMP)

# Compile every installed module once, at install: where a CI image sets PYTHONDONTWRITEBYTECODE, Python
# still reads .pyc files but never writes them, so without this every run recompiles the provider SDKs
# (about 10 s of a preview). Some packages ship .py files that are not valid Python 3 (templates, test
# data); compileall reports them and still compiles everything else, so its status is ignored.
bytecode:
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null 2>&1 || true
	@$(BIN)/python -m compileall -q -j 0 rollway components stacks policies >/dev/null

preview: $(STAMP)
	$(BIN)/python -m policies.common.envconfig $(ENVIRONMENT) --out $(POLICY_CONFIG)
	$(BIN)/rollway preview --stack $(STACK) \
		--policy-pack policies/security --policy-pack policies/cost \
		--policy-pack-config $(POLICY_CONFIG)/$(ENVIRONMENT)/security.json \
		--policy-pack-config $(POLICY_CONFIG)/$(ENVIRONMENT)/cost.json

# The real Pulumi engine, offline: the CLI and a Python language host built from Pulumi's Go modules (needs Go),
# plus the offline test provider installed as the aws/gcp/azure-native/kubernetes/random plugins. All of it in
# the git-ignored .engine/ (README: "The real engine").
ENGINE := .engine
ENGINE_STAMP := $(ENGINE)/.built
engine: $(ENGINE_STAMP)

$(ENGINE_STAMP): $(STAMP) engine/go.mod engine/go.sum engine/build.sh $(wildcard engine/cmd/*/*.go) engine/pulumi-analyzer-policy-nodejs rollway/testing/offline_provider.py \
		tests/fixtures/packs/node-guardrails/package-lock.json
	@command -v go >/dev/null || { echo "make engine needs the Go toolchain (go) on PATH" >&2; exit 2; }
	bash engine/build.sh
	$(BIN)/python -m rollway.testing.offline_provider install --pulumi $(ENGINE)/bin/pulumi --home $(ENGINE)/home
	cd tests/fixtures/packs/node-guardrails && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

engine-preview: $(ENGINE_STAMP)
	$(BIN)/python -m policies.common.envconfig $(ENVIRONMENT) --out $(POLICY_CONFIG)
	$(BIN)/python -m rollway.testing.real_engine preview --stack $(STACK) \
		--policy-pack policies/security --policy-pack policies/cost \
		--policy-pack-config $(POLICY_CONFIG)/$(ENVIRONMENT)/security.json \
		--policy-pack-config $(POLICY_CONFIG)/$(ENVIRONMENT)/cost.json

# One pytest worker per core plus one: part of the suite waits on real processes (nginx and Prometheus in the
# rollout end-to-end tests, forked preview evaluations, the real engine), and the extra worker fills that wait
# (2 cores: 72-74 s with 3 workers vs 81 s with 2, bench/README.md "Test suite"). TEST_WORKERS=N overrides it.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1)' 2>/dev/null || echo auto)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

workflows: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint

check: lint typecheck workflows

clean:
	rm -rf $(VENV) $(ENGINE) .pytest_cache .ruff_cache .mypy_cache

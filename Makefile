# Rollway: `make preview` runs the offline preview + policy gate on the dev stack, `make test` runs the tests.
# Both create the project virtualenv at .venv on first use (python3 and make are all a machine needs).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev
# Policy config per environment kind; per-PR stacks (pr-<n>) use the preview environment's.
ENVIRONMENT ?= $(if $(filter pr-%,$(STACK)),preview,$(STACK))
STAMP := $(VENV)/.rollway-installed
# The provider SDKs are large; let Python cache their bytecode in .venv even where the environment
# disables it, or every test and policy-pack process recompiles what it imports.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install bytecode preview test lint typecheck check workflows bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	@$(BIN)/python -m uv pip install --quiet --python $(BIN)/python -e '.[dev]'
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
	$(BIN)/rollway preview --stack $(STACK) \
		--policy-pack policies/security --policy-pack policies/cost \
		--policy-pack-config policies/config/$(ENVIRONMENT)/security.json \
		--policy-pack-config policies/config/$(ENVIRONMENT)/cost.json

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

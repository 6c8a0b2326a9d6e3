# Ressenti — the two commands: `make run` and `make test`. Both install what is missing
# and reuse what they already built.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install prepare serve stop data postgres chromium mail lint typecheck unit integration bench evals clean

# The uv tool itself lives in its own small venv (nothing installed by hand).
$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

# The app environment: synced from pyproject.toml + uv.lock, redone only when they change.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --python $(PYTHON) --frozen
	@touch $@

uv.lock: pyproject.toml | $(UV)
	$(UV) lock --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

# The vLLM server environment and the embedded model (first time: a few minutes).
prepare: install
	$(BIN)/ressenti llm prepare

serve: prepare
	$(BIN)/ressenti llm serve

stop: install
	$(BIN)/ressenti llm stop

# Demo data: the CRM's demo company, the knowledge base's index and, in demo mode only
# (the embedded default install; RESSENTI_DEMO_MODE=false turns it off), the demo accounts
# (agent@demo, marketer@demo, tester@demo, admin@demo; password in the README) and the
# analysis of the demo conversations (the admin's Insights tab). Each step skips what
# exists; outside demo mode the accounts step says how to create the first admin.
data: install
	$(BIN)/ressenti crm seed
	$(BIN)/ressenti kb ingest
	$(BIN)/ressenti users seed-demo --if-demo
	$(BIN)/ressenti analyze --demo --if-demo --no-report

run: serve data
	$(BIN)/ressenti app

# PostgreSQL server binaries for the store tests (the tests start a private throwaway
# cluster on loopback; nothing here starts a system service). Installed only if missing.
PG_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
postgres:
ifeq ($(PG_INITDB),)
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends postgresql
endif
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null

# The browser the app's tests drive (Debian's Chromium, headless; Playwright never
# downloads one). Installed only if missing.
chromium:
ifeq ($(wildcard /usr/bin/chromium),)
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium
endif
	@test -x /usr/bin/chromium

# Debian's Dovecot IMAP server for the e-mail channel's tests (each test starts a private
# instance on loopback with its own folder and config; nothing here starts a system
# service). Installed only if missing.
DOVECOT := $(wildcard /usr/sbin/dovecot)
mail:
ifeq ($(DOVECOT),)
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends dovecot-imapd
endif
	@test -x /usr/sbin/dovecot

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests/unit

integration: prepare postgres chromium mail
	$(BIN)/pytest tests/integration

# Every tier in one pytest run (unit first, then integration against a real vLLM server).
test: lint typecheck prepare postgres chromium mail
	$(BIN)/pytest tests

# Every benchmark, one after the other (each prints its medians and ratios).
BENCHES := llm support emotion kb crm marketing app channels
bench: prepare
	@for name in $(BENCHES); do echo "== bench.$$name"; $(BIN)/python -m bench.$$name || exit 1; done

# Every evaluation suite in full against the served model; stops at the first failed gate.
# GoEmotions is added to the emotion suite when GOEMOTIONS names its folder (never committed).
EVAL_SUITES := marketing_compliance retrieval emotion judge escalation reply_quality redteam
GOEMOTIONS ?=
evals: serve
	@for suite in $(EVAL_SUITES); do echo "== eval $$suite"; \
	  $(BIN)/ressenti eval run $$suite $(if $(GOEMOTIONS),--goemotions $(GOEMOTIONS)) || exit 1; done

clean:
	rm -rf $(VENV) .uv .pytest_cache .mypy_cache .ruff_cache

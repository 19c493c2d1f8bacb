# Two commands do everything on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
BUN_VERSION := 1.4.4
BUN := $(TOOLS)/bin/bun
CHROMIUM ?= /usr/bin/chromium

export PATH := $(abspath $(TOOLS)/bin):$(PATH)
export REFLEX_TELEMETRY_ENABLED ?= false
export YTDLP_NO_PLUGINS := 1

.PHONY: setup setup-dev run test test-deps lint extension clean

$(VENV)/.runtime: requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Reflex would download bun from the web; the npm registry's `bun` package carries the binary.
$(BUN):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) bun@$(BUN_VERSION)
	mkdir -p $(TOOLS)/bin
	ln -sf $(abspath $(TOOLS)/node_modules/bun/bin/bun.exe) $(BUN)
	$(BUN) --version

setup: $(VENV)/.runtime $(BUN)

setup-dev: setup $(VENV)/.dev

$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

run: setup
	$(PY) -m mediafetcher_app.cli run

# What the tests need besides the venv: Chromium for the browser tests, the extension's modules.
test-deps: setup-dev $(CHROMIUM) extension/node_modules

test: test-deps
	$(PY) -m pytest

lint: setup-dev
	$(VENV)/bin/ruff check .

# The extension's devDependencies (linkedom for its DOM tests, fflate to pack it), from its lockfile.
extension/node_modules: extension/package.json extension/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix extension
	touch $@

extension: extension/node_modules
	node extension/scripts/build.mjs

clean:
	rm -rf .web .states $(TOOLS)

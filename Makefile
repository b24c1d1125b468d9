# Peerwall: `make run` serves the app on http://127.0.0.1:8000, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FRONTEND := frontend
# puppeteer-core, which drives Debian's firefox-esr for the cross-browser end-to-end test.
FIREFOX_DRIVER := tests/e2e/firefox
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install build collectstatic migrate check-tools lint typecheck test-python test-js test-e2e test-fast bench bench-photos bench-signaling bench-reach clean

run: install build migrate
	@echo "Peerwall is at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) broker.asgi:application

test: install build lint typecheck test-js test-python test-e2e

# Everything but the browsers, for a quick loop.
test-fast: install build lint typecheck test-js
	$(PY) -m pytest -m "not e2e"

check-tools:
	@command -v $(PYTHON) >/dev/null || { echo "Peerwall needs Python 3.11 or newer as '$(PYTHON)'; none was found." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Peerwall needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Set PYTHON=/path/to/python3.11." >&2; exit 1; }
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "Peerwall needs Node.js 20 or newer with npm; none was found." >&2; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || { echo "Peerwall needs Node.js 20 or newer; this is $$(node --version)." >&2; exit 1; }

# The virtualenv and node_modules are rebuilt only when their dependency lists change.
install: check-tools $(VENV)/.installed $(FRONTEND)/node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# The same commands as deploy/Dockerfile's (tests/test_deploy.py keeps them so).
$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $@

$(FIREFOX_DRIVER)/node_modules/.installed: $(FIREFOX_DRIVER)/package.json $(FIREFOX_DRIVER)/package-lock.json
	cd $(FIREFOX_DRIVER) && npm ci --no-audit --no-fund
	@touch $@

build: install
	cd $(FRONTEND) && npm run build

# What the production image serves: hashed, compressed static files (DEBUG=0, WhiteNoise).
collectstatic: build
	DEBUG=0 SECRET_KEY=build-only-not-a-secret $(PY) manage.py collectstatic --noinput

migrate: install
	$(PY) manage.py migrate --noinput

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy
	cd $(FRONTEND) && npx tsc --noEmit && npx tsc --noEmit -p ../bench/tsconfig.json

test-js: install
	cd $(FRONTEND) && npx vitest run

test-python: install
	$(PY) -m pytest -m "not e2e"

# Real Chromium over real WebRTC. As root with iproute2, inside a network namespace made for
# the run (scripts/in-netns), so every packet stays inside it.
test-e2e: install build $(FIREFOX_DRIVER)/node_modules/.installed
	scripts/in-netns $(PY) -m pytest -m e2e

# Benchmarks (bench/README.md): figures measured side by side in one run, written to bench/results/.
# Never part of `make test`. Extra options: `make bench BENCH_ARGS="--events 20000 --profile"`.
bench: install build
	scripts/in-netns $(PY) bench/sync_bench.py $(BENCH_ARGS)

# A 16 MB photo between two friends, next to the raw data channel (DESIGN: photos >= 0.7 of it).
# Never part of `make test`. Extra options: `make bench-photos BENCH_ARGS="--reps 5 --profile"`.
bench-photos: install build
	scripts/in-netns $(PY) bench/photo_bench.py $(BENCH_ARGS)

# peerjs-server 1.0.2 and the broker as deployed (deploy/Dockerfile's CMD, production settings), one and
# two processes on Redis, under the same signaling load on 127.0.0.1 (no network namespace: it uses the
# local Redis). Never part of `make test`. Extra options: `make bench-signaling BENCH_ARGS="--quick"`.
bench-signaling: install bench/signaling/node_modules/.installed
	$(PY) bench/signaling_bench.py $(BENCH_ARGS)

# A week of 1,000 people's walls on the real sync code over the simulated network, direct delivery
# beside store and forward (bench/README.md). Never part of `make test`; about an hour. Smaller:
# `make bench-reach BENCH_ARGS="--users 200 --days 3"`.
bench-reach: install
	$(FRONTEND)/node_modules/.bin/esbuild bench/reach/reach_sim.ts --bundle --platform=node --format=esm \
		--log-level=warning --outfile=test-results/bench/reach_sim.mjs
	node test-results/bench/reach_sim.mjs --out bench/results/reach-$$(date -u +%F).json \
		--md bench/results/reach-latest.md $(BENCH_ARGS) >/dev/null

bench/signaling/node_modules/.installed: bench/signaling/package.json bench/signaling/package-lock.json
	cd bench/signaling && npm ci --no-audit --no-fund
	@touch $@

clean:
	rm -rf $(VENV) $(FRONTEND)/node_modules $(FRONTEND)/static/frontend staticfiles

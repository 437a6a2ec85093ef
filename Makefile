# Switchyard's vocabulary. `make help` lists the targets.
SHELL := /bin/bash
NODE_TEST := node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js

.PHONY: help install build lint typecheck redis-server chromium test test-unit test-integration test-e2e test-conformance demo bench bench-peers reliability models helm-schema clean compose-up compose-down test-compose

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

install: node_modules/.package-lock.json ## Install npm dependencies (npm ci)

build: install ## Compile TypeScript to dist/ and bundle the dashboard UI into dist/dashboard-ui/
	npx tsc -p tsconfig.json
	npx tsx scripts/build-dashboard-ui.ts

typecheck: install ## Type-check without emitting (the server and the dashboard UI)
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.dashboard-ui.json

lint: typecheck ## Type-check and look for copy-paste twins
	@if command -v duplicates >/dev/null 2>&1; then duplicates --repo src; fi

redis-server: ## Install Debian's redis-server when missing (the cache tests start their own)
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server from Debian"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }

chromium: ## Install Debian's chromium when missing (the dashboard's browser tests drive it)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium from Debian"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

test: build redis-server chromium ## Run every test; ends with "N passed, N failed"
	@rm -f jest-results.json
	@$(NODE_TEST) --json --outputFile=jest-results.json || true
	@node scripts/test-summary.mjs jest-results.json

test-unit: install ## Unit tests only
	$(NODE_TEST) test/unit

test-integration: install ## Integration tests (real gRPC, real Redis)
	$(NODE_TEST) test/integration

test-e2e: build ## End-to-end tests (gateway + sidecar + stubs + openai SDK)
	$(NODE_TEST) test/e2e

test-conformance: install ## Envoy-behaviour conformance tests
	$(NODE_TEST) test/conformance

demo: build ## Route the prompt suite through the whole stack against stub models (seed, then default config)
	@echo "== examples/seed-tutorial.yaml (the Athena tutorial's keyword config)"
	@node bin/switchyard.js demo --config examples/seed-tutorial.yaml
	@echo "== examples/default.yaml (semantic signals, safety, semantic cache)"
	@node bin/switchyard.js demo --config examples/default.yaml

bench: build ## Run the benchmarks (numbers go to bench/results/)
	@for f in bench/*.ts; do echo "== $$f"; npx tsx $$f || exit 1; done

PEER_BENCH ?= ../shared/tools/peer-bench
# WORKERS=N runs `serve --workers N` (through SWITCHYARD_WORKERS) and names the result files peer-bench-*-wN.json; unset, serve's default (one per core).
PEER_RESULT_SUFFIX = $(if $(WORKERS),-w$(WORKERS),)
bench-peers: build ## Switchyard vs Portkey, one interleaved peer-bench run per config (needs ../shared/tools/peer-bench; WORKERS=N for serve --workers N; results to bench/results/peer-bench-*.json)
	@dir=$$(mktemp -d) && cp -r $(PEER_BENCH) $$dir/peer-bench && cd $$dir/peer-bench && npm ci --no-audit --no-fund --prefer-offline >/dev/null && \
	$(if $(WORKERS),SWITCHYARD_WORKERS=$(WORKERS) ,)node bench.mjs --gateway portkey,switchyard --start-timeout-ms 120000 --switchyard-dir $(CURDIR) --switchyard-config $(CURDIR)/examples/seed-tutorial.yaml --out $(CURDIR)/bench/results/peer-bench-seed$(PEER_RESULT_SUFFIX).json && \
	$(if $(WORKERS),SWITCHYARD_WORKERS=$(WORKERS) ,)node bench.mjs --gateway portkey,switchyard --scenarios c32 --start-timeout-ms 120000 --switchyard-dir $(CURDIR) --switchyard-config $(CURDIR)/examples/default.yaml --out $(CURDIR)/bench/results/peer-bench-default$(PEER_RESULT_SUFFIX).json; \
	status=$$?; rm -rf $$dir; exit $$status

reliability: build redis-server ## Reliability campaign on loopback (load, bad inputs, faults, cancels, SIGTERM); FAST=1 for the CI subset; exits 1 on a missed target
	npx tsx test/reliability/campaign.ts $(if $(FAST),--fast,)

models: ## Retrain every bundled model from scratch (needs Debian's python3-torch)
	bash training/train-all.sh

helm-schema: install ## Write deploy/helm/switchyard/values.schema.json from the config schema
	npx tsx scripts/write-helm-values-schema.ts

# OFFLINE=1 (machines with no container registry, such as CI): every image is built from a
# local debootstrap base, and the built-in gateway takes Envoy's place.
COMPOSE_ENV := $(if $(filter 1,$(OFFLINE)),CONTAINERS_CONF=$(CURDIR)/deploy/compose/containers.conf)
COMPOSE_FILES := -f compose.yaml $(if $(filter 1,$(OFFLINE)),-f compose.test.yaml)

compose-up: build ## Start Envoy + sidecar + Redis + two stub models with podman-compose; requests to 127.0.0.1:18899 (OFFLINE=1: no registry)
	@if [ "$(OFFLINE)" = 1 ]; then $(COMPOSE_ENV) deploy/compose/build-base-image.sh; fi
	cd deploy/compose && $(COMPOSE_ENV) podman-compose -p switchyard $(COMPOSE_FILES) up -d --build

test-compose: build ## Build the compose stack offline with podman and route through it (3-7 min; needs podman, podman-compose, debootstrap)
	SWITCHYARD_COMPOSE_TEST=1 $(NODE_TEST) test/e2e/compose-stack.test.ts

compose-down: ## Stop the podman-compose stack (OFFLINE=1 if it was started so)
	cd deploy/compose && $(COMPOSE_ENV) podman-compose -p switchyard $(COMPOSE_FILES) down

clean: ## Remove build output
	rm -rf dist jest-results.json

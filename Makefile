# Switchyard's vocabulary. `make help` lists the targets.
SHELL := /bin/bash
NODE_TEST := node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js

.PHONY: help install build lint typecheck redis-server test test-unit test-integration test-e2e test-conformance demo bench bench-peers reliability models helm-schema clean

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

install: node_modules/.package-lock.json ## Install npm dependencies (npm ci)

build: install ## Compile TypeScript to dist/
	npx tsc -p tsconfig.json

typecheck: install ## Type-check without emitting
	npx tsc -p tsconfig.json --noEmit

lint: typecheck ## Type-check and look for copy-paste twins
	@if command -v duplicates >/dev/null 2>&1; then duplicates --repo src; fi

redis-server: ## Install Debian's redis-server when missing (the cache tests start their own)
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server from Debian"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }

test: build redis-server ## Run every test; ends with "N passed, N failed"
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
bench-peers: build ## Switchyard vs Portkey, one interleaved peer-bench run per config (needs ../shared/tools/peer-bench; results to bench/results/peer-bench-*.json)
	@dir=$$(mktemp -d) && cp -r $(PEER_BENCH) $$dir/peer-bench && cd $$dir/peer-bench && npm ci --no-audit --no-fund --prefer-offline >/dev/null && \
	node bench.mjs --gateway portkey,switchyard --switchyard-dir $(CURDIR) --switchyard-config $(CURDIR)/examples/seed-tutorial.yaml --out $(CURDIR)/bench/results/peer-bench-seed.json && \
	node bench.mjs --gateway portkey,switchyard --scenarios c32 --start-timeout-ms 120000 --switchyard-dir $(CURDIR) --switchyard-config $(CURDIR)/examples/default.yaml --out $(CURDIR)/bench/results/peer-bench-default.json; \
	status=$$?; rm -rf $$dir; exit $$status

reliability: build redis-server ## Reliability campaign on loopback (load, bad inputs, faults, cancels, SIGTERM); FAST=1 for the CI subset; exits 1 on a missed target
	npx tsx test/reliability/campaign.ts $(if $(FAST),--fast,)

models: ## Retrain every bundled model from scratch (needs Debian's python3-torch)
	bash training/train-all.sh

helm-schema: install ## Write deploy/helm/switchyard/values.schema.json from the config schema
	npx tsx scripts/write-helm-values-schema.ts

clean: ## Remove build output
	rm -rf dist jest-results.json

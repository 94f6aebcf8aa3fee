# sgnotify: every target installs what it needs on a fresh machine and reuses what is there.
SHELL := /bin/bash
.DEFAULT_GOAL := build
CARGO_BIN := $(HOME)/.cargo/bin
export PATH := $(CARGO_BIN):$(PATH)

# The wasm-bindgen version the crate resolved to; wasm-bindgen-cli must match it exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/"/,"",$$3); print $$3}' Cargo.lock 2>/dev/null)
WASM := target/wasm32-unknown-unknown/release/sgnotify.wasm
WASM_OPT := js/node_modules/.bin/wasm-opt
# The features Rust's wasm32 target enables by default; wasm-opt must accept them.
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
                 --enable-multivalue --enable-sign-ext --enable-mutable-globals
RUST_SRC := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
PKG := pkg/dist/node/sgnotify_bg.wasm pkg/dist/web/sgnotify_bg.wasm

.PHONY: build test demo playground bench package tools-rust tools-js tools-chromium \
        test-rust test-wasm-node test-pkg clean

build: $(PKG)

# ---- tools -------------------------------------------------------------------------------
tools-rust:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 3 minutes)"; \
	  cargo install wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)" --force; fi

js/node_modules/.package-lock.json: js/package.json $(wildcard js/package-lock.json)
	cd js && npm install --no-audit --no-fund
	@touch $@

tools-js: js/node_modules/.package-lock.json

tools-chromium:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; fi

# ---- build -------------------------------------------------------------------------------
$(WASM): $(RUST_SRC) | tools-rust
	cargo build --lib --release --target wasm32-unknown-unknown

# wasm-opt -Oz without its memory-packing pass: packing splits chrono-tz's tables into segments
# around runs of zeros, which saves 28 KB raw but costs 21 KB gzipped (js/bench/README.md).
# --one-caller-inline-max-function-size=0: wasm-opt must not inline a function into its only
# caller. V8 compiles a wasm function whole on its first use, so merging rarely taken paths (a
# time zone's lookup, a revoke's bookkeeping) into hot functions made the first call compile
# 123 KB instead of 93 KB; it also saves 10 KB gzipped.
pkg/dist/%/sgnotify_bg.wasm: $(WASM) | tools-rust js/node_modules/.package-lock.json
	rm -rf pkg/dist/$*
	wasm-bindgen --target $(if $(filter node,$*),nodejs,web) --out-dir pkg/dist/$* $(WASM)
	@# The package is "type": "module"; the nodejs build is CommonJS, and says so.
	$(if $(filter node,$*),echo '{"type": "commonjs"}' > pkg/dist/node/package.json)
	@# Formatter's `[Symbol.dispose]` would make the types need TypeScript's esnext.disposable lib;
	@# `free()` stays declared, and the glue still sets Symbol.dispose where the runtime has it.
	sed -i '/\[Symbol\.dispose\](): void;/d' pkg/dist/$*/sgnotify.d.ts
	$(WASM_OPT) -Oz --skip-pass=memory-packing --one-caller-inline-max-function-size=0 $(WASM_FEATURES) pkg/dist/$*/sgnotify_bg.wasm -o pkg/dist/$*/sgnotify_bg.wasm

# ---- tests -------------------------------------------------------------------------------
test: test-rust test-wasm-node test-pkg test-lambda test-wasm-browser test-playground test-deploy

test-rust:
	cargo test --all-targets

# The JS boundary tests (tests/wasm_node.rs), run in Node by wasm-bindgen-test-runner.
test-wasm-node: | tools-rust
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  cargo test --target wasm32-unknown-unknown --test wasm_node

# The npm package as a user installs it (packed tarball, by name), through require and import.
test-pkg: build tools-js
	cd js && node --test test/

clean:
	rm -rf target pkg/dist js/node_modules

# ---- playground (js/playground) ----------------------------------------------------------
.PHONY: playground-bundle test-playground test-wasm-browser tools-emoji-font
PLAYGROUND_PORT := $(or $(PORT),8080)

# The static folder's generated part (git-ignored js/playground/vendor/): the package's web build,
# resolved by name from js/node_modules, and the fixtures as samples.json.
playground-bundle: build tools-js
	node js/playground/bundle.mjs

# Serves the page on http://127.0.0.1:$(PLAYGROUND_PORT)/ (PORT=... to change) until Ctrl-C.
playground: playground-bundle
	PORT=$(PLAYGROUND_PORT) node js/playground/serve.mjs

# Colour emoji for the screenshots (the messages use emoji codes). Optional: boxes without it.
tools-emoji-font:
	@fc-list 2>/dev/null | grep -qi 'color emoji' || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-color-emoji; } || \
	  echo "warning: no colour emoji font; emoji show as boxes in the screenshots"

# Playwright (playwright-core, Debian's Chromium) on the served page; screenshots in js/test-artifacts/.
test-playground: playground-bundle tools-chromium tools-emoji-font
	cd js && node --test playground/test/*.test.mjs

# The boundary tests (tests/common) in headless Chromium through Debian's chromedriver. The
# runner reads capabilities from $$WASM_BINDGEN_TEST_WEBDRIVER_JSON (else ./webdriver.json) and
# adds headless, no-sandbox and disable-dev-shm-usage itself.
test-wasm-browser: | tools-rust tools-chromium
	CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/tests/wasm_browser.webdriver.json \
	  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  cargo test --target wasm32-unknown-unknown --test wasm_browser

# ---- lambda: delivery, demo, CLI, deployment zip (js/lambda) ------------------------------
.PHONY: test-lambda tools-moto
# What runs in Lambda; demo.mjs, mock-slack.mjs, mock-slack-api.mjs, fixtures.mjs and test/ stay out of the zip.
LAMBDA_RUNTIME := $(addprefix js/lambda/,index.mjs config.mjs log.mjs notify.mjs secrets.mjs pacing.mjs state.mjs app.mjs threads.mjs slack-api.mjs accounts.mjs org-config.mjs routing.mjs)
LAMBDA_ZIP := target/lambda/sgnotify-lambda.zip

# The handler on this machine: a mock Slack on 127.0.0.1, real fixtures as SNS and EventBridge events.
demo: build tools-js
	node js/lambda/demo.mjs

# handler + the sgnotify package as npm packs it, less what Node.js in Lambda never loads (the
# CommonJS build, the CLI, types, README): the handler imports sgnotify, whose index.mjs loads the
# ES-module build in dist/web. No other dependency: the runtime ships the AWS SDK v3.
# Timestamps are pinned so that the same sources give the same zip.
$(LAMBDA_ZIP): $(PKG) $(LAMBDA_RUNTIME) $(wildcard pkg/*.mjs pkg/*.cjs pkg/*.js) pkg/package.json
	rm -rf target/lambda/stage target/lambda/*.tgz $@
	mkdir -p target/lambda/stage/node_modules/sgnotify
	cp $(LAMBDA_RUNTIME) target/lambda/stage/
	cd pkg && npm pack --silent --pack-destination ../target/lambda >/dev/null
	tar -xzf target/lambda/sgnotify-*.tgz -C target/lambda/stage/node_modules/sgnotify --strip-components=1
	cd target/lambda/stage/node_modules/sgnotify && rm -rf dist/node index.cjs web.js cli.mjs README.md *.d.ts *.d.cts dist/web/*.d.ts
	find target/lambda/stage -exec touch -h -d '2000-01-01T00:00:00Z' {} +
	cd target/lambda/stage && find . -type f | LC_ALL=C sort | zip -q -X -@ ../sgnotify-lambda.zip
	rm -rf target/lambda/stage target/lambda/*.tgz

package: $(LAMBDA_ZIP)
	@unzip -Z1 $(LAMBDA_ZIP) | sed 's/^/  /'
	@echo "$(LAMBDA_ZIP): $$(stat -c %s $(LAMBDA_ZIP)) bytes ($$(du -k $(LAMBDA_ZIP) | cut -f1) KiB); handler: index.handler, runtime nodejs20.x or later"

# moto's server plays SSM and Secrets Manager on 127.0.0.1 in the Lambda tests.
tools-moto:
	@python3 -c 'import moto.server' 2>/dev/null || python3 -m pip install --quiet 'moto[server]' || \
	  python3 -m pip install --quiet --break-system-packages 'moto[server]'

# node:test suites of the handler, delivery, CLI and zip, against a mock Slack on 127.0.0.1.
test-lambda: package tools-js tools-moto
	cd js && node --test --test-timeout=90000 lambda/test/*.test.mjs

# A benchmark, not part of `make test` (a few minutes): the real handler against a local Slack
# that enforces its rate limit, and moto's SQS and DynamoDB; prints the table of js/lambda/README.md.
.PHONY: loadtest
loadtest: build tools-js tools-moto
	cd js && node lambda/loadtest/run.mjs
	@# Slack app mode: bursts by a few principals from several instances, one thread per burst.
	cd js && node lambda/loadtest/app.mjs

# ---- deploy templates (js/lambda/template.yaml, member-account.yaml, management-account.yaml)
.PHONY: test-deploy tools-cfn-lint
# cfn-lint 1.x: the linter, and the YAML loader the tests read the templates with.
tools-cfn-lint: | tools-moto
	@python3 -c 'import sys, cfnlint.decode; from importlib.metadata import version; sys.exit(int(version("cfn-lint").split(".")[0]) < 1)' 2>/dev/null || \
	  python3 -m pip install --quiet 'cfn-lint>=1' || python3 -m pip install --quiet --break-system-packages 'cfn-lint>=1'

# cfn-lint on the three templates; the rules, queue and DLQ through moto's CloudFormation,
# EventBridge and SQS (a moto server on 127.0.0.1, never AWS); the template's environment
# against the handler's.
test-deploy: tools-cfn-lint tools-moto
	python3 js/lambda/deploy-test/test_templates.py

# ---- bench and fuzz (js/bench, tests/bench, tests/fuzz); neither is part of `make test` -----
.PHONY: bench-build tools-fuzz fuzz
BENCH_TARGET := target/bench
BENCH_PKG := target/bench-pkg/sgnotify_bg.wasm

# The benchmark build: the same core plus the other boundary paths (`--features bench`), in its
# own target dir so it never replaces the shipped wasm; optimised exactly as the package is.
$(BENCH_PKG): $(RUST_SRC) | tools-rust js/node_modules/.package-lock.json
	CARGO_TARGET_DIR=$(BENCH_TARGET) cargo build --lib --release --target wasm32-unknown-unknown --features bench
	rm -rf target/bench-pkg
	wasm-bindgen --target nodejs --out-dir target/bench-pkg $(BENCH_TARGET)/wasm32-unknown-unknown/release/sgnotify.wasm
	echo '{"type": "commonjs"}' > target/bench-pkg/package.json
	$(WASM_OPT) -Oz --skip-pass=memory-packing --one-caller-inline-max-function-size=0 $(WASM_FEATURES) $@ -o $@

bench-build: $(BENCH_PKG)

# The native core benchmark (for profiling), then the Node table: warm cost against the JSON
# round-trip floor, boundary paths, scaling, cold start, wasm size.
bench: build bench-build tools-js
	cargo bench --bench core
	cd js && node bench/bench.mjs

tools-fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz

# libFuzzer on the JSON-text entry point, seeded with the fixtures; FUZZ_SECONDS=600 by default.
# A crash leaves its input in tests/fuzz/artifacts/format_json/: make it a test in tests/hostile.rs.
FUZZ_SECONDS ?= 600
fuzz: tools-fuzz
	mkdir -p tests/fuzz/corpus/format_json
	cp tests/fixtures/events/*.json tests/fixtures/synthetic/*.json tests/fuzz/corpus/format_json/
	cargo +nightly fuzz run format_json --fuzz-dir tests/fuzz -- \
	  -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -dict=tests/fuzz/format_json.dict

# MonoPix Studio. `make studio` installs what is missing, builds and opens the studio on a bundled sample;
# `make test` runs the whole suite (optimized: the numeric tests need it).
SWIFT      ?= swift
APT_PKGS   := pkg-config libncursesw5-dev libopenblas-dev libpng-dev libsixel-dev libjpeg62-turbo-dev tmux
BIN        := .build/release/monopix

.PHONY: all deps build test studio bench clean fixtures kill-test kill-test-short storm-test storm-test-short

all: build

# Installs only what dpkg does not already have, so a ready machine pays nothing.
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install the Swift 6 toolchain (swift.org) and put it on PATH"; exit 1; }

build: deps
	$(SWIFT) build -c release --product monopix

# The suite runs optimized; -enable-testing lets the studio's and monitoring's tests reach internal helpers.
TESTFLAGS  := -c release -Xswiftc -enable-testing

test: deps
	$(SWIFT) build $(TESTFLAGS) --product monopix
	$(SWIFT) test $(TESTFLAGS)

studio: build
	$(BIN) studio

bench: build
	$(BIN) bench

# Regenerates the golden fixtures from real PyTorch (by hand, not in CI: needs `pip install torch`).
fixtures:
	python3 scripts/make_fixtures.py
	python3 scripts/make_lpips_fixtures.py

# Reliability (docs/reliability.md): SIGKILL at random moments into a batch export, a training run and the studio's
# session save, TRIALS kills each; then a storm of keys, drags and resizes into the studio. The short versions are
# for CI (about a minute each on two cores).
TRIALS       ?= 40
STORM_EVENTS ?= 20000

kill-test: build
	python3 scripts/kill_harness.py all --trials $(TRIALS)

kill-test-short: build
	python3 scripts/kill_harness.py all --trials 8

storm-test: build
	python3 scripts/storm_test.py --events $(STORM_EVENTS)

storm-test-short: build
	python3 scripts/storm_test.py --events 4000

clean:
	rm -rf .build

# MonoPix Studio. `make studio` installs what is missing, builds and opens the studio on a bundled sample;
# `make test` runs the whole suite (optimized: the numeric tests need it).
SWIFT      ?= swift
APT_PKGS   := pkg-config libncursesw5-dev libopenblas-dev libpng-dev libsixel-dev libjpeg62-turbo-dev libgif-dev libhdf5-dev tmux
BIN        := .build/release/monopix

.PHONY: all deps build test studio bench clean fixtures kill-test kill-test-short storm-test storm-test-short \
        fuzz fuzz-short fuzz-build check-sanitizers check-asan check-ubsan check-tsan reliability-short \
        test-isa check-aarch64

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

# One set of flags for the binary and the suite, so `make studio`, `make test` and the reliability checks share one
# build: optimized (the numeric tests need it), and -enable-testing lets the studio's and monitoring's tests reach
# internal helpers. The suite is XCTest only (--disable-swift-testing: no empty Swift Testing run closing the output).
TESTFLAGS  := -c release -Xswiftc -enable-testing

build: deps
	$(SWIFT) build $(TESTFLAGS) --product monopix

test: deps
	$(SWIFT) build $(TESTFLAGS) --product monopix
	$(SWIFT) test $(TESTFLAGS) --disable-swift-testing

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

# libFuzzer over every reader of untrusted bytes (scripts/fuzz.sh; docs/reliability.md has the results).
# `fuzz` runs each target FUZZ_SECONDS; `fuzz-short` a few seconds each, for CI. Instrumented objects and the
# corpora grown so far stay in .build-fuzz.
FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 5

fuzz-build: deps
	scripts/fuzz.sh build

fuzz: fuzz-build
	scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz-short: fuzz-build
	scripts/fuzz.sh run $(FUZZ_SHORT_SECONDS)

# The kernel tests with the process started at each narrower ISA level (MONOPIX_ISA): KernelsTests also run every
# level in one process (forEachISA), this checks the environment switch and the rest of the suite's kernels.
ISA_FILTER ?= KernelsTests|TrainingTests

test-isa: deps
	$(SWIFT) build $(TESTFLAGS) --product monopix
	for isa in avx2 baseline; do MONOPIX_ISA=$$isa $(SWIFT) test $(TESTFLAGS) --disable-swift-testing --filter '$(ISA_FILTER)' || exit 1; done

# The kernel C targets compiled for aarch64 (compile only: every intrinsic path has a portable fallback), with
# `apt-get install gcc-aarch64-linux-gnu`. CImageCodecs is left out: it has no intrinsics, and it needs the arm64
# libpng/libjpeg headers (libpng-dev:arm64, libjpeg62-turbo-dev:arm64).
AARCH64_CC ?= aarch64-linux-gnu-gcc
AARCH64_TARGETS := CISA CGemm CWinograd CElementwise

check-aarch64:
	@for t in $(AARCH64_TARGETS); do for f in $$(find Sources/$$t -name '*.c'); do \
	  echo "$(AARCH64_CC) $$f"; \
	  $(AARCH64_CC) -O2 -Wall -Werror -c -I Sources/$$t/include -I Sources/CISA/include $$f -o /dev/null || exit 1; \
	done; done

# The suite under each sanitizer, each in its own scratch folder (optimized, like `make test`). ThreadSanitizer
# runs the tests that exercise threads: the parallel kernels, the engine's caches and renderer, the studio.
TSAN_FILTER ?= KernelsTests|EngineTests|StudioTests

check-sanitizers: check-asan check-ubsan check-tsan

# LeakSanitizer is off unless ASAN_LEAKS=1: Foundation's own file reading and XCTest leak at every run (see
# docs/reliability.md), which would fail the target for nothing of ours.
ASAN_LEAKS ?= 0

check-asan: deps
	$(SWIFT) build $(TESTFLAGS) --sanitize=address --scratch-path .build-asan --product monopix
	ASAN_OPTIONS=detect_leaks=$(ASAN_LEAKS) MONOPIX_BINARY=$(CURDIR)/.build-asan/release/monopix MONOPIX_TEST_SLOWDOWN=3 \
	    $(SWIFT) test $(TESTFLAGS) --sanitize=address --scratch-path .build-asan

# swiftc has no -sanitize=undefined on Linux. Swift's own UB checks are its overflow and bounds traps, which the
# release build's -Ounchecked removes: so this runs the debug configuration at -O (checks on, as fast as the suite
# needs), with clang's UBSan on every C target (Winograd transforms, codec glue, libyaml), first report fatal.
UBSAN_RT   = $(firstword $(wildcard $(dir $(shell command -v swiftc))../lib/clang/*/lib/linux/libclang_rt.ubsan_standalone-x86_64.so))
UBSANFLAGS = -c debug --scratch-path .build-ubsan -Xswiftc -O -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined \
             -Xlinker -rpath -Xlinker $(dir $(UBSAN_RT)) -Xlinker $(UBSAN_RT)

check-ubsan: deps
	$(SWIFT) build $(UBSANFLAGS) --product monopix
	MONOPIX_BINARY=$(CURDIR)/.build-ubsan/debug/monopix MONOPIX_TEST_SLOWDOWN=2 $(SWIFT) test $(UBSANFLAGS)

check-tsan: deps
	$(SWIFT) build $(TESTFLAGS) --sanitize=thread --scratch-path .build-tsan --product monopix
	MONOPIX_BINARY=$(CURDIR)/.build-tsan/release/monopix MONOPIX_TEST_SLOWDOWN=8 $(SWIFT) test $(TESTFLAGS) --sanitize=thread --scratch-path .build-tsan \
	    --filter '$(TSAN_FILTER)'

# What CI runs after `make test`: each reliability check in its short, bounded form.
reliability-short: fuzz-short kill-test-short storm-test-short

clean:
	rm -rf .build .build-fuzz .build-asan .build-ubsan .build-tsan

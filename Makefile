# soma — make test is the one test command (CI runs it via .ci/run).
GO ?= go
# External tools later milestones' tests use; installed with apt-get when
# running as root and missing. Tests that need an absent tool skip, saying so.
APT_PACKAGES := iverilog verilator yosys python3-h5py hdf5-tools
TOOL_CHECKS  := iverilog verilator yosys h5dump

.PHONY: test test-long tools bench bench-compare fuzz vet build

# test also vets a 32-bit build and builds for arm64 (the portable paths:
# no vector kernel, 32-bit ints), which the tests on this machine do not run.
test: tools
	$(GO) vet ./...
	GOARCH=386 $(GO) vet ./...
	GOARCH=arm64 $(GO) build ./...
	$(GO) test ./...

# test-long adds the long co-simulations (200 random FPGA designs, longer
# runs, yosys synthesis), which take several minutes.
test-long: tools
	SOMA_LONG=1 $(GO) test ./...

build:
	$(GO) build -o bin/soma ./cmd/soma

# tools installs missing external tools when root; otherwise it only says
# which are missing (the tests that need them will skip).
tools:
	@missing=""; for t in $(TOOL_CHECKS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1 || missing="$$missing python3-h5py"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing external tools:$$missing"; \
		(DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null) \
		|| echo "warning: apt-get could not install$$missing; tests needing them will skip"; \
	else \
		echo "note: missing$$missing (run make test as root to install); tests needing them will skip"; \
	fi

vet:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...

# bench prints the benchmarks' figures; compare runs with benchstat.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# bench-compare runs the CUBA network (4000 neurons 1 s and 10 s, 40000
# neurons 1 s) on soma's emulator (1 and 2 workers) and, where Debian's
# python3-brian is installed, on Brian2 in C++ standalone mode, with the
# same parameters, REPEAT times in interleaved rounds, and prints min and
# median simulation times and the ratio of the minima (soma run_s / Brian2
# run_s; ≤ 1 means soma is as fast).
BRIAN ?= /usr/bin/python3
REPEAT ?= 3
bench-compare:
	python3 bench/compare.py --repeat $(REPEAT) --brian $(BRIAN)

# fuzz runs each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./ir -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./results -run '^$$' -fuzz '^FuzzReadSpikesCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./results -run '^$$' -fuzz '^FuzzReadSpikesNPY$$' -fuzztime $(FUZZTIME)

# Beryl: build, test, run and benchmark on a fresh Debian machine.
# `make test` installs the Debian packages it needs (as root, or through sudo) and runs every test.

SWIFT        ?= swift
DATA         ?= ./var
DEBIAN_DEPS  := liblz4-dev libxxhash-dev zlib1g-dev pkg-config xrootd-server xrootd-client python3-xrootd libxrootd-dev xrootd-plugins openssl prometheus krb5-kdc krb5-admin-server krb5-user etcd-server
SUDO         := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: all deps build release test run demo bench bench-quick bench-compare bench-docs plots clean fuzz soak install install-files

all: build

# Install the Debian packages that are missing (apt-get update only when something is).
deps:
	@missing=""; for p in $(DEBIAN_DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Every test (Swift Testing). The crash tests spawn the `beryl` executable, so build it first.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

# The main job: serve the namespace under $(DATA)/beryl on 127.0.0.1:1094 (tagged master on first use)
# until Ctrl-C. Reach it with `xrdfs root://127.0.0.1:1094 ls /` or `beryl ls /`; metrics (Prometheus
# text format) at http://127.0.0.1:$(METRICS_PORT)/metrics.
METRICS_PORT ?= 9094
run: deps
	$(SWIFT) build -c release --product beryl-mgm
	$(SWIFT) build -c release --product beryl
	@mkdir -p $(DATA)/beryl
	@test -f $(DATA)/beryl/beryl.role || .build/release/beryl-mgm tag master --data $(DATA)/beryl
	@echo "serving root://127.0.0.1:1094 (Ctrl-C stops); metrics at http://127.0.0.1:$(METRICS_PORT)/metrics"
	.build/release/beryl-mgm serve --data $(DATA)/beryl --listen 127.0.0.1:1094 --metrics 127.0.0.1:$(METRICS_PORT)

# Install the binaries, the systemd unit, a default configuration (never over an existing one) and the
# operations guide: `sudo make install`, or `make install DESTDIR=/tmp/stage PREFIX=/usr` for a package.
# install-files copies what is built already (INSTALL_FROM: the folder of the binaries).
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
SYSCONFDIR   ?= /etc
UNITDIR      ?= $(PREFIX)/lib/systemd/system
DOCDIR       ?= $(PREFIX)/share/doc/beryl
INSTALL_FROM ?= .build/release

install: release install-files

install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/beryl $(DESTDIR)$(DOCDIR)
	install -m 0755 $(INSTALL_FROM)/beryl-mgm $(INSTALL_FROM)/beryl $(INSTALL_FROM)/log-repair $(DESTDIR)$(BINDIR)/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	  dist/systemd/beryl-mgm@.service > $(DESTDIR)$(UNITDIR)/beryl-mgm@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/beryl-mgm@.service
	install -m 0644 docs/OPERATIONS.md $(DESTDIR)$(DOCDIR)/OPERATIONS.md
	install -m 0644 dist/grafana/beryl.json $(DESTDIR)$(DOCDIR)/grafana-beryl.json
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/beryl/beryl-mgm.conf ]; then \
	  echo "kept $(DESTDIR)$(SYSCONFDIR)/beryl/beryl-mgm.conf (the new default is $(DOCDIR)/beryl-mgm.conf)"; \
	else install -m 0644 dist/beryl-mgm.conf $(DESTDIR)$(SYSCONFDIR)/beryl/beryl-mgm.conf; fi
	install -m 0644 dist/beryl-mgm.conf $(DESTDIR)$(DOCDIR)/beryl-mgm.conf

# Write, reopen and verify a namespace under $(DATA)/demo (offline, no server).
demo: deps
	$(SWIFT) build -c release --product beryl
	.build/release/beryl demo --data $(DATA)/demo

# Benchmarks (release build); results land in Benchmarks/results/<suite>.json. `make bench` is the
# standard run (10.5 min on 2 cores from a clean checkout, 5 min with the builds done; docs/BENCHMARKS.md): every suite, then the
# peer comparison (RocksDB, SQLite), then the charts, then the tables of docs/BENCHMARKS.md.
# (xrootd and replication start beryl-mgm processes: both products are built.)
BENCH_SUITES := core namespace compaction ratio scale tools xrootd replication

bench: deps
	@b=$$(test -x .build/release/beryl-bench && echo incremental || echo clean); mkdir -p .build; \
	  echo "$$(date +%s) $$(cut -d' ' -f1-3 /proc/loadavg) $$b" > .build/bench-start
	$(SWIFT) build -c release --product beryl-bench
	$(SWIFT) build -c release --product beryl-mgm
	@for s in $(BENCH_SUITES); do t0=$$(date +%s); .build/release/beryl-bench $$s || exit 1; \
	  echo "suite $$s took $$(( $$(date +%s) - t0 )) s"; done
	$(MAKE) bench-compare
	$(MAKE) plots
	$(MAKE) bench-docs BENCH_STARTED=.build/bench-start

# Rewrites the generated blocks of docs/BENCHMARKS.md (tables, run header) from Benchmarks/results
# (with BENCH_STARTED, as `make bench` calls it, it first records the run in Benchmarks/results/run.json).
bench-docs:
	python3 Benchmarks/render.py $(if $(BENCH_STARTED),--started-file $(BENCH_STARTED))

# Charts for docs/BENCHMARKS.md from Benchmarks/results (matplotlib in a local virtual environment).
PLOT_VENV := .build-plots/venv
plots:
	@dpkg -s python3-venv >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv; }
	@[ -x $(PLOT_VENV)/bin/python ] || { python3 -m venv $(PLOT_VENV) && $(PLOT_VENV)/bin/pip install -q matplotlib; }
	$(PLOT_VENV)/bin/python Benchmarks/plot.py

bench-quick: deps
	$(SWIFT) build -c release --product beryl-bench
	$(SWIFT) build -c release --product beryl-mgm
	@for s in $(BENCH_SUITES); do .build/release/beryl-bench $$s --quick || exit 1; done

clean:
	rm -rf .build $(DATA)

# Longer reliability runs: 10x the crash-test kill points (2,100 for appends, 120 random kills in
# compaction), the 200-client load test for LOAD_SECONDS (default 60; 5 in `make test`) with the other
# abuse tests, a 60-step failover walk (8 in `make test`; BERYL_WALK_SEED picks another), and every
# fuzz target for 10 minutes.
SOAK_FACTOR ?= 10
LOAD_SECONDS ?= 60
soak: deps
	$(SWIFT) build --build-tests
	BERYL_SOAK_FACTOR=$(SOAK_FACTOR) $(SWIFT) test --filter 'KillTests|CompactionCrashTests|TornWriteTests'
	BERYL_LOAD_SECONDS=$(LOAD_SECONDS) $(SWIFT) test --filter 'LoadAndAbuseTests'
	BERYL_WALK_STEPS=60 $(SWIFT) test --filter 'RoleChangeWalkTests'
	$(MAKE) fuzz FUZZ_SECONDS=600

# Fuzz each target for FUZZ_SECONDS (default 60) with libFuzzer + ASan, from the seed corpus.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzScanner FuzzLegacyScanner FuzzRepair FuzzNamespaceDecoders FuzzXRootD FuzzSyncMessage
fuzz: deps
	@for t in $(FUZZ_TARGETS); do \
	  $(SWIFT) build -c debug --scratch-path .build-fuzz --product $$t --sanitize fuzzer --sanitize address -Xswiftc -use-ld=lld || exit 1; \
	  corpus=Fuzz/corpus/$$(echo $$t | sed 's/^Fuzz//' | tr 'A-Z' 'a-z'); mkdir -p $$corpus.work; \
	  SWIFT_BACKTRACE=enable=no .build-fuzz/debug/$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=Fuzz/ $$corpus.work $$corpus || exit 1; \
	done

# Beryl beside RocksDB and SQLite (a separate package: the peers are never linked into the main build).
bench-compare: deps
	@for p in librocksdb-dev libsqlite3-dev; do dpkg -s $$p >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$p; }; done
	$(SWIFT) build -c release --package-path Benchmarks/Compare
	Benchmarks/Compare/.build/release/beryl-compare $(COMPARE_FLAGS)

# Doorman. The two commands that set everything up on a fresh Debian/Ubuntu machine:
#   make run    install what is missing, build, open Doorman (on its embedded PostgreSQL and Redis)
#   make test   install what is missing, build, run every test against real servers
SWIFT ?= swift
PREFIX ?= /usr/local

.PHONY: run test bench build release deps deps-test install clean fuzz check-graph cluster cluster-down

run: deps release
	.build/release/doorman $(ARGS)

# Unit tests run in parallel. The integration tests run one at a time: they
# start real servers, freeze and kill them, and bound how long a fault may
# take; on two cores shared by 150 such tests at once, those bounds would
# measure the machine, not Doorman (about 75 s in a row).
test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip IntegrationTests
	$(SWIFT) test --filter IntegrationTests --no-parallel

# make bench BENCH_ARGS=--quick to try it; by default it rewrites BENCHMARKS.md and the README's table.
BENCH_ARGS ?= --write BENCHMARKS.md --readme
bench: release
	@scripts/install-deps.sh --bench
	$(SWIFT) build -c release --package-path bench/hello
	scripts/bench.py $(BENCH_ARGS)

# A whole topology on loopback (README, "A local cluster"): 3 instances behind
# HAProxy, PgBouncer, a PostgreSQL primary and standby, Redis with a replica
# and 3 sentinels, under .build/cluster. cluster-down stops it (idempotent).
cluster: release
	@scripts/install-deps.sh --cluster
	scripts/cluster.sh up

cluster-down:
	scripts/cluster.sh down

build: deps
	$(SWIFT) build

# Fails when a module imports one that Package.swift does not list as its
# dependency (the README's module map is what Package.swift says).
check-graph:
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error

release: deps
	$(SWIFT) build -c release

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doorman/sql $(DESTDIR)$(PREFIX)/share/doorman/themes
	install -m 755 .build/release/doorman $(DESTDIR)$(PREFIX)/bin/doorman
	install -m 644 sql/*.sql $(DESTDIR)$(PREFIX)/share/doorman/sql/
	install -m 644 themes/*.theme $(DESTDIR)$(PREFIX)/share/doorman/themes/

# libFuzzer over the parsers of untrusted input (Fuzz/, a package of its own,
# never part of `swift build`): each target runs FUZZ_SECONDS from its seeds in
# Fuzz/Corpus/<target> plus what earlier runs found (Fuzz/.build/fuzz/corpus).
# A crash stops make; its input is in Fuzz/.build/fuzz/crashes/, the whole
# log in Fuzz/.build/fuzz/<target>.log.
# swiftc keeps only the last -sanitize= flag, so SwiftPM's two flags alone give
# AddressSanitizer without coverage (libFuzzer then fuzzes blind): the
# -Xswiftc flag after them asks for both in one.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= basic-authorization:FuzzBasicAuthorization resp-reader:FuzzRESPReader theme:FuzzTheme
fuzz: deps
	cd Fuzz && $(SWIFT) build --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
	@set -e; for pair in $(FUZZ_TARGETS); do \
		name=$${pair%%:*}; exe=$${pair#*:}; \
		mkdir -p Fuzz/.build/fuzz/corpus/$$name Fuzz/.build/fuzz/crashes; \
		echo "fuzz: $$name for $(FUZZ_SECONDS) s"; \
		if Fuzz/.build/debug/$$exe -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-dict=Fuzz/Dictionaries/$$name.dict -artifact_prefix=Fuzz/.build/fuzz/crashes/$$name- \
			Fuzz/.build/fuzz/corpus/$$name Fuzz/Corpus/$$name >Fuzz/.build/fuzz/$$name.log 2>&1; then \
			grep -e '^Done' -e 'stat::number_of_executed_units' -e 'stat::new_units_added' Fuzz/.build/fuzz/$$name.log; \
		else \
			tail -n 40 Fuzz/.build/fuzz/$$name.log; \
			echo "fuzz: $$name failed (log: Fuzz/.build/fuzz/$$name.log; input in Fuzz/.build/fuzz/crashes/)"; exit 1; \
		fi; \
	done

clean:
	rm -rf .build Fuzz/.build

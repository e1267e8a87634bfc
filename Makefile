# Doorman. The two commands that set everything up on a fresh Debian/Ubuntu machine:
#   make run    install what is missing, build, open Doorman (on its embedded PostgreSQL and Redis)
#   make test   install what is missing, build, run every test against real servers
SWIFT ?= swift
PREFIX ?= /usr/local

.PHONY: run test bench build release deps deps-test install clean check-graph

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

clean:
	rm -rf .build

# Everything installs itself: `make run` and `make test` work on a fresh machine with python3.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
WORKERS ?= 2
PYTEST_FLAGS := -p no:allure_pytest -p no:allure_pytest_bdd -p no:cacheprovider

.PHONY: all venv chromium coturn run test lint unit features coverage load bench report serve inventory clean

all: test

$(STAMP):
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,load,report,interop,bench,mutation]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

## Debian's Chromium for the interop suite (tests/interop drives it through playwright). Where it
## cannot be installed the interop tests skip and say why (and fail with CI=true, as in .ci/run).
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	} || echo "chromium could not be installed: the interop tests will skip (fail with CI=true)"

## Debian's coturn: tests/test_turn_coturn.py shows the platform's TURN credentials work on a real
## TURN server (use-auth-secret) as on the platform's own relay. Where it cannot be installed that
## test skips and says why; nothing else depends on it.
coturn:
	@command -v turnserver >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq coturn >/dev/null; \
	} || echo "coturn could not be installed: the coturn test will skip"

## The main job: the in-process platform, one client of each product, keepalive, a forced drop.
run: $(STAMP)
	$(BIN)/python -m kandy_testing.demo

VULTURE := $(BIN)/vulture sdk fake_platform kandy_media kandy_testing tests load bench tools examples features \
	--ignore-decorators @api,@given,@when,@then,@pytest.fixture,@web.middleware,@property,@staticmethod,@pytest.hookimpl,@rule,@invariant

## Every test that is neither a load test nor an interop test: lint (ruff, mypy strict, vulture),
## unit and integration tests (with the official SDKs' recorded traffic replayed against the platform
## and into our SDK, no browser needed), the dashboard in Chromium, Gherkin scenarios (traced per
## scenario), a seeded sample of 10 knockouts (each against its recorded killer, in one process: ten
## short scenarios do not pay for xdist's start-up), then the conformance coverage gate.
test: $(STAMP) chromium coturn lint
	rm -rf reports/coverage reports/contract reports/conformance/knockout-sample.json && mkdir -p reports/coverage
	KANDY_API_TRACE=$(CURDIR)/reports/coverage/trace $(BIN)/pytest -n $(WORKERS) $(PYTEST_FLAGS) -m "not load" \
		--ignore=tests/interop tests features
	$(BIN)/python -m fake_platform.contract.report reports/contract
	cd examples/customer_app && $(CURDIR)/$(BIN)/pytest -q $(PYTEST_FLAGS)
	$(BIN)/python -m kandy_testing.knockout --traces reports/coverage --sample 10 --workers 0 --gate
	$(BIN)/python -m kandy_testing.coverage --traces reports/coverage --suite features --gate --out reports/coverage/coverage.json

## The knockout gate: every documented function and event of both products knocked out in turn
## (kandy_testing/knockout), each against the scenarios that touched it; reports/conformance/knockout.json
## and .md; the verdicts are recorded in kandy_testing/data/knockout-verdicts.json for the coverage gate.
.PHONY: knockout
knockout: $(STAMP)
	rm -rf reports/coverage && mkdir -p reports/coverage
	KANDY_API_TRACE=$(CURDIR)/reports/coverage/trace $(BIN)/pytest -n $(WORKERS) $(PYTEST_FLAGS) features
	$(BIN)/python -m kandy_testing.knockout --traces reports/coverage --workers $(WORKERS) --record --gate

## Mutation testing of the core modules (mutmut, configured in pyproject.toml): the call state machine
## and the engine's transitions, the channel's keepalive and backoff, notification de-duplication,
## each mutant against the unit tests that reach it; the score per module and the survivors in
## reports/mutation/mutation.md (kandy_testing/mutation.py).
.PHONY: mutation
mutation: $(STAMP)
	rm -rf mutants && mkdir -p reports/mutation
	$(BIN)/mutmut run --max-children $(WORKERS) > reports/mutation/run.log 2>&1
	$(BIN)/python -m kandy_testing.mutation --out reports/mutation

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(VULTURE)

## The official CPaaS and CallMe SDKs (fetched from npm into ~/.cache) in Debian's Chromium against
## the platform and our SDK (tests/interop, about a minute on 2 cores): kept out of `make test` for its
## time; CI runs it with CI=true, where a missing Chromium or npm registry fails instead of skipping.
## Its traffic joins the contract drift report of the last `make test` (reports/contract).
.PHONY: test-interop
test-interop: $(STAMP) chromium
	$(BIN)/pytest -n $(WORKERS) $(PYTEST_FLAGS) tests/interop
	$(BIN)/python -m fake_platform.contract.report reports/contract

## The tests that start Locust processes (about 110 s of real-time runs between them): kept out of
## `make test` so that it stays under 2 minutes on 2 cores; CI runs both.
.PHONY: test-load
test-load: $(STAMP)
	$(BIN)/pytest -n $(WORKERS) $(PYTEST_FLAGS) -m load tests

unit: $(STAMP)
	$(BIN)/pytest -n $(WORKERS) $(PYTEST_FLAGS) tests

features: $(STAMP)
	$(BIN)/pytest -n $(WORKERS) $(PYTEST_FLAGS) features

## Load test (Locust, headless): the default scenario (200 CPaaS and Link users calling and messaging
## each other; storms, a keepalive
## blackout, refused reconnects, latency) against a standalone platform. Writes reports/load/
## (Locust CSV and HTML, reconnects.png, checks.json) and fails when a check fails.
load: $(STAMP)
	$(BIN)/python -m load.run --scenario default --optional-tasks call,message --out reports/load

## Call quality under network profiles: relayed calls with audio while the platform gives every
## user 3G, a 5 s blackout and poor Wi-Fi (load/scenarios.py "network"); QUALITY samples (audio MOS,
## gaps) per network in reports/load-network/checks.json. NetworkShape (load/locustfile_network.py)
## steps through profiles the same way.
.PHONY: load-network
load-network: $(STAMP)
	$(BIN)/python -m load.run --scenario network --relay --optional-tasks call \
		--call-every 4 --media-share 1 --media-hold 3 --out reports/load-network

## The same with Locust distributed: a master and two worker processes on this machine.
.PHONY: load-distributed
load-distributed: $(STAMP)
	$(BIN)/python -m load.run --scenario default --workers 2 --out reports/load-distributed

## The soak (load/soak.py, about 10 minutes): waves of mixed traffic of both products with real media,
## faults and abusive clients against a standalone platform; checks that its RSS stays flat and that
## no socket, channel, call leg, media peer, task or descriptor is left on either side once every
## client is destroyed. Figures and an RSS plot in reports/reliability/.
.PHONY: soak
soak: $(STAMP)
	$(BIN)/python -m load.soak --duration $${SOAK_SECONDS:-600} --out reports/reliability

## A long fuzz run (tests/test_fuzz.py): the sweep with more odd values and KANDY_FUZZ_EXAMPLES random
## requests (default 20,000) against every route, without and with the contract's middleware; a
## random seed each run (KANDY_FUZZ_SEED=N replays one); and KANDY_FUZZ_SEQUENCES random request
## sequences (default 500, tests/test_fuzz_stateful.py). make test runs a short derandomized budget.
.PHONY: fuzz
fuzz: $(STAMP)
	KANDY_FUZZ_EXAMPLES=$${KANDY_FUZZ_EXAMPLES:-20000} KANDY_FUZZ_SEQUENCES=$${KANDY_FUZZ_SEQUENCES:-500} \
	  $(BIN)/pytest $(PYTEST_FLAGS) -o timeout=0 -q tests/test_fuzz.py tests/test_fuzz_stateful.py

## Every benchmark under bench/ (each writes its figures to reports/bench/), then their plots.
bench: $(STAMP)
	mkdir -p reports/bench
	for script in $(filter-out bench/plot.py bench/profiling.py,$(wildcard bench/*.py)); do $(BIN)/python $$script || exit 1; done
	$(BIN)/python bench/plot.py

## Allure results from two runs (allure-pytest-bdd for features, allure-pytest for the rest: they
## cannot be loaded together), rendered to one HTML file by the npm allure 3 CLI (no Java).
report: $(STAMP) node_modules/.bin/allure
	rm -rf reports/allure-results reports/allure-report
	status=0; \
	$(BIN)/pytest -n $(WORKERS) -p no:allure_pytest_bdd -p no:cacheprovider --alluredir=reports/allure-results tests \
		|| status=$$?; \
	$(BIN)/pytest -n $(WORKERS) -p no:allure_pytest -p no:cacheprovider --alluredir=reports/allure-results features \
		|| status=$$?; \
	npx --no-install allure generate reports/allure-results --config allurerc.mjs && \
	echo "report: reports/allure-report/index.html" && exit $$status

node_modules/.bin/allure: package.json
	npm install --no-audit --no-fund
	touch $@

## The platform as a standalone server (Ctrl-C to stop).
serve: $(STAMP)
	$(BIN)/python -m fake_platform serve --port 8080 --users 3

## Re-record the official SDKs' traffic (tests/contract/recordings: sanitised requests, answers and
## frames, replayed by make test without a browser) and what Chromium sent (tests/contract/media:
## SDPs and RFC 4733 packets, the media oracle) from the interop suite.
.PHONY: record-interop
record-interop: $(STAMP) chromium
	rm -rf tests/contract/recordings tests/contract/media
	KANDY_RECORD_INTEROP=1 $(BIN)/pytest -n $(WORKERS) $(PYTEST_FLAGS) tests/interop

## Regenerate kandy_testing/data/inventory.json from the team's spec.
inventory: $(STAMP)
	$(BIN)/python tools/build_inventory.py ../shared/spec/api-inventory.json

clean:
	rm -rf $(VENV) reports/* .pytest_cache
	touch reports/.gitkeep

## Group chat fan-out benchmark (50 members, 1,000 messages) beside a raw aiohttp baseline.
.PHONY: bench-messaging
bench-messaging: $(STAMP)
	$(BIN)/python bench/messaging.py
	$(BIN)/python bench/plot.py

## py-spy flame graphs of the fan-out (SDK + platform, and the raw baseline) with where the samples
## went per side: reports/bench/messaging-profile-$(TAG)-{sdk,raw}.{svg,json,txt}.
TAG ?= current
.PHONY: profile-messaging
profile-messaging: $(STAMP)
	$(BIN)/python bench/messaging.py --profile --tag $(TAG)
	$(BIN)/python bench/plot.py

## Server CPU per keepalive: the platform's defaults (and uvloop, and the load settings) beside the
## plain echo server, in turns, three runs of fresh processes (reports/bench/keepalive.json and .png;
## about 10 minutes). One run: .venv/bin/python bench/keepalive.py; --profile and --calls: its docstring.
.PHONY: bench-keepalive
bench-keepalive: $(STAMP)
	$(BIN)/python bench/keepalive.py --runs 3
	$(BIN)/python bench/plot.py

## Concurrent calls with media per core: the SDK's dense media mode beside raw aiortc (about 5 minutes).
.PHONY: bench-media
bench-media: $(STAMP)
	$(BIN)/python bench/media_density.py
	$(BIN)/python bench/plot.py

## Call quality: MOS and playout gaps against packet loss (Opus, PCMU, and aiortc's own jitter
## buffer), relayed calls per core beside host-path calls (reports/bench/quality.json and .png).
.PHONY: bench-quality
bench-quality: $(STAMP)
	$(BIN)/python bench/quality.py

# NeuroEndo: `make run` and `make test` do all the set-up on a fresh Debian machine.
SWIFT ?= swift
FUZZ_SECONDS ?= 60
BENCH_ROWS ?= 5000000
SWIFT_FORMAT ?= swift format
BIN = $(shell $(SWIFT) build --show-bin-path)

.PHONY: all setup build run test bench fuzz fuzz-build lint format clean check-reports check-browser screenshot install

all: build

# libcsv is a C library from Debian (libcsv-dev); install it when it is missing.
setup:
	@if dpkg -s libcsv-dev >/dev/null 2>&1 || [ -f /usr/include/csv.h ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing libcsv-dev (Debian package) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcsv-dev; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcsv-dev; \
	else \
	  echo "NeuroEndo needs the C library libcsv: install the Debian package libcsv-dev" >&2; \
	  echo "  (as root: apt-get update && apt-get install libcsv-dev), then run make again." >&2; \
	  exit 1; \
	fi

build: setup
	$(SWIFT) build

# Builds and runs the sample pipeline over SampleData/; outputs go to out/sample/.
run: build
	$(BIN)/neuroendo run --verbose Pipelines/sample.yml

test: setup
	$(SWIFT) test

# Builds the release binary and installs it as $(PREFIX)/bin/neuroendo (for cron).
PREFIX ?= /usr/local
install: setup
	$(SWIFT) build -c release --product neuroendo
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 "$$($(SWIFT) build -c release --show-bin-path)/neuroendo" $(DESTDIR)$(PREFIX)/bin/neuroendo

# Validates the sample run's patient reports against their JSON schema with check-jsonschema
# (PyPI), installed when missing; CI runs it. NeuroEndo itself never needs Python.
# The FHIR bundles are parsed with the FHIR R4 (4.0.1) models of fhir.resources 6.0.0
# (pydantic 1; 6.5 would be R4B), in a virtual environment of its own (.build-fhir-r4,
# ignored by git).
FHIR_PYTHON = .build-fhir-r4/bin/python
check-reports: run
	@command -v check-jsonschema >/dev/null 2>&1 || python3 -m pip install --quiet check-jsonschema
	check-jsonschema --schemafile Sources/NeuroEndoKit/Reporters/patient-report.schema.json \
	  $$(ls out/sample/reports/patients/*.json | grep -v '\.fhir\.json$$')
	@[ -x $(FHIR_PYTHON) ] || { python3 -m venv .build-fhir-r4 && \
	  .build-fhir-r4/bin/pip install --quiet "fhir.resources==6.0.0" "pydantic>=1.10,<2"; }
	$(FHIR_PYTHON) .ci/validate-fhir.py out/sample/reports/patients/*.fhir.json

# Renders a typical patient's report and the cohort report in headless Chromium (installed
# from Debian when missing) and checks them: see .ci/browser-check.
check-browser: build
	bash .ci/browser-check

# The same, and the README's picture of a patient report, written anew for review.
screenshot: build
	bash .ci/browser-check --screenshot

# Reader speed against a raw libcsv pass over the same generated file, and peak memory.
bench: setup
	$(SWIFT) build -c release --product neuroendo
	$(SWIFT) build -c release --product neuroendo-bench
	$$($(SWIFT) build -c release --show-bin-path)/neuroendo-bench --rows $(BENCH_ROWS)

# libFuzzer over the CSV reader and the JSON/FHIR readers (Model and Readers compiled with
# the fuzzer and ASan, whose leak checker is on). Each target runs FUZZ_SECONDS.
READER_SOURCES = $(wildcard Sources/NeuroEndoKit/Model/*.swift) $(wildcard Sources/NeuroEndoKit/Readers/*.swift) $(wildcard Sources/NeuroEndoKit/Readers/JSON/*.swift)
FUZZ_FLAGS = -O -sanitize=fuzzer,address -parse-as-library -module-name NeuroEndoFuzz -I Sources/CLibCSV

.build-fuzz/%-fuzz: Fuzz/%Fuzz.swift $(READER_SOURCES)
	@mkdir -p .build-fuzz
	swiftc $(FUZZ_FLAGS) $(READER_SOURCES) $< -o $@ 2> $@.log || { cat $@.log; exit 1; }

fuzz-build: setup .build-fuzz/CSVReader-fuzz .build-fuzz/JSONReader-fuzz

fuzz: fuzz-build
	@mkdir -p .build-fuzz/corpus-csv .build-fuzz/corpus-json
	.build-fuzz/CSVReader-fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=65536 -print_final_stats=1 .build-fuzz/corpus-csv Fuzz/corpus-csv
	.build-fuzz/JSONReader-fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	  -max_len=65536 -print_final_stats=1 .build-fuzz/corpus-json Fuzz/corpus-json

lint:
	$(SWIFT_FORMAT) lint --strict --recursive Package.swift Sources Tests Benchmarks Fuzz

format:
	$(SWIFT_FORMAT) format --in-place --recursive Package.swift Sources Tests Benchmarks Fuzz

clean:
	rm -rf .build .build-fuzz out

# NeuroEndo: `make run` and `make test` do all the set-up on a fresh Debian machine.
SWIFT ?= swift
FUZZ_SECONDS ?= 60
BENCH_ROWS ?= 5000000
SWIFT_FORMAT ?= swift format
BIN = $(shell $(SWIFT) build --show-bin-path)

.PHONY: all setup build run test bench fuzz fuzz-build lint format clean check-reports check-browser screenshot install check-install check-deploy docs

all: build

# The system libraries the build needs, each checked the same way and installed from Debian
# when missing: libcsv (the CSV reader) and SQLite's headers (GRDB, the state).
SYSTEM_LIBRARIES = libcsv-dev:/usr/include/csv.h libsqlite3-dev:/usr/include/sqlite3.h
setup:
	@missing=""; for entry in $(SYSTEM_LIBRARIES); do \
	  package=$${entry%%:*}; header=$${entry#*:}; \
	  if dpkg -s $$package >/dev/null 2>&1 || [ -f $$header ]; then :; else missing="$$missing $$package"; fi; \
	done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing$$missing (Debian packages) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "NeuroEndo needs the Debian packages$$missing" >&2; \
	  echo "  (as root: apt-get update && apt-get install$$missing), then run make again." >&2; \
	  exit 1; \
	fi

build: setup
	$(SWIFT) build

# Builds and runs the sample pipeline over SampleData/; outputs go to out/sample/.
run: build
	$(BIN)/neuroendo run --verbose Pipelines/sample.yml

test: setup
	$(SWIFT) test

# Builds the release binary with the Swift standard library and Foundation linked in
# (--static-swift-stdlib), so that it runs on a Debian machine without Swift, and installs
# it as $(PREFIX)/bin/neuroendo with its man page and bash, zsh and fish completions, all
# generated from the command's own help. `make check-install` runs the installed binary
# with the toolchain's directory hidden.
PREFIX ?= /usr/local
# The toolchain's root (/opt/swift here), which check-install hides.
SWIFT_ROOT := $(shell readlink -f "$$(command -v $(SWIFT))" | sed 's|/usr/bin/swift[^/]*$$||')
RELEASE = $(SWIFT) build -c release --static-swift-stdlib --product neuroendo --scratch-path .build-release
install: setup
	$(RELEASE)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 "$$($(RELEASE) --show-bin-path)/neuroendo" $(DESTDIR)$(PREFIX)/bin/neuroendo
	bin="$$($(RELEASE) --show-bin-path)/neuroendo"; \
	  "$$bin" --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/neuroendo && \
	  "$$bin" --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_neuroendo && \
	  "$$bin" --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/neuroendo.fish
	$(SWIFT) package --scratch-path .build-release plugin generate-manual
	install -m 644 .build-release/plugins/GenerateManual/outputs/neuroendo/neuroendo.1 \
	  $(DESTDIR)$(PREFIX)/share/man/man1/neuroendo.1

# The systemd units verified (systemd-analyze, when the machine has it) against the binary
# check-install put in place.
check-deploy: check-install
	@if command -v systemd-analyze >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d); \
	  for unit in Deploy/systemd/*.service Deploy/systemd/*.timer; do \
	    sed "s|/usr/local/bin/neuroendo|$(CURDIR)/.build-install$(PREFIX)/bin/neuroendo|" $$unit > $$tmp/$$(basename $$unit); \
	  done; \
	  systemd-analyze verify $$tmp/*.service $$tmp/*.timer && echo "systemd units verified"; \
	  status=$$?; rm -rf $$tmp; exit $$status; \
	else echo "systemd-analyze is not here: units not verified"; fi

# The installed binary runs without the toolchain: /opt/swift hidden behind an empty
# tmpfs in a mount namespace of its own (as root; unshare from util-linux).
check-install:
	$(MAKE) install DESTDIR=$(CURDIR)/.build-install
	unshare -m sh -c 'mount -t tmpfs none $(SWIFT_ROOT) && \
	  ! command -v swift >/dev/null 2>&1 && test ! -e $(SWIFT_ROOT)/usr/bin/swift && \
	  $(CURDIR)/.build-install$(PREFIX)/bin/neuroendo --version && \
	  $(CURDIR)/.build-install$(PREFIX)/bin/neuroendo analyze .ci/typical-patient.csv --out /tmp/neuroendo-check-install >/dev/null; \
	  status=$$?; rm -rf /tmp/neuroendo-check-install; test $$status = 0'
	man -l .build-install$(PREFIX)/share/man/man1/neuroendo.1 >/dev/null 2>&1 || \
	  test -s .build-install$(PREFIX)/share/man/man1/neuroendo.1

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

# The same, and the picture of a patient report (in the README and the DocC article Outputs:
# Sources/NeuroEndoKit/NeuroEndoKit.docc/Resources/patient-report.png), written anew for review.
screenshot: build
	bash .ci/browser-check --screenshot

# Reader speed against a raw libcsv pass over the same generated file, and peak memory; the
# FHIR reader, the rhythm stages and `neuroendo analyze` as a whole process (what is measured:
# the DocC article Performance). The output is printed as it comes and written into
# Benchmarks/README.md: a fixed header, the command, the machine and the date, then the output;
# the file's "## Measured by hand" section is carried over as it is. A failed bench fails the
# target and leaves the file as it was.
BENCH_README = Benchmarks/README.md
bench: setup
	$(SWIFT) build -c release --product neuroendo
	$(SWIFT) build -c release --product neuroendo-bench
	@bin="$$($(SWIFT) build -c release --show-bin-path)" && tmp=$$(mktemp -d) || exit 1; \
	echo "$$bin/neuroendo-bench --rows $(BENCH_ROWS)"; \
	{ "$$bin/neuroendo-bench" --rows $(BENCH_ROWS); echo $$? > $$tmp/status; } | tee $$tmp/output \
	  || { rm -rf $$tmp; exit 1; }; \
	status=$$(cat $$tmp/status); \
	if [ "$$status" != 0 ]; then \
	  rm -rf $$tmp; echo "neuroendo-bench failed (exit $$status): $(BENCH_README) left as it was" >&2; \
	  exit $$status; \
	fi; \
	{ \
	  echo '# NeuroEndo benchmarks'; echo; \
	  echo 'Written by `make bench`: everything above "Measured by hand" is written anew by each'; \
	  echo 'run, and that section is carried over as it is. What is measured and how: the DocC'; \
	  echo 'article Performance (`Sources/NeuroEndoKit/NeuroEndoKit.docc/Performance.md`).'; echo; \
	  echo '`neuroendo-bench` (`Benchmarks/neuroendo-bench`, release build) measures the CSV reader'; \
	  echo 'on generated LIS long exports of 1 million rows and `BENCH_ROWS` rows against a raw libcsv'; \
	  echo 'pass over the same file (best of five), with peak memory; the FHIR reader on a generated'; \
	  echo 'searchset bundle of about 1 GiB; each stage from a research long CSV of 100,000'; \
	  echo 'subject-days to `features-subject-day.csv`; and `neuroendo analyze` as a whole process'; \
	  echo 'over a cohort of 20,000 subjects x 5 days x 9 salivary cortisol samples against the'; \
	  echo 'targets of issue 26: beside a raw libcsv pass, the polars and DuckDB scripts of'; \
	  echo '`Benchmarks/` (their features checked against ours) when `BENCH_PYTHON` names a Python'; \
	  echo 'that has them, BioPsyKit 0.14.0 when `BIOPSYKIT_PYTHON` does, `--patient-reports` beside'; \
	  echo '`cp -r` of the tree it wrote, and the default run over 90,000, 900,000 and 9 million rows.'; echo; \
	  echo "- Command: \`make bench BENCH_ROWS=$(BENCH_ROWS)\` (\`neuroendo-bench --rows $(BENCH_ROWS)\`)"; \
	  echo "- Version: $$("$$bin/neuroendo" --version 2>/dev/null), commit $$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$$(git diff --quiet HEAD 2>/dev/null || echo ' with local changes')"; \
	  echo "- Python for polars and DuckDB: $${BENCH_PYTHON:-BENCH_PYTHON not set}; BioPsyKit: $${BIOPSYKIT_PYTHON:-BIOPSYKIT_PYTHON not set}"; \
	  echo "- Machine: $$(nproc) cores, $$(awk '/^MemTotal:/ { printf "%.0f GiB", $$2 / 1048576 }' /proc/meminfo) memory, $$(uname -srm)"; \
	  echo "- Date: $$(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo; \
	  echo '## Output of the last `make bench`'; echo; \
	  echo '```'; cat $$tmp/output; echo '```'; \
	  if [ -f $(BENCH_README) ] && grep -q '^## Measured by hand' $(BENCH_README); then \
	    echo; sed -n '/^## Measured by hand/,$$p' $(BENCH_README); \
	  fi; \
	} > $$tmp/readme && cp $$tmp/readme $(BENCH_README).new && mv $(BENCH_README).new $(BENCH_README); \
	status=$$?; rm -rf $$tmp; [ $$status = 0 ] && echo "wrote $(BENCH_README)"; exit $$status

# The DocC documentation of NeuroEndoKit (the guides and Methods in
# Sources/NeuroEndoKit/NeuroEndoKit.docc and the API), with swift-docc-plugin, in a scratch
# directory of its own; the archive is .build-docs/plugins/Swift-DocC/outputs/NeuroEndoKit.doccarchive.
# Every warning fails it: a broken <doc:> or ``symbol`` link in an article or a doc comment,
# a parameter left undocumented.
docs: setup
	$(SWIFT) package --scratch-path .build-docs generate-documentation --target NeuroEndoKit \
	  --warnings-as-errors

# libFuzzer over the CSV reader and the JSON/FHIR readers (Model and Readers compiled with
# the fuzzer and ASan, whose leak checker is on). Each target runs FUZZ_SECONDS.
READER_SOURCES = $(wildcard Sources/NeuroEndoKit/Support/*.swift) $(wildcard Sources/NeuroEndoKit/Model/*.swift) $(wildcard Sources/NeuroEndoKit/Readers/*.swift) $(wildcard Sources/NeuroEndoKit/Readers/JSON/*.swift)
FUZZ_FLAGS = -O -sanitize=fuzzer,address -parse-as-library -module-name NeuroEndoFuzz -I Sources/CLibCSV

# SHA256.swift wraps swift-crypto, a package module swiftc alone does not have: the fuzz
# targets take a stand-in with its interface (the readers only record a file's digest).
FUZZ_SOURCES = $(filter-out Sources/NeuroEndoKit/Support/SHA256.swift,$(READER_SOURCES)) Fuzz/SHA256Standin.swift

.build-fuzz/%-fuzz: Fuzz/%Fuzz.swift $(FUZZ_SOURCES)
	@mkdir -p .build-fuzz
	swiftc $(FUZZ_FLAGS) $(FUZZ_SOURCES) $< -o $@ 2> $@.log || { cat $@.log; exit 1; }

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

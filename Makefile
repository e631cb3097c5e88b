# runclinic: `make demo` and `make test` work on a fresh Debian/Ubuntu machine; they install
# what is missing (system packages with apt-get, Python test tools in .venv).

SWIFT ?= swift
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
DEBUG_BIN := .build/debug/runclinic
RELEASE_BIN := .build/release/runclinic
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# chromium: the tests load the HTML report in a real (headless) browser; chromium-driver: Selenium
# drives the dashboard in it. libcurl4: the webhooks (FoundationNetworking), which the wheel's
# static binary still loads from the system; libcurl4-openssl-dev: the email alerts' SMTP.
# neovim: the Neovim plugin's tests (headless). libpq-dev: the PostgreSQL store's client (its header
# at build time; libpq5 is loaded when a postgresql:// store is opened); postgresql: the throw-away
# cluster the tests start (initdb and pg_ctl, in a temporary folder, for the tests' duration).
# libjpeg-dev: the image library decodes JPEGs with libjpeg(-turbo) directly, straight into BGR;
# libdeflate-dev: and the common PNG with libdeflate; libgif-dev: and a GIF's first frame with
# giflib; libheif-dev: and HEIC and AVIF with libheif (OpenCV 4.6 reads neither GIF nor HEIF).
SYSTEM_PACKAGES := libsqlite3-dev libopencv-dev libjpeg-dev libdeflate-dev libgif-dev libheif-dev chromium chromium-driver libcurl4 libcurl4-openssl-dev neovim \
  libpq-dev postgresql
# The wheel's binary: the Swift standard library, Foundation and SQLite linked in statically.
STATIC_BUILD := .build/static
LIBDIR := /usr/lib/$(shell gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

.PHONY: all deps system-deps venv build release wheel test framework-test lint format swift-test shim-check python-test demo bench bench-audit bench-audit-photos bench-changepoints bench-rootcause bench-realruns bench-analyze bench-compare bench-import bench-dashboard bench-store clean

all: build

deps: system-deps venv

system-deps:
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: clients/python/requirements-test.txt clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r clients/python/requirements-test.txt
	$(VPY) -m pip install -q --disable-pip-version-check -e clients/python
	touch $@

venv: $(VENV)/.installed

build: system-deps
	$(SWIFT) build

release: system-deps
	$(SWIFT) build -c release

swift-test: build
	$(SWIFT) test

# The image library's own versions of OpenCV operations (the page background, the area resize),
# checked pixel for pixel against OpenCV's on the fixture images.
SHIM_CHECK := .build/shim-check
shim-check: system-deps
	@mkdir -p $(SHIM_CHECK)
	find Tests/Fixtures/images -type f | sort > $(SHIM_CHECK)/files.txt
	for check in page_background_check area_resize_check; do \
	  clang++ -O2 -std=c++17 -ISources/CImageInspectionAPI/include bench/$$check.cpp -o $(SHIM_CHECK)/$$check \
	    $$(pkg-config --cflags --libs opencv4) -ljpeg -ldeflate -lgif -lheif -ldl && \
	  $(SHIM_CHECK)/$$check $(SHIM_CHECK)/files.txt 2>/dev/null || exit 1; \
	done

# dist/runclinic-<version>-py3-none-manylinux_<glibc>_<arch>.whl: the client, the server and its
# image library. SwiftPM links libcurl and libsqlite3 by name: a folder searched first that holds
# libcurl's .so and SQLite's .a makes the one dynamic (system) and the other static.
wheel: system-deps venv
	mkdir -p $(STATIC_BUILD)/link
	ln -sf $(LIBDIR)/libcurl.so.4 $(STATIC_BUILD)/link/libcurl.so
	ln -sf $(LIBDIR)/libsqlite3.a $(STATIC_BUILD)/link/libsqlite3.a
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(STATIC_BUILD) -Xlinker -L$(CURDIR)/$(STATIC_BUILD)/link
	rm -f dist/runclinic-*.whl
	$(VPY) clients/python/tools/build_wheel.py --binary-dir $(STATIC_BUILD)/release --out dist

# The suite runs twice: on SQLite files, then on PostgreSQL (a database per test in a throw-away
# cluster); tests of what only a SQLite file has are skipped there (marked sqlite_only).
python-test: build venv wheel
	cd clients/python && RUNCLINIC_BIN=$(CURDIR)/$(DEBUG_BIN) RUNCLINIC_WHEEL="$$(ls $(CURDIR)/dist/runclinic-*.whl)" \
	  ../../$(VPY) -m pytest -q -p no:cacheprovider tests
	cd clients/python && RUNCLINIC_TEST_STORE=postgresql RUNCLINIC_BIN=$(CURDIR)/$(DEBUG_BIN) \
	  ../../$(VPY) -m pytest -q -p no:cacheprovider tests --deselect tests/test_wheel.py

# The framework integrations, trained for real: torch (CPU), transformers, Lightning, Keras on JAX,
# in a venv outside the clone (it is large), made once per set of requirements and reused.
FRAMEWORK_REQUIREMENTS := clients/python/requirements-frameworks.txt
FRAMEWORK_VENV ?= $(HOME)/.cache/runclinic/venv-frameworks-$(shell sha1sum $(FRAMEWORK_REQUIREMENTS) | cut -c1-12)

# CPU torch comes from a local wheel folder when it holds one, else from PyTorch's CPU index: asked
# when unreachable, pip retried that index five times for each of some 45 packages (7 minutes).
TORCH_SOURCE = $$(ls /opt/wheels/torch-*+cpu-*.whl >/dev/null 2>&1 && echo --find-links /opt/wheels || echo --extra-index-url https://download.pytorch.org/whl/cpu)

$(FRAMEWORK_VENV)/.installed:
	$(PYTHON) -m venv $(FRAMEWORK_VENV)
	$(FRAMEWORK_VENV)/bin/python -m pip install -q --disable-pip-version-check $(TORCH_SOURCE) -r $(FRAMEWORK_REQUIREMENTS)
	touch $@

framework-test: build $(FRAMEWORK_VENV)/.installed
	cd clients/python && RUNCLINIC_BIN=$(CURDIR)/$(DEBUG_BIN) KERAS_BACKEND=jax \
	  $(FRAMEWORK_VENV)/bin/python -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning tests_frameworks

test: lint swift-test shim-check python-test framework-test

# Formatting (.swift-format: 120 columns, 4 spaces), checked in CI. `make format` rewrites.
lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format format -i -r Sources Tests Package.swift

# The handbook's story: a receipt dataset with bad scans, a monitored run whose validation recall
# drops, the audit, and the analysis with its reports (all under out/demo).
demo: release
	@mkdir -p out
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) clients/python/examples/handbook_demo.py --out out/demo

# The peers (wandb, tensorboardX, MLflow) get a venv of their own: they are heavy and only the
# benchmark needs them.
.venv-bench/.installed: bench/requirements.txt
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt
	touch $@

# The image-audit peers (CleanVision, fastdup) pin numpy and Pillow versions of their own.
.venv-audit/.installed: bench/requirements-audit.txt
	$(PYTHON) -m venv .venv-audit
	.venv-audit/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements-audit.txt
	touch $@

bench: release .venv-bench/.installed bench-audit bench-changepoints bench-rootcause bench-analyze bench-compare bench-import bench-dashboard bench-store
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) bench/run.py
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) bench/monitor_quality.py 30
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) bench/logging_speed.py

# Labelled images (Debian's wallpaper photographs, receipts rendered in DejaVu) and the audit
# side by side with CleanVision, fastdup and the decode-only floor.
bench-audit: release .venv-audit/.installed
	@dpkg -s fonts-dejavu-core >/dev/null 2>&1 || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-audit/bin/python bench/audit_bench.py
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-audit/bin/python bench/audit_bench.py --seed 8 --peers ""
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-audit/bin/python bench/audit_memory.py
	$(MAKE) bench-audit-photos

# Real photographs and real PDF pages from Debian packages (bench/audit_photos, written without
# reading the audit): the tune half beside CleanVision and fastdup, and the held-out half, which
# is never tuned on. Each half is generated once (about 8 minutes, 1 GB in bench/out).
# The generator's libraries are pinned to the versions that drew the halves of 2026-12-05.
.venv-audit-photos/.installed:
	$(PYTHON) -m venv .venv-audit-photos
	.venv-audit-photos/bin/python -m pip install -q --disable-pip-version-check pillow==13.0.0 numpy==2.4.6 opencv-python-headless==5.1.0.95
	touch $@

bench/out/audit_photos/%/labels.json: .venv-audit-photos/.installed
	@command -v pdftoppm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }
	.venv-audit-photos/bin/python bench/audit_photos/make_dataset.py --split $* --out bench/out/audit_photos/$* --cache bench/out/audit_photos_packages

bench-audit-photos: release .venv-audit/.installed bench/out/audit_photos/tune/labels.json bench/out/audit_photos/heldout/labels.json
	$(PYTHON) bench/audit_photos/evaluate.py --data bench/out/audit_photos/tune --runclinic $(CURDIR)/$(RELEASE_BIN) --peers cleanvision,fastdup
	$(PYTHON) bench/audit_photos/evaluate.py --data bench/out/audit_photos/heldout --runclinic $(CURDIR)/$(RELEASE_BIN)
	$(PYTHON) bench/audit_cold_cache.py --images bench/out/audit_photos/heldout/images --runclinic $(CURDIR)/$(RELEASE_BIN)

# Real trainings with injected faults (bench/realruns: a NumPy network on scikit-learn's scanned
# digits, written without reading the detectors): root cause, live advice and change points, on
# the tuning half and on the held-out half that is never tuned on. Runs once per make.
.venv-realruns/.installed: bench/realruns/requirements.txt
	$(PYTHON) -m venv .venv-realruns
	.venv-realruns/bin/python -m pip install -q --disable-pip-version-check -r bench/realruns/requirements.txt
	touch $@

bench-realruns: release .venv-realruns/.installed
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-realruns/bin/python bench/realruns/evaluate.py --split tune --out bench/out/realruns
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-realruns/bin/python bench/realruns/evaluate.py --split heldout --out bench/out/realruns

# Change points on the Turing Change Point Dataset and a 100,000-point series, beside ruptures;
# on real training curves in bench-realruns' third table.
# The dashboard in headless Chromium: 1,000,000 points drawn, a logged point on screen.
# The store: SQLite against PostgreSQL (a throw-away cluster), one trainer and eight.
bench-store: release system-deps $(VENV)/.installed
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) $(VPY) bench/store_speed.py

bench-dashboard: release system-deps $(VENV)/.installed
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) $(VPY) bench/dashboard_speed.py

bench-changepoints: release .venv-bench/.installed bench-realruns
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-bench/bin/python bench/changepoint_bench.py

# Root-cause accuracy on real trainings (bench-realruns, both halves), and on the scenario suite
# written with the detectors (real images for the data cases), beside runmedic.
bench-rootcause: release .venv-bench/.installed bench-realruns
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-bench/bin/python bench/rootcause_scenarios.py --seeds 6

# analyze.run on 1,000,000 points and 20,000 batch records.
bench-analyze: release .venv-bench/.installed
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-bench/bin/python bench/analyze_speed.py

# compare.runs on 20 runs of 100,000 points; compare.hyperparameters over 1,000 runs; the importance
# ranking beside Optuna's fANOVA on synthetic studies.
bench-compare: release .venv-bench/.installed
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-bench/bin/python bench/compare_speed.py
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-bench/bin/python bench/hparams_speed.py
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-bench/bin/python bench/importance_bench.py

# import.run on a 20,000-step wandb run and a TensorBoard folder of 100 runs x 10,000 points
# (written by the real wandb and tensorboardX once, cached in bench/out), beside pure-Python readers.
bench-import: release .venv-bench/.installed
	RUNCLINIC_BIN=$(CURDIR)/$(RELEASE_BIN) .venv-bench/bin/python bench/import_speed.py

clean:
	rm -rf .build $(VENV) .venv-bench .venv-audit .venv-audit-photos .venv-realruns out

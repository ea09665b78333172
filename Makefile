# Entry points: `make demo` shows the stack answering; `make test` is what CI runs.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
# The Debian suite the scenarios and the demo run on (bullseye, bookworm, trixie); its image is
# built from Debian's archive when missing. MOLECULE_IMAGE overrides the image outright.
DISTRO ?= bookworm
export MOLECULE_IMAGE ?= pyweb-deploy/debian:$(DISTRO)
# The platforms scenario runs on Debian 11 and 13 whatever DISTRO is; PYWEB_BULLSEYE_IMAGE and
# PYWEB_TRIXIE_IMAGE replace those images.
PLATFORM_SUITES := $(if $(PYWEB_BULLSEYE_IMAGE),,bullseye) $(if $(PYWEB_TRIXIE_IMAGE),,trixie)
DEMO_PORT ?= 8081

.PHONY: help venv docker image images lint unit molecule installed test demo demo-clean bench bench-converge build clean

help:
	@echo "make demo   - deploy the stack into a container and fetch its page through port 81"
	@echo "make test   - lint, unit checks, every molecule scenario, the built collection (what CI runs)"
	@echo "make lint   - yamllint, ansible-lint (production profile), changelog lint, shellcheck, ansible-test sanity, ansible-builder"
	@echo "make bench  - measure the deployed stack (table + bench/results.json)"
	@echo "make build  - build the collection tarball"

# uv, pinned as the gunicorn role pins it, installs the toolchain in about 6 s where pip took 47 s;
# it trusts the host's CAs, as pip does, and reads no pip.conf.
UV_VERSION := 0.13.9
$(BIN)/molecule: requirements-dev.txt constraints-dev.txt
	@echo "make: installing the toolchain into $(VENV) (uv $(UV_VERSION), about 15 s)"
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --only-binary :all: uv==$(UV_VERSION)
	UV_SYSTEM_CERTS=1 UV_NO_PROGRESS=1 $(BIN)/uv pip install --quiet --python $(BIN)/python \
	  pip==23.2.1 -r requirements-dev.txt -c constraints-dev.txt
	touch $@

venv: $(BIN)/molecule

docker:
	scripts/ensure-docker.sh

# The image of DISTRO alone: what the demo and the bench run on.
image: docker
	@case "$(MOLECULE_IMAGE)" in "$${PYWEB_IMAGE_PREFIX:-pyweb-deploy/debian}":*) scripts/build-image.sh $(DISTRO);; \
	  *) echo "using $(MOLECULE_IMAGE)";; esac

# And the platforms scenario's (build-image.sh leaves an image that exists as it is).
images: image
	@for suite in $(PLATFORM_SUITES); do scripts/build-image.sh $$suite || exit 1; done

# ansible-lint runs offline (Galaxy is out of reach) and so does not install this collection; the
# molecule playbooks find pyweb.deploy through the checkout's own link in playbooks/collections.
# The copy molecule installs into ~/.ansible/collections would come first and may be older than
# the checkout; molecule installs it again on its next run.
lint: venv
	$(BIN)/yamllint .
	rm -rf $(HOME)/.ansible/collections/ansible_collections/pyweb/deploy
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/playbooks/collections $(BIN)/ansible-lint
	$(BIN)/antsibull-changelog lint
	$(BIN)/shellcheck $$(grep -l '^#!/bin/sh' roles/gunicorn/files/bin/*) roles/gunicorn/files/export-tree scripts/sanity.sh scripts/lowest-priority.sh scripts/check-ee.sh
	BIN=$(BIN) scripts/sanity.sh
	BIN=$(BIN) scripts/check-ee.sh

unit: venv
	$(BIN)/pytest -q tests

# Every scenario, two at a time (PYWEB_MOLECULE_LANES); `molecule test -s NAME` runs one.
molecule: venv images
	scripts/molecule-lanes.sh

# The built tarball, installed into an empty path, deploys the demo container.
installed: venv images
	scripts/check-installed.sh

# The scenarios take both cores, but leave a sixth of their time idle while their hosts install
# packages and their tests wait on deploys; lint and the unit tests, which need nothing but a
# core, run beside them at the lowest priority (scripts/lowest-priority.sh: nice alone did not
# keep them from the containers' share) and fill that time. Their output is shown whole at the
# end, and a failure of either fails the run as a failed scenario does. The check of the
# installed collection runs in whichever lane is free first near the end.
test: venv
	@mkdir -p .cache
	@scripts/lowest-priority.sh $(MAKE) --no-print-directory -j2 --output-sync=target lint unit >.cache/checks.log 2>&1 & \
	checks=$$!; \
	PYWEB_LANES_MAKE=installed $(MAKE) --no-print-directory molecule; lanes=$$?; \
	wait $$checks; passed=$$?; \
	echo "===== lint and unit tests (run beside the scenarios) ====="; cat .cache/checks.log; \
	if [ $$passed -ne 0 ]; then echo "make test: lint or the unit tests FAILED (above)"; fi; \
	[ $$lanes -eq 0 ] && [ $$passed -eq 0 ]

demo: venv image
	scripts/demo.sh $(DEMO_PORT)

# Throughput, redeploys under load, slow clients and converge time, in a fresh container.
bench: venv image
	$(BIN)/python bench/bench.py

# Only the converge times (fresh and no-op run, and the floor), into bench/converge.json.
bench-converge: venv image
	$(BIN)/python bench/bench.py --converge-only --json bench/converge.json

demo-clean:
	-docker rm -f pyweb-demo

build: venv
	$(BIN)/ansible-galaxy collection build --force

clean: demo-clean
	rm -rf $(VENV) .cache *.tar.gz
